"""End to end: a real HTTP server, a real `scrapy crawl portal`, a real SQLite archive."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime


from newsspider.bangla import match_key


def expected(portal):
    return {a.path: a for a in portal.expected_articles()}


def url_path(url: str) -> str:
    from urllib.parse import urlsplit
    return urlsplit(url).path


def test_every_expected_article_stored_once(crawled, db, portal):
    rows = db.execute("SELECT url FROM articles").fetchall()
    paths = Counter(url_path(r["url"]) for r in rows)
    assert set(paths) == set(expected(portal)), "stored articles differ from the portal's"
    assert max(paths.values()) == 1


def test_no_article_fetched_twice(crawled, portal):
    from newsspider import settings

    article_fetches = Counter(p for p in crawled["requests"] if p.startswith("/news/"))
    server_error = portal.article(portal.broken_ids()["server_error"][0]).path
    # the server-error page is retried by the retry middleware, then given up on
    assert article_fetches.pop(server_error) == 1 + settings.RETRY_TIMES
    assert max(article_fetches.values()) == 1, {p: n for p, n in article_fetches.items() if n > 1}


def test_fields_match_the_truth(db, portal):
    truth = expected(portal)
    rows = {url_path(r["url"]): r for r in db.execute("SELECT * FROM articles")}
    for path, spec in truth.items():
        row = rows[path]
        assert row["headline"] == spec.headline, path
        assert row["body"] == "\n\n".join(spec.paragraphs), path
        assert row["byline"] == spec.byline, path
        assert row["section"] == spec.section, path
        published = datetime.fromisoformat(row["published"])
        assert published == spec.published, (path, row["published"], spec.published)
        assert published.utcoffset() is not None


def test_body_not_doubled_and_credits_split_off(db, portal):
    for row in db.execute("SELECT url, body FROM articles"):
        paras = row["body"].split("\n\n")
        keys = [match_key(p) for p in paras]
        assert len(keys) == len(set(keys)), f"a paragraph is stored twice in {row['url']}"
        assert not row["body"].rstrip().endswith(("রয়টার্স, এপি, এএফপি", "এএফপি")), row["url"]
        assert "সূত্র:" not in row["body"]


def test_credits_stored_in_order(db, portal):
    truth = expected(portal)
    credited = 0
    for a in db.execute("SELECT id, url FROM articles").fetchall():
        got = [r[0] for r in db.execute(
            "SELECT agency FROM credits WHERE article_id = ? ORDER BY position", [a["id"]])]
        assert got == truth[url_path(a["url"])].credits, a["url"]
        credited += bool(got)
    assert credited >= 10, "too few credited articles to test anything"


def test_related_links_stored(db, portal):
    truth = expected(portal)
    for path, spec in truth.items():
        if spec.kind != "ok":
            continue
        got = db.execute(
            "SELECT r.url, r.title FROM related r JOIN articles a ON a.id = r.article_id "
            "WHERE a.url LIKE ? ORDER BY r.position", [f"%{path}"]).fetchall()
        assert [(url_path(u), t) for u, t in got] == list(spec.related), path


def test_broken_pages_recorded_as_failures(db, portal):
    failures = {url_path(r["url"]): dict(r) for r in db.execute("SELECT * FROM failures")}
    by_kind = {a.kind: a for a in (portal.article(i) for i in portal.article_ids()) if a.kind != "ok"}
    assert failures[by_kind["gone"].path]["reason"] == "HTTP 404"
    assert failures[by_kind["gone"].path]["permanent"] == 1
    assert failures[by_kind["server_error"].path]["reason"] == "HTTP 500"
    assert failures[by_kind["server_error"].path]["next_retry"]
    assert "no body" in failures[by_kind["no_body"].path]["reason"]
    assert by_kind["truncated"].path not in failures  # truncated but parseable: stored
    for f in failures.values():
        assert f["reason"] and f["attempts"] == 1 and f["last_attempt"]


def test_truncated_page_stored_with_flag(db, portal):
    spec = next(a for a in portal.expected_articles() if a.kind == "truncated")
    row = db.execute("SELECT * FROM articles WHERE url LIKE ?", [f"%{spec.path}"]).fetchone()
    assert row["headline"] == spec.headline
    assert "truncated" in json.loads(row["flags"])


def test_run_row_has_final_stats(db):
    run = db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    stats = json.loads(run["stats"])
    assert run["status"] == "finished" and run["finished"]
    assert stats["finish_reason"] == "finished"
    assert stats["newsspider/articles_new"] == run["articles_new"] > 60
    assert run["pages_fetched"] == stats["downloader/response_count"]


def test_fulltext_search_finds_inflected_forms(db):
    hits = db.execute(
        "SELECT a.headline, a.body FROM articles_fts f JOIN articles a ON a.id = f.rowid "
        "WHERE articles_fts MATCH ?", ['"বাংলাদেশ"']).fetchall()
    assert hits
    assert any("বাংলাদেশের" in h["body"] or "বাংলাদেশে" in h["body"] for h in hits)


def test_integrity(db):
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
