"""Issue 15: the home page and each section's first page are kept as captures, with the
article links they showed in page order, and a canned query says what was on the front
page at a given time. Two real crawls of the sample portal on 127.0.0.1 (edition 0,
then edition 1, whose edited headlines show on the front pages)."""

from __future__ import annotations

import re
import sqlite3

import pytest
import yaml
from lxml import html as lxml_html

from newsspider.localcrawl import PROJECT_ROOT, run_crawl
from newsspider.sampleportal import SamplePortal, serve
from tests.conftest import read_only


def query(archive, sql, params=()):
    con = read_only(archive, rows=False)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def expected_placements(portal: SamplePortal, path: str, base: str) -> list[tuple[str, str]]:
    """(article URL, first non-empty link text) in page order, from the page as served."""
    _, _, body = portal.render(path, base)
    doc = lxml_html.fromstring(body)
    out: dict[str, str] = {}
    for a in doc.iter("a"):
        href = a.get("href") or ""
        url = href if href.startswith("http") else base.rstrip("/") + href
        if not re.search(r"/news/\d+/$", url) or not url.startswith(base.rstrip("/")):
            continue
        title = " ".join(a.text_content().split())
        if url not in out or (not out[url] and title):
            out[url] = out.get(url) or title
    return list(out.items())


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    archive = tmp_path_factory.mktemp("front") / "archive.db"  # Datasette serves it as /archive
    with serve(SamplePortal(articles=72)) as server:
        assert run_crawl(server.base_url, archive, timeout=300).returncode == 0
        server.portal = SamplePortal(articles=72, edition=1)
        assert run_crawl(server.base_url, archive, timeout=300).returncode == 0
        yield {"archive": archive, "base": server.base_url}


def canned(name: str) -> str:
    meta = yaml.safe_load((PROJECT_ROOT / "data" / "metadata.yml").read_text(encoding="utf-8"))
    return meta["databases"]["archive"]["queries"][name]["sql"]


def test_home_and_section_first_pages_are_captured_each_run(two_runs):
    archive, base = two_runs["archive"], two_runs["base"]
    portal = SamplePortal(articles=72)
    pages = query(archive, "SELECT page, count(*) FROM front_pages GROUP BY page")
    expected = {base + "/"} | {f"{base}/category/{slug}/" for slug, _ in portal.sections()}
    assert dict(pages) == {p: 2 for p in expected}, "one capture per run of each front page"
    assert not [p for p, _ in pages if "/page/" in p]


@pytest.mark.parametrize("edition", [0, 1])
def test_placements_are_the_article_links_in_page_order(two_runs, edition):
    archive, base = two_runs["archive"], two_runs["base"]
    portal = SamplePortal(articles=72, edition=edition)
    (_, at), *_ = query(archive, "SELECT fetch_id, fetched_at FROM front_pages WHERE page = ? "
                                 "ORDER BY fetched_at LIMIT 1 OFFSET ?", (base + "/", edition))
    sql = canned("front_page_at")
    rows = query(archive, sql, {"page": "", "at": at})
    assert rows and {r[0] for r in rows} == {at}
    got = [(r[5], r[2]) for r in rows]
    want = expected_placements(portal, "/", base + "/")
    assert [u for u, _ in got] == [u for u, _ in want]
    assert [t for _, t in got] == [" ".join(t.split()) for _, t in want]
    # an archived article's row is joined: its headline and id
    assert sum(1 for r in rows if r[4] is not None) >= len(rows) // 2


def test_front_page_at_a_time_picks_the_capture_then(two_runs):
    archive, base = two_runs["archive"], two_runs["base"]
    (first, second) = [t for (t,) in query(archive, "SELECT fetched_at FROM front_pages WHERE page = ? "
                                                   "ORDER BY fetched_at", (base + "/",))]
    sql = canned("front_page_at")
    assert {r[0] for r in query(archive, sql, {"page": "", "at": first.replace("T", " ")[:19]})} == {first}
    assert {r[0] for r in query(archive, sql, {"page": "", "at": ""})} == {second}
    assert query(archive, sql, {"page": "", "at": "2000-01-01"}) == []
    section = f"{base}/category/{SamplePortal(articles=72).sections()[0][0]}/"
    rows = query(archive, sql, {"page": section, "at": ""})
    want = expected_placements(SamplePortal(articles=72, edition=1), section[len(base):], base + "/")
    assert [r[5] for r in rows] == [u for u, _ in want]


def test_front_pages_are_in_the_warc_export(two_runs, tmp_path):
    import os
    import subprocess
    import sys

    from warcio.archiveiterator import ArchiveIterator

    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    out = subprocess.run([sys.executable, "-m", "scrapy", "export-warc", str(tmp_path / "w"), "-s",
                          f"ARCHIVE_PATH={two_runs['archive']}"], cwd=PROJECT_ROOT, env=env, capture_output=True)
    assert out.returncode == 0, out.stderr.decode()
    uris = []
    for f in out.stdout.decode().split():
        with open(f, "rb") as fh:
            uris += [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)
                     if r.rec_type in ("response", "revisit")]
    home = [t for t, u in uris if u == two_runs["base"] + "/"]
    assert len(home) == 2 and home[0] == "response"


# --------------------------------------------------------------------------- in the browser

from tests.test_browser import browser, open_page, visit  # noqa: E402,F401  (Chromium, loopback only)


def test_front_page_history_shows_in_the_browser(two_runs, visit):
    import unicodedata

    from tests.test_browse_security import start, stop

    archive, base = two_runs["archive"], two_runs["base"]
    proc, url = start(archive)
    try:
        page = open_page(visit, f"{url}/archive/front_pages", "front-pages")
        text = page.inner_text("body")
        assert base + "/" in text and "first_title" in text
        (first,) = query(archive, "SELECT min(fetched_at) FROM front_pages WHERE page = ?", (base + "/",))[0]
        at = first.replace("T", " ")[:19]  # to the second: both runs fall in one minute
        page = open_page(visit, f"{url}/archive/front_page_at?page=&at={at.replace(' ', '+')}", "front-page-at")
        text = unicodedata.normalize("NFC", page.inner_text("body"))
        rows = query(archive, canned("front_page_at"), {"page": "", "at": at})
        assert rows and rows[0][2] and unicodedata.normalize("NFC", rows[0][2]) in text
        assert first in text
    finally:
        stop(proc)


def test_section_front_pages_have_their_own_conditional_requests(tmp_path):
    """Unchanged, a section's first page answers 304 to the next run: recorded as a fetch
    (and a server-not-modified revisit in the WARC export), no failure, no re-download;
    the home page, where discovery starts, is always fetched whole."""
    archive = tmp_path / "archive.db"
    portal = SamplePortal(articles=72)
    with serve(portal) as server:
        assert run_crawl(server.base_url, archive, timeout=300).returncode == 0
        server.reset_requests()
        second = run_crawl(server.base_url, archive, timeout=300)
        log = list(server.log)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    sections = {f"/category/{slug}/" for slug, _ in portal.sections()}
    statuses = {path: status for _, path, status in log if path in sections | {"/"}}
    assert statuses == {**{p: 304 for p in sections}, "/": 200}, statuses
    assert query(archive, "SELECT count(*) FROM failures WHERE url LIKE '%/category/%'") == [(0,)]
    fetched = query(archive, "SELECT url, status FROM fetches WHERE url LIKE '%/category/%' AND status = 304")
    assert {u.split(server.base_url)[1] for u, _ in fetched} == sections
    # the front-page history holds the run: the capture it showed (unchanged) at that time
    pages = dict(query(archive, "SELECT page, count(*) FROM front_pages GROUP BY page"))
    assert all(pages[server.base_url + p] == 2 for p in sections), pages
    runs = query(archive, "SELECT not_modified FROM runs ORDER BY id")
    assert runs[-1] == (0,), "front pages are not counted as articles not modified"
