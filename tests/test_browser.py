"""The archive in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, against the real ``datasette`` process of ``test_browse`` (two crawls of the
sample portal). Each page must render without console errors and without any request
leaving 127.0.0.1; a screenshot of each is saved in tests/artifacts/ for people to look at.

Without chromium (or playwright) these tests skip, except under CI=true where they fail:
``make test`` installs chromium (see the README).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.parse

import pytest

from tests.conftest import ARTIFACTS, read_only
from tests.test_browse import edited  # noqa: F401  (the shared session fixture: built once)

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--mute-audio"]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: `make test` must install it)")
    pytest.skip(reason)


_BROWSER: dict = {}  # one Chromium for the session, shared by every module importing this fixture


@pytest.fixture(scope="session")
def browser(request):
    if "context" in _BROWSER:
        return _BROWSER["context"]
    if not CHROMIUM:
        _unavailable("chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    profile = tempfile.mkdtemp(prefix="newsspider-chromium-")
    p = sync_playwright().start()
    # A persistent context is how a fresh --user-data-dir is given to Chromium.
    context = p.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900}, locale="bn-BD")

    def close():
        context.close()
        p.stop()
        shutil.rmtree(profile, ignore_errors=True)
    request.config.add_cleanup(close)
    _BROWSER["context"] = context
    return context


class Visit:
    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))


@pytest.fixture()
def visit(browser):
    page = browser.new_page()
    v = Visit(page)

    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname
        if host in ("127.0.0.1", None) or r.request.url.startswith(("data:", "about:")):
            return r.continue_()
        v.outside.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    yield v
    page.close()


def open_page(v: Visit, url: str, shot: str, full_page: bool = True):
    response = v.page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / f"browser-{shot}.png"), full_page=full_page)
    assert not v.errors, v.errors
    assert not v.outside, f"requests left 127.0.0.1: {v.outside}"
    return v.page


def adb(edited):
    return read_only(edited["archive"], rows=False)


def test_home_page(visit, edited):
    page = open_page(visit, edited["url"] + "/", "home")
    summary = page.locator("section.archive-summary")
    assert summary.is_visible()
    n = adb(edited).execute("SELECT count(*) FROM articles").fetchone()[0]
    assert str(n) in summary.inner_text()
    assert "usbanglanews.com" in summary.inner_text()
    assert page.locator(".last-run.health-ok").is_visible()


def test_search_for_a_bangla_word(visit, edited):
    word = "বাংলাদেশ"
    page = open_page(visit, edited["url"] + "/archive/articles?_search=" + urllib.parse.quote(word), "search",
                     full_page=False)
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() > 0
    # (issue 13) the body cell shows the words around the match, marked, not the body's start
    assert page.locator("td.col-body mark").count() >= rows.count() // 2
    assert page.locator("td.col-body .article-body").count() == 0
    assert page.locator(".ranked-search a").is_visible()
    page.locator(".ranked-search a").click()
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / "browser-search-ranked.png"))
    assert page.locator("td.col-excerpt mark").count() > 0
    assert not visit.errors, visit.errors


def test_article_row_with_related_articles(visit, edited):
    con = adb(edited)
    aid = con.execute("SELECT a.id FROM articles a WHERE a.versions > 1 AND EXISTS (SELECT 1 FROM credits c "
                      "WHERE c.article_id = a.id) ORDER BY a.id LIMIT 1").fetchone()
    aid = aid[0] if aid else con.execute("SELECT article_id FROM related LIMIT 1").fetchone()[0]
    page = open_page(visit, f"{edited['url']}/archive/articles/{aid}", "article")
    related = page.locator("ol.related li a")
    assert related.count() >= 3
    assert page.locator(".reader .article-body p").count() >= 2
    first = related.first
    title = first.inner_text()
    first.click()
    page.wait_for_load_state("load")
    assert title in page.locator(".reader h1.headline").inner_text()
    assert not visit.errors, visit.errors


def test_chart_pages(visit, edited):
    page = open_page(visit, edited["url"] + "/archive/articles_per_day", "chart-articles-per-day")
    chart = page.locator("svg.newsspider-chart")
    assert chart.is_visible() and chart.bounding_box()["height"] > 150
    assert page.locator("svg.newsspider-chart rect.bar").count() >= 5
    page = open_page(visit, edited["url"] + "/archive/agency_share", "chart-agency-share")
    assert page.locator("svg.newsspider-chart text.legend").count() >= 3


def test_edits_with_diff(visit, edited):
    con = adb(edited)
    if not con.execute("SELECT count(*) FROM versions WHERE version > 1").fetchone()[0]:
        pytest.xfail("the crawl stored no second versions (versions are the lead's issue 4)")
    page = open_page(visit, edited["url"] + "/archive/changed_articles", "edits", full_page=False)
    assert page.locator(".diff-add").count() >= 4
    assert page.locator(".diff ins").count() >= 1


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory):
    """An archive holding an article whose headline and body carry script, markup and SQL."""
    import subprocess
    import time
    import urllib.request

    from newsspider.browse import datasette_command
    from newsspider.localcrawl import PROJECT_ROOT, run_crawl
    from newsspider.sampleportal import SamplePortal
    from tests.conftest import free_port
    from tests.faultportal import Fault, FaultPortal

    archive = tmp_path_factory.mktemp("hostile") / "archive.db"
    portal = SamplePortal(articles=72)
    path = f"/news/{portal.expected_ids()[0]}/"
    with FaultPortal(portal, {path: Fault("hostile")}) as server:
        result = run_crawl(server.base_url, archive, args={"url": server.base_url + path}, timeout=120)
        assert result.returncode == 0, result.stderr.decode()[-2000:]
    port = free_port()
    proc = subprocess.Popen(datasette_command(archive, "127.0.0.1", port), cwd=PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/-/versions.json", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    yield {"archive": archive, "url": url}
    proc.terminate()
    proc.wait(10)


def test_page_content_never_runs_as_script(visit, hostile_archive):
    """Issue 6: a headline `<script>alert('xss')</script>` and a body `<img onerror=...>`
    are shown as text on the article page and in the table, and nothing runs."""
    from tests.faultportal import HOSTILE_HEADLINE

    con = read_only(hostile_archive["archive"], rows=False)
    aid, headline = con.execute("SELECT id, headline FROM articles").fetchone()
    response_id = con.execute("SELECT id FROM responses").fetchone()[0]
    con.close()
    assert headline == HOSTILE_HEADLINE
    dialogs: list[str] = []
    visit.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for url, shot in ((f"{hostile_archive['url']}/archive/articles/{aid}", "hostile-article"),
                      (f"{hostile_archive['url']}/archive/articles", "hostile-table")):
        page = open_page(visit, url, shot, full_page=False)
        assert dialogs == [], f"{shot}: a script ran: {dialogs}"
        assert page.evaluate("document.title") != "pwned"
        assert page.evaluate("window.__xss === undefined")
        # the markup is shown as text, not turned into elements
        assert page.locator("img[src='x']").count() == 0
        assert page.evaluate("[...document.scripts].every(s => !s.textContent.includes(\"alert('xss')\"))")
        assert "<script>alert('xss')</script>" in page.locator("body").inner_text()
    # The stored page itself is served as plain text under a CSP that forbids everything
    # (a browser would lay out its 1 MB line for minutes, so this is checked over HTTP).
    import urllib.request

    with urllib.request.urlopen(f"{hostile_archive['url']}/archive/-/response/{response_id}", timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/plain")
        assert r.headers["Content-Security-Policy"] == "default-src 'none'"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert b"&lt;script&gt;alert('xss')" in r.read()
