"""The archive's schema: the only module that writes DDL.

Tables (names are a contract: Datasette metadata, canned queries and users' own
queries read them):

- ``articles``  one row per article URL (canonical), the latest parsed content,
  ``first_seen``/``last_seen``; full-text index ``articles_fts`` over headline and body.
- ``credits``   article ↔ wire agency (canonical English name), in credited order.
- ``related``   article → the "আরও খবর" links it shows, in page order.
- ``runs``      one row per crawl, with Scrapy's final stats as JSON in ``stats``.
- ``failures``  URLs the crawl gave up on: reason, attempts, when to retry.

The schema version lives in ``PRAGMA user_version``, written last: every step of a
migration is idempotent (``if_not_exists``), so a migration interrupted half-way is
simply completed by the next run.

Full-text search uses FTS5's ``trigram`` tokenizer: the default ``unicode61`` splits
Bangla words at vowel signs and the virama (see shared/reference/bangla.md), while
trigrams match any 3+ character substring, so a search for "বাংলাদেশ" also finds
"বাংলাদেশের" and "বাংলাদেশে" (Bangla inflects by suffix).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

SCHEMA_VERSION = 1

ARTICLE_COLUMNS = {
    "id": int,
    "url": str,
    "headline": str,
    "body": str,
    "byline": str,
    "published": str,
    "updated": str,
    "section": str,
    "images": str,     # JSON list of {"url", "caption"}
    "tags": str,       # JSON list of str
    "sources": str,    # JSON {field: source}
    "flags": str,      # JSON list of str
    "parser": str,
    "content_hash": str,
    "first_seen": str,
    "last_seen": str,
    "last_run": int,
}

FTS_COLUMNS = ["headline", "body"]
FTS_TOKENIZER = "trigram"


def connect(path: str | Path, *, readonly: bool = False) -> sqlite_utils.Database:
    """Open the archive. Writers get WAL mode (readers such as Datasette never block
    the crawl and see only committed transactions) and a busy timeout."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        return sqlite_utils.Database(conn)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create or migrate the archive's tables, indexes and full-text index."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"archive schema version {version} is newer than this code ({SCHEMA_VERSION}); "
            "upgrade newsspider"
        )
    _create_v1(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create_v1(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "spider": str,
            "args": str,          # JSON: spider arguments of this run
            "status": str,        # running / finished / failed
            "finish_reason": str,
            "pages_fetched": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_unchanged": int,
            "failures": int,
            "stats": str,         # JSON: Scrapy's final stats dictionary
        },
        pk="id",
        if_not_exists=True,
    )
    db["articles"].create(
        ARTICLE_COLUMNS,
        pk="id",
        not_null={"url", "headline", "body"},
        foreign_keys=[("last_run", "runs", "id")],
        if_not_exists=True,
    )
    db["articles"].create_index(["url"], unique=True, if_not_exists=True)
    db["articles"].create_index(["published"], if_not_exists=True)
    db["articles"].create_index(["section"], if_not_exists=True)
    db["credits"].create(
        {"article_id": int, "agency": str, "position": int},
        pk=("article_id", "agency"),
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db["credits"].create_index(["agency"], if_not_exists=True)
    db["related"].create(
        {"article_id": int, "position": int, "url": str, "title": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db["related"].create_index(["url"], if_not_exists=True)
    db["failures"].create(
        {
            "url": str,
            "reason": str,
            "kind": str,          # http / network / parse / validate
            "status": int,
            "permanent": int,     # 1 for 404/410 and pages that are not articles
            "attempts": int,
            "first_failed": str,
            "last_attempt": str,
            "next_retry": str,
            "last_run": int,
        },
        pk="url",
        if_not_exists=True,
    )
    db["failures"].create_index(["next_retry"], if_not_exists=True)
    if not db["articles_fts"].exists():
        db["articles"].enable_fts(
            FTS_COLUMNS, tokenize=FTS_TOKENIZER, create_triggers=True, replace=True
        )
