"""The check Scrapy makes on every response, made once here: no spider callback is a
generator that returns a value (its value would be lost). The crawl turns Scrapy's own
per-response check off (WARN_ON_GENERATOR_RETURN_VALUE, newsspider/settings.py): its cache
misses for bound methods, so it re-parsed the callback's source on every page."""

from __future__ import annotations

import inspect

from scrapy.utils.misc import is_generator_with_return_value

from newsspider.spiders.portal import PortalSpider
from newsspider.spiders.wayback import WaybackSpider


def test_no_callback_is_a_generator_returning_a_value():
    checked = 0
    for spider in (PortalSpider, WaybackSpider):
        for name, fn in inspect.getmembers(spider, inspect.isfunction):
            if inspect.isgeneratorfunction(fn):
                assert not is_generator_with_return_value(fn), f"{spider.__name__}.{name} returns a value"
                checked += 1
    assert checked >= 5


def test_the_check_can_fail():
    def bad(self, response):
        yield 1
        return 2

    assert is_generator_with_return_value(bad)


def test_listing_links_read_from_lxml_are_parsels():
    """The spider reads a listing page's links from lxml's document (issue 17: parsel
    wraps each in a Selector first): the same strings, in the same order, as
    ``response.xpath(...).getall()``, on the sample portal's listing pages and the test
    pages, for every expression the spider uses; a body parsel reads as JSON has none
    (parsel raised ValueError: the listing's callback failed)."""
    from pathlib import Path

    from scrapy.http import HtmlResponse, TextResponse

    from newsspider.sampleportal.generator import SamplePortal
    from newsspider.spiders.portal import _strings

    base = "http://127.0.0.1:1/"
    portal = SamplePortal(300)
    bodies = []
    for path in [p for p in portal.paths() if not p.startswith("/news/")][:60]:
        status, headers, body = portal.render(path, base)
        if status == 200 and "html" in headers.get("Content-Type", ""):
            bodies.append(body)
    bodies += [p.read_bytes() for p in sorted(Path(__file__).parent.joinpath("pages").glob("*.html"))]
    bodies.append("<a href='/x'>১</a><main><a href=' /m '>a</a><div role=main><a href=/n>b</a></div></main>"
                  "<link rel=next href=/page/2/><a class='x next' href='/p/3'>".encode())
    chrome = ("ancestor::aside or ancestor::nav or ancestor::footer or ancestor::header or "
              "ancestor::*[contains(@class,'sidebar') or contains(@id,'sidebar')]")
    expressions = ["//a/@href", f"//a[not({chrome})]/@href",
                   "//link[@rel='alternate'][contains(@type,'rss') or contains(@type,'atom')]/@href",
                   "//link[@rel='next']/@href | //a[@rel='next']/@href | "
                   "//a[contains(concat(' ',@class,' '),' next ')]/@href"]
    compared = 0
    for body in bodies:
        response = HtmlResponse(base + "section/x/", body=body)
        for expr in expressions:
            got = _strings(response, expr)
            assert got == response.xpath(expr).getall() and all(type(s) is str for s in got)
            compared += bool(got)
        # the main element's links: each once where a main holds another (parsel listed
        # the inner one's twice), otherwise the same list
        main = _strings(response, "(//main | //*[@role='main'])//a/@href")
        old = response.xpath("//main | //*[@role='main']").xpath(".//a/@href").getall()
        assert list(dict.fromkeys(main)) == list(dict.fromkeys(old)) and len(main) <= len(old)
        assert len(main) == len(old) or len(response.xpath("//main//*[@role='main']")) > 0
    assert compared > 50
    response = TextResponse(base, body=b'{"a": "<a href=/x>"}', encoding="utf-8")
    assert response.selector.type == "json" and _strings(response, "//a/@href") == []
