"""Issue 10: whatever a page says, the crawler fetches only the portal, and nothing it
fetches is lost silently.

Each test runs a real ``scrapy crawl portal`` against a hostile copy of the sample
portal (tests/hostileportal.py) on 127.0.0.1 whose robots.txt, sitemaps, feed, home,
section and article pages carry the attacker's URLs. Listeners on another loopback
address (127.0.0.2) and on another port of 127.0.0.1 record every connection: finding
none proves the crawler never went there.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from newsspider.localcrawl import PROJECT_ROOT, crawl_command, run_crawl
from newsspider.sampleportal import SamplePortal
from newsspider.urls import UrlPolicy, fold, remember
from tests.conftest import read_only
from tests.hostileportal import Canary, HostilePortal

SMALL = 24  # articles of the hostile portal: every test crawls it whole in a few seconds
OK_ID = 1005
FAST = {"DOWNLOAD_TIMEOUT": "5", "RETRY_TIMES": "1", "FAILURE_RETRY_BASE_SECONDS": "0"}


def crawl(server, archive, *, settings=None, args=None, timeout=240):
    started = time.monotonic()
    result = run_crawl(server.base_url, archive, settings={**FAST, **(settings or {})}, args=args,
                       timeout=timeout)
    result.elapsed = time.monotonic() - started
    result.log = (result.stdout + result.stderr).decode("utf-8", "replace")
    return result


def last_stats(archive) -> dict:
    with read_only(archive) as con:
        return json.loads(con.execute("SELECT stats FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0])


def rows(archive, sql, params=()):
    with read_only(archive) as con:
        return [dict(r) for r in con.execute(sql, params)]


# --------------------------------------------------------------------------- the policy

POLICY_CASES = [
    ("http://portal.test/news/1/", True),
    ("http://www.portal.test/news/1/", True),
    ("http://PORTAL.TEST./news/1/", True),
    ("https://portal.test/news/1/", True),               # the other scheme on its default port
    ("http://portal.test:80/news/1/", True),
    ("http://portal.test:8080/news/1/", False),          # another service on the portal's host
    ("https://portal.test:8443/news/1/", False),
    ("file://portal.test/etc/passwd?p=1", False),        # Scrapy's file handler ignores the host
    ("file:///etc/passwd", False),
    ("ftp://portal.test/news/1/", False),
    ("s3://portal.test/x", False),
    ("data:text/html,<h1>x</h1>", False),
    ("javascript:alert(1)", False),
    ("http://10.1.1.4\\@portal.test/news/5/", False),    # urllib reads portal.test, Scrapy 10.1.1.4
    ("http://portal.test\\@10.1.1.4/news/5/", True),   # requested as portal.test/@10.1.1.4/...
    ("http://user:pw@portal.test/news/1/", False),
    ("http://portal.test@10.1.1.4/", False),
    ("http://portal.test%2f@10.1.1.4/", False),
    ("http://portal.test.evil.example/", False),
    ("http://evilportal.test/", False),
    ("http://127.0.0.1/", False),
    ("http://[::1]/", False),
    ("http://portal.test:99999/", False),
    ("//portal.test/news/1/", False),                    # not absolute: joined first by the caller
]


@pytest.mark.parametrize("url, allowed", POLICY_CASES)
def test_one_policy_decides_on_the_url_as_scrapy_requests_it(url, allowed):
    assert UrlPolicy("http://portal.test/").allows(url) is allowed, UrlPolicy("http://portal.test/").refusal(url)


def test_the_policys_remembered_verdicts_are_its_verdicts():
    """The policy remembers its last verdicts by the URL's exact text (issue 17): asked
    again, in any order, past its bound, it answers what a fresh policy answers."""
    import random

    urls = [u for u, _ in POLICY_CASES]
    rng = random.Random(17)
    urls += ["".join(rng.choice("hH:/\\@.%2fportal.test10:8080?#") for _ in range(rng.randint(0, 30)))
             for _ in range(400)]
    policy = UrlPolicy("http://portal.test/", remembered=50)  # past its bound several times below
    for url in urls * 3 + rng.sample(urls, len(urls)):
        assert policy.refusal(url) == UrlPolicy("http://portal.test/")._refusal(url), url
    assert policy.verdict.cache_info().currsize == 50


def test_the_urls_asked_about_most_stay_remembered():
    """A portal's menus and latest-news box are linked from every page, between sitemap
    entries asked about once: the memo keeps the most recently asked (least recently
    used out), so a long sitemap does not push the hot links out with it."""
    policy = UrlPolicy("http://portal.test/", remembered=100)
    hot = [f"http://portal.test/category/{i}/" for i in range(10)]
    for n in range(5000):
        policy.refusal(f"http://portal.test/news/{n}/")
        if n % 20 == 0:
            for url in hot:
                policy.refusal(url)
    # each hot link worked out once, each sitemap entry once
    assert policy.verdict.cache_info().misses == 5000 + len(hot)
    assert UrlPolicy.REMEMBERED >= 8192  # a 5,000-article portal's links all fit


def test_a_portal_on_a_non_default_port_allows_only_that_port_and_scheme():
    policy = UrlPolicy("http://127.0.0.1:8765/")
    assert policy.allows("http://127.0.0.1:8765/news/1/")
    assert not policy.allows("http://127.0.0.1/news/1/")
    assert not policy.allows("https://127.0.0.1:8765/news/1/")
    assert not policy.allows("http://127.0.0.1:8766/news/1/")
    assert "port 8766" in policy.refusal("http://127.0.0.1:8766/news/1/")
    assert "private or loopback" in policy.refusal("http://127.0.0.2:8765/news/1/")


def test_fold_is_the_crawlers_one_key_per_article():
    assert fold("https://www.Portal.test/news/1/?utm_source=x#top") == fold("http://portal.test/news/1")
    assert fold("http://portal.test:80/news/1/") == fold("http://portal.test/news/1/")
    assert fold("http://portal.test/news/1/") != fold("http://portal.test/news/2/")
    assert fold("http://portal.test/?p=1") != fold("http://portal.test/?p=2")


# --------------------------------------------------------------------------- every channel

def attack_urls(port: int, other_port: int, canary) -> dict[str, str]:
    return {
        "file": "file://127.0.0.1/etc/passwd?p=1",
        "file-no-host": "file:///etc/hostname?p=2",
        "other-port": f"http://127.0.0.1:{other_port}/news/{OK_ID}/",
        "differential": f"http://{canary.host}:{canary.port}\\@127.0.0.1:{port}/news/{OK_ID + 1}/",
        "ftp": f"ftp://{canary.host}:{canary.port}/news/{OK_ID + 2}/",
        "userinfo": f"http://user:pw@127.0.0.1:{port}/news/{OK_ID + 3}/",
        "other-scheme": f"https://127.0.0.1:{port}/news/{OK_ID + 4}/",
        "internal": f"http://{canary.host}:{canary.port}/news/{OK_ID + 5}/",
    }


@pytest.fixture(scope="module")
def channels_crawl(tmp_path_factory):
    """One crawl whose every discovery channel carries every attack URL."""
    portal = SamplePortal(articles=SMALL)
    with Canary("127.0.0.2") as far, Canary("127.0.0.1") as near:
        server = HostilePortal(portal)
        urls = attack_urls(server.port, near.port, far)
        links = "".join(f'<a href="{u}">খবর</a>' for u in urls.values())
        related = "".join(f'<li><a href="{u}">আরও</a></li>' for u in urls.values())
        server.inject = {
            "/robots.txt": [f"Sitemap: {u}\n" for u in urls.values()],
            "/sitemap.xml": [f"<sitemap><loc>{u}</loc></sitemap>" for u in urls.values()],
            "/post-sitemap1.xml": [f"<url><loc>{u}</loc></url>" for u in urls.values()],
            "/feed/": [f"<item><title>x</title><link>{u}</link></item>" for u in urls.values()],
            "/": [links, *(f'<link rel="alternate" type="application/rss+xml" href="{u}">' for u in urls.values())],
            "/category/probash/": [links, *(f'<a rel="next" href="{u}">next</a>' for u in urls.values())],
        }
        server.replace = {f"/news/{i}/": [("<h3>আরও খবর</h3><ul>", "<h3>আরও খবর</h3><ul>" + related)]
                          for i in portal.expected_ids()}
        archive = tmp_path_factory.mktemp("channels") / "archive.db"
        with server:
            result = crawl(server, archive)
            # URLs in `failures` are retried by the next run: that channel meets the policy
            # too (an archive written by an older version, or edited by hand, may hold any)
            with sqlite3.connect(archive) as con:
                con.executemany(
                    "INSERT INTO failures (url, reason, kind, attempts, next_retry) "
                    "VALUES (?, 'planted', 'network', 1, '2000-01-01T00:00:00+00:00')",
                    [(u,) for u in urls.values()])
            again = crawl(server, archive)
        yield {"result": result, "again": again, "archive": archive, "far": list(far.connections),
               "near": list(near.connections), "server": server, "urls": urls, "portal": portal}


def test_no_channel_reaches_another_host_port_or_scheme(channels_crawl):
    c = channels_crawl
    assert c["far"] == [], "a request reached 127.0.0.2"
    assert c["near"] == [], "a request reached another port of the portal's host"
    assert c["result"].returncode == 0, c["result"].log[-3000:]
    assert c["again"].returncode == 0, c["again"].log[-3000:]


def test_nothing_but_the_portal_is_stored(channels_crawl):
    archive, base = channels_crawl["archive"], channels_crawl["server"].base_url
    for table, column in (("articles", "url"), ("responses", "url"), ("responses", "final_url"),
                          ("crawl_state", "url")):
        stray = [r[column] for r in rows(archive, f"SELECT {column} FROM {table}") if r[column]
                 and not r[column].startswith(base + "/")]
        assert stray == [], (table, column, stray)
    bodies = rows(archive, "SELECT count(*) AS n FROM responses WHERE url LIKE 'file:%' OR url LIKE 'ftp:%'")
    assert bodies[0]["n"] == 0
    assert len(rows(archive, "SELECT id FROM articles")) == len(channels_crawl["portal"].expected_ids())


def test_refused_urls_are_counted_by_channel(channels_crawl):
    stats = last_stats(channels_crawl["archive"])
    first = json.loads(rows(channels_crawl["archive"], "SELECT stats FROM runs ORDER BY id LIMIT 1")[0]["stats"])
    for channel in ("robots", "sitemap", "feed", "listing", "pagination", "related"):
        assert first.get(f"newsspider/refused/{channel}", 0) > 0, (channel, first)
    assert stats.get("newsspider/refused/retry", 0) == len(channels_crawl["urls"]), stats


def test_the_ftp_server_that_never_answers_does_not_hold_the_run(channels_crawl):
    assert channels_crawl["result"].elapsed < 60, channels_crawl["result"].elapsed


def test_the_downloader_refuses_what_the_spider_did_not_filter(tmp_path):
    """The second check: a redirect is a new request and meets the policy in the
    downloader; so does any request a future code path might make."""
    portal = SamplePortal(articles=SMALL)
    with Canary("127.0.0.2") as far, Canary("127.0.0.1") as near:
        redirect = {f"/news/{OK_ID}/": lambda p: (302, {"Location": f"http://{far.host}:{far.port}\\@x/"}, b""),
                    f"/news/{OK_ID + 1}/": lambda p: (302, {"Location": f"http://127.0.0.1:{near.port}/x/"}, b""),
                    f"/news/{OK_ID + 2}/": lambda p: (302, {"Location": "file:///etc/passwd"}, b"")}
        with HostilePortal(portal, routes=redirect) as server:
            result = crawl(server, tmp_path / "a.db")
        assert far.connections == [] and near.connections == []
    failures = {r["url"].rsplit("/news/", 1)[1]: r for r in rows(tmp_path / "a.db", "SELECT * FROM failures")}
    for k in (OK_ID, OK_ID + 1):
        assert failures[f"{k}/"]["kind"] == "refused", failures
        assert "redirect off the portal" in failures[f"{k}/"]["reason"]
    # Scrapy's redirect middleware does not follow a file: Location at all: the 302 is the answer
    assert failures[f"{OK_ID + 2}/"]["reason"] == "HTTP 302"
    assert last_stats(tmp_path / "a.db")["newsspider/refused/url_policy"] >= 2
    assert result.returncode == 0, result.log[-2000:]


def test_download_handlers_other_than_http_are_off():
    from scrapy.utils.project import get_project_settings

    os.chdir(PROJECT_ROOT)
    handlers = get_project_settings().getdict("DOWNLOAD_HANDLERS")
    assert all(handlers.get(s, "missing") is None for s in ("file", "ftp", "s3", "data")), handlers


# --------------------------------------------------------------------------- bombs and limits

def _wait_rss(cmd, env) -> tuple[int, int]:
    """Run ``cmd``; (exit status, peak RSS in MB) of that process alone."""
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss // 1024


def test_a_sitemap_gzip_bomb_is_decompressed_only_to_download_maxsize(tmp_path):
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    chunk = bytes(16 * 1024 * 1024)
    bomb = co.compress(head) + b"".join(co.compress(chunk) for _ in range(128)) + co.flush()  # 2 GiB
    assert len(bomb) < 3 * 1024 * 1024
    portal = SamplePortal(articles=SMALL)
    routes = {"/sitemap-bomb.xml.gz": lambda p: (200, {"Content-Type": "application/octet-stream"}, bomb)}
    with HostilePortal(portal, routes=routes, inject={"/robots.txt": ["Sitemap: {base}/sitemap-bomb.xml.gz\n"]}) as server:
        env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
        code, peak_mb = _wait_rss(crawl_command(server.base_url, tmp_path / "a.db", settings=FAST), env)
    assert code == 0
    assert peak_mb < 400, f"peak RSS {peak_mb} MB"
    stats = last_stats(tmp_path / "a.db")
    assert stats["newsspider/bad_sitemaps"] >= 1
    assert len(rows(tmp_path / "a.db", "SELECT id FROM articles")) == len(portal.expected_ids())


def test_traps_end_at_their_limits(tmp_path):
    """Endless pagination, a sitemap-index chain and a related-link chain, each made up on
    the fly by the server, end at SECTION_MAX_PAGES, SITEMAP_MAX_DEPTH, RELATED_MAX_DEPTH."""
    portal = SamplePortal(articles=SMALL)
    page = ('<!DOCTYPE html><html lang="bn"><head><meta charset="utf-8"><title>x</title></head><body>'
            '{links}</body></html>')

    def endless(path):  # /category/trap/page/N/ -> N+1, with a new article each
        n = int(path.rstrip("/").rsplit("/", 1)[1]) if "/page/" in path else 1
        links = f'<a href="/news/{90000 + n}/">খবর</a><a rel="next" href="/category/trap/page/{n + 1}/">পরের</a>'
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.format(links=links).encode()

    def chain(path):  # /sitemap-chain-N.xml -> index of N+1
        n = int(path.split("-")[-1].split(".")[0])
        body = (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f'<sitemap><loc>{server.base_url}/sitemap-chain-{n + 1}.xml</loc></sitemap></sitemapindex>')
        return 200, {"Content-Type": "application/xml"}, body.encode()

    def related_chain(path):  # /news/8NNNN/ is an article linking /news/8NNNN+1/ (9NNNN: 9NNNN+1)
        n = int(path.strip("/").split("/")[1])
        status, headers, body = portal.render(f"/news/{OK_ID}/", server.base_url)
        html = body.decode().replace("<h3>আরও খবর</h3><ul>",
                                     f'<h3>আরও খবর</h3><ul><li><a href="/news/{n + 1}/">আরও {n + 1}</a></li>')
        html = html.replace(f"/news/{OK_ID}/", f"/news/{n}/")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()

    server = HostilePortal(
        portal,
        pattern_routes=[(r"/category/trap/(page/\d+/)?", endless), (r"/sitemap-chain-\d+\.xml", chain),
                        (r"/news/[89]\d{4}/", related_chain)],
        inject={"/robots.txt": ["Sitemap: {base}/sitemap-chain-1.xml\n"],
                "/": ['<a href="/category/trap/">ফাঁদ</a><a href="/news/80000/">শিকল</a>']})
    with server:
        result = crawl(server, tmp_path / "a.db", settings={"SECTION_MAX_PAGES": "40"})
    log = server.log
    assert result.returncode == 0, result.log[-3000:]
    trap_pages = [p for p in log if p.startswith("/category/trap/")]
    assert 35 <= len(trap_pages) <= 40, len(trap_pages)
    chain_pages = [p for p in log if p.startswith("/sitemap-chain-")]
    assert len(chain_pages) <= 4, chain_pages          # the index, then 3 levels
    related = [p for p in log if p.startswith("/news/8")]
    assert 1 <= len(related) <= 4, related            # the chain's head, then 3 hops
    stats = last_stats(tmp_path / "a.db")
    for limit in ("section_pages", "sitemap_depth", "related_depth"):
        assert stats.get(f"newsspider/limits/{limit}"), (limit, stats)


def test_a_run_stops_cleanly_at_its_request_budget_and_the_next_run_goes_on(tmp_path):
    portal = SamplePortal(articles=72)
    with HostilePortal(portal) as server:
        first = crawl(server, tmp_path / "a.db", settings={"RUN_MAX_REQUESTS": "30"})
        runs = rows(tmp_path / "a.db", "SELECT * FROM runs")
        stored_first = len(rows(tmp_path / "a.db", "SELECT id FROM articles"))
        requests_first = len(server.log)
        second = crawl(server, tmp_path / "a.db", settings={"RUN_MAX_REQUESTS": "0"})
    assert first.returncode == 3, first.log[-2000:]
    assert "budget of 30 requests" in first.stderr.decode()
    assert runs[-1]["status"] == "budget" and runs[-1]["exit_status"] == 3
    assert runs[-1]["finish_reason"] == "budget_requests"
    assert requests_first <= 30 + 16 + 1       # the budget, what was in flight, robots.txt
    assert 0 < stored_first < len(portal.expected_ids())
    assert second.returncode == 0, second.log[-2000:]
    assert len(rows(tmp_path / "a.db", "SELECT id FROM articles")) == len(portal.expected_ids())


def test_a_run_stops_cleanly_at_its_time_budget(tmp_path):
    portal = SamplePortal(articles=SMALL)
    hang = {f"/news/{i}/": 30 for i in portal.expected_ids()[5:]}
    with HostilePortal(portal, hang=hang) as server:
        result = crawl(server, tmp_path / "a.db", settings={"RUN_MAX_SECONDS": "4", "DOWNLOAD_TIMEOUT": "8"})
    assert result.returncode == 3, result.log[-2000:]
    assert result.elapsed < 4 + 8 + 10  # the budget, then what was in flight runs out its timeout
    assert rows(tmp_path / "a.db", "SELECT status, finish_reason FROM runs") == [
        {"status": "budget", "finish_reason": "budget_time"}]


def test_query_string_variants_of_one_page_are_capped(tmp_path):
    portal = SamplePortal(articles=SMALL)
    variants = "".join(f'<a href="/news/{OK_ID}/?v={k}">খবর</a>' for k in range(2000))
    with HostilePortal(portal, inject={"/": [variants]}) as server:
        result = crawl(server, tmp_path / "a.db")
    fetched = [p for p in server.log if p.startswith(f"/news/{OK_ID}/?")]
    assert len(fetched) <= 3, len(fetched)
    assert last_stats(tmp_path / "a.db")["newsspider/limits/query_variants"] >= 1990
    assert result.returncode == 0


# --------------------------------------------------------------------------- nothing lost silently

def deep_json_ld(depth=3000) -> str:
    return '<script type="application/ld+json">' + "[" * depth + "]" * depth + "</script>"


def make_all_due(archive) -> None:
    with sqlite3.connect(archive) as con:
        con.execute("UPDATE crawl_state SET next_due = '2000-01-01T00:00:00+00:00', etag = NULL, "
                    "last_modified = NULL")


EDITED = "সংশোধনী: প্রতিবেদনে নতুন তথ্য যোগ করা হয়েছে।"
EDIT = ('<div class="news-details">', f'<div class="news-details"><p>{EDITED}</p>')


def test_json_ld_nested_thousands_deep_does_not_crash_the_parser(tmp_path):
    """The 7.8 KB JSON-LD block nested 3,000 deep: the edit of the archived article is
    archived as its next version (the block is ignored as unreadable)."""
    portal = SamplePortal(articles=SMALL)
    target = f"/news/{OK_ID}/"
    with HostilePortal(portal) as server:
        assert crawl(server, tmp_path / "a.db").returncode == 0
        make_all_due(tmp_path / "a.db")
        server.replace = {target: [("</head>", deep_json_ld() + "</head>"), EDIT]}
        second = crawl(server, tmp_path / "a.db")
    after = rows(tmp_path / "a.db", "SELECT body, versions FROM articles WHERE url LIKE ?", [f"%{target}"])
    assert after[0]["versions"] == 2 and EDITED in after[0]["body"], after
    assert rows(tmp_path / "a.db", "SELECT * FROM failures WHERE url LIKE ?", [f"%{target}"]) == []
    assert second.returncode == 0, second.log[-2000:]


PLANTED = (
    "import newsspider.spiders.portal as s\n"
    "real = s.parse_article\n"
    "def broken(body, url, **kw):\n"
    "    if '/news/1005/' in url:\n"
    "        raise RecursionError('maximum recursion depth exceeded (planted)')\n"
    "    return real(body, url, **kw)\n"
    "s.parse_article = broken\n")


def test_an_exception_in_parse_is_recorded_keeps_the_old_version_and_fails_the_run(tmp_path):
    """Whatever the parser raises on a page, the page is a failure row with the exception's
    type and message, its bytes are kept for a later reparse, the archived article keeps
    its version, and the run exits 1."""
    portal = SamplePortal(articles=SMALL)
    archive = tmp_path / "a.db"
    (tmp_path / "sitecustomize.py").write_text(PLANTED)
    with HostilePortal(portal) as server:
        assert crawl(server, archive).returncode == 0
        before = rows(archive, "SELECT headline, versions, content_hash FROM articles WHERE url LIKE '%/news/1005/'")
        make_all_due(archive)
        server.replace = {"/news/1005/": [EDIT]}
        env = dict(os.environ, PYTHONPATH=f"{tmp_path}:{PROJECT_ROOT}")
        result = subprocess.run(crawl_command(server.base_url, archive, settings=FAST), cwd=PROJECT_ROOT,
                                env=env, capture_output=True, timeout=240)
    failure = rows(archive, "SELECT * FROM failures WHERE url LIKE '%/news/1005/'")
    assert failure and failure[0]["kind"] == "parse", failure
    assert failure[0]["reason"].startswith("parser raised RecursionError: maximum recursion depth")
    after = rows(archive, "SELECT headline, versions, content_hash FROM articles WHERE url LIKE '%/news/1005/'")
    assert after == before, "the archived article keeps its version"
    kept = rows(archive, "SELECT count(*) AS n FROM responses WHERE url LIKE '%/news/1005/'")[0]["n"]
    assert kept == 2, "the edited page's bytes are kept, for a reparse by a fixed parser"
    assert result.returncode == 1
    assert "raised an exception while parsing" in result.stderr.decode()


def test_a_store_error_on_one_article_keeps_the_batch_and_records_the_article(tmp_path):
    from newsspider.items import Article, RawResponse
    from pipelines.store import Archive

    archive = Archive(tmp_path / "a.db")
    archive.start_run("test", {})
    raw = RawResponse("http://p.test/news/1/", "http://p.test/news/1/", 200, {}, b"<html></html>", "2025-01-01T00:00:00+00:00")
    good = Article(url="http://p.test/news/2/", fetched_url="http://p.test/news/2/", headline="ক", body="খ",
                   fetched_at="2025-01-01T00:00:00+00:00", raw=raw)
    bad = Article(url="http://p.test/news/1/", fetched_url="http://p.test/news/1/", headline="ক", body="খ",
                  fetched_at="2025-01-01T00:00:00+00:00", raw=raw, images=[{"url": object()}])  # not JSON
    archive.write([good, bad])
    assert [r[0] for r in archive.conn.execute("SELECT url FROM articles")] == ["http://p.test/news/2/"]
    reason, kind = archive.conn.execute("SELECT reason, kind FROM failures").fetchone()
    assert kind == "parse" and reason.startswith("store raised TypeError"), reason
    assert archive.counts["parse_errors"] == 1
    archive.close()


def test_spider_exceptions_never_coexist_with_exit_0():
    from scrapy.settings import Settings

    from newsspider.runstatus import exit_status

    ok = {"downloader/response_count": 10, "finish_reason": "finished"}
    assert exit_status(ok, Settings()) == 0
    assert exit_status({**ok, "spider_exceptions/KeyError": 1}, Settings()) == 1
    assert exit_status({**ok, "newsspider/parse_errors": 1}, Settings()) == 1


def test_a_304_to_an_unconditional_request_is_a_failure_not_a_loss(tmp_path):
    portal = SamplePortal(articles=SMALL)
    routes = {f"/news/{OK_ID}/": lambda p: (304, {}, b"")}
    with HostilePortal(portal, routes=routes) as server:
        result = crawl(server, tmp_path / "a.db")
    failure = rows(tmp_path / "a.db", "SELECT * FROM failures WHERE url LIKE ?", [f"%/news/{OK_ID}/"])
    assert failure and failure[0]["reason"] == "HTTP 304 to an unconditional request", failure
    assert failure[0]["permanent"] == 0
    assert result.returncode == 0


@pytest.mark.parametrize("charset", ["idna", "rot13", "zlib", "punycode", "undefined"])
def test_a_charset_that_is_no_text_encoding_does_not_make_an_article_unarchivable(tmp_path, charset):
    portal = SamplePortal(articles=SMALL)

    def page(path):
        status, headers, body = portal.render(path, server.base_url)
        return status, {**headers, "Content-Type": f"text/html; charset={charset}"}, body

    server = HostilePortal(portal, routes={f"/news/{OK_ID}/": page})
    with server:
        crawl(server, tmp_path / "a.db", args={"url": f"{server.base_url}/news/{OK_ID}/"})
    article = rows(tmp_path / "a.db", "SELECT headline FROM articles")
    assert article and article[0]["headline"] == portal.headline(OK_ID), (
        article, rows(tmp_path / "a.db", "SELECT * FROM failures"))


# --------------------------------------------------------------------------- canonical hijack

def test_a_canonical_link_never_writes_another_articles_row(tmp_path):
    portal = SamplePortal(articles=SMALL)
    a, b = f"/news/{OK_ID}/", f"/news/{OK_ID + 1}/"
    with HostilePortal(portal) as server:
        server.replace = {a: [(f'<link rel="canonical" href="{server.base_url}{a}">',
                               f'<link rel="canonical" href="{server.base_url}{b}">')],
                          f"/news/{OK_ID + 2}/": [(f'<link rel="canonical" href="{server.base_url}/news/{OK_ID + 2}/">',
                                                   f'<link rel="canonical" href="http://127.0.0.1:1{b}">')]}
        for _ in range(3):
            crawl(server, tmp_path / "a.db")
            make_all_due(tmp_path / "a.db")
    by_url = {r["url"].split(server.base_url)[1]: r for r in rows(tmp_path / "a.db", "SELECT * FROM articles")}
    assert by_url[a]["headline"] == portal.headline(OK_ID)
    assert by_url[b]["headline"] == portal.headline(OK_ID + 1)
    assert by_url[b]["versions"] == 1 and by_url[a]["versions"] == 1
    assert json.loads(by_url[a]["sources"])["canonical_elsewhere"] == server.base_url + b
    assert "canonical-elsewhere" in json.loads(by_url[a]["flags"])
    assert json.loads(by_url[f"/news/{OK_ID + 2}/"]["sources"])["canonical_elsewhere"] == "http://127.0.0.1:1" + b
    assert rows(tmp_path / "a.db", "SELECT count(*) AS n FROM versions")[0]["n"] == len(by_url)
    # reparse follows the same rule (it re-derives rows from the stored responses)
    with sqlite3.connect(tmp_path / "a.db") as con:  # as if an older parser had stored them
        con.execute("UPDATE versions SET parser = 'old'")
    reparse = subprocess.run([sys.executable, "-m", "scrapy", "reparse", "-s", f"ARCHIVE_PATH={tmp_path / 'a.db'}"],
                             cwd=PROJECT_ROOT, capture_output=True, timeout=120)
    assert reparse.returncode == 0, reparse.stderr.decode()[-2000:]
    after = {r["url"].split(server.base_url)[1]: r for r in rows(tmp_path / "a.db", "SELECT * FROM articles")}
    assert {k: (v["headline"], v["versions"]) for k, v in after.items()} == {
        k: (v["headline"], v["versions"]) for k, v in by_url.items()}
    assert json.loads(after[a]["sources"])["canonical_elsewhere"] == server.base_url + b


# --------------------------------------------------------------------------- robots.txt

@pytest.mark.parametrize("answer", ["503", "timeout", "redirect-off-portal"])
def test_an_unreachable_robots_txt_means_disallow_all(tmp_path, answer):
    portal = SamplePortal(articles=SMALL)
    with Canary("127.0.0.2") as far:
        routes, hang = {}, {}
        if answer == "503":
            routes["/robots.txt"] = lambda p: (503, {"Content-Type": "text/plain"}, b"down")
        elif answer == "redirect-off-portal":
            routes["/robots.txt"] = lambda p: (301, {"Location": f"http://{far.host}:{far.port}/robots.txt"}, b"")
        else:
            hang["/robots.txt"] = 30
        with HostilePortal(portal, routes=routes, hang=hang) as server:
            result = crawl(server, tmp_path / "a.db", settings={"DOWNLOAD_TIMEOUT": "2"})
        assert far.connections == []
    fetched = [p for p in server.log if p != "/robots.txt"]
    assert fetched == [], fetched
    assert result.returncode == 1
    assert "robots.txt could not be fetched" in result.stderr.decode()
    assert rows(tmp_path / "a.db", "SELECT * FROM failures") == []


def test_a_robots_txt_answering_404_allows_all(tmp_path):
    portal = SamplePortal(articles=SMALL)
    with HostilePortal(portal, routes={"/robots.txt": lambda p: (404, {"Content-Type": "text/plain"}, b"")}) as server:
        result = crawl(server, tmp_path / "a.db")
    assert result.returncode == 0
    assert len(rows(tmp_path / "a.db", "SELECT id FROM articles")) == len(portal.expected_ids())


# --------------------------------------------------------------------------- storage budgets

def test_responses_over_the_per_response_budget_are_parsed_but_not_kept(tmp_path):
    portal = SamplePortal(articles=SMALL)
    with HostilePortal(portal) as server:
        result = crawl(server, tmp_path / "a.db", settings={"RESPONSE_STORE_MAX_BYTES": "1000"})
    assert result.returncode == 0
    kept = rows(tmp_path / "a.db", "SELECT max(raw_size) AS n FROM responses WHERE body IS NOT NULL")[0]["n"]
    omitted = rows(tmp_path / "a.db", "SELECT compression FROM responses WHERE body IS NULL")
    assert (kept or 0) <= 1000 and omitted  # only small bodies (robots.txt) are kept
    assert {r["compression"] for r in omitted} == {"not-kept/over-RESPONSE_STORE_MAX_BYTES"}
    assert len(rows(tmp_path / "a.db", "SELECT id FROM articles")) == len(portal.expected_ids())
    assert last_stats(tmp_path / "a.db")["newsspider/responses_not_kept"] == len(omitted)
    # reparse and WARC export skip what has no bytes
    reparse = subprocess.run([sys.executable, "-m", "scrapy", "reparse", "-s", f"ARCHIVE_PATH={tmp_path / 'a.db'}"],
                             cwd=PROJECT_ROOT, capture_output=True, timeout=120)
    assert reparse.returncode == 0, reparse.stderr.decode()[-2000:]


def test_the_run_budget_of_stored_bytes_holds(tmp_path):
    portal = SamplePortal(articles=SMALL)
    with HostilePortal(portal) as server:
        crawl(server, tmp_path / "a.db", settings={"RUN_STORE_MAX_BYTES": "20000"})
    stored = rows(tmp_path / "a.db", "SELECT sum(stored_size) AS s, count(*) AS n FROM responses WHERE body IS NOT NULL")[0]
    assert 20000 <= stored["s"] < 20000 + 30000  # stops after the response that crossed it
    assert rows(tmp_path / "a.db", "SELECT count(*) AS n FROM responses WHERE body IS NULL")[0]["n"] > 0


# --------------------------------------------------------------------------- locks

def test_a_planted_symlink_at_the_lock_is_not_followed(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    archive = tmp_path / "a.db"
    Path(f"{archive}.lock").symlink_to(target)
    portal = SamplePortal(articles=SMALL)
    with HostilePortal(portal) as server:
        result = crawl(server, archive)
    assert target.read_text() == "keep me\n"
    assert result.returncode == 1
    assert "symbolic link" in result.stderr.decode()
    assert server.log == []


def test_a_deleted_lock_file_does_not_let_a_second_crawl_run(tmp_path):
    portal = SamplePortal(articles=SMALL)
    archive = tmp_path / "a.db"
    hang = {f"/news/{i}/": 20 for i in portal.expected_ids()}
    with HostilePortal(portal, hang=hang) as server:
        first = subprocess.Popen(crawl_command(server.base_url, archive, settings={"DOWNLOAD_TIMEOUT": "30"}),
                                 cwd=PROJECT_ROOT, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            lock = Path(f"{archive}.lock")
            deadline = time.monotonic() + 30
            while not any(p.startswith("/news/") for p in server.log) and time.monotonic() < deadline:
                time.sleep(0.1)
            lock.unlink()
            second = crawl(server, archive)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
    assert second.returncode == 75, second.log[-2000:]
    assert "another crawl" in second.stderr.decode()


def test_a_killed_reparse_leaves_no_worker_holding_the_lock(tmp_path):
    portal = SamplePortal(articles=72)
    archive = tmp_path / "a.db"
    server = HostilePortal(portal).__enter__()
    assert crawl(server, archive).returncode == 0
    # a reparse slowed down so that it is killed mid-way, its workers alive
    slow = tmp_path / "sitecustomize.py"
    slow.write_text("import time, newsspider.reparse as r\nreal = r.parse_response\n"
                    "def slow(job):\n    time.sleep(0.5)\n    return real(job)\nr.parse_response = slow\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}:{PROJECT_ROOT}")
    reparse = subprocess.Popen([sys.executable, "-m", "scrapy", "reparse", "-s", f"ARCHIVE_PATH={archive}"],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)
    children = [int(p) for p in Path(f"/proc/{reparse.pid}/task/{reparse.pid}/children").read_text().split()]
    assert children, "the reparse had no worker processes to test with"
    reparse.send_signal(signal.SIGKILL)
    reparse.wait()
    try:
        again = crawl(server, archive)
        assert again.returncode == 0, again.log[-2000:]
    finally:
        server.__exit__(None, None, None)
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_dead_holder_is_named_as_dead(tmp_path):
    """The lock file names a PID that is gone while another process holds the lock."""
    from newsspider.lock import ArchiveLock

    archive = tmp_path / "a.db"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[1]); from newsspider.lock import ArchiveLock\n"
        "l = ArchiveLock(sys.argv[2]); assert l.acquire(); print('ok', flush=True); time.sleep(30)"),
        str(PROJECT_ROOT), str(archive)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"ok"
        Path(f"{archive}.lock").write_text("999999\n")  # as if the writer had died and a child kept it
        lock = ArchiveLock(archive)
        assert lock.acquire() is False
        message = lock.holder()
        assert "pid 999999, which is no longer running" in message and f"pid {holder.pid}" in message, message
    finally:
        holder.kill()
        holder.wait()


# --------------------------------------------------------------------------- no remote control

def _listening_ports(pid: int) -> list[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                ports.append(int(fields[1].split(":")[1], 16))
    return ports


def test_no_remote_control_endpoint_listens_during_a_crawl(tmp_path):
    portal = SamplePortal(articles=SMALL)
    hang = {f"/news/{i}/": 10 for i in portal.expected_ids()}
    with HostilePortal(portal, hang=hang) as server:
        proc = subprocess.Popen(crawl_command(server.base_url, tmp_path / "a.db", settings={"DOWNLOAD_TIMEOUT": "20"}),
                                cwd=PROJECT_ROOT, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not any(p.startswith("/news/") for p in server.log) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert any(p.startswith("/news/") for p in server.log)
            assert _listening_ports(proc.pid) == []
        finally:
            proc.kill()
            proc.wait()


def _lines_printed_by_a_fresh_process(code: str) -> list[str]:
    """What ``python -c code`` prints, run from the project (its settings, nothing imported
    before): what a crawl's start-up imports is only seen in a process of its own."""
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)), check=True).stdout.splitlines()


def test_the_disabled_extensions_are_not_even_imported():
    """Scrapy imports every extension its settings name, the disabled ones too, to compare
    their keys: its HTTP remote control brought aiohttp into every crawl's start-up (138 ms
    on this machine; issue 17's incremental run is mostly start-up). The project leaves
    them out of ``EXTENSIONS_BASE``; the extensions that run are the same."""
    code = ("import sys\n"
            "from scrapy.utils.project import get_project_settings\n"
            "from scrapy.utils.conf import build_component_list\n"
            "s = get_project_settings()\n"
            "print(build_component_list(s.get_component_priority_dict_with_base('EXTENSIONS')))\n"
            "print([m for m in ('scrapy.extensions.remote_control', 'aiohttp', 'scrapy.extensions.telnet') "
            "if m in sys.modules])\n")
    out = _lines_printed_by_a_fresh_process(code)
    enabled = [str(e).rsplit(".", 1)[-1].strip("'>") for e in out[0].strip("[]").split(", ")]
    assert out[1] == "[]", out
    assert {"CoreStats", "LogCount", "MemoryUsage", "SpiderState", "CloseSpider", "GcTuning", "Progress",
            "RunBudget"} <= set(enabled), enabled
    assert not {"TelnetConsole", "RemoteControl", "LogStats"} & set(enabled), enabled


@pytest.mark.parametrize("cookies", [False, True])
def test_the_cookies_middleware_is_imported_only_when_cookies_are_on(cookies):
    """Scrapy's cookies middleware module imports tldextract (90 ms of every crawl's
    start-up) before it can say COOKIES_ENABLED is off. The project's stand-in imports it
    only when cookies are turned on, and then Scrapy's own middleware runs."""
    code = ("import sys\n"
            "from scrapy.utils.reactor import install_reactor\n"
            "install_reactor('twisted.internet.asyncioreactor.AsyncioSelectorReactor')\n"
            "from scrapy.utils.project import get_project_settings\n"
            "from scrapy.utils.test import get_crawler\n"
            "from scrapy.core.downloader.middleware import DownloaderMiddlewareManager\n"
            "from newsspider.spiders.portal import PortalSpider\n"
            "s = get_project_settings()\n"
            f"s.set('COOKIES_ENABLED', {cookies}, priority='cmdline')\n"
            "crawler = get_crawler(PortalSpider, s.copy_to_dict())\n"
            "manager = DownloaderMiddlewareManager.from_crawler(crawler)\n"
            "print([type(m).__module__ + '.' + type(m).__name__ for m in manager.middlewares])\n"
            "print('tldextract' in sys.modules)\n")
    out = _lines_printed_by_a_fresh_process(code)
    running = out[0]
    assert ("scrapy.downloadermiddlewares.cookies.CookiesMiddleware" in running) is cookies, running
    assert "newsspider.middlewares.CookiesMiddleware" not in running
    assert "newsspider.middlewares.UrlPolicyMiddleware" in running
    assert out[1] == str(cookies), out


def test_the_spiders_remembered_article_url_verdicts_are_its_verdicts():
    """``PortalSpider._is_article_url`` remembers its last verdicts (issue 17): asked
    again, in any order, past its bound, it answers what the check answers."""
    import random

    from scrapy.utils.test import get_crawler

    from newsspider.spiders.portal import PortalSpider

    crawler = get_crawler(PortalSpider, {"ARCHIVE_PATH": "", "PORTAL_URL": "https://usbanglanews.com/"})
    spider = PortalSpider.from_crawler(crawler)
    rng = random.Random(17)
    paths = ["/news/1/", "/news/123456/", "/", "/category/bangladesh/", "/tag/x/", "/2024/05/01/slug/",
             "/?p=5", "/page/2/", "/a.jpg", "/international/page/3/", "/archives/99", "/feed/"]
    urls = [f"https://usbanglanews.com{p}" for p in paths]
    urls += ["https://usbanglanews.com/" + "".join(rng.choice("newscategory/0123456789-?p=&.") for _ in range(20))
             for _ in range(5000)]
    spider._article_urls = remember(spider._looks_like_article_url, 1000)  # past it on the way
    verdicts = {u: spider._looks_like_article_url(u) for u in urls}
    assert set(verdicts.values()) == {True, False} and len(verdicts) > 1000
    for url in urls + rng.sample(urls, len(urls)) + urls[:50] * 3:
        assert spider._is_article_url(url) is verdicts[url], url
    assert spider._article_urls.cache_info().currsize == 1000
