"""The archive's schema: the only module that writes DDL.

Tables (names are a contract: Datasette metadata, canned queries and users' own
queries read them):

- ``articles``  one row per article URL (canonical), the latest parsed content,
  ``first_seen``/``last_seen``; full-text index ``articles_fts`` over headline and body.
- ``credits``   article ↔ wire agency (canonical English name), in credited order.
- ``related``   article → the "আরও খবর" links it shows, in page order.
- ``versions``  one row per stored version of an article: its content as parsed from one
  fetched response, with the fetch time and what changed from the version before.
- ``responses`` every distinct fetched response (URL, final URL, status, headers, fetch
  time, body bytes zlib-compressed), so nothing must be fetched again to be re-parsed.
- ``front_page_placements`` per capture of the home page or a section's first page
  (its ``responses`` row): the article links it showed, in page order, with their text;
  view ``front_pages``: every such capture with its time and first title.
- ``fetches``   every fetch of an article URL or a front page, in order: its time, status (200, 304, ...),
  the request's headers (conditional ones included), the response's kept headers and
  the ``responses`` row holding its payload (a re-fetch of unchanged bytes points at the
  earlier row; a 304 at the row it was not modified from). The WARC export writes a
  request and a response or revisit record per fetch from it.
- ``crawl_state`` per URL (articles and front pages): validators for conditional requests (ETag, Last-Modified),
  the last fetch, and ``next_due``, the revisit schedule.
- ``runs``      one row per crawl, with Scrapy's final stats as JSON in ``stats``.
- ``failures``  URLs the crawl gave up on: reason, attempts, when to retry.
- ``portals``   the portals the archive holds: name, title, base URL, time zone,
  language, kind (real or sample), first crawl. ``articles``, ``runs``, ``failures``,
  ``crawl_state`` and ``responses`` have a ``portal`` column: the portal's name.
- ``archive_info`` key/value: the first portal the archive held (``portal``,
  ``portal_kind`` real or sample, ``first_crawl``); an archive is of real portals or of
  the sample portal, never both.
- ``stream_entries`` the distributed mode's writer: each Redis Stream entry it applied
  (job, entry id), written in the same transaction as the entry's rows, so an entry
  delivered again after a crash between commit and acknowledgement is skipped.
- ``search_index_deferred`` empty between transactions: a writer's batch holds a row in it
  while its new articles wait to be full-text indexed by one statement per index.

Views: ``article_versions`` (every version with its article's URL and headline) and
``edited_articles`` (articles with more than one version).

The schema version lives in ``PRAGMA user_version``, written last: every step of a
migration is idempotent (``if_not_exists``), so a migration interrupted half-way is
simply completed by the next run.

Full-text search has two FTS5 indexes over headline and body (see newsspider/search.py):
``articles_words`` (``unicode61`` keeping marks: whole Bangla words of any length, with
Bangla digits folded to ASCII and ZWJ/ZWNJ dropped by its triggers) and ``articles_fts``
(``trigram``: substrings of three or more characters, for inside-word matches).
``search_facets`` holds per article what the search page counts.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import sqlite_utils

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3

# Small columns first, the body last: SQLite stores a row's columns in order and spills a
# long row into overflow pages, so a column after the body (section, byline, published)
# costs a walk through the body's pages on every row a facet, count or sort reads
# (a search on 50,000 articles with the table's facets: 120 -> 89 ms).
ARTICLE_COLUMNS = {
    "id": int,
    "url": str,
    "portal": str,     # the portal's name (``portals.name``; newsspider/portals.toml)
    "published": str,
    "updated": str,
    "section": str,
    "byline": str,     # as displayed, its lines joined by ", "
    "reporter": str,   # the byline's reporter or desk, without outlet and place
    "place": str,      # where the report was filed ("ঢাকা" of "…, ঢাকা থেকে")
    "versions": int,
    "first_seen": str,
    "last_seen": str,
    "last_run": int,
    "parser": str,
    "content_hash": str,
    "flags": str,      # JSON list of str
    "tags": str,       # JSON list of str
    "sources": str,    # JSON {field: source}
    "images": str,     # JSON list of {"url", "caption"}
    "byline_parts": str,  # JSON list: the displayed byline's lines and comma parts
    "timezone": str,   # the zone offset-less dates were read in (sources.timezone: why)
    "headline": str,
    "body": str,
}

VERSION_COLUMNS = {
    "id": int,
    "article_id": int,
    "version": int,          # 1, 2, ... in fetch order
    "fetched_at": str,       # when the response that first showed this content was fetched
    "headline": str,
    "body": str,
    "byline": str,
    "published": str,
    "updated": str,
    "section": str,
    "credits": str,          # JSON list
    "content_hash": str,
    "changed": str,          # JSON list of the fields that differ from the version before
    "diff": str,             # unified diff of headline and body against the version before
    "response_id": int,
    "parser": str,
    "run_id": int,
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
    if version == SCHEMA_VERSION and db["portals"].exists() and db["fetches"].exists() \
            and db["front_page_placements"].exists() and db["stream_entries"].exists() and _search_current(db):
        return  # (v2 is unreleased: an archive of an early v2, before fetches or search, is completed below)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"archive schema version {version} is newer than this code ({SCHEMA_VERSION}); "
            "upgrade newsspider"
        )
    _create_v1(db)
    _create_v2(db)
    _create_warc_v2(db)
    _create_portals_v3(db)   # before search: its facet table counts each article's portal
    _create_search_v2(db)
    _create_stream_entries(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create_stream_entries(db: sqlite_utils.Database) -> None:
    """The Stream entries the distributed mode's writer applied (newsspider.cluster)."""
    db.execute("""CREATE TABLE IF NOT EXISTS stream_entries (
        job TEXT NOT NULL, entry_id TEXT NOT NULL, PRIMARY KEY (job, entry_id)) WITHOUT ROWID""")


def _create_v2(db: sqlite_utils.Database) -> None:
    """v2: ``articles.reporter``, ``place``, ``byline_parts``, ``timezone``, and
    ``archive_info``, what the archive holds (``portal``: the base URL it was first
    crawled from; ``portal_kind``: ``real`` or ``sample``; ``first_crawl``)."""
    db["archive_info"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    # the byline's parts (parser version 2); an archive made by v1 gets them at its end
    columns = db["articles"].columns_dict
    for name in ("reporter", "place", "byline_parts", "timezone"):
        if name not in columns:
            db["articles"].add_column(name, str)
    db["articles"].create_index(["reporter"], if_not_exists=True)


PORTAL_TABLES = ("articles", "runs", "failures", "crawl_state", "responses")


def _create_portals_v3(db: sqlite_utils.Database) -> None:
    """v3: one archive, many portals. ``portals`` (name, title, base URL, zone, language,
    kind, first crawl) and a ``portal`` column (the portal's name) in articles, runs,
    failures, crawl_state and responses. An archive of one portal (v2) gets its portal's
    row and every row its name (from ``archive_info.portal``): it keeps working as it did."""
    db["portals"].create(
        {"name": str, "title": str, "base_url": str, "timezone": str, "language": str,
         "kind": str, "first_crawl": str},
        pk="name", if_not_exists=True)
    for table in PORTAL_TABLES:
        if "portal" not in db[table].columns_dict:
            db[table].add_column("portal", str)
    info = archive_info(db.conn)
    if info.get("portal"):
        from newsspider.portals import known_portal, name_for_url

        entry = known_portal(info["portal"])
        name = entry.name if entry is not None else name_for_url(info["portal"])
        db.execute("""INSERT OR IGNORE INTO portals (name, title, base_url, timezone, language, kind, first_crawl)
                      VALUES (?, ?, ?, ?, ?, ?, ?)""",
                   [name, entry.title if entry else name, info["portal"], entry.timezone if entry else None,
                    entry.language if entry else None, info.get("portal_kind", "real"), info.get("first_crawl")])
        for table in PORTAL_TABLES:
            db.execute(f"UPDATE {table} SET portal = ? WHERE portal IS NULL", [name])
    db["articles"].create_index(["portal"], if_not_exists=True)
    db["runs"].create_index(["portal", "id"], if_not_exists=True)
    db["failures"].create_index(["portal", "next_retry"], if_not_exists=True)
    db["crawl_state"].create_index(["portal"], if_not_exists=True)


def _create_warc_v2(db: sqlite_utils.Database) -> None:
    """v2 (WARC): ``fetches``, one row per fetch. An archive from before it gets one fetch
    per stored response (its own time, status and headers; no request headers known), so
    its export is what it was; the step is idempotent (responses without a fetch only)."""
    db["fetches"].create(
        {
            "id": int,
            "url": str,              # the URL requested
            "final_url": str,        # after redirects
            "fetched_at": str,
            "status": int,
            "request_headers": str,  # JSON: as sent (User-Agent, If-None-Match, ...)
            "headers": str,          # JSON: the response's kept headers
            "response_id": int,      # the stored payload (for a 304: the one not modified)
            "run_id": int,
        },
        pk="id",
        foreign_keys=[("response_id", "responses", "id"), ("run_id", "runs", "id")],
        if_not_exists=True,
    )
    db["fetches"].create_index(["url", "id"], if_not_exists=True)
    db["fetches"].create_index(["response_id"], if_not_exists=True)
    db["fetches"].create_index(["fetched_at"], if_not_exists=True)
    # front pages: the home page and each section's first page, as captured
    db["front_page_placements"].create(
        {"response_id": int, "position": int, "url": str, "title": str},
        pk=("response_id", "position"),
        foreign_keys=[("response_id", "responses", "id")],
        if_not_exists=True,
    )
    db["front_page_placements"].create_index(["url"], if_not_exists=True)
    db.create_view("front_pages", """
        SELECT f.id AS fetch_id, f.url AS page, f.fetched_at, f.status, f.response_id,
               (SELECT count(*) FROM front_page_placements p WHERE p.response_id = f.response_id) AS placements,
               (SELECT title FROM front_page_placements p WHERE p.response_id = f.response_id
                ORDER BY position LIMIT 1) AS first_title
        FROM fetches f
        WHERE f.response_id IN (SELECT DISTINCT response_id FROM front_page_placements)
        ORDER BY f.fetched_at DESC, f.id DESC""", ignore=True)
    db.execute("""INSERT INTO fetches (url, final_url, fetched_at, status, request_headers, headers,
                                       response_id, run_id)
                  SELECT url, final_url, fetched_at, status, '{}', headers, id, run_id FROM responses
                  WHERE NOT EXISTS (SELECT 1 FROM fetches f WHERE f.response_id = responses.id)
                  ORDER BY id""")


# The word index (see newsspider/search.py): unicode61 keeps letters, digits, private-use
# characters and every mark (Bangla vowel signs, virama, nukta) inside a token, so a token
# is a whole Bangla word. Contentless: the text is in ``articles``; its rows are written
# by the triggers below with the matching fold (Bangla digits -> ASCII, ZWJ/ZWNJ dropped)
# applied in SQL, so every writer (the crawl, re-parse, a sqlite3 shell) keeps it right.
WORDS_TABLE = "articles_words"
WORDS_TOKENIZER = "unicode61 categories 'L* N* Co M*'"


def _fold_sql(expr: str) -> str:
    """SQL for ``newsspider.search.fold`` of ``expr`` (kept equal to it by a test)."""
    for i, digit in enumerate("০১২৩৪৫৬৭৮৯"):
        expr = f"replace({expr}, '{digit}', '{i}')"
    return f"replace(replace({expr}, char(8204), ''), char(8205), '')"


def _create_search_v2(db: sqlite_utils.Database) -> None:
    """Search (issue 13), part of the unreleased v2; every step idempotent, so an archive
    at v1 or an early v2 migrates by running it.

    - ``articles_words``: the word index beside the trigram ``articles_fts``, with its
      triggers, backfilled from ``articles`` in the same transaction that creates it.
    - the trigram triggers fire on an update only when the headline or the body changes
      (a revisit updates ``last_seen`` on every article; re-indexing its body each time
      was most of the write cost of full-text search on a re-crawl).
    - ``articles_facets``: a covering index of what the search filters read (section,
      byline, published), so filtering the matches of a common word reads index pages
      instead of every matching article's row (a facet of 14,600 matches: 116 -> 15 ms).
    - ``search_facets``: what the search page's facets count, precomputed per article.
    - the insert triggers of both full-text indexes stand aside while a writer's batch
      defers them (``search_index_deferred``, below).
    """
    conn = db.conn
    words = WORDS_TABLE
    new = _fold_sql("new.headline"), _fold_sql("new.body")
    old = _fold_sql("old.headline"), _fold_sql("old.body")
    conn.execute("SAVEPOINT search_v2")
    try:
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [words]).fetchone()
        if not exists:
            conn.execute(f"CREATE VIRTUAL TABLE {words} USING fts5(headline, body, content='', "
                         f"tokenize=\"{WORDS_TOKENIZER}\")")
            conn.execute(f"INSERT INTO {words} (rowid, headline, body) SELECT id, "
                         f"{_fold_sql('headline')}, {_fold_sql('body')} FROM articles")
        conn.execute(f"""CREATE TRIGGER IF NOT EXISTS {words}_ad AFTER DELETE ON articles BEGIN
  INSERT INTO {words} ({words}, rowid, headline, body) VALUES ('delete', old.id, {old[0]}, {old[1]});
END""")
        conn.execute(f"""CREATE TRIGGER IF NOT EXISTS {words}_au AFTER UPDATE OF headline, body ON articles BEGIN
  INSERT INTO {words} ({words}, rowid, headline, body) VALUES ('delete', old.id, {old[0]}, {old[1]});
  INSERT INTO {words} (rowid, headline, body) VALUES (new.id, {new[0]}, {new[1]});
END""")
        au = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_au'").fetchone()
        if au and "UPDATE OF" not in au[0]:
            conn.execute("DROP TRIGGER articles_au")
            conn.execute("""CREATE TRIGGER articles_au AFTER UPDATE OF headline, body ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, headline, body) VALUES ('delete', old.rowid, old.headline, old.body);
  INSERT INTO articles_fts (rowid, headline, body) VALUES (new.rowid, new.headline, new.body);
END""")
        conn.execute("CREATE INDEX IF NOT EXISTS articles_facets ON articles (id, section, byline, published)")
        _create_search_facets(conn)
        _create_deferred_indexing(conn)
        conn.execute("RELEASE search_v2")
    except BaseException:
        conn.execute("ROLLBACK TO search_v2")
        conn.execute("RELEASE search_v2")
        raise


def _search_current(db) -> bool:
    """The search steps are complete: the facet table has every column of the list, its
    ``seq`` index and triggers, the full-text insert triggers are the deferrable ones and
    no deferral was left behind (an archive of an earlier v2 is completed by ensure_schema)."""
    have = {r[1] for r in db.execute("PRAGMA table_info(search_facets)")}
    return (have >= {*SEARCH_FACET_COLUMNS, "seq"}
            and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_facets_seq'").fetchone() is not None
            and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_facets_credits_delete'").fetchone() is not None
            and _deferred_indexing_current(db.conn))


# The full-text indexes of a writer's batch (issue 17). An FTS5 trigger on ``articles``
# gives every article INSERT a statement journal, and FTS5 flushes its pending terms at
# each one: a segment per article and index, merged again and again (1.25 of the writer's
# 1.9 ms an article). So the two insert triggers stand aside while
# ``search_index_deferred`` holds a row, which ``defer_search_index`` writes at the start
# of ``Archive.write``'s transaction and ``index_deferred`` deletes before its commit, after
# indexing the batch's new articles with one statement per index: other connections never
# see the row, and every other writer (a sqlite3 shell, reparse) is indexed by the triggers.
DEFERRED_TABLE = "search_index_deferred"


def _index_values(row: str) -> dict[str, str]:
    """Each full-text index's (rowid, headline, body) of the article row ``row``: the one
    definition the insert triggers and the deferred statements share."""
    return {
        "articles_fts": f"{row}.id, {row}.headline, {row}.body",
        WORDS_TABLE: f"{row}.id, {_fold_sql(row + '.headline')}, {_fold_sql(row + '.body')}",
    }


def _insert_triggers() -> dict[str, str]:
    """{name: SQL} of the two full-text insert triggers (``articles_ai``, the trigram
    index's, is the name sqlite-utils gave it)."""
    out = {}
    for index, values in _index_values("new").items():
        name = "articles_ai" if index == "articles_fts" else f"{index}_ai"
        out[name] = f"""CREATE TRIGGER {name} AFTER INSERT ON articles
WHEN NOT EXISTS (SELECT 1 FROM {DEFERRED_TABLE}) BEGIN
  INSERT INTO {index} (rowid, headline, body) VALUES ({values});
END"""
    return out


def _deferred_indexing_current(conn) -> bool:
    current = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                "AND name IN ('articles_ai', 'articles_words_ai')").fetchall())
    if current != _insert_triggers():
        return False  # (the table is made with the triggers)
    return conn.execute(f"SELECT 1 FROM {DEFERRED_TABLE} LIMIT 1").fetchone() is None


def _create_deferred_indexing(conn) -> None:
    """The marker table and the deferrable insert triggers; and should a marker ever be
    found here (``Archive.write`` never commits one), the articles inserted since it are
    indexed and it is deleted."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {DEFERRED_TABLE} (after_id INTEGER NOT NULL)")
    _replace_triggers(conn, _insert_triggers())
    if conn.execute(f"SELECT 1 FROM {DEFERRED_TABLE} LIMIT 1").fetchone() is not None:
        log.warning("%s held a row: indexing the articles inserted since", DEFERRED_TABLE)
        index_deferred(conn, end=True)


def defer_search_index(conn) -> None:
    """Inside a writer's transaction: from here the full-text insert triggers stand aside;
    ``index_deferred(conn, end=True)`` must run before the commit."""
    conn.execute(f"INSERT INTO {DEFERRED_TABLE} (after_id) SELECT coalesce(max(id), 0) FROM articles")


def index_deferred(conn, *, end: bool = False) -> None:
    """Index the articles inserted since the deferral began (ids above its ``after_id``:
    rowids only grow), one statement per index; then the deferral goes on past them, or
    (``end``) is over."""
    after = _deferred_after(conn)
    if after is None:
        return
    for index, values in _index_values("a").items():
        conn.execute(f"INSERT INTO {index} (rowid, headline, body) SELECT {values} FROM articles a "
                     "WHERE a.id > ? ORDER BY a.id", [after])
    if end:
        conn.execute(f"DELETE FROM {DEFERRED_TABLE}")
    else:
        conn.execute(f"UPDATE {DEFERRED_TABLE} SET after_id = (SELECT coalesce(max(id), 0) FROM articles)")


def settle_search_index(conn, article_id: int) -> None:
    """Before an update or delete of ``article_id``'s headline or body inside a deferral:
    its trigger takes the old text out of the indexes, so an article inserted since the
    deferral began is indexed first (taking out text never put in corrupts an FTS5 index)."""
    after = _deferred_after(conn)
    if after is not None and article_id > after:
        index_deferred(conn)


def _deferred_after(conn) -> int | None:
    """The largest article id indexed before the deferral under way (None: none is)."""
    return conn.execute(f"SELECT min(after_id) FROM {DEFERRED_TABLE}").fetchone()[0]


AGENCY_SEPARATOR = "\x1f"  # between the agencies of ``search_facets.agencies``

# What ``search_facets`` holds per article, one column each: the column's SQL over the
# article row ``{a}`` and the article columns it is made of (an update of those refreshes
# it). A facet counted from this table (the search page's, the articles table's
# ``indexed`` facets) is one entry here; the migration adds a new entry's column to an
# existing archive and backfills it. ``agencies`` is made of ``credits`` (its own triggers).
SEARCH_FACET_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "portal": ("{a}.portal", ("portal",)),
    "section": ("{a}.section", ("section",)),
    "byline": ("{a}.byline", ("byline",)),
    "reporter": ("{a}.reporter", ("reporter",)),
    "month": ("substr({a}.published, 1, 7)", ("published",)),
    "agencies": ("(SELECT group_concat(agency, char(31)) FROM (SELECT agency FROM credits "
                 "WHERE article_id = {a}.id ORDER BY position))", ()),
}


def _create_search_facets(conn) -> None:
    """``search_facets``: per article, what the search facets count (the columns of
    :data:`SEARCH_FACET_COLUMNS`: section, byline, reporter, the portal's month, its
    agencies joined by U+001F), one narrow row, kept by triggers on ``articles`` and
    ``credits``. Counting the agencies of the matches of a common word otherwise walks
    ``credits`` for each match (12 of 30 ms for 14,600 matches).

    ``seq`` orders the rows by their last write (every trigger gives its row the next
    ``seq``; index ``search_facets_seq``): a reader that keeps the table in memory (the
    Datasette plugin's facet index) reads only the rows written since it last looked.
    Columns added to the list later are added and backfilled here; the triggers are
    re-created whenever their SQL differs from what the list makes."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_facets'").fetchone()
    cols = list(SEARCH_FACET_COLUMNS)
    expr = {c: SEARCH_FACET_COLUMNS[c][0] for c in cols}
    if not exists:
        conn.execute("CREATE TABLE search_facets (id INTEGER PRIMARY KEY, "
                     + ", ".join(f"{c} TEXT" for c in cols) + ", seq INTEGER)")
        conn.execute(f"INSERT INTO search_facets (id, {', '.join(cols)}, seq) SELECT a.id, "
                     + ", ".join(expr[c].format(a="a") for c in cols) + ", a.id FROM articles a")
    else:
        have = {r[1] for r in conn.execute("PRAGMA table_info(search_facets)")}
        for c in cols:
            if c not in have:
                conn.execute(f"ALTER TABLE search_facets ADD COLUMN {c} TEXT")
                conn.execute(f"UPDATE search_facets SET {c} = (SELECT {expr[c].format(a='a')} "
                             "FROM articles a WHERE a.id = search_facets.id)")
        if "seq" not in have:
            conn.execute("ALTER TABLE search_facets ADD COLUMN seq INTEGER")
            conn.execute("UPDATE search_facets SET seq = id")
    conn.execute("CREATE INDEX IF NOT EXISTS search_facets_seq ON search_facets (seq)")
    next_seq = "(SELECT coalesce(max(seq), 0) + 1 FROM search_facets)"
    sources = sorted({s for c in cols for s in SEARCH_FACET_COLUMNS[c][1]})
    triggers = {
        "search_facets_ai": f"""CREATE TRIGGER search_facets_ai AFTER INSERT ON articles BEGIN
  INSERT OR REPLACE INTO search_facets (id, {', '.join(cols)}, seq)
  VALUES (new.id, {', '.join(expr[c].format(a='new') for c in cols)}, {next_seq});
END""",
        "search_facets_au": f"""CREATE TRIGGER search_facets_au AFTER UPDATE OF {', '.join(sources)} ON articles BEGIN
  UPDATE search_facets SET {', '.join(f"{c} = {expr[c].format(a='new')}" for c in cols if SEARCH_FACET_COLUMNS[c][1])},
    seq = {next_seq}
  WHERE id = new.id;
END""",
        "search_facets_ad": """CREATE TRIGGER search_facets_ad AFTER DELETE ON articles BEGIN
  DELETE FROM search_facets WHERE id = old.id;
END""",
    }
    for event, row in (("INSERT", "new"), ("DELETE", "old")):
        triggers[f"search_facets_credits_{event.lower()}"] = (
            f"""CREATE TRIGGER search_facets_credits_{event.lower()} AFTER {event} ON credits BEGIN
  UPDATE search_facets SET agencies = {expr['agencies'].format(a=row).replace(row + '.id', row + '.article_id')},
    seq = {next_seq}
  WHERE id = {row}.article_id;
END""")
    _replace_triggers(conn, triggers)


def _replace_triggers(conn, triggers: dict[str, str]) -> None:
    """Each trigger of ``triggers`` ({name: its SQL}) created, or re-created where the
    archive's differs."""
    current = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    for name, sql in triggers.items():
        if current.get(name) != sql:
            if name in current:
                conn.execute(f"DROP TRIGGER {name}")
            conn.execute(sql)


def portal_addresses(conn) -> list[str]:
    """The base URLs of the portals the archive holds, first crawled first ([] before any)."""
    try:
        found = [r[0] for r in conn.execute("SELECT base_url FROM portals ORDER BY first_crawl, rowid")]
    except sqlite3.OperationalError:
        found = []
    first = archive_info(conn).get("portal")
    return found or ([first] if first else [])


def archive_info(conn) -> dict:
    """The ``archive_info`` rows of an open archive ({} for an archive without them)."""
    try:
        return dict(conn.execute("SELECT key, value FROM archive_info").fetchall())
    except sqlite3.OperationalError:
        return {}


def _create_v1(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "portal": str,        # the portal crawled (one run per portal, also in a crawl of several)
            "started": str,
            "finished": str,
            "spider": str,
            "args": str,          # JSON: spider arguments of this run
            "status": str,        # running / finished / failed
            "finish_reason": str,
            "exit_status": int,   # what the crawl command returned to cron
            "pages_fetched": int,
            "not_modified": int,  # 304 answers to conditional requests
            "articles_new": int,
            "articles_updated": int,   # articles that got a new version
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
    db["responses"].create(
        {
            "id": int,
            "url": str,           # the URL requested
            "portal": str,
            "final_url": str,     # after redirects
            "status": int,
            "fetched_at": str,
            "headers": str,       # JSON: the headers that matter (type, dates, validators)
            "content_type": str,
            "body": bytes,        # zlib-compressed
            "compression": str,   # "zlib" or "zlib-dict/<zdicts.id>"
            "raw_size": int,
            "stored_size": int,
            "sha256": str,        # of the uncompressed body
            "run_id": int,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        if_not_exists=True,
    )
    db["responses"].create_index(["url", "id"], if_not_exists=True)
    # zlib preset dictionaries: pages of one portal share their template, and a
    # dictionary made of earlier pages compresses each response to about a third of
    # what plain zlib gives (bench/ measures it).
    db["zdicts"].create({"id": int, "created": str, "dict": bytes}, pk="id", if_not_exists=True)
    db["versions"].create(
        VERSION_COLUMNS,
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("response_id", "responses", "id"),
                      ("run_id", "runs", "id")],
        if_not_exists=True,
    )
    db["versions"].create_index(["article_id", "version"], unique=True, if_not_exists=True)
    db["crawl_state"].create(
        {
            "url": str,
            "portal": str,
            "etag": str,
            "last_modified": str,
            "last_fetched": str,
            "last_status": int,
            "last_sha256": str,   # of the last stored response body
            "lastmod": str,       # the sitemap's <lastmod> when last fetched
            "next_due": str,      # NULL: not revisited any more (too old)
        },
        pk="url",
        if_not_exists=True,
    )
    db["crawl_state"].create_index(["next_due"], if_not_exists=True)
    db["failures"].create(
        {
            "url": str,
            "portal": str,
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
    db.create_view("article_versions", """
        SELECT v.id, v.article_id, a.url, v.version, v.fetched_at, v.headline, v.changed, v.diff,
               v.body, v.byline, v.published, v.updated, v.section, v.credits, v.response_id, v.parser
        FROM versions v JOIN articles a ON a.id = v.article_id
        ORDER BY v.article_id, v.version""", ignore=True)
    db.create_view("edited_articles", """
        SELECT a.id, a.url, a.headline, a.versions, a.first_seen,
               (SELECT max(fetched_at) FROM versions v WHERE v.article_id = a.id) AS last_edit_seen
        FROM articles a WHERE a.versions > 1
        ORDER BY last_edit_seen DESC""", ignore=True)
    if not db["articles_fts"].exists():
        db["articles"].enable_fts(
            FTS_COLUMNS, tokenize=FTS_TOKENIZER, create_triggers=True, replace=True
        )
