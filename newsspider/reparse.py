"""Re-parse the archive's stored responses with the current parsers, without the network.

For each article, its stored responses are parsed again in fetch order and go through
the same normalize and validate steps as a crawl; the versions are re-derived from them
(``Archive.replace_versions``), so an article whose rows came from an older parser gets
the current parser's fields and the parser's version in ``parser``. Stored responses
that failed to parse before (kinds ``parse`` and ``validate`` in ``failures``) are tried
again and become articles when they now parse. Idempotent: a second run changes nothing.
A response that no longer parses leaves the stored rows as they are.

Parsing runs in a pool of one worker process per core; reading, decompressing and
writing stay in the main process, which owns the connection, in order.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from newsspider.items import Article, RawResponse
from newsspider.parse import NotHTML, parse_article
from newsspider.urls import settle_url
from pipelines.normalize import normalize_article
from pipelines.store import Archive, decompress
from pipelines.validate import problems

BATCH = 200
RESPONSE_COLUMNS = "r.id, r.url, r.final_url, r.status, r.headers, r.body, r.compression, r.fetched_at, r.portal"


def parse_response(job) -> Article | None:
    """Parse one stored response (already decompressed) into a valid, normalized article,
    or None. Top-level and free of connections, so a process pool can run it."""
    url, final_url, status, headers, body, fetched_at, tz, portal_zone, portal = job
    headers = json.loads(headers or "{}")
    raw = RawResponse(url, final_url or url, status, headers, body, fetched_at, portal=portal)
    try:
        fields = parse_article(body, final_url or url, content_type=headers.get("content-type"), tz=tz,
                               portal_zone=portal_zone)
    except NotHTML:
        return None
    except Exception:  # a parser error on this page: it stays as it was stored
        return None
    if fields is None:
        return None
    # the same rule as the crawl: the page is archived under the URL fetched, a
    # canonical pointing elsewhere is recorded, not obeyed
    settle_url(fields, final_url or url)
    article = normalize_article(Article.from_fields(fields, raw, portal=portal), tz)
    return None if problems(article) else article


def portal_zones(conn, tz: str) -> dict:
    """portal name -> (its zone, the zone given to the parser as ``portal_zone``), as a
    crawl of that portal parses: the registry's entry (of the archive's base URL), else
    the zone recorded in ``portals``, else ``tz``."""
    from newsspider.portals import known_portal

    zones = {}
    try:
        rows = conn.execute("SELECT name, base_url, timezone FROM portals").fetchall()
    except Exception:
        rows = []
    for name, base_url, recorded in rows:
        entry = known_portal(base_url) if base_url else None
        if entry is not None:
            zones[name] = (entry.timezone, None if entry.profile else entry.timezone)
        else:
            zones[name] = (recorded or tz, None)
    return zones


def _job(conn, row, tz: str, zdicts: dict, zones: dict | None = None) -> tuple:
    _rid, url, final_url, status, headers, blob, compression, fetched_at, portal = row
    zone, portal_zone = (zones or {}).get(portal, (tz, None))
    return (url, final_url, status, headers, decompress(conn, blob, compression, zdicts), fetched_at, zone,
            portal_zone, portal)


class _Parser:
    """Parses jobs in order: in worker processes when there is more than one core."""

    def __init__(self, workers: int | None):
        workers = workers if workers is not None else (os.cpu_count() or 1)
        self.pool = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))

    def map(self, jobs: list) -> list:
        if self.pool is None or len(jobs) < 4:
            return [parse_response(j) for j in jobs]
        return list(self.pool.map(parse_response, jobs, chunksize=8))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _article_responses(conn, article_id: int) -> list:
    """Every stored response of the URLs that gave this article its versions, in order."""
    return conn.execute(
        f"""SELECT {RESPONSE_COLUMNS} FROM responses r WHERE r.url IN (
              SELECT r2.url FROM versions v JOIN responses r2 ON r2.id = v.response_id
              WHERE v.article_id = ?) AND r.body IS NOT NULL ORDER BY r.id""", [article_id]).fetchall()


def reparse_archive(path, tz: str = "America/New_York", log=print, workers: int | None = None) -> dict:
    archive = Archive(path)
    conn = archive.conn
    archive.start_run("reparse", {"tz": tz})
    started = time.monotonic()
    counts = {"articles": 0, "articles_changed": 0, "responses_parsed": 0, "unparseable": 0,
              "failures_recovered": 0}
    parser = _Parser(workers)
    zdicts: dict = {}
    zones = portal_zones(conn, tz)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id")]
        for start in range(0, len(ids), BATCH):
            batch = [(article_id, _article_responses(conn, article_id)) for article_id in ids[start:start + BATCH]]
            parsed_all = iter(parser.map([_job(conn, row, tz, zdicts, zones) for _, rows in batch for row in rows]))
            conn.execute("BEGIN IMMEDIATE")
            try:
                for article_id, rows in batch:
                    counts["articles"] += 1
                    parsed = []
                    for row in rows:
                        counts["responses_parsed"] += 1
                        article = next(parsed_all)
                        if article is not None:
                            parsed.append((article, row[0]))
                    if not parsed:
                        counts["unparseable"] += 1
                        continue
                    if archive.replace_versions(article_id, parsed):
                        counts["articles_changed"] += 1
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        # Responses that did not parse into an article before: maybe they do now.
        failed = conn.execute(
            f"""SELECT {RESPONSE_COLUMNS} FROM failures f JOIN responses r ON r.id = (
                  SELECT max(id) FROM responses WHERE url = f.url)
                WHERE f.kind IN ('parse', 'validate') AND r.body IS NOT NULL""").fetchall()
        counts["responses_parsed"] += len(failed)
        recovered = [a for a in parser.map([_job(conn, row, tz, zdicts, zones) for row in failed]) if a is not None]
    finally:
        parser.close()
    for article in recovered:
        article.revisit = False
    archive.write(recovered)
    counts["failures_recovered"] = len(recovered)
    counts["seconds"] = round(time.monotonic() - started, 3)
    stats = {"finish_reason": "finished", **{f"reparse/{k}": v for k, v in counts.items()}}
    archive.counts["articles_updated"] = counts["articles_changed"]
    archive.finish_run(stats, "finished", 0)
    archive.close()
    log(f"reparse: {counts['articles']} articles, {counts['responses_parsed']} responses parsed, "
        f"{counts['articles_changed']} articles changed, {counts['failures_recovered']} failures recovered, "
        f"{counts['unparseable']} left as they were, in {counts['seconds']} s")
    return counts
