"""Store: articles and their versions, fetched responses, crawl state, failures, runs.

Writes go in batches, each one explicit transaction (``BEGIN IMMEDIATE`` … ``COMMIT``):
an article, its version, its credits, its related links and its response are never
half-written, and a crash or ``kill -9`` loses at most the batch in flight, which the
next run fetches again. The archive is in WAL mode, so Datasette reads while a crawl
writes.

- A fetched response is stored (zlib with a preset dictionary) when its bytes differ
  from the last stored response of that URL.
- An article whose normalized content (headline, body, byline, dates, section,
  credits) differs from its latest version gets a new version; an unchanged re-fetch
  only moves ``last_seen``.
- ``crawl_state`` keeps the validators for conditional requests and ``next_due``, the
  revisit time given by the article's age (``REVISIT_SCHEDULE``).

The schema belongs to ``pipelines.schema``; this module only reads and writes rows.
sqlite-utils' write helpers commit per call, which would split a batch, so rows are
written with plain SQL on its connection.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import sqlite3
import zlib
from datetime import datetime, timedelta, timezone

from newsspider.items import Article, Failure, FrontPage, NotModified, RawResponse
from newsspider.urls import fold
from pipelines import schema

log = logging.getLogger(__name__)

# (age below which, revisit interval), seconds; older than the last age: never revisited.
DEFAULT_REVISIT_SCHEDULE = (
    (86400, 3600),            # first day: hourly
    (7 * 86400, 6 * 3600),    # first week: every 6 hours
    (30 * 86400, 86400),      # first month: daily
    (90 * 86400, 7 * 86400),  # first three months: weekly
)
VERSIONED_FIELDS = ("headline", "body", "byline", "published", "updated", "section", "credits")
KEPT_HEADERS = ("content-type", "etag", "last-modified", "date", "content-language", "location",
                "cache-control", "expires", "server", "content-length")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def content_of(a: Article) -> dict:
    return {f: getattr(a, f) for f in VERSIONED_FIELDS}


def content_hash(content: dict) -> str:
    """What makes two fetches of an article the same version."""
    payload = json.dumps([content[f] for f in VERSIONED_FIELDS], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def next_due(published: str | None, fetched_at: str, schedule=DEFAULT_REVISIT_SCHEDULE) -> str | None:
    """When to fetch an article again: often while young, rarely when old, never after
    the schedule's last age."""
    fetched = parse_iso(fetched_at) or utcnow()
    born = parse_iso(published) or fetched
    age = (fetched - born).total_seconds()
    for max_age, interval in schedule:
        if age < max_age:
            return iso(fetched + timedelta(seconds=interval))
    return None


def version_diff(old: dict, new: dict) -> tuple[list[str], str]:
    """The fields that changed, and a unified diff of headline and body paragraphs."""
    changed = [f for f in VERSIONED_FIELDS if old.get(f) != new.get(f)]
    def lines(c):
        return [f"# {c.get('headline') or ''}", *((c.get("body") or "").split("\n\n"))]
    diff = "\n".join(difflib.unified_diff(lines(old), lines(new), "before", "after", lineterm="", n=1))
    return changed, diff


# --------------------------------------------------------------------------- compression

class Compressor:
    """zlib with a preset dictionary made of the archive's first stored pages."""

    DICT_SIZE = 32 * 1024
    LEVEL = 3

    def __init__(self, conn):
        self.conn = conn
        row = conn.execute("SELECT id, dict FROM zdicts ORDER BY id DESC LIMIT 1").fetchone()
        self.dict_id, self.zdict = (row[0], row[1]) if row else (None, None)
        self.samples: list[bytes] = []

    def compress(self, body: bytes, sample: bool = True) -> tuple[bytes, str]:
        """``sample``: the body may go into the dictionary: article pages only (robots.txt,
        sitemaps, feeds and section front pages are stored first in a crawl, and a
        dictionary made of them fits the articles badly: 20.6% of their size, not 12%)."""
        if self.zdict is None and sample:
            self.samples.append(body)
            if len(self.samples) >= 4 or sum(map(len, self.samples)) >= 4 * self.DICT_SIZE:
                self._make_dict()
        if self.zdict is None:
            return zlib.compress(body, self.LEVEL), "zlib"
        co = zlib.compressobj(self.LEVEL, zdict=self.zdict)
        return co.compress(body) + co.flush(), f"zlib-dict/{self.dict_id}"

    def state(self) -> tuple:
        """What a rolled-back write must restore (a dictionary made inside it is gone)."""
        return self.dict_id, self.zdict, list(self.samples)

    def restore(self, state: tuple) -> None:
        self.dict_id, self.zdict, samples = state
        self.samples = list(samples)

    def _make_dict(self) -> None:
        # zlib looks back 32 KiB: the dictionary is the last 32 KiB of the first pages
        # stored, whole pages (head, menu, body, footer). Measured on the sample portal:
        # level 3 gives 11.4% of the raw size at 0.12 ms a page; level 6 9.5% at 0.30 ms;
        # page tails as the dictionary 15%, no dictionary 29%. Level 3 leaves the crawl
        # more headroom (bench/README.md) for 2 points of size.
        zdict = b"".join(self.samples)[-self.DICT_SIZE:]
        cur = self.conn.execute("INSERT INTO zdicts (created, dict) VALUES (?, ?)", [iso(utcnow()), zdict])
        self.dict_id, self.zdict = cur.lastrowid, zdict


def decompress(conn, blob: bytes, compression: str, cache: dict | None = None) -> bytes:
    """The stored body's bytes. ``cache`` (dictionary id -> dictionary), owned by a caller
    that decompresses many bodies of one archive, saves a query per body."""
    if compression == "zlib":
        return zlib.decompress(blob)
    if compression.startswith("not-kept/"):
        raise ValueError(f"the response's bytes were not kept ({compression.split('/', 1)[1]})")
    if compression.startswith("zlib-dict/"):
        dict_id = int(compression.split("/", 1)[1])
        zdict = cache.get(dict_id) if cache is not None else None
        if zdict is None:
            zdict = conn.execute("SELECT dict FROM zdicts WHERE id = ?", [dict_id]).fetchone()[0]
            if cache is not None:
                cache[dict_id] = zdict  # a dictionary never changes once written
        d = zlib.decompressobj(zdict=zdict)
        return d.decompress(blob) + d.flush()
    raise ValueError(f"unknown compression {compression!r}")


# --------------------------------------------------------------------------- the archive

class Archive:
    """The archive's write side: a run, its articles, versions, responses and failures."""

    def __init__(self, path, *, retry_base: float = 3600, max_permanent_attempts: int = 3,
                 schedule=DEFAULT_REVISIT_SCHEDULE, max_response_bytes: int = 0, max_run_bytes: int = 0):
        self.path = path
        self.db = schema.connect(path)
        schema.ensure_schema(self.db)
        self.conn = self.db.conn
        self.retry_base = retry_base
        self.max_permanent_attempts = max_permanent_attempts
        self.schedule = schedule
        self.compressor = Compressor(self.conn)
        self.run_id: int | None = None
        self.counts = {"articles_new": 0, "articles_updated": 0, "articles_unchanged": 0,
                       "not_modified": 0, "failures": 0, "failures_repeated": 0, "responses_stored": 0,
                       "response_bytes_raw": 0, "response_bytes_stored": 0, "responses_not_kept": 0,
                       "parse_errors": 0, "parse_errors_repeated": 0, "front_pages": 0,
                       "front_pages_not_modified": 0}
        self.max_response_bytes = max_response_bytes
        self.max_run_bytes = max_run_bytes
        # the portal rows are written for: the crawl's (claim_portal), or an item's own
        self.portal: str | None = None
        self._portal: str | None = None

    # -- runs ----------------------------------------------------------------------
    def claim_portal(self, base_url: str, kind: str = "real", name: str | None = None, *,
                     title: str | None = None, timezone: str | None = None, language: str | None = None) -> str:
        """Record the portal this writer's rows are of (``portals``; ``archive_info`` on
        the archive's first crawl, whose kind, real or sample, every later portal shares:
        the crawl command checks). Returns its name, which every row written gets."""
        from newsspider.portals import name_for_url

        name = name or name_for_url(base_url)
        now = iso(utcnow())
        if "portal" not in schema.archive_info(self.conn):
            self.conn.executemany("INSERT OR IGNORE INTO archive_info (key, value) VALUES (?, ?)",
                                  [("portal", base_url), ("portal_kind", kind), ("first_crawl", now)])
        self.conn.execute(
            """INSERT INTO portals (name, title, base_url, timezone, language, kind, first_crawl)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(name) DO UPDATE SET title = coalesce(excluded.title, title),
                 timezone = coalesce(excluded.timezone, timezone), language = coalesce(excluded.language, language)""",
            [name, title or name, base_url, timezone, language, kind, now])
        self.portal = self._portal = name
        return name

    def start_run(self, spider: str, args: dict) -> int:
        # Writers hold the archive's lock, so a run of this portal still marked running
        # was killed (a crawl of several portals runs one writer per portal at once).
        self.conn.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running' AND portal IS ?",
                          [self.portal])
        cur = self.conn.execute(
            "INSERT INTO runs (portal, started, spider, args, status) VALUES (?, ?, ?, ?, 'running')",
            [self.portal, iso(utcnow()), spider, json.dumps(args, ensure_ascii=False, sort_keys=True, default=str)],
        )
        self.run_id = cur.lastrowid
        return self.run_id

    def finish_run(self, stats: dict, reason: str, exit_status: int | None = None) -> None:
        from newsspider.runstatus import BUDGET_FINISH, EXIT_BUDGET

        if reason in BUDGET_FINISH and exit_status in (None, EXIT_BUDGET):
            status = "budget"  # stopped cleanly at the run's budget; the next run goes on
        elif reason in ("shutdown", "interrupted") or (exit_status or 0) >= 128:
            status = "interrupted"  # SIGINT/SIGTERM: what was fetched is stored
        elif reason == "unreachable":
            status = "unreachable"  # the portal could not be reached at all
        else:
            status = "finished" if reason == "finished" and not exit_status else "failed"
        self.conn.execute(
            """UPDATE runs SET finished = ?, status = ?, finish_reason = ?, exit_status = ?,
               pages_fetched = ?, not_modified = ?, articles_new = ?, articles_updated = ?,
               articles_unchanged = ?, failures = ?, stats = ?
               WHERE id = ?""",
            [iso(utcnow()), status, reason, exit_status, stats.get("downloader/response_count", 0),
             self.counts["not_modified"], self.counts["articles_new"], self.counts["articles_updated"],
             self.counts["articles_unchanged"], self.counts["failures"],
             json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str), self.run_id],
        )

    # -- batches -------------------------------------------------------------------
    def write(self, items: list, before_commit=None) -> None:
        """One transaction for the batch. An item whose write raises for a reason of its
        own (its data, not the disk) is rolled back alone and recorded as a ``parse``
        failure with the exception, so the rest of the batch is stored and nothing is lost
        silently; the archived article keeps its old version. An I/O error (disk full,
        read-only file) rolls back the whole batch and is raised.

        The batch is written first without a savepoint per item: a savepoint makes each
        FTS5 index flush its pending terms (a segment per article and index, merged again
        later). Only when an item raises is the batch rolled back and written again, each
        item in a savepoint of its own: the same rows and ids as if every item had had one.

        The batch's new articles are put in the full-text indexes by one statement per
        index before the commit (``schema.defer_search_index``): their insert triggers
        would flush each index once per article.

        ``before_commit(conn)``, if given, runs in the same transaction after the items
        (newsspider.cluster's writer records there which Stream entries it applied)."""
        if not items and before_commit is None:
            return
        counts, compressor = dict(self.counts), self.compressor.state()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            schema.defer_search_index(self.conn)
            try:
                for item in items:
                    self._write_item(item)
            except sqlite3.OperationalError:
                raise
            except Exception:
                self.conn.execute("ROLLBACK")
                self.counts = dict(counts)
                self.compressor.restore(compressor)
                self.conn.execute("BEGIN IMMEDIATE")
                schema.defer_search_index(self.conn)
                self._write_each(items)
            if before_commit is not None:
                before_commit(self.conn)
            schema.index_deferred(self.conn, end=True)
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.counts = counts
            self.compressor.restore(compressor)
            raise

    def _write_each(self, items: list) -> None:
        """The batch with each item in a savepoint: an item that raises is rolled back alone
        (the compressor's state with it) and recorded as a failure."""
        for item in items:
            self.conn.execute("SAVEPOINT item")
            compressor = self.compressor.state()
            try:
                self._write_item(item)
            except sqlite3.OperationalError:
                raise
            except Exception as exc:
                self.conn.execute("ROLLBACK TO item")
                self.compressor.restore(compressor)
                url = getattr(item, "fetched_url", None) or getattr(item, "url", None)
                if url is None:
                    raise
                log.error("could not store %s: %s: %s", url, type(exc).__name__, exc)
                self._write_failure(Failure(url, f"store raised {type(exc).__name__}: {exc}"[:500],
                                            kind="parse", error=True, failed_at=iso(utcnow())))
            self.conn.execute("RELEASE item")

    def _write_item(self, item) -> None:
        self._portal = getattr(item, "portal", None) or self.portal
        if isinstance(item, Article):
            self._write_article(item)
        elif isinstance(item, NotModified):
            self._write_not_modified(item)
        elif isinstance(item, Failure):
            self._write_failure(item)
        elif isinstance(item, RawResponse):  # a page that is no article (import-warc): kept, no failure
            self._store_fetched(item)
        elif isinstance(item, FrontPage):
            self._write_front_page(item)

    def _write_front_page(self, fp: FrontPage) -> None:
        """The capture (response and fetch, and its validators for the next run's
        conditional request) and, for a payload not seen before, its placements."""
        response_id = self._store_fetched(fp.raw)
        if fp.raw is not None:
            self._update_state(fp.url, fp.raw, fp.raw.fetched_at, None, None, False)
        if response_id is None or self.conn.execute(
                "SELECT 1 FROM front_page_placements WHERE response_id = ? LIMIT 1", [response_id]).fetchone():
            return
        self.conn.executemany(
            "INSERT INTO front_page_placements (response_id, position, url, title) VALUES (?, ?, ?, ?)",
            [(response_id, i, p["url"], p["title"]) for i, p in enumerate(fp.placements, 1)])
        self.counts["front_pages"] += 1

    def _store_response(self, raw: RawResponse | None, article: bool = False) -> int | None:
        """Keep the fetched bytes, unless they equal the last stored ones of this URL.
        ``article``: an article page, which may go into the compression dictionary."""
        if raw is None:
            return None
        sha = raw.sha256
        last = self.conn.execute(
            "SELECT id, sha256 FROM responses WHERE url = ? ORDER BY id DESC LIMIT 1", [raw.url]
        ).fetchone()
        if last and last[1] == sha:
            return last[0]
        over_response = self.max_response_bytes and len(raw.body) > self.max_response_bytes
        over_run = self.max_run_bytes and self.counts["response_bytes_stored"] >= self.max_run_bytes
        if over_response or over_run:
            # Parsed, but its bytes are not kept: the row records the fetch and why.
            self.counts["responses_not_kept"] += 1
            blob, method = None, ("not-kept/over-RESPONSE_STORE_MAX_BYTES" if over_response
                                  else "not-kept/over-RUN_STORE_MAX_BYTES")
        else:
            blob, method = self.compressor.compress(raw.body, sample=article)
        headers = {k: v for k, v in raw.headers.items() if k.lower() in KEPT_HEADERS}
        cur = self.conn.execute(
            """INSERT INTO responses (url, portal, final_url, status, fetched_at, headers, content_type, body,
                                      compression, raw_size, stored_size, sha256, run_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [raw.url, raw.portal or self._portal, raw.final_url, raw.status, raw.fetched_at, json.dumps(headers, sort_keys=True),
             headers.get("content-type") or headers.get("Content-Type"), blob, method,
             len(raw.body), len(blob or b""), sha, self.run_id],
        )
        if blob is not None:
            self.counts["responses_stored"] += 1
            self.counts["response_bytes_raw"] += len(raw.body)
            self.counts["response_bytes_stored"] += len(blob)
        return cur.lastrowid

    def _record_fetch(self, url, final_url, fetched_at, status, request_headers, headers, response_id):
        """One row of ``fetches``: what was asked, when, what came back (the WARC export's source)."""
        self.conn.execute(
            """INSERT INTO fetches (url, final_url, fetched_at, status, request_headers, headers,
                                    response_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [url, final_url, fetched_at, status, json.dumps(request_headers or {}, sort_keys=True),
             json.dumps({k: v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS}, sort_keys=True),
             response_id, self.run_id])

    def _store_fetched(self, raw: RawResponse | None, article: bool = False) -> int | None:
        """Store the response's bytes (when new) and record the fetch."""
        response_id = self._store_response(raw, article)
        if raw is not None:
            self._record_fetch(raw.url, raw.final_url, raw.fetched_at, raw.status, raw.request_headers,
                               raw.headers, response_id)
        return response_id

    def _write_article(self, a: Article) -> None:
        now = a.fetched_at or iso(utcnow())
        response_id = self._store_fetched(a.raw, article=True)
        content = content_of(a)
        digest = content_hash(content)
        row = self.conn.execute(
            "SELECT id, content_hash, versions, headline, body, byline, published, updated, section "
            "FROM articles WHERE url = ?", [a.url]
        ).fetchone()
        values = {
            "url": a.url, "portal": self._portal, "headline": a.headline, "body": a.body, "byline": a.byline,
            "reporter": a.reporter, "place": a.place, "timezone": a.timezone,
            "byline_parts": json.dumps(a.byline_parts, ensure_ascii=False),
            "published": a.published, "updated": a.updated, "section": a.section,
            "images": json.dumps(a.images, ensure_ascii=False),
            "tags": json.dumps(a.tags, ensure_ascii=False),
            "sources": json.dumps(a.sources, ensure_ascii=False, sort_keys=True),
            "flags": json.dumps(a.flags, ensure_ascii=False),
            "parser": a.parser, "content_hash": digest, "last_seen": now, "last_run": self.run_id,
        }
        if row is None:
            values.update(first_seen=now, versions=1)
            cols = ", ".join(values)
            cur = self.conn.execute(
                f"INSERT INTO articles ({cols}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
            article_id = cur.lastrowid
            self._add_version(article_id, 1, a, digest, ["new"], None, response_id)
            self.counts["articles_new"] += 1
        elif row[1] == digest:
            article_id = row[0]
            self.conn.execute("UPDATE articles SET last_seen = ?, last_run = ? WHERE id = ?",
                              [now, self.run_id, article_id])
            self.counts["articles_unchanged"] += 1
            self._update_state(a.url, a.raw, now, a.published, a.lastmod, a.revisit)
            self._forget_failure(a)
            return
        else:
            article_id, _, n_versions = row[0], row[1], row[2] or 1
            old = dict(zip(("headline", "body", "byline", "published", "updated", "section"), row[3:]))
            old["credits"] = [r[0] for r in self.conn.execute(
                "SELECT agency FROM credits WHERE article_id = ? ORDER BY position", [article_id])]
            changed, diff = version_diff(old, content)
            values["versions"] = n_versions + 1
            sets = ", ".join(f"{c} = ?" for c in values)
            schema.settle_search_index(self.conn, article_id)
            self.conn.execute(f"UPDATE articles SET {sets} WHERE id = ?", [*values.values(), article_id])
            self._add_version(article_id, n_versions + 1, a, digest, changed, diff, response_id)
            self.counts["articles_updated"] += 1
        self._replace_links(article_id, a)
        self._update_state(a.url, a.raw, now, a.published, a.lastmod, a.revisit)
        self._forget_failure(a)

    def _add_version(self, article_id, number, a: Article, digest, changed, diff, response_id):
        self.conn.execute(
            """INSERT INTO versions (article_id, version, fetched_at, headline, body, byline, published,
                                     updated, section, credits, content_hash, changed, diff,
                                     response_id, parser, run_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [article_id, number, a.fetched_at, a.headline, a.body, a.byline, a.published, a.updated,
             a.section, json.dumps(a.credits, ensure_ascii=False), digest,
             json.dumps(changed), diff, response_id, a.parser, self.run_id],
        )

    def _replace_links(self, article_id: int, a: Article) -> None:
        self.conn.execute("DELETE FROM credits WHERE article_id = ?", [article_id])
        self.conn.executemany(
            "INSERT INTO credits (article_id, agency, position) VALUES (?, ?, ?)",
            [(article_id, agency, i) for i, agency in enumerate(a.credits, 1)],
        )
        self.conn.execute("DELETE FROM related WHERE article_id = ?", [article_id])
        self.conn.executemany(
            "INSERT INTO related (article_id, position, url, title) VALUES (?, ?, ?, ?)",
            [(article_id, i, r["url"], r["title"]) for i, r in enumerate(a.related, 1)],
        )

    def _update_state(self, url, raw: RawResponse | None, fetched_at, published, lastmod, revisit,
                      status=None, headers=None):
        headers = {k.lower(): v for k, v in ((raw.headers if raw else headers) or {}).items()}
        due = next_due(published, fetched_at, self.schedule)
        keys = [url] if raw is None or raw.url == url else [url, raw.url]
        params = [headers.get("etag"), headers.get("last-modified"), fetched_at,
                  status or (raw.status if raw else None), raw.sha256 if raw else None, lastmod]
        for key in keys:
            exists = self.conn.execute("SELECT 1 FROM crawl_state WHERE url = ?", [key]).fetchone()
            if exists is None:
                self.conn.execute(
                    """INSERT INTO crawl_state (url, portal, etag, last_modified, last_fetched, last_status,
                                                last_sha256, lastmod, next_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [key, self._portal, *params, due])
            else:
                # one-off runs (revisit=False) leave the revisit schedule as it was
                self.conn.execute(
                    """UPDATE crawl_state SET etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),
                       last_fetched = ?, last_status = ?, last_sha256 = coalesce(?, last_sha256),
                       lastmod = coalesce(?, lastmod), portal = coalesce(portal, ?)""" +
                    (", next_due = ?" if revisit else "") +
                    " WHERE url = ?", [*params, self._portal, *([due] if revisit else []), key])

    def replace_versions(self, article_id: int, parsed: list[tuple[Article, int]]) -> bool:
        """Re-derive an article's versions from its responses as parsed now (``reparse``).

        ``parsed`` is [(article, response_id)] in fetch order; consecutive equal contents
        are one version. Nothing is written when the result equals what is stored (same
        contents, same parser), so reparse is idempotent. Returns whether rows changed."""
        versions: list[tuple[Article, int, str]] = []
        for a, response_id in parsed:
            digest = content_hash(content_of(a))
            if not versions or versions[-1][2] != digest:
                versions.append((a, response_id, digest))
        stored = self.conn.execute(
            "SELECT content_hash, parser FROM versions WHERE article_id = ? ORDER BY version", [article_id]
        ).fetchall()
        if [(d, a.parser) for a, _, d in versions] == [tuple(r) for r in stored]:
            return False
        self.conn.execute("DELETE FROM versions WHERE article_id = ?", [article_id])
        previous = None
        for number, (a, response_id, digest) in enumerate(versions, 1):
            content = content_of(a)
            changed, diff = (["new"], None) if previous is None else version_diff(previous, content)
            self._add_version(article_id, number, a, digest, changed, diff, response_id)
            previous = content
        latest = versions[-1][0]
        schema.settle_search_index(self.conn, article_id)
        self.conn.execute(
            """UPDATE articles SET headline = ?, body = ?, byline = ?, reporter = ?, place = ?, byline_parts = ?,
               timezone = ?, published = ?, updated = ?,
               section = ?, images = ?, tags = ?, sources = ?, flags = ?, parser = ?, content_hash = ?,
               versions = ? WHERE id = ?""",
            [latest.headline, latest.body, latest.byline, latest.reporter, latest.place,
             json.dumps(latest.byline_parts, ensure_ascii=False), latest.timezone,
             latest.published, latest.updated, latest.section,
             json.dumps(latest.images, ensure_ascii=False), json.dumps(latest.tags, ensure_ascii=False),
             json.dumps(latest.sources, ensure_ascii=False, sort_keys=True),
             json.dumps(latest.flags, ensure_ascii=False), latest.parser, versions[-1][2], len(versions),
             article_id])
        self._replace_links(article_id, latest)
        return True

    def _write_not_modified(self, n: NotModified) -> None:
        row = self.conn.execute("SELECT published FROM articles WHERE url = ?", [n.url]).fetchone()
        if row is None:
            row = self.conn.execute(
                "SELECT a.published FROM articles a JOIN responses r ON r.final_url = a.url OR r.url = a.url "
                "WHERE r.url = ? LIMIT 1", [n.url]).fetchone()
        self._update_state(n.url, None, n.fetched_at, row[0] if row else None, n.lastmod, n.revisit,
                           status=304, headers=n.headers)
        last = self.conn.execute("SELECT id FROM responses WHERE url = ? ORDER BY id DESC LIMIT 1",
                                 [n.url]).fetchone()
        self._record_fetch(n.url, n.final_url or n.url, n.fetched_at, 304, n.request_headers, n.headers,
                           last[0] if last else None)
        if n.front_page:
            self.counts["front_pages_not_modified"] += 1
            return
        self.conn.execute("UPDATE articles SET last_seen = ?, last_run = ? WHERE url = ?",
                          [n.fetched_at, self.run_id, n.url])
        self.counts["not_modified"] += 1

    def _forget_failure(self, a: Article) -> None:
        self.conn.execute("DELETE FROM failures WHERE url IN (?, ?)", [a.url, a.fetched_url or a.url])

    def _write_failure(self, f: Failure) -> None:
        self._store_fetched(f.raw)
        now = utcnow()
        row = self.conn.execute("SELECT attempts, first_failed, reason FROM failures WHERE url = ?",
                                [f.url]).fetchone()
        attempts = (row[0] if row else 0) + 1
        if f.permanent and attempts >= self.max_permanent_attempts:
            next_retry = None  # given up for good: kept as a record, not retried
        else:
            delay = min(self.retry_base * 2 ** (attempts - 1), 7 * 86400)
            next_retry = iso(now + timedelta(seconds=delay))
        self.conn.execute(
            """INSERT INTO failures (url, portal, reason, kind, status, permanent, attempts, first_failed,
                                     last_attempt, next_retry, last_run)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET portal = coalesce(failures.portal, excluded.portal),
                 reason = excluded.reason, kind = excluded.kind,
                 status = excluded.status, permanent = excluded.permanent, attempts = excluded.attempts,
                 last_attempt = excluded.last_attempt, next_retry = excluded.next_retry,
                 last_run = excluded.last_run""",
            [f.url, self._portal, f.reason, f.kind, f.status, int(f.permanent), attempts,
             row[1] if row else iso(now), iso(now), next_retry, self.run_id],
        )
        self.counts["failures"] += 1
        if row is not None:
            self.counts["failures_repeated"] += 1  # it was already failing before this run
        if f.error:
            self.counts["parse_errors"] += 1
            if row is not None and (row[2] or "").startswith(("parser raised", "store raised", "pipeline raised")):
                self.counts["parse_errors_repeated"] += 1

    def close(self) -> None:
        self.db.close()


# --------------------------------------------------------------------------- reading state

def _read_only(path):
    try:
        db = schema.connect(path, readonly=True)
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return db
    except Exception:  # no archive yet
        return None


def _of_portal(db, table: str, portal: str | None) -> tuple[str, list]:
    """The SQL condition (and its parameter) for the rows of one portal: all rows when
    ``portal`` is None or the archive predates portals. A row without a portal (written
    by hand, or by another tool) is the portal's when the archive holds only that one."""
    if portal is None or "portal" not in db[table].columns_dict:
        return "1", []
    return ("(portal = ? OR (portal IS NULL AND (SELECT count(*) FROM portals WHERE name IS NOT ?) = 0))",
            [portal, portal])


def retry_candidates(path, now: datetime | None = None, portal: str | None = None) -> list[str]:
    """URLs whose failure is due for another try (the spider schedules them first)."""
    db = _read_only(path)
    if db is None:
        return []
    try:
        if "failures" not in db.table_names():
            return []
        where, params = _of_portal(db, "failures", portal)
        rows = db.execute(
            f"SELECT url FROM failures WHERE next_retry IS NOT NULL AND next_retry <= ? AND {where} "
            "ORDER BY next_retry", [iso(now or utcnow()), *params],
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        db.close()


def failures_waiting(path, now: datetime | None = None, portal: str | None = None) -> set[str]:
    """Failed URLs not to request yet: their retry is not due, or they were given up."""
    db = _read_only(path)
    if db is None:
        return set()
    try:
        if "failures" not in db.table_names():
            return set()
        where, params = _of_portal(db, "failures", portal)
        return {r[0] for r in db.execute(
            f"SELECT url FROM failures WHERE (next_retry IS NULL OR next_retry > ?) AND {where}",
            [iso(now or utcnow()), *params])}
    finally:
        db.close()


def portal_named(path, base_url: str) -> str | None:
    """The name the archive gives the portal at ``base_url`` (``portals``), if it holds it."""
    db = _read_only(path)
    if db is None:
        return None
    try:
        if "portals" not in db.table_names():
            return None
        for name, url in db.execute("SELECT name, base_url FROM portals"):
            if fold(url) == fold(base_url):
                return name
        return None
    finally:
        db.close()


def crawl_states(path, portal: str | None = None) -> dict[str, tuple]:
    """url -> (etag, last_modified, next_due, lastmod, last_fetched) for every URL fetched before."""
    db = _read_only(path)
    if db is None:
        return {}
    try:
        if "crawl_state" not in db.table_names():
            return {}
        where, params = _of_portal(db, "crawl_state", portal)
        return {r[0]: r[1:] for r in db.execute(
            f"SELECT url, etag, last_modified, next_due, lastmod, last_fetched FROM crawl_state WHERE {where}",
            params)}
    finally:
        db.close()


# --------------------------------------------------------------------------- the pipeline

def _item_url(item) -> str | None:
    return getattr(item, "fetched_url", None) or getattr(item, "url", None)


def _failure_of(item, exc: BaseException, where: str) -> Failure:
    """The failure row of ``item`` (its URL, its bytes) when ``where`` raised ``exc`` on it."""
    return Failure(_item_url(item), f"{where} raised {type(exc).__name__}: {exc}"[:500], kind="parse", error=True,
                   failed_at=iso(utcnow()), raw=getattr(item, "raw", None))


def _sendable(item):
    """``item`` if it can be pickled for the writer process, else the failure row that
    says why (with its bytes), as for an item whose write raises: nothing lost silently."""
    import pickle

    try:
        pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        return item
    except Exception as exc:
        url = _item_url(item)
        if url is None:
            raise
        log.error("could not store %s: %s: %s", url, type(exc).__name__, exc)
        failure = _failure_of(item, exc, "store")
        try:
            pickle.dumps(failure, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            failure.raw = None
        return failure


def pipeline_failure(item, failure) -> Failure | None:
    """The failure row of an item a pipeline raised on (Scrapy's ``item_error``), with its
    bytes; None for a failure item itself or an item without a URL."""
    if isinstance(item, Failure) or not _item_url(item):
        return None
    return _failure_of(item, failure.value, "pipeline")


def portal_kind(base_url: str, entry, settings) -> str:
    """``sample`` for the bundled sample portal (an entry of the sample registry, or
    SAMPLE_PORTAL_URL), else ``real``."""
    if entry is not None:
        return entry.kind
    sample = settings.get("SAMPLE_PORTAL_URL")
    return "sample" if sample and fold(base_url) == fold(sample) else "real"


def _record_cpu(stats, when: str = "") -> None:
    """The run's CPU seconds so far: the crawl's thread (Scrapy's reactor: what bounds its
    pages/s), and its whole process, threads and waited-for children apart. ``when``:
    "_open" at the spider's opening (start-up is what comes before)."""
    import resource

    for key, who in (("thread", getattr(resource, "RUSAGE_THREAD", None)), ("process", resource.RUSAGE_SELF)):
        if who is not None:
            r = resource.getrusage(who)
            stats.set_value(f"newsspider/cpu_{key}{when}_s", round(r.ru_utime + r.ru_stime, 3))


class StorePipeline:
    """Item pipeline around ``Archive``: batches items, records the run and its stats.

    Where the archive is written is ``ARCHIVE_WRITER``:

    - ``"process"`` (the default): ``pipelines.writer.ArchiveProcess``, an ``Archive`` in
      a child process that owns the SQLite connection. SQLite (the FTS5 tokenizers, most
      of a write's time) and zlib run on the other core while the crawl goes on fetching
      and parsing; the crawl's thread only pickles each batch. (A thread instead, measured
      earlier, competed for the GIL at every statement and gained nothing.)
    - ``"inline"``: in the crawl's thread.

    Batches are written one at a time in the order they were handed over, so the archive
    is the same in every mode; at most ``ARCHIVE_MAX_BATCHES_IN_FLIGHT`` wait (memory
    stays bounded), and the run is recorded only once every batch is written."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.path = s.get("ARCHIVE_PATH")
        self.batch_size = s.getint("ARCHIVE_BATCH_SIZE", 50)
        self.retry_base = s.getfloat("FAILURE_RETRY_BASE_SECONDS", 3600)
        self.max_attempts = s.getint("FAILURE_MAX_ATTEMPTS_PERMANENT", 3)
        self.schedule = tuple(tuple(x) for x in (s.getlist("REVISIT_SCHEDULE") or DEFAULT_REVISIT_SCHEDULE))
        self.max_response_bytes = s.getint("RESPONSE_STORE_MAX_BYTES", 0)
        self.max_run_bytes = s.getint("RUN_STORE_MAX_BYTES", 0)
        self.mode = (s.get("ARCHIVE_WRITER") or "process").strip().lower()
        if self.mode not in ("process", "inline"):
            raise ValueError(f"ARCHIVE_WRITER must be process or inline, not {self.mode!r}")
        level = s.get("LOG_LEVEL", "DEBUG")
        level = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        self.log_level = level if isinstance(level, int) else logging.DEBUG  # what the writer's log sends back
        self.max_in_flight = max(1, s.getint("ARCHIVE_MAX_BATCHES_IN_FLIGHT", 4))
        self.archive: Archive | None = None
        self.pending: list = []
        self.process = None         # the writer process (pipelines.writer.ArchiveProcess), mode "process"
        self._started = None        # that process, started early (its imports meanwhile), not yet open
        self.in_flight: list = []   # [(future, number of items)], oldest first

    def _call(self, name: str, *args, **kwargs):
        """``archive.name(*args, **kwargs)`` where the archive is written (after the batches
        handed over before), its result."""
        if self.process is not None:
            return self.process.call(name, *args, **kwargs)
        return getattr(self.archive, name)(*args, **kwargs)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        pipe = cls(crawler)
        if pipe.mode == "process" and pipe.path:
            from pipelines.writer import ArchiveProcess

            # started now, opened at the spider's opening: its imports overlap Scrapy's
            # start-up instead of holding up the opening
            pipe._started = ArchiveProcess.started(pipe.log_level)
        # spider_closed fires after CoreStats has written finish_time and finish_reason,
        # so the run row gets Scrapy's final stats.
        crawler.signals.connect(pipe.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipe.item_error, signal=signals.item_error)
        crawler.newsspider_store = pipe  # for the crawl command, after a forced stop
        return pipe

    def abort(self, signum: int) -> None:
        """After a stop forced by a second signal (spider_closed never ran): write the
        batch in flight and record the run as interrupted."""
        if self.archive is None:
            return
        self.crawler.stats.set_value("newsspider/signal_forced", signum)
        self.spider_closed(self.crawler.spider, "interrupted")

    def item_error(self, item, response, spider, failure):
        """A pipeline before this one raised on ``item``: record it, never lose it."""
        recorded = pipeline_failure(item, failure)
        if recorded is not None:
            self.pending.append(recorded)

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        _record_cpu(self.crawler.stats, "_open")
        options = dict(retry_base=self.retry_base, max_permanent_attempts=self.max_attempts,
                       schedule=self.schedule, max_response_bytes=self.max_response_bytes,
                       max_run_bytes=self.max_run_bytes)
        if self.mode == "process":
            from pipelines.writer import ArchiveProcess

            process, self._started = self._started or ArchiveProcess.started(self.log_level), None
            process.open(self.path, **options)
            self.archive = self.process = process
        else:
            self.archive = Archive(self.path, **options)
        args = {k: v for k, v in vars(spider).items()
                if k in getattr(spider, "argument_names", ()) and v is not None}
        base_url = getattr(spider, "base_url", None)
        if base_url:
            settings = self.crawler.settings
            entry = getattr(spider, "portal_entry", None)
            if entry is None:  # a spider of the archive's other kinds (wayback): the registry's entry
                from newsspider import portals

                entry = portals.for_settings(settings).for_url(base_url)
            name = (getattr(spider, "portal_name", None) or (entry.name if entry else None)
                    or portal_named(self.path, base_url))
            self._call("claim_portal", base_url, portal_kind(base_url, entry, settings), name,
                       title=entry.title if entry else None,
                       timezone=entry.timezone if entry else getattr(spider, "tz", None),
                       language=entry.language if entry else None)
        run_id = self._call("start_run", spider.name, args)
        self.crawler.stats.set_value("newsspider/run_id", run_id)
        log.info("archive %s, run %d", self.path, run_id)

    def process_item(self, item, spider=None):
        self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def _write(self, items: list) -> dict:
        self.archive.write(items)
        return dict(self.archive.counts)

    def flush(self):
        items, self.pending = self.pending, []
        if self.archive is None or not items:
            self._collect()
            return
        if self.process is not None:
            try:
                future = self.process.submit("write", items)
            except Exception:  # an item that cannot be pickled: it becomes its failure row
                future = self.process.submit("write", [_sendable(item) for item in items])
            self.in_flight.append((future, len(items)))
        else:
            try:
                counts = self._write(items)
            except Exception as exc:
                self._write_failed(len(items), exc)
                return
            self._counts(counts)
            return
        self._collect()

    def _collect(self, wait: bool = False) -> None:
        """Take in the batches written (their counts, or their error), oldest first; wait
        for the oldest while too many are in flight, or for all with ``wait``."""
        if self.process is not None:
            self.process.poll()
        while self.in_flight:
            future, n = self.in_flight[0]
            if not (wait or len(self.in_flight) > self.max_in_flight or future.done()):
                return
            self.in_flight.pop(0)
            try:
                counts = self.process.result(future)
            except Exception as exc:
                self._write_failed(n, exc)
                continue
            self._counts(counts)

    def _counts(self, counts: dict) -> None:
        for key, value in counts.items():
            self.crawler.stats.set_value(f"newsspider/{key}", value)

    def _write_failed(self, n: int, exc: Exception) -> None:
        """Disk full, read-only file, I/O error: the batch was rolled back; the crawl stops."""
        self.crawler.stats.inc_value("newsspider/archive_errors")
        self.crawler.stats.set_value("newsspider/archive_error", f"{self.path}: {exc}")
        log.error("could not write %d items to the archive %s: %s; stopping the crawl "
                  "(the next run fetches them again)", n, self.path, exc)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="archive_error"))

    def close_spider(self, spider=None):
        self.flush()

    def spider_closed(self, spider, reason):
        if self.archive is None:
            return
        self.flush()
        self._collect(wait=True)
        stats = self.crawler.stats
        _record_cpu(stats)
        if self.process is not None:
            try:
                stats.set_value("newsspider/cpu_writer_s", self.process.call("cpu_seconds"))
            except Exception:  # a dead writer: the run is recorded below, or its error is
                pass
        from newsspider.runstatus import exit_status

        code = exit_status(stats.get_stats(), self.crawler.settings)
        stats.set_value("newsspider/exit_status", code)
        try:
            self._call("finish_run", stats.get_stats(), reason, code)
        except Exception as exc:
            stats.inc_value("newsspider/archive_errors")
            log.error("could not record the run in the archive %s: %s", self.path, exc)
        finally:
            try:
                self._call("close")
            finally:
                self.archive = None
                if self.process is not None:
                    self.process.close()
                    self.process = None
