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
