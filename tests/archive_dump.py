"""A canonical dump of an archive: every table, row by row, minus what legitimately differs
between two crawls of the same portal (the times of the run and of each fetch, the
server's ``Date`` header, Scrapy's timing stats).

``tests/test_archive_identity.py`` compares the dump of a fixed crawl sequence with
``tests/golden/archive-dump.json``, recorded from the code before the crawl's speed work
of issue 17, so that work keeps the archive byte for byte what it was: the same rows, the
same content hashes and versions, the same stored (compressed) bytes, the ids in the same
order. A time column keeps whether it is set (``<time>`` or null); the full-text indexes
are dumped by their contents (``fts5vocab`` instances: term, row, column, offset), not by
their internal segment layout.

    python -m tests.archive_dump ARCHIVE.db          # the dump as JSON on stdout
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys

# table -> columns whose value is a time of this run (kept: null or not)
TIME_COLUMNS = {
    "runs": {"started", "finished"},
    "articles": {"first_seen", "last_seen"},
    "versions": {"fetched_at"},
    "responses": {"fetched_at"},
    "fetches": {"fetched_at"},
    "crawl_state": {"last_fetched", "next_due"},
    "failures": {"first_failed", "last_attempt", "next_retry"},
    "zdicts": {"created"},
}
# JSON header columns: the server's Date header is the time of the fetch
HEADER_COLUMNS = {("responses", "headers"), ("fetches", "headers")}
# Scrapy's stats that are times, durations, memory or log counts; the rest is kept
STATS_DROPPED = ("time", "elapsed", "memusage", "log_count/", "scheduler/", "downloader/response_bytes",
                 "downloader/request_bytes", "response_received_count", "httpcompression/", "newsspider/progress")


def _value(table: str, column: str, value):
    if value is None:
        return None
    if column in TIME_COLUMNS.get(table, ()):
        return "<time>"
    if (table, column) in HEADER_COLUMNS and isinstance(value, str):
        headers = json.loads(value)
        if "date" in headers:
            headers["date"] = "<time>"
        return json.dumps(headers, sort_keys=True)
    if table == "runs" and column == "stats":
        stats = json.loads(value)
        return json.dumps({k: v for k, v in sorted(stats.items()) if not any(d in k for d in STATS_DROPPED)},
                          sort_keys=True)
    if table == "archive_info" and column == "value":
        return value
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    return value


def _row_hash(row) -> str:
    return hashlib.sha256(json.dumps(row, ensure_ascii=False).encode()).hexdigest()[:16]


def dump(path) -> dict:
    """{table: {"columns", "count", "sha256", "rows": [row hash, ...]}} in rowid order,
    plus each full-text index's contents as "fts:NAME"."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        fts = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")]
        shadow = {n for n in names for f in fts if n.startswith(f + "_")}
        out = {}
        for name in names:
            if name in shadow or name in fts or name.startswith("sqlite_"):
                continue
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({name})")]
            sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
            order = ", ".join(columns) if sql.rstrip().upper().endswith("WITHOUT ROWID") else "rowid"
            rows = []
            for r in con.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY {order}"):
                row = [_value(name, c, v) for c, v in zip(columns, r)]
                if name == "archive_info" and row[0] == "first_crawl":
                    row[1] = "<time>"
                rows.append(row)
            hashes = [_row_hash(r) for r in rows]
            out[name] = {"columns": columns, "count": len(rows),
                         "sha256": hashlib.sha256("".join(hashes).encode()).hexdigest(), "rows": hashes}
        for name in fts:
            con.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab_{name} USING fts5vocab(main, {name}, instance)")
            h = hashlib.sha256()
            n = 0
            for r in con.execute(f"SELECT term, doc, col, offset FROM temp.vocab_{name} ORDER BY term, doc, col, offset"):
                h.update(json.dumps(r, ensure_ascii=False).encode())
                n += 1
            out[f"fts:{name}"] = {"count": n, "sha256": h.hexdigest()}
        return out
    finally:
        con.close()


def differences(got: dict, want: dict, limit: int = 20) -> list[str]:
    """What differs between two dumps, table by table (the first differing rows' positions)."""
    out = []
    for name in sorted(set(got) | set(want)):
        g, w = got.get(name), want.get(name)
        if g is None or w is None:
            out.append(f"{name}: {'missing' if g is None else 'not in the golden dump'}")
            continue
        if g.get("columns") != w.get("columns"):
            out.append(f"{name}: columns {g.get('columns')} != {w.get('columns')}")
        if g["sha256"] != w["sha256"]:
            rows = [i for i, (a, b) in enumerate(zip(g.get("rows", []), w.get("rows", []))) if a != b]
            out.append(f"{name}: {g['count']} rows, golden {w['count']}; first differing rows (0-based): {rows[:limit]}")
    return out


if __name__ == "__main__":
    print(json.dumps(dump(sys.argv[1]), indent=1))
