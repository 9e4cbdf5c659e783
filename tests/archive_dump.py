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

``content_dump`` is the same without the order: every id replaced by what it stands for
(an article by its URL, a response by its URL, the SHA-256 of its bytes and its run), the
rows of each table as a sorted multiset, a stored body by the SHA-256 of its decompressed
bytes. Two crawls that fetched the same pages in another order have equal content dumps
(the order decides the ids and which pages make the compression dictionary, hence the
compressed bytes: ``dump`` compares those).

Columns added to the schema after a golden dump was recorded (the ``portal`` column of
the distributed mode) are left out when ``columns`` (the golden dump's) is given.

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
                 "downloader/request_bytes", "response_received_count", "httpcompression/", "newsspider/progress",
                 "newsspider/cpu_")


CONTENT_STATS_DROPPED = ("newsspider/requested/", "newsspider/response_bytes_stored", "request_depth_max",
                         "downloader/request_bytes")


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


def _columns(con, name: str, columns: dict | None) -> list[str]:
    have = [r[1] for r in con.execute(f"PRAGMA table_info({name})")]
    if columns and name in columns:
        return [c for c in columns[name] if c in have]
    return have


def dump(path, columns: dict | None = None) -> dict:
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
            cols = _columns(con, name, columns)
            sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
            order = ", ".join(cols) if sql.rstrip().upper().endswith("WITHOUT ROWID") else "rowid"
            rows = []
            for r in con.execute(f"SELECT {', '.join(cols)} FROM {name} ORDER BY {order}"):
                row = [_value(name, c, v) for c, v in zip(cols, r)]
                if name == "archive_info" and row[0] == "first_crawl":
                    row[1] = "<time>"
                rows.append(row)
            hashes = [_row_hash(r) for r in rows]
            out[name] = {"columns": cols, "count": len(rows),
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


def _inflate(con, blob, compression, dicts):
    import zlib

    if blob is None:
        return None
    if compression == "zlib":
        return zlib.decompress(blob)
    dict_id = int(compression.split("/", 1)[1])
    if dict_id not in dicts:
        dicts[dict_id] = con.execute("SELECT dict FROM zdicts WHERE id = ?", [dict_id]).fetchone()[0]
    d = zlib.decompressobj(zdict=dicts[dict_id])
    return d.decompress(blob) + d.flush()


def content_dump(path, columns: dict | None = None) -> dict:
    """{table: {"count", "sha256", "rows": [sorted row hashes]}}: ``dump`` without the order
    (ids replaced by what they stand for, rows sorted, bodies by their decompressed bytes)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        article = dict(con.execute("SELECT id, url FROM articles"))
        dicts: dict = {}
        response = {}
        for rid, url, sha, run, blob, compression in con.execute(
                "SELECT id, url, sha256, run_id, body, compression FROM responses"):
            body = _inflate(con, blob, compression, dicts)
            assert body is None or __import__("hashlib").sha256(body).hexdigest() == sha, (rid, url)
            response[rid] = [url, sha, run]
        refs = {("versions", "article_id"): article, ("credits", "article_id"): article,
                ("related", "article_id"): article, ("search_facets", "id"): article,
                ("versions", "response_id"): response, ("fetches", "response_id"): response,
                ("front_page_placements", "response_id"): response}
        own_id = {"articles", "versions", "responses", "fetches"}
        out = {}
        for name, entry in dump(path, columns).items():
            if name.startswith("fts:") or name == "zdicts":
                continue
            cols = [c for c in entry["columns"] if not (c == "id" and name in own_id)]
            if name == "responses":
                cols = [c for c in cols if c != "stored_size"]
            rows = []
            for r in con.execute(f"SELECT {', '.join(cols)} FROM {name}"):
                row = []
                for c, v in zip(cols, r):
                    if (name, c) in refs:
                        v = refs[(name, c)].get(v, v)
                    elif name == "responses" and c == "body":
                        v = None if v is None else "sha256-of-bytes"  # the sha256 column, checked above
                    elif name == "responses" and c == "compression" and v:
                        # zlib before the dictionary was made, zlib-dict after: which pages
                        # came first decides it
                        v = "not-kept" if v.startswith("not-kept/") else "zlib"
                    elif name == "fetches" and c == "request_headers" and v:
                        # the page whose link was followed first
                        v = json.dumps({k: x for k, x in json.loads(v).items() if k != "Referer"}, sort_keys=True)
                    elif name == "runs" and c == "stats" and v:
                        # which channel requested a page first, the bytes that compressed
                        # with or without the dictionary, the deepest chain of links
                        v = json.dumps({k: x for k, x in json.loads(_value(name, c, v)).items()
                                        if not k.startswith(CONTENT_STATS_DROPPED)}, sort_keys=True)
                    else:
                        v = _value(name, c, v)
                    row.append(v)
                if name == "archive_info" and row[0] == "first_crawl":
                    row[1] = "<time>"
                rows.append(row)
            hashes = sorted(_row_hash(r) for r in rows)
            out[name] = {"columns": cols, "count": len(rows),
                         "sha256": hashlib.sha256("".join(hashes).encode()).hexdigest(), "rows": hashes}
        fts = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")]
        for name in fts:
            con.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab_{name} USING fts5vocab(main, {name}, instance)")
            rows = sorted(json.dumps([t, article.get(d, d), c, o], ensure_ascii=False) for t, d, c, o in
                          con.execute(f"SELECT term, doc, col, offset FROM temp.vocab_{name}"))
            out[f"fts:{name}"] = {"count": len(rows), "sha256": hashlib.sha256("".join(rows).encode()).hexdigest()}
        return out
    finally:
        con.close()


# Tables added after the golden dump was recorded, on purpose (issue 16: one archive of
# many portals; the distributed writer's applied Stream entries; issue 17: the marker of a
# batch's deferred full-text indexing, empty between batches). Their rows are checked by
# tests/test_portals.py, tests/test_cluster.py and tests/test_search_index_batch.py; every
# table main had must be as it was.
NEW_TABLES = {"portals", "stream_entries", "search_index_deferred"}


def differences(got: dict, want: dict, limit: int = 20) -> list[str]:
    """What differs between two dumps, table by table (the first differing rows' positions)."""
    out = []
    for name in sorted(set(got) | set(want)):
        g, w = got.get(name), want.get(name)
        if w is None and name in NEW_TABLES:
            continue
        if g is None or w is None:
            out.append(f"{name}: {'missing' if g is None else 'not in the golden dump'}")
            continue
        if g.get("columns") != w.get("columns"):
            out.append(f"{name}: columns {g.get('columns')} != {w.get('columns')}")
        if g["sha256"] != w["sha256"]:
            rows = [i for i, (a, b) in enumerate(zip(g.get("rows", []), w.get("rows", []))) if a != b]
            out.append(f"{name}: {g['count']} rows, golden {w['count']}; first differing rows (0-based): {rows[:limit]}"
                       if rows or g["count"] != w["count"] else f"{name}: differs")
    return out


if __name__ == "__main__":
    print(json.dumps({"strict": dump(sys.argv[1]), "content": content_dump(sys.argv[1])}, indent=1))
