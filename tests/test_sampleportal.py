"""Tests for newsspider.sampleportal: the deterministic sample portal and its server."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from lxml import etree, html as lhtml

from newsspider.sampleportal import SamplePortal, serve, visible_date
from newsspider.sampleportal import corpus as C

ROOT = Path(__file__).resolve().parents[1]
NY = ZoneInfo("America/New_York")
BASE = "http://127.0.0.1:8000"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def portal():
    return SamplePortal()


def _get(portal, path):
    return portal.render(path, BASE)


def _doc(body: bytes):
    return lhtml.fromstring(body.decode("utf-8"))


def _norm(s: str) -> str:
    return " ".join(s.split())


def _p_text(p) -> str:
    src = lhtml.tostring(p, encoding="unicode")
    src = re.sub(r"<br\s*/?>", " ", src)
    return _norm(lhtml.fromstring(src).text_content())


_CREDIT_FORMS = sorted(C.AGENCY, key=len, reverse=True)


def naive_parse(body: bytes) -> dict:
    """A small reference parser used to check that the truth is consistent with the markup."""
    doc = _doc(body)
    paras = []
    for p in doc.xpath('//div[@class="news-details"]/p'):
        t = _p_text(p)
        if t.startswith("আরও পড়ুন:") or t.startswith("সূত্র:"):
            continue
        paras.append(t)
    if paras:
        # a dateline "নিউইয়র্ক, ১৪ মে (বাসস) :" stays in the body (the project's choice)
        last = paras[-1]
        # strip a glued credit line "… । রয়টার্স, এপি, এএফপি"
        m = re.search(r"।\s+([^।]+)$", last)
        if m and all(part.strip() in C.AGENCY for part in m.group(1).split(",")):
            paras[-1] = last[:m.start() + 1]
    more = []
    for a in doc.xpath('//div[@class="more-news"]//a'):
        item = (a.get("href"), _norm(a.text_content()))
        if item not in more:
            more.append(item)
    ld = doc.xpath('//script[@type="application/ld+json"]/text()')
    return {
        "headline": _norm(doc.xpath('//h1[@class="news-title"]')[0].text_content()),
        "paragraphs": paras,
        "byline": _norm(doc.xpath('//span[@class="author-name"]')[0].text_content()),
        "published_text": _norm(doc.xpath('//span[@class="publish-date"]')[0].text_content()),
        "updated_text": [_norm(x.text_content()) for x in doc.xpath('//span[@class="update-date"]')],
        "related": more,
        "tags": [_norm(a.text_content()) for a in doc.xpath('//div[@class="tags"]/a')],
        "images": [(f.xpath(".//img/@src")[0], _norm(f.xpath(".//figcaption")[0].text_content()))
                   for f in doc.xpath('//figure')],
        "section": _norm(doc.xpath('//div[@class="breadcrumb"]/a')[-1].text_content()),
        "jsonld": json.loads(ld[0]) if ld else None,
        "repeat": doc.xpath('//div[@class="news-details-more"]'),
    }


# ----------------------------------------------------------------------------- basics

def test_ids_kinds_and_counts(portal):
    ids = portal.article_ids()
    assert ids[0] == 1072 and ids[-1] == 1001 and len(ids) == 72
    assert portal.broken_ids() == {"gone": [1013], "server_error": [1029], "truncated": [1037], "no_body": [1046]}
    exp = portal.expected_articles()
    assert len(exp) == 69
    assert {a.kind for a in exp} == {"ok", "truncated"}
    assert [a.id for a in exp] == [i for i in ids if i not in (1013, 1029, 1046)]
    assert [s for s, _ in portal.sections()] == ["bangladesh", "international", "probash", "new-york",
                                                 "sports", "economy"]


def test_dates(portal):
    pubs = [portal.published(i) for i in portal.article_ids()]
    assert pubs[0] == datetime(2025, 5, 14, 22, 30, tzinfo=NY)
    for newer, older in zip(pubs, pubs[1:]):
        assert timedelta(hours=1) <= newer - older <= timedelta(hours=5)
    for i in portal.article_ids():
        a = portal.article(i)
        assert a.published.tzinfo is not None and a.published.utcoffset() is not None
        assert str(a.published.tzinfo) == "America/New_York"
        if a.updated:
            assert a.updated > a.published
    # the big portal's dates are O(1) arithmetic and stay consistent
    big = SamplePortal(articles=50_000)
    assert big.published(big.newest_id) == pubs[0]
    assert timedelta(hours=1) <= big.published(20_000) - big.published(19_999) <= timedelta(hours=5)


def test_visible_date_formats():
    dt = datetime(2025, 5, 14, 22, 30, tzinfo=NY)
    assert visible_date(dt, 0) == "১৪ মে ২০২৫, ১০:৩০ পিএম"
    assert visible_date(dt, 1) == "১৪ মে ২০২৫, ২২:৩০"
    assert visible_date(dt, 2) == "বুধবার, ১৪ মে ২০২৫ | রাত ১০:৩০"
    assert visible_date(dt, 3) == "মে ১৪, ২০২৫ ১০:৩০ অপরাহ্ণ"


def test_determinism():
    a, b = SamplePortal(), SamplePortal()
    paths = ["/", "/sitemap.xml", "/post-sitemap1.xml", "/feed/", "/category/bangladesh/page/2/",
             "/tag/russia/", "/robots.txt"] + [f"/news/{i}/" for i in a.article_ids()]
    for p in paths:
        assert a.render(p, BASE) == b.render(p, BASE), p
    assert a.article(1042) == b.article(1042)
    other = SamplePortal(seed=7)
    assert other.render("/news/1042/", BASE)[2] != a.render("/news/1042/", BASE)[2]


def test_corpus_sentences_end_with_danda():
    for slug, sents in C.SENTENCES.items():
        assert len(sents) >= 20, slug
        for s in sents:
            assert s.endswith("।") or s.endswith("?"), s
    total = sum(len(v) for v in C.SENTENCES.values()) + len(C.GENERIC)
    assert total >= 150
    text = " ".join(" ".join(v) for v in C.SENTENCES.values())
    for w in ("বাংলাদেশ", "বাংলাদেশের", "বাংলাদেশে", "নিউইয়র্ক", "নিউইয়র্কের", "নিউইয়র্কে", "রাশিয়া", "রাশিয়ার"):
        assert re.search(rf"(?<![\u0980-\u09ff]){w}(?![\u0980-\u09ff])", text), w


# ----------------------------------------------------------------------------- page truth

def test_article_pages_match_truth(portal):
    seen_repeat = seen_variant = seen_br = seen_glued = seen_source = seen_dateline = seen_ld_trunc = 0
    for a in portal.expected_articles():
        if a.kind != "ok":
            continue
        status, headers, body = _get(portal, a.path)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        got = naive_parse(body)
        assert got["headline"] == a.headline
        assert got["paragraphs"] == a.paragraphs, a.id
        assert len(set(a.paragraphs)) == len(a.paragraphs)
        assert got["byline"] == a.byline
        assert got["published_text"] == "প্রকাশিত: " + a.visible_published
        assert got["updated_text"] == ([f"আপডেট: {a.visible_updated}"] if a.updated else [])
        assert got["related"] == a.related
        assert got["tags"] == a.tags
        assert got["images"] == a.images
        assert got["section"] == a.section
        for p in a.paragraphs:
            assert p.endswith("।") or p.endswith("?")
        if a.jsonld:
            ld = got["jsonld"]
            assert ld["@type"] == "NewsArticle" and "articleBody" not in ld
            assert datetime.fromisoformat(ld["datePublished"]) == a.published
            assert datetime.fromisoformat(ld["dateModified"]) == (a.updated or a.published)
            assert ld["headline"] == a.jsonld_headline
            seen_ld_trunc += ld["headline"] != a.headline
        else:
            assert got["jsonld"] is None
        doc = _doc(body)
        more = doc.xpath('//div[@class="more-news"]//a/@href')
        assert len(more) == 7 and more[1] == more[5]
        seen_repeat += bool(got["repeat"])
        seen_variant += a.repeat in ("tail-nobr", "read-more-content")
        seen_br += a.br_paragraph is not None
        seen_glued += a.credit_style == "glued"
        seen_source += a.credit_style == "source"
        seen_dateline += a.credit_style == "dateline"
        if a.repeat:
            # the repeated tail duplicates the last paragraphs: a parser must not keep it twice
            rep = _norm(got["repeat"][0].text_content())
            assert _norm(a.paragraphs[-1]) in rep
            assert a.br_paragraph == len(a.paragraphs) - 2
        if a.br_paragraph is not None:
            assert "<br" in body.decode()
        for name in a.mentions:
            assert name not in a.credits or a.credit_style != "none"
    assert seen_repeat >= 20 and seen_variant >= 2 and seen_br >= 40
    assert seen_glued and seen_source and seen_dateline and seen_ld_trunc


def test_seed_like_article_exists(portal):
    """At least one article has the seed's shape: glued wire credit + repeated tail after a <br>."""
    found = [a for a in portal.expected_articles() if a.credit_style == "glued" and a.repeat == "tail"]
    assert found
    a = found[0]
    body = _get(portal, a.path)[2].decode()
    assert body.count(a.paragraphs[-1]) == 2


# ----------------------------------------------------------------------------- broken kinds

def test_broken_kinds(portal):
    st, _, body = _get(portal, "/news/1013/")
    assert st == 404 and "পাতাটি খুঁজে পাওয়া যায়নি" in body.decode()
    for _ in range(3):
        assert _get(portal, "/news/1029/")[0] == 500
    st, h, body = _get(portal, "/news/1037/")
    text = body.decode()
    a = portal.article(1037)
    assert st == 200 and a.kind == "truncated"
    assert not text.rstrip().endswith("</html>") and "</body>" not in text
    assert text.endswith(a.paragraphs[2])
    assert len(a.paragraphs) == 3 and a.credits == [] and a.tags == []
    got = naive_parse(body)
    assert got["headline"] == a.headline and got["paragraphs"] == a.paragraphs
    st, _, body = _get(portal, "/news/1046/")
    a = portal.article(1046)
    assert st == 200 and a.kind == "no_body" and a.paragraphs == []
    doc = _doc(body)
    assert doc.xpath('//div[@class="news-details"]')[0].text_content().strip() == ""
    assert not doc.xpath('//div[@class="news-details-more"]')
    assert _norm(doc.xpath('//h1[@class="news-title"]')[0].text_content()) == a.headline
    # broken ones are still listed in the sitemap
    locs = _sitemap_locs(portal, "/post-sitemap1.xml")
    for i in (1013, 1029, 1037, 1046):
        assert f"{BASE}/news/{i}/" in locs


def test_redirects_and_404(portal):
    st, h, _ = _get(portal, "/news/1042")
    assert st == 301 and h["Location"] == f"{BASE}/news/1042/"
    assert _get(portal, "/feed")[0] == 301
    st, h, _ = _get(portal, "/category/sports/page/1/")
    assert st == 301 and h["Location"] == f"{BASE}/category/sports/"
    assert _get(portal, "/news/1042/?utm_source=x")[0] == 200
    assert _get(portal, "/news/999/")[0] == 404
    assert _get(portal, "/news/1073/")[0] == 404
    assert _get(portal, "/no/such/page")[0] == 404
    last = portal.section_pages("sports")
    assert _get(portal, f"/category/sports/page/{last + 1}/")[0] == 404
    assert _get(portal, "/category/nosuch/")[0] == 404
    st, h, body = _get(portal, "/wp-content/uploads/1042.jpg")
    assert st == 200 and h["Content-Type"] == "image/jpeg" and body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9"
    st, _, body = _get(portal, "/tag/russia/")
    assert st == 200 and b'class="tag-title"' in body and b"news-title" not in body


# ----------------------------------------------------------------------------- discovery

def _sitemap_locs(portal, path):
    st, h, body = _get(portal, path)
    assert st == 200 and "xml" in h["Content-Type"]
    root = etree.fromstring(body)
    return [e.text for e in root.iter(f"{SM}loc")]


def test_sitemap_and_robots(portal):
    robots = _get(portal, "/robots.txt")[2].decode()
    assert "User-agent: *" in robots and "Disallow: /wp-admin/" in robots and "Disallow: /search" in robots
    assert f"Sitemap: {BASE}/sitemap.xml" in robots
    index = _sitemap_locs(portal, "/sitemap.xml")
    assert index == [f"{BASE}/post-sitemap1.xml", f"{BASE}/category-sitemap.xml"]
    root = etree.fromstring(_get(portal, "/post-sitemap1.xml")[2])
    urls = root.findall(f"{SM}url")
    assert len(urls) == 72
    for u in urls:
        loc, lastmod = u.find(f"{SM}loc").text, u.find(f"{SM}lastmod").text
        i = int(loc.rstrip("/").rsplit("/", 1)[1])
        lm = datetime.fromisoformat(lastmod)
        assert lm.utcoffset() is not None and lm == portal.article(i).lastmod
    cats = _sitemap_locs(portal, "/category-sitemap.xml")
    assert cats == [f"{BASE}/category/{s}/" for s, _ in portal.sections()]


def test_feed(portal):
    st, h, body = _get(portal, "/feed/")
    assert st == 200 and h["Content-Type"] == "application/rss+xml; charset=UTF-8"
    root = etree.fromstring(body)
    items = root.findall("./channel/item")
    assert len(items) == 20
    for it, i in zip(items, portal.article_ids()):
        a = portal.article(i)
        assert it.findtext("title") == a.headline
        assert it.findtext("link") == f"{BASE}/news/{i}/" == it.findtext("guid")
        assert parsedate_to_datetime(it.findtext("pubDate")) == a.published
        assert it.findtext("category") == a.section


def test_home_and_sections(portal):
    doc = _doc(_get(portal, "/")[2])
    assert doc.xpath('//link[@rel="alternate"][@type="application/rss+xml"]/@href') == ["/feed/"]
    menu = doc.xpath('//nav[@class="main-menu"]//a/@href')
    assert [f"/category/{s}/" for s, _ in portal.sections()] == [m for m in menu if m.startswith("/category/")]
    home = doc.xpath('//div[@class="news-list"]/div[@class="news-item"]/a/@href')
    assert home == [f"/news/{i}/" for i in portal.article_ids()[:30]]
    total = 0
    for slug, name in portal.sections():
        n, pages, listed = 1, portal.section_pages(slug), []
        while True:
            path = f"/category/{slug}/" if n == 1 else f"/category/{slug}/page/{n}/"
            st, _, body = _get(portal, path)
            assert st == 200
            d = _doc(body)
            listed += d.xpath('//div[@class="news-list"]/div[@class="news-item"]/a/@href')
            nxt = d.xpath('//div[@class="pagination"]/a[@class="next"]/@href')
            assert d.xpath('//link[@rel="next"]/@href') == ([BASE + nxt[0]] if nxt else [])
            if not nxt:
                break
            assert nxt[0] == f"/category/{slug}/page/{n + 1}/"
            n += 1
        assert n == pages
        ids = [int(u.split("/")[2]) for u in listed]
        assert ids == sorted(ids, reverse=True)
        assert all(portal.section_of(i)[0] == slug for i in ids)
        assert ids == portal.section_ids(slug)
        total += len(ids)
    assert total == 72


def _links(body: bytes, base_path: str) -> list[str]:
    doc = _doc(body)
    out = []
    for href in doc.xpath("//a/@href | //link/@href"):
        u = urlsplit(urljoin(BASE + base_path, href))
        if f"{u.scheme}://{u.netloc}" == BASE:
            out.append(u.path)
    return out


def test_every_expected_article_reachable(portal):
    """Breadth-first crawl (in-process) from home, menu, sitemap: all stored articles are found."""
    robots_disallow = ("/wp-admin/", "/search")
    queue = ["/", "/sitemap.xml"]
    seen, fetched = set(queue), {}
    while queue:
        path = queue.pop(0)
        st, h, body = _get(portal, path)
        if st == 301:
            nxt = urlsplit(h["Location"]).path
            new = [nxt]
        elif st != 200:
            fetched[path] = st
            continue
        elif "xml" in h["Content-Type"]:
            new = [urlsplit(x).path for x in _sitemap_locs(portal, path)]
        elif "html" in h["Content-Type"]:
            new = _links(body, path)
        else:
            new = []
        fetched[path] = st
        for n in new:
            if n not in seen and not n.startswith(robots_disallow) and (n.startswith("/news/") or n.startswith("/category/")
                                                                          or n.endswith(".xml") or n == "/"):
                seen.add(n)
                queue.append(n)
    for a in portal.expected_articles():
        assert fetched.get(a.path) == 200, a.path
    assert fetched["/news/1013/"] == 404 and fetched["/news/1029/"] == 500
    # related links lead to articles that the home page does not show
    home_ids = set(portal.article_ids()[:30])
    rel = {int(p.split("/")[2]) for a in portal.expected_articles() for p, _ in a.related}
    assert rel - home_ids


def test_no_external_resources(portal):
    """Pages embed nothing from other hosts (links to share buttons are not fetched resources)."""
    for path in ["/", "/news/1042/", "/category/new-york/", "/tag/gaza/"]:
        doc = _doc(_get(portal, path)[2])
        for src in doc.xpath("//img/@src | //script/@src | //link[@rel='stylesheet']/@href"):
            u = urlsplit(urljoin(BASE + path, src))
            assert f"{u.scheme}://{u.netloc}" == BASE, src


# ----------------------------------------------------------------------------- editions

def test_editions():
    e0, e1, e2 = SamplePortal(), SamplePortal(edition=1), SamplePortal(edition=2)
    changed1 = [i for i in e0.article_ids() if e1.article(i).edits]
    assert changed1 == [i for i in e0.article_ids() if (i * 7 + 1) % 17 == 0 and e0.kind(i) == "ok"]
    assert 2 <= len(changed1) <= 6
    for i in e0.article_ids():
        a, b = e0.article(i), e1.article(i)
        if i in changed1:
            assert (a.headline != b.headline) or (len(b.paragraphs) == len(a.paragraphs) + 1)
            assert b.updated and b.updated > (a.updated or a.published)
            assert e0.render(a.path, BASE)[2] != e1.render(a.path, BASE)[2]
            got = naive_parse(e1.render(a.path, BASE)[2])
            assert got["headline"] == b.headline and got["paragraphs"] == b.paragraphs
        else:
            assert (a.headline, a.paragraphs, a.updated, a.published) == (b.headline, b.paragraphs, b.updated, b.published)
    kinds = {(i + 1) % 2 for i in changed1}
    assert kinds == {0, 1} or len(changed1) < 2   # both a headline edit and an added paragraph
    # editions are cumulative
    for i in changed1:
        assert e2.article(i).headline == e1.article(i).headline or e2.article(i).edits != (1,)
        assert 1 in e2.article(i).edits
    lm = {u: m for u, m in _lastmods(e1).items()}
    for i in changed1:
        assert lm[f"{BASE}/news/{i}/"] == e1.article(i).updated


def _lastmods(portal):
    root = etree.fromstring(portal.render("/post-sitemap1.xml", BASE)[2])
    return {u.findtext(f"{SM}loc"): datetime.fromisoformat(u.findtext(f"{SM}lastmod")) for u in root.findall(f"{SM}url")}


# ----------------------------------------------------------------------------- big portal

def test_big_portal_works():
    big = SamplePortal(articles=5000)
    index = _sitemap_locs(big, "/sitemap.xml")
    assert index[:5] == [f"{BASE}/post-sitemap{k}.xml" for k in range(1, 6)] and len(index) == 6
    locs = _sitemap_locs(big, "/post-sitemap5.xml")
    assert len(locs) == 1000 and locs[-1] == f"{BASE}/news/6000/"
    assert _get(big, "/post-sitemap6.xml")[0] == 404
    broken = big.broken_ids()
    assert all(len(v) == 10 for v in broken.values())
    assert len(big.expected_ids()) == 5000 - 30
    for i in (1001, 3500, 5999, 6000):
        st, _, body = _get(big, f"/news/{i}/")
        assert st == 200 and naive_parse(body)["headline"] == big.article(i).headline
    assert sum(big.section_count(s) for s, _ in big.sections()) == 5000
    all_ids = sorted(i for s, _ in big.sections() for i in big.section_ids(s))
    assert all_ids == list(range(1001, 6001))
    last = big.section_pages("economy")
    assert _get(big, f"/category/economy/page/{last}/")[0] == 200
    # the 50,000-article portal renders single pages without building anything in bulk
    huge = SamplePortal(articles=50_000)
    assert _get(huge, "/news/26000/")[0] in (200, 404, 500)
    assert _get(huge, "/category/sports/page/300/")[0] == 200
    assert len(_sitemap_locs(huge, "/post-sitemap50.xml")) == 1000


# ----------------------------------------------------------------------------- server

def _open(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def no_proxy(monkeypatch):
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def connect_log(monkeypatch):
    """Records every address a socket connects to during the test."""
    log = []
    real = socket.socket.connect

    def connect(self, address):
        log.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return log


def test_server_conditional_get(portal, no_proxy, connect_log):
    with serve(portal) as srv:
        assert srv.base_url == f"http://127.0.0.1:{srv.port}"
        url = srv.base_url + "/news/1042/"
        st, h, body = _open(url)
        assert st == 200 and int(h["Content-Length"]) == len(body)
        assert body == portal.render("/news/1042/", srv.base_url)[2]
        etag, lastmod = h["ETag"], h["Last-Modified"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert parsedate_to_datetime(lastmod) == portal.article(1042).lastmod
        st, h2, body2 = _open(url, {"If-None-Match": etag})
        assert st == 304 and body2 == b"" and h2["ETag"] == etag
        assert _open(url, {"If-None-Match": '"other", ' + etag})[0] == 304
        assert _open(url, {"If-None-Match": '"nope"'})[0] == 200
        assert _open(url, {"If-Modified-Since": lastmod})[0] == 304
        earlier = "Mon, 01 Jan 2024 00:00:00 GMT"
        assert _open(url, {"If-Modified-Since": earlier})[0] == 200
        # If-None-Match wins over If-Modified-Since
        assert _open(url, {"If-None-Match": '"nope"', "If-Modified-Since": lastmod})[0] == 200
        st, h, body = _open(url, method="HEAD")
        assert st == 200 and body == b"" and int(h["Content-Length"]) > 1000
        assert _open(srv.base_url + "/news/1029/")[0] == 500
        assert _open(srv.base_url + "/news/1013/")[0] == 404
        st, h, _ = _open(srv.base_url + "/feed/")
        assert st == 200 and h["Content-Type"].startswith("application/rss+xml")
        # the 301 is followed by urllib
        st, _, body = _open(srv.base_url + "/news/1042")
        assert st == 200
        assert srv.requests.count("/news/1042/") == 9
        assert "/news/1042" in srv.requests
    assert connect_log and all(addr[0] == "127.0.0.1" for addr in connect_log)


def test_server_survives_disconnects(portal, no_proxy, capfd):
    with serve(portal) as srv:
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /news/1042/ HTTP/1.1\r\nHost: x\r\n\r\n")
            s.close()                                   # close before reading the answer
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /news/10")                  # half a request
            s.close()
        assert _open(srv.base_url + "/")[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err


def test_crawl_over_server_contacts_only_loopback(no_proxy, connect_log):
    portal = SamplePortal(articles=30)
    with serve(portal) as srv:
        queue, seen = ["/"], {"/"}
        while queue:
            path = queue.pop()
            st, h, body = _open(srv.base_url + path)
            if st != 200 or "html" not in h.get("Content-Type", ""):
                continue
            doc = _doc(body)
            for href in doc.xpath("//a/@href"):
                u = urlsplit(urljoin(srv.base_url + path, href))
                if f"{u.scheme}://{u.netloc}" != srv.base_url:
                    continue
                if u.path.startswith(("/news/", "/category/")) and u.path not in seen:
                    seen.add(u.path)
                    queue.append(u.path)
        assert all(f"/news/{i}/" in seen for i in portal.expected_ids())
        assert not any(p.startswith(("/search", "/wp-admin")) for p in srv.requests)
    assert {addr[0] for addr in connect_log} == {"127.0.0.1"}


# ----------------------------------------------------------------------------- command line

def test_cli_serve_and_write(tmp_path, no_proxy):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "newsspider.sampleportal", "serve", "--port", "0",
                             "--articles", "25", "--edition", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"serving (http://127\.0\.0\.1:(\d+)/) \(25 articles\)\n", line)
        assert m, line
        st, _, body = _open(m.group(1) + "news/1010/")
        assert st == 200 and b'class="news-title"' in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        out, err = proc.communicate(timeout=5)
        assert out == "" and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
    r = subprocess.run([sys.executable, "-m", "newsspider.sampleportal", "write", str(tmp_path / "snap"),
                        "--articles", "12"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    snap = tmp_path / "snap"
    assert (snap / "news" / "1005" / "index.html").read_bytes() == SamplePortal(articles=12).render(
        "/news/1005/", "http://127.0.0.1:8000")[2]
    assert (snap / "robots.txt").exists() and (snap / "sitemap.xml").exists() and (snap / "_status.tsv").exists()
    status = (snap / "_status.tsv").read_text(encoding="utf-8")
    assert "404\t/news/1013/" not in status  # 12 articles: ids 1001..1012, no broken ones yet


def test_a_server_that_keeps_its_pages_answers_what_it_renders_and_renders_each_once(no_proxy):
    """``serve --cache-pages`` (what the benchmark serves, issue 17): the same answers as
    rendering every request (status, headers, bytes; 304s to conditional requests; 404s,
    500s, redirects, robots.txt and sitemaps), each page rendered once."""
    portal = SamplePortal(articles=30)
    rendered = []
    render = portal.render

    def counting(path, base_url):
        rendered.append(path)
        return render(path, base_url)

    portal.render = counting
    paths = ["/", "/robots.txt", "/sitemap.xml", "/feed/", "/news/1001/", "/news/1002/", "/news/1002",
             "/news/9999/", "/category/international/", "/no/such/page"]
    paths += [f"/news/{i}/" for i in portal.broken_ids()["server_error"][:1]]

    def answers(server):
        out = {}
        for path in paths:
            status, headers, body = _open(server.base_url + path)
            out[path] = (status, {k: v for k, v in headers.items() if k != "Date"}, body)
        return out

    with serve(portal) as server:
        want = answers(server)
        first, rendered[:] = list(rendered), []  # urllib follows the redirect: one render more
        server.page_cache = {}
        assert answers(server) == want and answers(server) == want
        etag = want["/news/1001/"][1]["ETag"]
        assert _open(server.base_url + "/news/1001/", {"If-None-Match": etag})[0] == 304
    assert sorted(rendered) == sorted(set(first)), "each page rendered once"
    with serve(portal) as server:
        rendered.clear()
        server.keep_pages()  # every page rendered before the first request
        assert sorted(rendered) == sorted(portal.paths())
        before = len(rendered)
        answers(server)  # only what no path of the portal's list is, rendered on its request
        assert set(rendered[before:]) == {"/news/1002", "/news/9999/", "/no/such/page"}
