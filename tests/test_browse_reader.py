"""Issue 12: an article page a researcher reads, cites and links to.

Over HTTP (a real ``datasette`` on 127.0.0.1): version pages at stable URLs answering as
Mementos, the TimeMap and the TimeGate of RFC 7089 (original URLs folded as the crawler
folds them), on an archive built here with known capture times. In headless Chromium, on
the archive of two real crawls of the sample portal (``test_browse.edited``): the article
page as its reader saw it, first screen and no horizontal scroll at 1280×800 and 390×844,
Latin digits in a Latin font, the capture page in a sandboxed frame with nothing requested
anywhere but the archive, the version page's side-by-side diff and "cite this" block.
Screenshots: tests/artifacts/reader-*.png.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import urllib.parse

import pytest

from tests.conftest import ARTIFACTS, read_only
from tests.test_browse import edited  # noqa: F401  (session fixture: two real crawls + datasette)
from tests.test_browse_security import PORTAL, build_archive, fetch, start, stop
from tests.test_browser import browser  # noqa: F401  (Chromium, launched once)

VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}
V1, V2 = "Thu, 01 May 2025 10:01:00 GMT", "Fri, 02 May 2025 10:01:00 GMT"  # build_archive's versions


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    archive = tmp_path_factory.mktemp("memento") / "archive.db"
    build_archive(archive, responses=1)
    proc, url = start(archive)
    yield {"url": url, "host": urllib.parse.urlsplit(url).netloc}
    stop(proc)


def request(known, path: str, **headers):
    con = http.client.HTTPConnection(known["host"], timeout=15)
    con.request("GET", path, headers=headers)
    r = con.getresponse()
    body = r.read()
    con.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def link_entries(text: str) -> list[dict]:
    out = []
    for m in re.finditer(r'<([^>]*)>((?:\s*;\s*[a-z]+="[^"]*")*)', text):
        attrs = dict(re.findall(r'([a-z]+)="([^"]*)"', m.group(2)))
        out.append({"href": m.group(1), **attrs})
    return out


# --------------------------------------------------------------------------- Memento over HTTP
def test_version_pages_are_mementos(known):
    for n, when in ((1, V1), (2, V2)):
        status, headers, body = request(known, f"/archive/articles/1/v{n}")
        assert status == 200
        assert headers["memento-datetime"] == when
        links = {e["rel"]: e["href"] for e in link_entries(headers["link"])}
        assert links["original"] == PORTAL + "/news/1/"
        assert links["timegate"] == f"{known['url']}/-/timegate/{PORTAL}/news/1/"
        assert links["timemap"] == f"{known['url']}/-/timemap/link/{PORTAL}/news/1/"
        html = body.decode()
        assert f"<title>ঢাকায় বৃষ্টি (version {n}," in html
    assert request(known, "/archive/articles/1/v3")[0] == 404


def test_timemap_lists_every_version(known):
    status, headers, body = request(known, f"/-/timemap/link/{PORTAL}/news/1/")
    assert status == 200 and headers["content-type"].startswith("application/link-format")
    entries = link_entries(body.decode())
    assert {"rel": "original", "href": PORTAL + "/news/1/"}.items() <= entries[0].items()
    mementos = [e for e in entries if "memento" in e["rel"].split()]
    assert [(e["href"], e["datetime"]) for e in mementos] == [
        (f"{known['url']}/archive/articles/1/v1", V1), (f"{known['url']}/archive/articles/1/v2", V2)]
    assert any(e["rel"] == "timegate" for e in entries) and any(e["rel"] == "self" for e in entries)
    assert request(known, "/-/timemap/link/http://127.0.0.1:9/news/nothing/")[0] == 404


@pytest.mark.parametrize("original", [
    f"{PORTAL}/news/1/", f"{PORTAL}/news/1", "https://127.0.0.1:9/news/1/",
    "http://www.127.0.0.1:9/news/1/?utm_source=feed&fbclid=x", f"{PORTAL}/news/1/#top"])
def test_timegate_folds_the_original_url(known, original):
    path = "/-/timegate/" + original.split("#")[0]
    status, headers, _ = request(known, path, **{"Accept-Datetime": "Thu, 01 May 2025 18:00:00 GMT"})
    assert status == 302, original
    assert headers["location"] == f"{known['url']}/archive/articles/1/v1"
    assert "accept-datetime" in headers["vary"].lower()
    rels = {e["rel"]: e for e in link_entries(headers["link"])}
    assert rels["original"]["href"] == PORTAL + "/news/1/" and rels["memento"]["datetime"] == V1


@pytest.mark.parametrize("accept,version", [
    (None, 2),                                      # no header: the latest
    ("Thu, 01 May 2025 18:00:00 GMT", 1),           # between the two: the earlier one
    ("Fri, 02 May 2025 10:01:00 GMT", 2),           # exactly the second
    ("Sat, 01 Jan 2000 00:00:00 GMT", 1),           # before any: the first
    ("Mon, 01 Jan 2035 00:00:00 GMT", 2),
])
def test_timegate_picks_the_version_at_or_before(known, accept, version):
    headers = {"Accept-Datetime": accept} if accept else {}
    status, h, _ = request(known, f"/-/timegate/{PORTAL}/news/1/", **headers)
    assert status == 302 and h["location"].endswith(f"/archive/articles/1/v{version}")


def test_timegate_refuses_a_bad_date_and_an_unknown_url(known):
    assert request(known, f"/-/timegate/{PORTAL}/news/1/", **{"Accept-Datetime": "yesterday"})[0] == 400
    assert request(known, "/-/timegate/http://127.0.0.1:9/news/404/")[0] == 404


def test_cite_block_on_article_and_version_pages(known):
    for path, permalink in (("/archive/articles/1", "/archive/articles/1/v2"),
                            ("/archive/articles/1/v1", "/archive/articles/1/v1")):
        _, _, body = fetch(known["url"] + path)
        html = body.decode()
        block = html[html.index('class="cite"'):]
        assert "ঢাকায় বৃষ্টি" in block and PORTAL + "/news/1/" in block
        assert known["url"] + permalink in block
        assert "@online{usbanglanews-1-v" in block
        csl = json.loads(re.search(r'<pre class="cite-csl">(.*?)</pre>', block, re.S).group(1)
                         .replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))
        assert csl[0]["title"] == "ঢাকায় বৃষ্টি" and csl[0]["archive_location"] == known["url"] + permalink
        assert csl[0]["issued"] == {"date-parts": [[2025, 5, 1]]}


# --------------------------------------------------------------------------- in Chromium
def _edited_article(edited) -> tuple[int, str]:
    con = read_only(edited["archive"], rows=False)
    row = con.execute(
        "SELECT a.id, a.headline FROM articles a WHERE a.versions > 1 AND a.tags != '[]' AND a.images != '[]' "
        "AND EXISTS (SELECT 1 FROM credits c WHERE c.article_id = a.id) ORDER BY a.id LIMIT 1").fetchone() or \
        con.execute("SELECT id, headline FROM articles WHERE versions > 1 ORDER BY id LIMIT 1").fetchone()
    con.close()
    return row


@pytest.fixture()
def page(browser, edited):  # noqa: F811
    p = browser.new_page()
    p.requests_seen = []
    p.errors = []
    p.on("request", lambda r: p.requests_seen.append(r.url))
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    # nothing may leave the archive: the portal (also on 127.0.0.1 here) is refused too
    p.route("**/*", lambda r: r.continue_() if r.request.url.startswith((edited["url"], "data:", "about:"))
            else r.abort())
    yield p
    p.close()


def outside(page, edited) -> list[str]:
    return [u for u in page.requests_seen if not u.startswith((edited["url"], "data:", "about:"))]


def boxes(page) -> dict:
    return page.evaluate("""() => {
      const box = s => { const e = document.querySelector(s); if (!e) return null;
        const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
      return {headline: box('.reader h1.headline'), first: box('.reader .article-body p'),
              scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
              height: window.innerHeight, title: document.title};
    }""")


def fonts_of(page, selector: str) -> list[str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [f["familyName"] for f in fonts]


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_article_page_opens_with_the_article(page, edited, size):
    aid, headline = _edited_article(edited)
    page.set_viewport_size(VIEWPORTS[size])
    response = page.goto(f"{edited['url']}/archive/articles/{aid}", wait_until="load")
    assert response.ok
    b = boxes(page)
    assert b["title"].startswith(headline)
    assert page.locator(".reader h1.headline").inner_text() == headline
    # the headline and the start of the body on the first screen, no horizontal scroll
    assert b["headline"]["bottom"] <= b["height"], b
    assert b["first"]["top"] < b["height"] - 24, b
    assert b["scroll"] <= b["width"], b
    reader = page.locator(".reader").inner_text()
    con = read_only(edited["archive"])
    art = con.execute("SELECT * FROM articles WHERE id = ?", [aid]).fetchone()
    agencies = [r[0] for r in con.execute("SELECT agency FROM credits WHERE article_id = ? ORDER BY position", [aid])]
    con.close()
    for value in [art["byline"], art["section"], *json.loads(art["tags"]), *agencies]:
        assert value in reader, value
    for image in json.loads(art["images"]):
        assert image["caption"] in reader and image["url"] in reader
    assert page.locator(".reader img").count() == 0
    local = art["published"][:16].replace("T", " ")
    assert local in reader and "UTC" in reader
    # related, backlinks, versions, captures follow; the technical columns are folded
    order = [page.locator(s).first.bounding_box()["y"] for s in
             (".reader .article-body", "ol.related", ".versions-timeline", "ul.responses", "details.technical")]
    assert order == sorted(order)
    assert not page.locator("details.technical").evaluate("d => d.open")
    assert not outside(page, edited), outside(page, edited)
    assert not page.errors, page.errors
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reader-article-{size}.png"))
    page.screenshot(path=str(ARTIFACTS / f"reader-article-{size}-full.png"), full_page=True)


def test_latin_digits_in_a_latin_font_bangla_in_a_bangla_font(page, edited):
    aid, _ = _edited_article(edited)
    page.goto(f"{edited['url']}/archive/articles/{aid}", wait_until="load")
    digits = fonts_of(page, ".reader .dateline time .latin")
    bangla = fonts_of(page, ".reader h1.headline")
    assert digits and not any(re.search(r"bengali|bangla|lohit", f, re.I) for f in digits), digits
    assert any(re.search(r"bengali|bangla|lohit", f, re.I) for f in bangla), bangla


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_capture_page_renders_the_page_sandboxed_and_loads_nothing_else(page, edited, size):
    aid, headline = _edited_article(edited)
    con = read_only(edited["archive"], rows=False)
    (rid,) = con.execute("SELECT max(response_id) FROM versions WHERE article_id = ?", [aid]).fetchone()
    con.close()
    page.set_viewport_size(VIEWPORTS[size])
    response = page.goto(f"{edited['url']}/archive/responses/{rid}", wait_until="load")
    assert response.ok
    frame_el = page.locator("iframe.capture-frame")
    assert frame_el.get_attribute("sandbox") == ""
    frame_el.scroll_into_view_if_needed()
    frame = page.frame_locator("iframe.capture-frame")
    frame.locator("h1").first.wait_for(timeout=10000)
    assert headline in frame.locator("body").inner_text()
    page.wait_for_timeout(500)
    assert not outside(page, edited), f"requested outside the archive: {outside(page, edited)}"
    assert any(u.endswith(f"/archive/-/capture/{rid}") for u in page.requests_seen)
    # following a link of the captured page requests nothing either (the sandbox refuses it)
    link = frame.locator("a[href^='http']").first
    href = link.get_attribute("href")
    assert href and not href.startswith(edited["url"])
    pages_before = len(page.context.pages)
    link.click()
    page.wait_for_timeout(700)
    assert not outside(page, edited), f"a click requested outside the archive: {outside(page, edited)}"
    assert page.url == f"{edited['url']}/archive/responses/{rid}" and len(page.context.pages) == pages_before
    b = boxes(page)
    assert b["scroll"] <= b["width"], b
    _, headers, _ = fetch(f"{edited['url']}/archive/-/capture/{rid}")
    assert "default-src 'none'" in headers["Content-Security-Policy"] and "sandbox" in headers["Content-Security-Policy"]
    page.screenshot(path=str(ARTIFACTS / f"reader-capture-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_version_page_side_by_side_diff_and_citation(page, edited, size):
    aid, headline = _edited_article(edited)
    page.set_viewport_size(VIEWPORTS[size])
    response = page.goto(f"{edited['url']}/archive/articles/{aid}/v2", wait_until="load")
    assert response.ok and response.headers["memento-datetime"]
    assert page.locator("table.diff-side tr.change, table.diff-side tr.insert, table.diff-side tr.delete").count() >= 1
    assert page.locator("table.diff-side ins, table.diff-side del").count() >= 1
    cite = page.locator(".cite-text").inner_text()
    assert f"{edited['url']}/archive/articles/{aid}/v2" in cite
    b = boxes(page)
    assert b["scroll"] <= b["width"], b
    assert b["headline"]["bottom"] <= b["height"], b
    assert not outside(page, edited) and not page.errors, (outside(page, edited), page.errors)
    page.screenshot(path=str(ARTIFACTS / f"reader-version-{size}.png"), full_page=True)


def test_latin_words_and_digits_of_the_body_in_a_latin_font(browser, known):  # noqa: F811
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(known["url"]) else r.abort())
    try:
        page.goto(known["url"] + "/archive/articles/1", wait_until="load")
        assert page.locator(".reader .article-body .latin").first.inner_text() == "COVID-19, 2025"
        latin = fonts_of(page, ".reader .article-body .latin")
        bangla = fonts_of(page, ".reader .article-body p")
        assert latin and not any(re.search(r"bengali|bangla|lohit", f, re.I) for f in latin), latin
        assert any(re.search(r"bengali|bangla|lohit", f, re.I) for f in bangla), bangla
    finally:
        page.close()
