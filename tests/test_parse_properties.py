"""Property tests: any bytes and any HTML give a dict, None or ``NotHTML``, never a
traceback; the CLI turns the same inputs into JSON, ``null`` or a one-line error."""

from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsspider.localcrawl import PROJECT_ROOT
from newsspider.parse import NotHTML, parse_article

KEYS = {"url", "headline", "body", "byline", "published", "updated", "section", "credits",
        "related", "images", "tags", "sources", "flags", "parser"}

TAGS = ["html", "head", "body", "title", "meta", "p", "div", "span", "a", "br", "h1", "h2", "article",
        "section", "figure", "figcaption", "time", "script", "style", "ul", "li", "table", "td", "nav",
        "header", "footer", "aside", "strong", "img", "link", "noscript", "amp-img", "form", "template"]
ATTRS = ["class", "id", "href", "src", "content", "property", "name", "rel", "datetime", "itemprop",
         "type", "charset", "style", "aria-label", "title"]
WORDS = ["বাংলাদেশ", "প্রকাশিত:", "১৪ মে ২০২৫, ১০:৩০ পিএম", "আরও খবর", "এই বিভাগের আরো খবর", "রয়টার্স",
         "(বাসস)", "সূত্র:", "বিজ্ঞাপন", "entry-content", "breadcrumb", "article", "NewsArticle",
         "application/ld+json", "canonical", "og:type", "2025-05-14T10:30:00Z", "{\"@type\": \"NewsArticle\"",
         "evsjv‡`k", "\u200b", "\ufeff", "\u00a0", "&nbsp;", "&#0;", "<!--", "]]>", "http://", "/tag/x",
         "javascript:", "\x00", "\ud7ff", "a" * 50, "।", "\n"]

text = st.one_of(st.sampled_from(WORDS), st.text(max_size=30))


@st.composite
def html_tree(draw, depth=0):
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.dictionaries(st.sampled_from(ATTRS), text, max_size=3))
    attr_s = "".join(f' {k}="{str(v).replace(chr(34), "&quot;")}"' for k, v in attrs.items())
    children = []
    if depth < 4:
        children = draw(st.lists(st.one_of(text, html_tree(depth=depth + 1)), max_size=5))
    close = draw(st.booleans())
    return f"<{tag}{attr_s}>" + "".join(children) + (f"</{tag}>" if close else "")


def check(result):
    assert result is None or (isinstance(result, dict) and KEYS <= set(result))
    if result is not None:
        json.dumps(result, ensure_ascii=False)
        assert isinstance(result["headline"], str) and isinstance(result["body"], str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes(data):
    try:
        check(parse_article(data, "http://example.test/a/1"))
    except NotHTML:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_tree(), st.sampled_from(["", "http://example.test/news/1", "https://x.test/", "not a url"]),
       st.sampled_from(["utf-8", "utf-16", "cp1252-ish"]))
def test_any_html(html, url, encoding):
    page = "<!DOCTYPE html>" + html
    data = page.encode("utf-8", "surrogatepass") if encoding != "utf-16" else page.encode("utf-16", "surrogatepass")
    if encoding == "cp1252-ish":
        data = b'<meta charset="windows-1252">' + data
    try:
        check(parse_article(data, url))
    except NotHTML:
        pass


@settings(max_examples=100, deadline=None)
@given(html_tree())
def test_any_html_as_str(html):
    try:
        check(parse_article(html, "http://example.test/news/1"))
    except NotHTML:
        pass


def test_cli_on_garbage_and_odd_html(tmp_path):
    files = {
        "garbage.bin": bytes(range(256)) * 4,
        "empty.html": b"",
        "odd.html": b"<html><body><h1>\xe0\xa6\xac</h1><p>" + b"\xff\xfe" * 10 + b"<div></p></h1>",
        "deep.html": b"<div>" * 3000 + "বাংলাদেশ".encode() * 50,
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    r = subprocess.run([sys.executable, "-m", "newsspider.parse", *map(str, paths)], cwd=PROJECT_ROOT,
                       capture_output=True, timeout=120)
    assert b"Traceback" not in r.stderr, r.stderr.decode(errors="replace")
    out = r.stdout.decode("utf-8").splitlines()
    err = r.stderr.decode("utf-8").splitlines()
    assert len(out) + len(err) == len(files)
    for line in out:
        value = json.loads(line)
        assert value is None or isinstance(value, dict)
    assert r.returncode == (2 if err else 0)
