"""Issue 4: versions, incremental crawls, 304s, interruption, the lock, reparse, WARC.

Every test crawls the sample portal served by a real HTTP server on 127.0.0.1 with
real `scrapy crawl portal` subprocesses into a real SQLite file.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from newsspider.localcrawl import PROJECT_ROOT, crawl_command, run_crawl
from newsspider.runstatus import EXIT_LOCKED
from newsspider.sampleportal import SamplePortal, serve
from tests.conftest import query, read_only


def last_run(archive) -> dict:
    con = read_only(archive)
    try:
        return dict(con.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone())
    finally:
        con.close()


def crawl(server, archive, **kw):
    server.reset_requests()
    result = run_crawl(server.base_url, archive, timeout=300, **kw)
    assert result.returncode == 0, result.stdout.decode(errors="replace")[-3000:]
    return Counter(p.split("?")[0] for p in server.requests)


@pytest.fixture()
def server():
    with serve(SamplePortal(articles=72)) as s:
        yield s


def article_fetches(requests: Counter) -> Counter:
    return Counter({p: n for p, n in requests.items() if p.startswith("/news/")})


def test_unchanged_portal_second_run_makes_only_discovery_requests(server, tmp_path):
    archive = tmp_path / "a.db"
    first = crawl(server, archive)
    second = crawl(server, archive)
    assert sum(article_fetches(first).values()) >= 69
    assert article_fetches(second) == Counter(), "an unchanged, old article was fetched again"
    discovery = set(second)
    assert discovery <= {"/robots.txt", "/sitemap.xml", "/post-sitemap1.xml", "/category-sitemap.xml",
                         "/feed/", "/"} | {f"/category/{slug}/" for slug, _ in server.portal.sections()}
    assert sum(second.values()) <= 0.2 * sum(first.values())
    run = last_run(archive)
    assert (run["articles_new"], run["articles_updated"], run["exit_status"]) == (0, 0, 0)
    assert query(archive, "SELECT count(*) FROM versions")[0][0] == 69


def test_edited_articles_get_exactly_one_new_version(server, tmp_path):
    archive = tmp_path / "a.db"
    crawl(server, archive)
    server.portal = SamplePortal(articles=72, edition=1)
    requests = crawl(server, archive)
    edited = [server.portal.article(i) for i in server.portal.expected_ids() if server.portal.article(i).edits]
    assert edited, "edition 1 edits some articles"
    assert set(article_fetches(requests)) == {a.path for a in edited}
    rows = query(archive, "SELECT a.url, v.version, v.changed, v.diff, v.headline, v.body FROM versions v "
                          "JOIN articles a ON a.id = v.article_id WHERE v.version > 1")
    assert sorted(r[0].split(server.base_url)[1] for r in rows) == sorted(a.path for a in edited)
    before = SamplePortal(articles=72, edition=0)
    for url, version, changed, diff, headline, body in rows:
        spec = server.portal.article(int(url.rstrip("/").rsplit("/", 1)[1]))
        old = before.article(spec.id)
        assert version == 2
        assert headline == spec.headline and body == "\n\n".join(spec.paragraphs)
        expect = {"updated"} | ({"headline"} if old.headline != spec.headline else set()) | \
                 ({"body"} if old.paragraphs != spec.paragraphs else set())
        assert set(json.loads(changed)) == expect
        assert diff.startswith("--- before") and "\n+" in diff
    run = last_run(archive)
    assert run["articles_updated"] == len(edited) and run["articles_new"] == 0
    # the latest version is what `articles` shows, and the view lists both
    assert query(archive, "SELECT count(*) FROM edited_articles")[0][0] == len(edited)


def test_due_articles_are_revisited_conditionally_and_304_recorded(server, tmp_path):
    archive = tmp_path / "a.db"
    crawl(server, archive)
    con = sqlite3.connect(archive)
    due = [r[0] for r in con.execute("SELECT url FROM crawl_state WHERE url LIKE '%/news/%' ORDER BY url LIMIT 5")]
    con.executemany("UPDATE crawl_state SET next_due = '2000-01-01T00:00:00+00:00' WHERE url = ?",
                    [(u,) for u in due])
    con.commit()
    con.close()
    requests = crawl(server, archive)
    assert set(article_fetches(requests)) == {u.split(server.base_url)[1] for u in due}
    statuses = [s for (m, p, s) in server.log if p.startswith("/news/")]
    assert statuses == [304] * 5
    run = last_run(archive)
    assert run["not_modified"] == 5 and run["articles_updated"] == 0
    states = query(archive, "SELECT last_status, next_due FROM crawl_state WHERE url IN (?,?,?,?,?)", *due)
    assert all(s == 304 for s, _ in states)
    assert all(n is None for _, n in states), "articles older than the schedule are not due again"


def test_one_off_article_leaves_the_schedule_alone(server, tmp_path):
    archive = tmp_path / "a.db"
    crawl(server, archive)
    before = dict(query(archive, "SELECT url, next_due FROM crawl_state"))
    spec = server.portal.expected_articles()[3]
    requests = crawl(server, archive, args={"url": server.base_url + spec.path})
    assert article_fetches(requests) == Counter({spec.path: 1})
    assert dict(query(archive, "SELECT url, next_due FROM crawl_state")) == before


def test_kill_9_then_rerun_equals_an_uninterrupted_run(server, tmp_path):
    reference = tmp_path / "reference.db"
    crawl(server, reference)
    archive = tmp_path / "killed.db"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    cmd = crawl_command(server.base_url, archive, settings={
        "ARCHIVE_BATCH_SIZE": "5", "CONCURRENT_REQUESTS": "2", "DOWNLOAD_DELAY": "0.05"})
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        try:
            stored = query(archive, "SELECT count(*) FROM articles")[0][0]
        except sqlite3.Error:
            continue
        if stored >= 10:
            break
    assert proc.poll() is None, "the crawl ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 10 <= stored < 69
    assert query(archive, "PRAGMA integrity_check")[0][0] == "ok"
    crawl(server, archive)
    assert query(archive, "PRAGMA integrity_check")[0][0] == "ok"
    q_articles = "SELECT url, content_hash, versions FROM articles ORDER BY url"
    q_versions = ("SELECT a.url, v.version, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id "
                  "ORDER BY a.url, v.version")
    assert query(archive, q_articles) == query(reference, q_articles)
    assert query(archive, q_versions) == query(reference, q_versions)
    runs = query(archive, "SELECT status FROM runs ORDER BY id")
    assert runs == [("interrupted",), ("finished",)]


def test_second_run_started_together_exits_with_the_lock_message(server, tmp_path):
    archive = tmp_path / "a.db"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    slow = {"CONCURRENT_REQUESTS": "1", "DOWNLOAD_DELAY": "0.05"}
    first = subprocess.Popen(crawl_command(server.base_url, archive, settings=slow), cwd=PROJECT_ROOT,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lock = archive.with_name("a.db.lock")
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(crawl_command(server.base_url, archive), cwd=PROJECT_ROOT, env=env,
                            capture_output=True, timeout=120)
    first.wait(timeout=300)
    assert first.returncode == 0, first.stderr.read().decode()[-2000:]
    assert second.returncode == EXIT_LOCKED
    assert "another crawl" in second.stderr.decode() and str(first.pid) in second.stderr.decode()
    assert query(archive, "SELECT count(*) FROM runs")[0][0] == 1


def test_exit_status_is_1_when_nothing_can_be_fetched(tmp_path):
    """The portal answers connections but breaks every request."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    stop = threading.Event()

    def reset_all():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()

    thread = threading.Thread(target=reset_all, daemon=True)
    thread.start()
    try:
        result = run_crawl(f"http://127.0.0.1:{listener.getsockname()[1]}/", tmp_path / "a.db",
                           settings={"RETRY_TIMES": "0"}, timeout=120)
    finally:
        stop.set()
        thread.join(2)
        listener.close()
    assert result.returncode == 1
    assert b"no page could be fetched" in result.stderr
    run = last_run(tmp_path / "a.db")
    assert run["exit_status"] == 1 and run["status"] == "failed"


def scrapy(*args, archive):
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "scrapy", *args, "-s", f"ARCHIVE_PATH={archive}"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300)


def test_reparse_updates_rows_from_an_older_parser_without_network(server, tmp_path):
    archive = tmp_path / "a.db"
    crawl(server, archive)
    server.shutdown()  # no network from here on
    good = query(archive, "SELECT id, headline, body, parser FROM articles ORDER BY id")
    con = sqlite3.connect(archive)
    con.execute("UPDATE articles SET headline = 'পুরনো', body = 'পুরনো পার্সার', parser = 'old@0' WHERE id <= 5")
    con.execute("UPDATE versions SET headline = 'পুরনো', content_hash = 'old', parser = 'old@0' WHERE article_id <= 5")
    con.commit()
    con.close()
    result = scrapy("reparse", archive=archive)
    assert result.returncode == 0, result.stderr.decode()
    assert b"5 articles changed" in result.stdout
    assert query(archive, "SELECT id, headline, body, parser FROM articles ORDER BY id") == good
    again = scrapy("reparse", archive=archive)
    assert b"0 articles changed" in again.stdout, "reparse is idempotent"
    assert query(archive, "PRAGMA integrity_check")[0][0] == "ok"


def test_responses_stored_compressed_and_export_warc_passes_warcio_check(server, tmp_path):
    archive = tmp_path / "a.db"
    crawl(server, archive)
    raw, stored, n = query(archive, "SELECT sum(raw_size), sum(stored_size), count(*) FROM responses")[0]
    assert n >= 69 and stored / raw < 0.25
    # the dictionary is made of article pages, which the archive is mostly made of: with
    # the discovery and front pages stored first it was made of those, and articles
    # compressed to 20.6% of their size instead of 11-12%
    raw, stored = query(archive, "SELECT sum(raw_size), sum(stored_size) FROM responses WHERE url LIKE '%/news/%'")[0]
    assert stored / raw < 0.15, stored / raw
    result = scrapy("export-warc", str(tmp_path / "warc" / "usbn"), archive=archive)
    assert result.returncode == 0, result.stderr.decode()
    files = result.stdout.decode().split()
    assert files
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", *files], capture_output=True)
    assert check.returncode == 0, check.stdout.decode()[-2000:]
    out = check.stdout.decode()
    assert "fail" not in out
    from warcio.archiveiterator import ArchiveIterator

    with open(files[0], "rb") as f:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                   for r in ArchiveIterator(f)]
    # warcinfo, then per fetch a response, its request and its metadata record
    assert records[0][0] == "warcinfo"
    assert out.count("digest pass") == len(records)
    responses = [r for r in records if r[0] == "response"]
    assert len(responses) == n
    assert Counter(r[0] for r in records) == {"warcinfo": 1, "response": n, "request": n, "metadata": n}
    spec = server.portal.expected_articles()[0]
    body = next(b for t, u, b in responses if u.endswith(spec.path))
    assert spec.headline.encode() in body


def test_one_off_max_articles_and_section(server, tmp_path):
    archive = tmp_path / "a.db"
    requests = crawl(server, archive, args={"max_articles": "5"})
    assert sum(article_fetches(requests).values()) == 5
    assert query(archive, "SELECT count(*) FROM articles")[0][0] == 5
    slug, name = server.portal.sections()[1]
    requests = crawl(server, tmp_path / "b.db", args={"section": slug})
    listed = {p for p in requests if p.startswith("/category/")}
    assert listed and all(p.startswith(f"/category/{slug}/") for p in listed)
    sections = {r[0] for r in query(tmp_path / "b.db", "SELECT DISTINCT section FROM articles")}
    assert name in sections  # the section's own articles (plus the আরও খবর links they lead to)
    pages = server.portal.section_pages(slug)
    assert f"/category/{slug}/page/{pages}/" in listed or pages == 1, "pagination followed to the end"


def test_one_off_since_stores_only_newer_articles(server, tmp_path):
    archive = tmp_path / "a.db"
    from datetime import datetime
    from zoneinfo import ZoneInfo

    crawl(server, archive, args={"since": "2025-05-12"})
    since = datetime(2025, 5, 12, tzinfo=ZoneInfo("America/New_York"))  # the portal's day
    published = [datetime.fromisoformat(r[0]) for r in query(archive, "SELECT published FROM articles")]
    assert published and all(p >= since for p in published)
    expected = [a for a in (server.portal.article(i) for i in server.portal.expected_ids())
                if a.published >= since]
    assert len(published) == len(expected)


def test_max_articles_without_a_sitemap_still_discovers(tmp_path):
    """A portal with no sitemap: discovery falls back to the feed and the listings."""
    from tests.faultportal import Fault, FaultPortal

    portal = SamplePortal(articles=72)
    with FaultPortal(portal, {"/sitemap.xml": Fault("empty")}) as s:
        s.robots_extra = ""
        result = run_crawl(s.base_url, tmp_path / "a.db", args={"max_articles": "8"}, timeout=120)
        assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert query(tmp_path / "a.db", "SELECT count(*) FROM articles")[0][0] == 8


def test_retrying_known_failures_that_still_fail_is_not_a_failed_run(server, tmp_path):
    """The portal keeps 3 pages broken. When their retries fall due and nothing else is
    new, the run fetches only those 3, which fail again: that is the portal's known
    breakage, not a failed run (exit 0), and the failures' attempts go up."""
    archive = tmp_path / "a.db"
    retry_now = {"FAILURE_RETRY_BASE_SECONDS": "0"}  # failures are due at once
    crawl(server, archive, settings=retry_now)
    requests = crawl(server, archive, settings=retry_now)
    retried = {p for p in article_fetches(requests)}
    assert len(retried) == 3
    run = last_run(archive)
    assert (run["exit_status"], run["status"], run["failures"]) == (0, "finished", 3)
    assert {r[0] for r in query(archive, "SELECT attempts FROM failures")} == {2}
