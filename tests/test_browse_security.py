"""Issue 10, the browsing side: what a hostile archive row can do to a reader of Datasette.

A small archive is built here (``pipelines.schema`` + sqlite3) whose related links, images,
tags and even an article URL hold ``javascript:``, ``data:`` and ``vbscript:`` URLs in the
spellings browsers accept, plus a few thousand stored responses; a real ``datasette`` process
(``newsspider.browse.datasette_command``) serves it on 127.0.0.1 and the tests read it over
HTTP and in headless Chromium (the launcher of ``test_browser``).

- only http(s) links are ever clickable (``text.safe_href`` on every render path);
- every page carries a Content-Security-Policy that stops injected inline script;
- the ``responses`` bodies are never served in bulk (table, JSON, CSV, arbitrary SQL), only
  one at a time through ``/<db>/-/response/<id>``; the process's RSS is measured;
- ``fts3_tokenizer()`` (which leaks a memory address) is not callable through SQL.
"""

from __future__ import annotations

import html.parser
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import time
import zlib
from pathlib import Path

import pytest
import yaml

from tests.conftest import ARTIFACTS, start_datasette, stop_process
from newsspider.browse import METADATA
from newsspider.datasette_plugins import text
from pipelines import schema

PORTAL = "http://127.0.0.1:9"
HOSTILE_URLS = [
    "JavaScript:alert(1)",
    " javascript:alert(2)",
    "java\tscript:alert(3)",
    "jAvAsCrIpT:alert(4)",
    "data:text/html,<script>alert(5)</script>",
    "vbscript:msgbox(6)",
    "\njavascript:alert(7)",
    "javascript://%0aalert(8)",
    "http:alert(9)",
]
EVIL_ARTICLE_URL = "javascript:alert('canonical')"
SAFE_RELATED = PORTAL + "/news/not-archived/"
RESPONSES = 3000
BODY_BYTES = 40_000


# --------------------------------------------------------------------------- the archive
def build_archive(path: Path, responses: int = RESPONSES) -> dict:
    db = schema.connect(path)
    schema.ensure_schema(db)
    con = db.conn
    con.execute("BEGIN")
    con.execute("INSERT INTO runs (id, started, finished, spider, status, exit_status, pages_fetched) "
                "VALUES (1, '2025-05-01T10:00:00+00:00', '2025-05-01T10:05:00+00:00', 'portal', "
                "'finished', 0, 3)")
    page = ("<html><head><title>ঢাকায় বৃষ্টি</title></head><body><h1>ঢাকায় বৃষ্টি</h1>"
            "<p>প্রথম অনুচ্ছেদ।</p><a href=\"javascript:alert('in-page')\">x</a></body></html>").encode()
    con.execute("INSERT INTO responses (id, url, final_url, status, fetched_at, headers, content_type, body, "
                "compression, raw_size, stored_size, sha256, run_id) VALUES (1, ?, ?, 200, "
                "'2025-05-01T10:01:00+00:00', '{}', 'text/html; charset=utf-8', ?, 'zlib', ?, ?, 'x', 1)",
                [PORTAL + "/news/1/", PORTAL + "/news/1/", zlib.compress(page), len(page), len(page)])
    blob = zlib.compress(os.urandom(BODY_BYTES), 0)  # incompressible: every row costs its size
    con.executemany(
        "INSERT INTO responses (id, url, final_url, status, fetched_at, headers, content_type, body, "
        "compression, raw_size, stored_size, sha256, run_id) VALUES (?, ?, ?, 200, "
        "'2025-05-01T10:02:00+00:00', '{}', 'application/octet-stream', ?, 'zlib', ?, ?, 'y', 1)",
        [(i, f"{PORTAL}/filler/{i}/", f"{PORTAL}/filler/{i}/", blob, BODY_BYTES, len(blob))
         for i in range(2, responses + 2)])
    images = json.dumps([{"url": u, "caption": f"ছবি {n}"} for n, u in enumerate(HOSTILE_URLS)]
                        + [{"url": PORTAL + "/img/ok.jpg", "caption": "ঠিক ছবি"}], ensure_ascii=False)
    tags = json.dumps(["বৃষ্টি", "javascript:alert('tag')"], ensure_ascii=False)
    body = "প্রথম অনুচ্ছেদ।\n\nদ্বিতীয় অনুচ্ছেদ: COVID-19, 2025 সালে।\n\nতৃতীয় অনুচ্ছেদ।"
    for aid, url, headline in ((1, PORTAL + "/news/1/", "ঢাকায় বৃষ্টি"),
                               (2, EVIL_ARTICLE_URL, "দ্বিতীয় খবর")):
        con.execute("INSERT INTO articles (id, url, published, updated, section, byline, versions, first_seen, "
                    "last_seen, last_run, parser, content_hash, flags, tags, sources, images, headline, body) "
                    "VALUES (?, ?, '2025-05-01T08:00:00-04:00', NULL, 'জাতীয়', 'নিজস্ব প্রতিবেদক', 2, "
                    "'2025-05-01T10:01:00+00:00', '2025-05-02T10:01:00+00:00', 1, 'test', 'h', '[]', ?, '{}', "
                    "?, ?, ?)", [aid, url, tags, images, headline, body])
        for version in (1, 2):
            con.execute("INSERT INTO versions (article_id, version, fetched_at, headline, body, byline, "
                        "published, section, credits, content_hash, changed, diff, response_id, parser, run_id) "
                        "VALUES (?, ?, ?, ?, ?, 'নিজস্ব প্রতিবেদক', '2025-05-01T08:00:00-04:00', 'জাতীয়', "
                        "'[]', ?, ?, ?, 1, 'test', 1)",
                        [aid, version, f"2025-05-0{version}T10:01:00+00:00", headline, body, f"h{version}",
                         '["body"]' if version > 1 else "[]", "-a\n+b" if version > 1 else None])
    related = HOSTILE_URLS + [EVIL_ARTICLE_URL, SAFE_RELATED, PORTAL + "/news/1/"]
    con.executemany("INSERT INTO related (article_id, position, url, title) VALUES (1, ?, ?, ?)",
                    [(n, u, f"সম্পর্কিত {n}") for n, u in enumerate(related)])
    con.execute("COMMIT")
    con.close()
    return {"related": related}


start, stop = start_datasette, stop_process  # the shared datasette of tests/conftest.py


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    archive = tmp_path_factory.mktemp("hostile-links") / "archive.db"
    info = build_archive(archive)
    proc, url = start(archive)
    yield {"archive": archive, "url": url, "proc": proc, **info}
    stop(proc)


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """The same kind of archive served with metadata whose HTML carries inline script:
    what an escaping bug anywhere would put in a page. The CSP must stop it."""
    tmp = tmp_path_factory.mktemp("injected")
    archive = tmp / "archive.db"
    build_archive(archive, responses=1)
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    meta["description_html"] += (
        "<script>window.__injected = 1; alert('inline')</script>"
        "<img id=\"inj\" src=\"/-/static/app.css?x\" onerror=\"window.__onerror = 1\" onload=\"window.__onload = 1\">"
        "<a id=\"jslink\" href=\"javascript:window.__jslink = 1; alert('jslink')\">click</a>")
    path = tmp / "metadata.yml"
    path.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    proc, url = start(archive, path)
    yield {"url": url}
    stop(proc)


def fetch(url: str, **headers):
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.headers, r.read()


def fetch_error(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def sql_json(base: str, sql: str):
    qs = urllib.parse.urlencode({"sql": sql, "_shape": "objects"})
    status, body = fetch_error(f"{base}/archive.json?{qs}")
    return status, json.loads(body)


class Hrefs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction", "xlink:href") and value is not None:
                self.hrefs.append((tag, value))


def browser_scheme(base: str, href: str) -> str:
    """The scheme a browser sees: leading/trailing C0 and space stripped, tab/LF/CR removed."""
    cleaned = href.strip("".join(chr(c) for c in range(0x21))).replace("\t", "").replace("\n", "").replace("\r", "")
    return urllib.parse.urlsplit(urllib.parse.urljoin(base, cleaned)).scheme.lower()


# --------------------------------------------------------------------------- safe_href
@pytest.mark.parametrize("url", HOSTILE_URLS + [EVIL_ARTICLE_URL, "", None, "//evil.example/x", "/local",
                                                "https://", "ftp://127.0.0.1/x", "mailto:a@b.c",
                                                "http:\\\\evil.example", "\x00javascript:alert(1)"])
def test_safe_href_refuses_everything_but_http_with_a_host(url):
    assert text.safe_href(url) is None


@pytest.mark.parametrize("url,expected", [
    ("http://127.0.0.1:9/news/1/", "http://127.0.0.1:9/news/1/"),
    (" HTTPS://usbanglanews.com/news/1/ ", "HTTPS://usbanglanews.com/news/1/"),
    ("https://usbang\tlanews.com/a?b=1#c", "https://usbanglanews.com/a?b=1#c"),
])
def test_safe_href_keeps_http_urls(url, expected):
    assert text.safe_href(url) == expected


def test_external_link_shows_unsafe_urls_as_text():
    assert str(text.external_link("javascript:alert(1)", "<b>x</b>")) == (
        '<span class="unsafe-url">&lt;b&gt;x&lt;/b&gt;</span>')
    assert str(text.external_link("http://127.0.0.1/a?b=1&c=2")) == (
        '<a href="http://127.0.0.1/a?b=1&amp;c=2" rel="noreferrer noopener">http://127.0.0.1/a?b=1&amp;c=2</a>')


# --------------------------------------------------------------------------- 1. links
def _pages(base: str) -> list[str]:
    return [f"{base}/archive/articles/1", f"{base}/archive/articles/2", f"{base}/archive/related",
            f"{base}/archive/related?_size=100", f"{base}/archive/articles?_col=images&_col=tags&_col=url",
            f"{base}/archive/most_linked", f"{base}/archive/changed_articles", f"{base}/archive/responses",
            f"{base}/archive/responses/1", f"{base}/"]


def test_no_page_links_anything_but_http(hostile):
    for page in _pages(hostile["url"]):
        status, _, body = fetch(page)
        parser = Hrefs()
        parser.feed(body.decode("utf-8"))
        bad = [(tag, h) for tag, h in parser.hrefs if browser_scheme(page, h) not in ("http", "https")]
        assert not bad, f"{page}: non-http(s) links {bad}"
    # the hostile URLs are still there to read, as text
    _, _, body = fetch(f"{hostile['url']}/archive/articles/1")
    assert "JavaScript:alert(1)" in body.decode() and "vbscript:msgbox(6)" in body.decode()


def test_atom_feed_links_only_http(hostile):
    import xml.etree.ElementTree as ET

    _, _, body = fetch(f"{hostile['url']}/archive/edits_feed.atom")
    feed = ET.fromstring(body)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 2
    for e in entries:
        for link in e.findall("a:link", ns):
            assert browser_scheme("http://x/", link.get("href")) in ("http", "https"), link.get("href")
        content = e.find("a:content", ns).text or ""
        parser = Hrefs()
        parser.feed(content)
        assert all(browser_scheme("http://x/", h) in ("http", "https") for _, h in parser.hrefs), parser.hrefs


# --------------------------------------------------------------------------- 2. CSP
def test_every_page_has_a_content_security_policy(hostile):
    for page in _pages(hostile["url"]) + [f"{hostile['url']}/archive", f"{hostile['url']}/archive.json",
                                          f"{hostile['url']}/archive?sql=select+1",
                                          f"{hostile['url']}/archive/edits_feed.atom"]:
        _, headers, _ = fetch(page)
        csp = headers["Content-Security-Policy"]
        assert csp, page
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
        assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'self'"] and directives["form-action"] == ["'self'"]
        assert headers["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------- 3. bodies
def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of the process from /proc (``VmRSS``, ``VmHWM``, ``RssAnon``), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_responses_table_never_serves_bodies(hostile):
    base = hostile["url"]
    for qs in ("_size=max", "_size=max&_col=body", "_col=body&_col=url", "_nocol=url", "_size=5&_sort=body", "_facet=body&_size=5"):
        status, _, body = fetch(f"{base}/archive/responses.json?{qs}&_shape=objects")
        data = json.loads(body)
        assert data["rows"] and all("body" not in r for r in data["rows"]), qs
        assert "body" not in data.get("columns", [])
    _, _, body = fetch(f"{base}/archive/responses.csv?_size=max&_col=body")
    assert "body" not in body.decode().splitlines()[0].split(",")
    _, _, body = fetch(f"{base}/archive/responses/2.json?_shape=objects")
    assert all("body" not in r for r in json.loads(body)["rows"])
    # the one-response route still decompresses one body
    _, headers, body = fetch(f"{base}/archive/-/response/1")
    assert "ঢাকায় বৃষ্টি" in body.decode() and headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("sql", ["select body from responses", "select * from responses limit 1",
                                 "select length(body) from responses",
                                 "with r as (select * from responses) select id, body from r",
                                 "select (select body from responses limit 1) as b",
                                 "select id, url from responses order by body limit 1"])
def test_sql_reading_response_bodies_is_refused_with_a_clear_message(hostile, sql):
    status, data = sql_json(hostile["url"], sql)
    assert status == 400 and not data["ok"], data
    assert "responses.body" in data["error"], data["error"]
    assert "/-/response/" in data["error"], data["error"]


def test_sql_on_other_response_columns_still_works(hostile):
    status, data = sql_json(hostile["url"], "select id, url, raw_size from responses where id = 1")
    assert status == 200 and data["rows"][0]["id"] == 1


def test_bulk_json_of_responses_keeps_memory_flat(hostile):
    """Memory the process allocates (RssAnon, sampled through the request for its peak):
    Datasette reads the archive through a memory map, whose file pages count in VmRSS
    but are the page cache's, shared and dropped under pressure."""
    import threading

    pid = hostile["proc"].pid
    fetch(f"{hostile['url']}/archive/responses.json?_size=1")
    before = rss_kib(pid, "RssAnon")
    samples, done = [before], threading.Event()

    def sample():
        while not done.is_set():
            samples.append(rss_kib(pid, "RssAnon"))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status, _, body = fetch(f"{hostile['url']}/archive/responses.json?_size=max")
    done.set()
    sampler.join(2)
    after, peak_before, peak = rss_kib(pid, "RssAnon"), before, max(samples)
    rows = len(json.loads(body)["rows"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    line = (f"responses.json?_size=max over {RESPONSES + 1} responses of {BODY_BYTES} B: "
            f"RssAnon {before / 1024:.1f} MB -> {after / 1024:.1f} MB, peak {peak_before / 1024:.1f} -> "
            f"{peak / 1024:.1f} MB, {len(body) / 1e6:.2f} MB of JSON, {rows} rows\n")
    with open(ARTIFACTS / "rss.txt", "a", encoding="utf-8") as f:
        f.write(line)
    print(line)
    assert len(body) < 2_000_000, line
    assert peak - peak_before < 30 * 1024 and after - before < 30 * 1024, line


# --------------------------------------------------------------------------- 4. fts3_tokenizer
@pytest.mark.parametrize("sql", ["select fts3_tokenizer('simple')", "select hex(fts3_tokenizer('porter'))",
                                 "select FTS3_TOKENIZER('simple') as p"])
def test_fts3_tokenizer_is_not_callable(hostile, sql):
    status, data = sql_json(hostile["url"], sql)
    assert status == 400 and not data["ok"], data
    assert "fts3_tokenizer" in data["error"].lower() and "memory address" in data["error"], data["error"]


# --------------------------------------------------------------------------- the feed, any archive
def test_atom_feed_of_an_archive_without_edits_is_valid_and_empty(tmp_path):
    """Issue 12: datasette-atom answered HTTP 500 (max() of no rows) on a fresh archive."""
    import xml.etree.ElementTree as ET

    archive = tmp_path / "archive.db"
    db = schema.connect(archive)
    schema.ensure_schema(db)
    db.conn.execute("INSERT INTO runs (id, started, finished, status) VALUES "
                    "(1, '2025-05-01T10:00:00+00:00', '2025-05-01T10:05:00+00:00', 'finished')")
    db.conn.close()
    proc, url = start(archive)
    try:
        status, headers, body = fetch(f"{url}/archive/edits_feed.atom")
    finally:
        stop(proc)
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(body)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed" and feed.findall("a:entry", ns) == []
    for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert (feed.find(required, ns).text or "").strip(), required
    assert feed.find("a:updated", ns).text.startswith("2025-05-01T10:05:00")
    assert feed.find("a:link[@rel='self']", ns).get("href") == f"{url}/archive/edits_feed.atom"


# --------------------------------------------------------------------------- in Chromium
from tests.test_browser import browser, visit  # noqa: E402,F401  (Chromium fixtures: launched once, loopback only)

CSP_PROBE = """document.addEventListener('securitypolicyviolation', e => {
  (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});"""
WIDTHS = (1280, 390)


def goto(v, url: str, expect_status: int = 200):
    response = v.page.goto(url, wait_until="load")
    assert response is not None and response.status == expect_status, f"{url}: HTTP {response and response.status}"
    return v.page


def shoot(page, name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.screenshot(path=str(ARTIFACTS / f"security-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


LINKS_JS = """() => [...document.querySelectorAll('a[href], area[href], [src], form[action], [formaction]')]
  .map(e => e.href || e.src || e.action || e.formAction || '')"""


def non_http_links(page) -> list[str]:
    return [u for u in page.evaluate(LINKS_JS) if u and not u.startswith(("http://", "https://"))]


def test_article_page_in_chromium_has_no_script_links_and_clicks_run_nothing(visit, hostile):
    dialogs: list[str] = []
    visit.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page = goto(visit, f"{hostile['url']}/archive/articles/1")
    assert non_http_links(page) == []
    # every hostile URL is on the page, as text; clicking it does nothing
    body = page.locator("body").inner_text()
    for url in [u for u in HOSTILE_URLS[:6] if "\t" not in u]:  # (inner text shows a tab as a space)
        assert url.strip() in body, url
        page.get_by_text(url.strip(), exact=True).first.click()
        assert page.url == f"{hostile['url']}/archive/articles/1"
    assert dialogs == []
    assert not visit.outside, visit.outside
    shoot(page, "article")


def test_related_table_and_feed_query_in_chromium_link_only_http(visit, hostile):
    for path in ("/archive/related?_size=100", "/archive/most_linked", "/archive/articles/2",
                 "/archive/articles?_col=images&_col=tags&_col=url"):
        page = goto(visit, hostile["url"] + path)
        assert non_http_links(page) == [], path


def test_csp_stops_injected_inline_script(visit, injected):
    dialogs: list[str] = []
    visit.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    visit.page.add_init_script(CSP_PROBE)
    page = goto(visit, injected["url"] + "/")
    page.wait_for_timeout(300)
    assert page.locator("#jslink").count() == 1 and page.locator("#inj").count() == 1  # it is in the page
    assert page.evaluate("[window.__injected, window.__onerror, window.__onload]") == [None, None, None]
    page.locator("#jslink").click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__jslink") is None
    assert dialogs == []
    violations = page.evaluate("window.__csp || []")
    assert violations and all(v.startswith("script-src") for v in violations), violations


OWN_PAGES = [
    ("/", 200, "home"), ("/archive", 200, "database"), ("/archive/articles", 200, "articles"),
    ("/archive/articles/1", 200, "article"), ("/archive?sql=select+id%2C+url+from+responses+limit+3", 200, "sql"),
    ("/archive/responses", 200, "responses"), ("/archive/responses/1", 200, "capture"),
    ("/archive/articles_per_day", 200, "chart"), ("/archive/changed_articles", 200, "edits"),
    ("/archive?sql=select+body+from+responses", 400, "sql-error"),
    ("/archive?sql=select+fts3_tokenizer%28%27simple%27%29", 400, "sql-error-fts3"),
]


@pytest.mark.parametrize("path,status,name", OWN_PAGES, ids=[n for _, _, n in OWN_PAGES])
def test_own_pages_work_under_the_csp(visit, hostile, path, status, name):
    visit.page.add_init_script(CSP_PROBE)
    page = goto(visit, hostile["url"] + path, status)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__csp || []") == [], f"{path}: CSP violations"
    assert not [e for e in visit.errors if "Content Security Policy" in e or "Refused" in e], visit.errors
    assert not visit.outside, visit.outside
    if name == "articles":   # table.js ran: the column menus exist
        assert page.locator("th svg.dropdown-menu-icon, th .dropdown-menu-toggle").count() > 0 or \
            page.locator(".dropdown-menu").count() > 0
    if name in ("sql", "sql-error"):  # the SQL editor (CodeMirror, and the inline script starting it)
        assert page.locator(".CodeMirror").count() == 1
    if name == "sql-error":
        assert "access to responses.body is prohibited" in page.locator("body").inner_text()
        assert page.locator(".sql-refused").is_visible()
    if name == "sql-error-fts3":
        assert "memory address" in page.locator(".sql-refused").inner_text()
    if name in ("article", "responses", "sql-error", "capture"):
        shoot(page, name)


@pytest.mark.parametrize("content_type", ["text/html; charset=idna", "text/html; charset=zlib",
                                          "text/html; charset=rot13", 'text/html; charset="UTF-8"', None])
def test_a_stored_page_with_a_bogus_charset_still_shows(content_type):
    """The capture routes decode a stored page in its declared charset; one that is no
    text encoding (the page's data) falls back to UTF-8 instead of an error page."""
    assert text.decode_body("খবর é".encode(), content_type) == "খবর é"
