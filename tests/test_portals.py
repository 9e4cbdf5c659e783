"""Issue 16, portals as data: the registry, a crawl of several portals into one archive,
each portal's zone and politeness, the ``portal`` column, and the migration of an
archive of one portal (schema v2) that keeps working as before.

Real components: the sample portal served as three portals by one server on 127.0.0.1
(used as the crawl's HTTP proxy for their ``.test`` names), real ``scrapy crawl``
processes, real SQLite files, a real Datasette process.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from newsspider import portals
from newsspider.localcrawl import PROJECT_ROOT, crawl_command, crawl_env, run_crawl
from newsspider.sampleportal import SamplePortal, serve
from newsspider.sampleportal.server import serve_registry
from pipelines import schema
from tests.conftest import read_only, rows, start_datasette, stop_process

SAMPLE = str(portals.SAMPLE_FILE)
TABLES = ("articles", "runs", "failures", "crawl_state", "responses")


def crawl(server, archive, *, args=None, settings=None, timeout=300):
    return run_crawl(None, archive, args=args, proxy=server.address, timeout=timeout,
                     settings={"PORTALS_FILE": SAMPLE, **(settings or {})})


def said(result) -> str:
    return (result.stdout or b"").decode(errors="replace") + (result.stderr or b"").decode(errors="replace")


# --------------------------------------------------------------------------- the registry

def test_the_registry_describes_the_default_portal_and_others_in_their_zones():
    registry = portals.load()
    assert registry.default == "usbanglanews" and registry.kind == "real"
    us = registry.get("usbanglanews")
    assert (us.base_url, us.timezone, us.profile) == ("https://usbanglanews.com/", "America/New_York", "usbanglanews")
    others = [p for p in registry.portals.values() if p.name != "usbanglanews"]
    assert len(others) >= 2 and all(p.profile is None for p in others)  # the generic path
    assert "Asia/Dhaka" in {p.timezone for p in others}
    assert registry.for_url("https://www.usbanglanews.com") is us  # any spelling of the address
    assert [p.name for p in registry.select("prothomalo,usbanglanews,prothomalo")] == ["prothomalo", "usbanglanews"]
    assert registry.select("all") == list(registry.portals.values())
    assert us.settings()["PORTAL_TIMEZONE"] == "America/New_York"
    sample = portals.load(portals.SAMPLE_FILE)
    assert sample.kind == "sample" and len(sample.portals) >= 3
    assert len({p.timezone for p in sample.portals.values()}) >= 3


@pytest.mark.parametrize("entry, message", [
    ('base_url = "ftp://x.example/"\ntimezone = "Asia/Dhaka"', "is not a portal's address"),
    ('base_url = "https://user@x.example/"\ntimezone = "Asia/Dhaka"', "give the site's root"),
    ('base_url = "https://x.example/news/"\ntimezone = "Asia/Dhaka"', "give the site's root"),
    ('base_url = "https://x.example/"\ntimezone = "Asia/Dhakka"', "is not a time zone"),
    ('base_url = "https://x.example/"\ntimezone = "Asia/Dhaka"\nprofile = "nope"', "is no site profile"),
    ('base_url = "https://x.example/"\ntimezone = "Asia/Dhaka"\ndelay = -1', "delay = -1"),
    ('base_url = "https://x.example/"\ntimezone = "Asia/Dhaka"\nconcurrency = 0', "concurrency = 0"),
    ('base_url = "https://x.example/"\ntimezone = "Asia/Dhaka"\nrevisit = [[2, 1], [1, 1]]', "ages rising"),
    ('base_url = "https://x.example/"\ntimezone = "Asia/Dhaka"\ndelai = 1', "unknown key delai"),
    ('timezone = "Asia/Dhaka"', "base_url is missing"),
])
def test_a_mistake_in_the_registry_is_one_line_naming_the_portal_and_key(tmp_path, entry, message):
    path = tmp_path / "portals.toml"
    path.write_text(f"[portals.x]\n{entry}\n", encoding="utf-8")
    with pytest.raises(portals.RegistryError) as caught:
        portals.load(path)
    assert message in str(caught.value) and "[portals.x]" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_two_portals_cannot_share_a_host(tmp_path):
    path = tmp_path / "portals.toml"
    path.write_text('[portals.a]\nbase_url = "https://x.example/"\ntimezone = "UTC"\n'
                    '[portals.b]\nbase_url = "https://www.x.example/"\ntimezone = "UTC"\n', encoding="utf-8")
    with pytest.raises(portals.RegistryError, match="same host"):
        portals.load(path)


def test_an_unknown_portal_is_one_line_and_exit_2_before_any_request(tmp_path):
    with serve(SamplePortal(articles=3)) as server:
        result = crawl(server, tmp_path / "a.db", args={"portal": "nope"})
        assert result.returncode == 2
        assert "no portal named 'nope'" in said(result) and "usbanglanews, londonbangla" in said(result)
        both = crawl(server, tmp_path / "a.db", args={"portal": "all", "url": "http://usbanglanews.test/news/1001/"})
        assert both.returncode == 2 and "url, section and start_url are for one portal" in said(both)
        assert server.requests == []
    assert not (tmp_path / "a.db").exists()


# --------------------------------------------------------------------------- several portals

@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """The three sample portals on one server, crawled together (-a portal=all), twice."""
    tmp = tmp_path_factory.mktemp("portals")
    chosen = portals.load(portals.SAMPLE_FILE).select("all")
    with serve_registry(chosen, access_log=str(tmp / "access.log")) as server:
        archive = tmp / "archive.db"
        first = crawl(server, archive, args={"portal": "all"})
        assert first.returncode == 0, said(first)[-3000:]
        first_access = list(server.access)
        server.reset_requests()
        second = crawl(server, archive, args={"portal": "all"})
        assert second.returncode == 0, said(second)[-3000:]
        yield {"archive": archive, "server": server, "portals": chosen, "first": first_access,
               "second": list(server.access), "log": said(first)}


def test_a_crawl_of_several_portals_keeps_each_one_whole(three):
    archive = three["archive"]
    counts = {r["portal"]: r["n"] for r in rows(archive, "SELECT portal, count(*) AS n FROM articles GROUP BY 1")}
    for p in three["portals"]:
        site, base = three["server"].site(p.host)
        expected = {f"{base}/news/{i}/" for i in site.expected_ids()}
        stored = {r["url"] for r in rows(archive, "SELECT url FROM articles WHERE portal = ?", p.name)}
        assert stored == expected, p.name
    assert counts == {p.name: len(three["server"].site(p.host)[0].expected_ids()) for p in three["portals"]}
    for table in TABLES:  # every row says which portal it belongs to, and only its own URLs
        bad = rows(archive, f"SELECT portal, count(*) AS n FROM {table} WHERE portal IS NULL GROUP BY 1")
        assert bad == [], table
    for r in rows(archive, "SELECT r.portal, r.url, p.base_url FROM responses r JOIN portals p ON p.name = r.portal"):
        assert r["url"].startswith(r["base_url"]), r
    registered = rows(archive, "SELECT name, base_url, timezone, kind FROM portals ORDER BY name")
    assert registered == sorted(({"name": p.name, "base_url": p.base_url, "timezone": p.timezone, "kind": "sample"}
                                 for p in three["portals"]), key=lambda r: r["name"])


def test_each_portal_has_its_own_runs_and_a_second_crawl_fetches_no_article(three):
    runs = rows(three["archive"], "SELECT portal, status, articles_new, exit_status FROM runs ORDER BY id")
    names = [p.name for p in three["portals"]]
    assert sorted(r["portal"] for r in runs) == sorted(names * 2)
    assert all(r["status"] == "finished" and r["exit_status"] == 0 for r in runs)
    assert [r["articles_new"] for r in runs[3:]] == [0, 0, 0]
    assert not [a for a in three["second"] if a[3].startswith("/news/")]
    hosts = {a[1] for a in three["first"]}
    assert {p.host for p in three["portals"]} <= hosts


def test_each_portal_dates_are_read_in_its_own_zone(three):
    """All three serve the same WordPress theme (the usbanglanews profile's template);
    only usbanglanews is that portal: the others' offset-less dates are their own zone's."""
    for p in three["portals"]:
        site, base = three["server"].site(p.host)
        got = rows(three["archive"], "SELECT url, published, timezone, sources FROM articles WHERE portal = ?", p.name)
        visible = 0
        for r in got:
            spec = site.article(int(r["url"].rstrip("/").rsplit("/", 1)[1]))
            assert r["published"] == spec.published.isoformat(), (p.name, r["url"])
            sources = json.loads(r["sources"])
            if not sources["published"].startswith("jsonld"):
                visible += 1
                assert r["timezone"] == p.timezone
                assert sources["timezone"] == ("registry" if p.profile is None else "profile:usbanglanews/2025.1")
        assert visible >= 3, p.name  # pages whose only date is the visible, offset-less one


def test_datasette_facets_articles_by_portal(three):
    proc, url = start_datasette(three["archive"])
    try:
        data = json.load(urllib.request.urlopen(url + "/archive/articles.json?_size=0", timeout=30))
        facet = data["facet_results"]["portal"]
        got = {r["value"]: r["count"] for r in facet["results"]}
        assert got == {r["portal"]: r["n"] for r in rows(three["archive"],
                                                         "SELECT portal, count(*) AS n FROM articles GROUP BY 1")}
        home = urllib.request.urlopen(url + "/", timeout=30).read().decode()
        for p in three["portals"]:
            assert p.title in home
        one = rows(three["archive"], "SELECT id FROM articles WHERE portal = 'dhakadaily' LIMIT 1")[0]["id"]
        page = urllib.request.urlopen(f"{url}/archive/articles/{one}", timeout=30).read().decode()
        assert "Dhaka Daily (sample)" in page  # the citation names the article's own portal
    finally:
        stop_process(proc)


def test_each_portal_is_crawled_at_its_own_politeness(tmp_path):
    """The registry's delay and concurrency are the portal's crawler's settings: in the
    portal's own access log no two requests to the slow portal overlap or come closer
    than half its delay (Scrapy randomises a delay to 0.5-1.5x), while the other portal
    is fetched at once."""
    registry = tmp_path / "portals.toml"
    registry.write_text('kind = "sample"\n'
                        '[portals.slow]\nbase_url = "http://slow.test/"\ntimezone = "Asia/Dhaka"\n'
                        'delay = 0.4\nconcurrency = 1\narticles = 4\n'
                        '[portals.fast]\nbase_url = "http://fast.test/"\ntimezone = "Europe/London"\n'
                        'delay = 0\nconcurrency = 8\narticles = 4\n', encoding="utf-8")
    chosen = portals.load(registry).select("all")
    with serve_registry(chosen) as server:
        cmd = crawl_command(None, tmp_path / "a.db", args={"portal": "all"},
                            settings={"PORTALS_FILE": str(registry)})
        # the registry's politeness, not the local crawl's "no delay"
        for name in ("DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN"):
            i = cmd.index(next(c for c in cmd if c.startswith(name + "=")))
            del cmd[i - 1:i + 1]
        result = subprocess.run(cmd, cwd=PROJECT_ROOT, env=crawl_env(server.address), capture_output=True,
                                timeout=300)
        assert result.returncode == 0, said(result)[-3000:]
        times = {h: sorted(t for t, host, *_ in server.access if host == h) for h in ("slow.test", "fast.test")}
    slow, fast = times["slow.test"], times["fast.test"]
    assert len(slow) >= 10 and len(fast) >= 10
    gaps = [b - a for a, b in zip(slow, slow[1:])]
    assert min(gaps) >= 0.4 * 0.5 - 0.02, gaps
    assert fast[-1] - fast[0] < slow[-1] - slow[0]


# --------------------------------------------------------------------------- one archive, its kinds

def test_an_archive_never_mixes_the_sample_portal_and_real_portals(tmp_path, three):
    archive = tmp_path / "a.db"
    archive.write_bytes(Path(three["archive"]).read_bytes())
    with serve(SamplePortal(articles=3)) as server:
        real = run_crawl(None, archive, args={"portal": "prothomalo"}, proxy=server.address)
        assert real.returncode == 1 and "never mixed" in said(real)
        adhoc = run_crawl(server.base_url + "/", archive, settings={"PORTALS_FILE": SAMPLE})
        assert adhoc.returncode == 1 and "never mixed" in said(adhoc)
        assert server.requests == []
    # two real portals the registry does not name: the second is refused unless forced
    other = tmp_path / "b.db"
    with serve(SamplePortal(articles=3)) as one, serve(SamplePortal(articles=3)) as two:
        assert run_crawl(one.base_url + "/", other).returncode == 0
        refused = run_crawl(two.base_url + "/", other)
        assert refused.returncode == 1 and "add the portal to the registry" in said(refused)
        assert two.requests == []


# --------------------------------------------------------------------------- migration

def test_an_archive_of_one_portal_from_schema_v2_is_migrated_and_crawled_as_before(tmp_path):
    """tests/golden/archive-v2-demo12.sql.gz: `make demo --articles 12` made by the code
    before portals (schema 2, commit 57d2907), as an SQL dump. Restored, then crawled
    incrementally by this code: every row gets its portal, nothing is fetched again."""
    archive = tmp_path / "demo.db"
    con = sqlite3.connect(archive)
    con.executescript(gzip.decompress((PROJECT_ROOT / "tests/golden/archive-v2-demo12.sql.gz").read_bytes()).decode())
    con.execute("PRAGMA user_version = 2")
    con.commit()
    before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES + ("versions",)}
    hashes = con.execute("SELECT url, content_hash, versions FROM articles ORDER BY url").fetchall()
    con.close()
    with serve(SamplePortal(articles=12), public_url="http://usbanglanews.test/") as server:
        result = run_crawl(server.base_url + "/", archive, proxy=server.address)
        assert result.returncode == 0, said(result)[-3000:]
        assert not [p for p in server.requests if p.startswith("/news/")]
    con = read_only(archive, rows=False)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        for table in TABLES:
            assert con.execute(f"SELECT DISTINCT portal FROM {table}").fetchall() in ([("usbanglanews",)], []), table
        assert con.execute("SELECT count(*) FROM versions").fetchone()[0] == before["versions"]
        assert con.execute("SELECT url, content_hash, versions FROM articles ORDER BY url").fetchall() == hashes
        assert con.execute("SELECT name, base_url, kind FROM portals").fetchall() == [
            ("usbanglanews", "http://usbanglanews.test/", "sample")]
        runs = con.execute("SELECT portal, status, articles_new, articles_unchanged + not_modified FROM runs").fetchall()
        assert runs[0][0] == runs[1][0] == "usbanglanews" and runs[1][1:3] == ("finished", 0)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_reparse_of_several_portals_reads_each_in_its_zone_and_changes_nothing(three, tmp_path):
    archive = tmp_path / "a.db"
    archive.write_bytes(Path(three["archive"]).read_bytes())
    before = rows(archive, "SELECT url, published, timezone, sources, content_hash FROM articles ORDER BY url")
    result = subprocess.run([sys.executable, "-m", "scrapy", "reparse", "-s", f"ARCHIVE_PATH={archive}"],
                            cwd=PROJECT_ROOT, env=crawl_env(), capture_output=True, timeout=300)
    assert result.returncode == 0, said(result)[-2000:]
    assert b"0 articles changed" in result.stdout + result.stderr
    assert rows(archive, "SELECT url, published, timezone, sources, content_hash FROM articles ORDER BY url") == before
