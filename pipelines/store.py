"""Store: articles, credits, related links, failures and the run itself, in SQLite.

Writes go in batches, each one explicit transaction (``BEGIN IMMEDIATE`` … ``COMMIT``):
an article, its credits and its related links are never half-written, and a crash or
kill loses at most the batch in flight, which the next run fetches again. The archive
is in WAL mode, so Datasette can read while a crawl writes.

The schema belongs to ``pipelines.schema``; this module only reads and writes rows.
sqlite-utils' own write helpers commit per call, which would split a batch, so rows are
written with plain SQL on its connection.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone

from scrapy import signals

from newsspider.items import Article, Failure
from pipelines import schema

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def content_hash(a: Article) -> str:
    """What makes two fetches of an article the same version."""
    payload = json.dumps(
        [a.headline, a.body, a.byline, a.published, a.updated, a.section, a.credits],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Archive:
    """The archive's write side: a run, its articles and failures."""

    def __init__(self, path, *, retry_base: float = 3600, max_permanent_attempts: int = 3):
        self.path = path
        self.db = schema.connect(path)
        schema.ensure_schema(self.db)
        self.conn = self.db.conn
        self.retry_base = retry_base
        self.max_permanent_attempts = max_permanent_attempts
        self.run_id: int | None = None
        self.counts = {"articles_new": 0, "articles_updated": 0, "articles_unchanged": 0, "failures": 0}

    # -- runs ----------------------------------------------------------------------
    def start_run(self, spider: str, args: dict) -> int:
        cur = self.conn.execute(
            "INSERT INTO runs (started, spider, args, status) VALUES (?, ?, ?, 'running')",
            [iso(utcnow()), spider, json.dumps(args, ensure_ascii=False, sort_keys=True)],
        )
        self.run_id = cur.lastrowid
        return self.run_id

    def finish_run(self, stats: dict, reason: str) -> None:
        status = "finished" if reason == "finished" else "failed" if reason in ("shutdown", "cancelled") else reason
        self.conn.execute(
            """UPDATE runs SET finished = ?, status = ?, finish_reason = ?, pages_fetched = ?,
               articles_new = ?, articles_updated = ?, articles_unchanged = ?, failures = ?, stats = ?
               WHERE id = ?""",
            [iso(utcnow()), status, reason, stats.get("downloader/response_count", 0),
             self.counts["articles_new"], self.counts["articles_updated"],
             self.counts["articles_unchanged"], self.counts["failures"],
             json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str), self.run_id],
        )

    # -- batches -------------------------------------------------------------------
    def write(self, items: list) -> None:
        if not items:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for item in items:
                if isinstance(item, Article):
                    self._write_article(item)
                elif isinstance(item, Failure):
                    self._write_failure(item)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def _write_article(self, a: Article) -> None:
        now = a.fetched_at or iso(utcnow())
        digest = content_hash(a)
        row = self.conn.execute(
            "SELECT id, content_hash FROM articles WHERE url = ?", [a.url]
        ).fetchone()
        values = {
            "url": a.url, "headline": a.headline, "body": a.body, "byline": a.byline,
            "published": a.published, "updated": a.updated, "section": a.section,
            "images": json.dumps(a.images, ensure_ascii=False),
            "tags": json.dumps(a.tags, ensure_ascii=False),
            "sources": json.dumps(a.sources, ensure_ascii=False, sort_keys=True),
            "flags": json.dumps(a.flags, ensure_ascii=False),
            "parser": a.parser, "content_hash": digest, "last_seen": now, "last_run": self.run_id,
        }
        if row is None:
            values["first_seen"] = now
            cols = ", ".join(values)
            cur = self.conn.execute(
                f"INSERT INTO articles ({cols}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
            article_id = cur.lastrowid
            self.counts["articles_new"] += 1
        else:
            article_id, old_hash = row
            if old_hash == digest:
                self.conn.execute(
                    "UPDATE articles SET last_seen = ?, last_run = ? WHERE id = ?",
                    [now, self.run_id, article_id],
                )
                self.counts["articles_unchanged"] += 1
                self._forget_failure(a)
                return
            sets = ", ".join(f"{c} = ?" for c in values)
            self.conn.execute(f"UPDATE articles SET {sets} WHERE id = ?", [*values.values(), article_id])
            self.counts["articles_updated"] += 1
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
        self._forget_failure(a)

    def _forget_failure(self, a: Article) -> None:
        self.conn.execute("DELETE FROM failures WHERE url IN (?, ?)", [a.url, a.fetched_url or a.url])

    def _write_failure(self, f: Failure) -> None:
        now = utcnow()
        row = self.conn.execute("SELECT attempts, first_failed FROM failures WHERE url = ?", [f.url]).fetchone()
        attempts = (row[0] if row else 0) + 1
        if f.permanent and attempts >= self.max_permanent_attempts:
            next_retry = None  # given up for good: kept as a record, not retried
        else:
            delay = min(self.retry_base * 2 ** (attempts - 1), 7 * 86400)
            next_retry = iso(now + timedelta(seconds=delay))
        self.conn.execute(
            """INSERT INTO failures (url, reason, kind, status, permanent, attempts, first_failed,
                                     last_attempt, next_retry, last_run)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET reason = excluded.reason, kind = excluded.kind,
                 status = excluded.status, permanent = excluded.permanent, attempts = excluded.attempts,
                 last_attempt = excluded.last_attempt, next_retry = excluded.next_retry,
                 last_run = excluded.last_run""",
            [f.url, f.reason, f.kind, f.status, int(f.permanent), attempts,
             row[1] if row else iso(now), iso(now), next_retry, self.run_id],
        )
        self.counts["failures"] += 1

    def close(self) -> None:
        self.db.close()


def retry_candidates(path, now: datetime | None = None) -> list[str]:
    """URLs whose failure is due for another try (the spider schedules them first)."""
    try:
        db = schema.connect(path, readonly=True)
    except Exception:  # no archive yet
        return []
    try:
        if "failures" not in db.table_names():
            return []
        rows = db.execute(
            "SELECT url FROM failures WHERE next_retry IS NOT NULL AND next_retry <= ? ORDER BY next_retry",
            [iso(now or utcnow())],
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        db.close()


class StorePipeline:
    """Item pipeline around ``Archive``: batches items, records the run and its stats."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.path = s.get("ARCHIVE_PATH")
        self.batch_size = s.getint("ARCHIVE_BATCH_SIZE", 50)
        self.retry_base = s.getfloat("FAILURE_RETRY_BASE_SECONDS", 3600)
        self.max_attempts = s.getint("FAILURE_MAX_ATTEMPTS_PERMANENT", 3)
        self.archive: Archive | None = None
        self.pending: list = []

    @classmethod
    def from_crawler(cls, crawler):
        pipe = cls(crawler)
        # spider_closed fires after CoreStats has written finish_time and finish_reason,
        # so the run row gets Scrapy's final stats.
        crawler.signals.connect(pipe.spider_closed, signal=signals.spider_closed)
        return pipe

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.archive = Archive(self.path, retry_base=self.retry_base,
                               max_permanent_attempts=self.max_attempts)
        args = {k: v for k, v in vars(spider).items() if k in getattr(spider, "argument_names", ())}
        run_id = self.archive.start_run(spider.name, args)
        self.crawler.stats.set_value("newsspider/run_id", run_id)
        log.info("archive %s, run %d", self.path, run_id)

    def process_item(self, item, spider=None):
        self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def flush(self):
        items, self.pending = self.pending, []
        self.archive.write(items)
        for key, value in self.archive.counts.items():
            self.crawler.stats.set_value(f"newsspider/{key}", value)

    def close_spider(self, spider=None):
        self.flush()

    def spider_closed(self, spider, reason):
        if self.archive is None:
            return
        self.flush()
        self.archive.finish_run(self.crawler.stats.get_stats(), reason)
        self.archive.close()
        self.archive = None
