"""The baseline of the crawl-throughput figure: a bare Scrapy spider.

It downloads and follows the same links as ``scrapy crawl portal`` (robots.txt's
``Sitemap:`` lines, the sitemaps, the feed, the home page, section pages with their
pagination, and every article page's links on the portal's host), and does nothing
else: no parsing beyond a regular expression for links, no items, no storage.

Run by ``bench/perf.py`` with ``scrapy runspider`` from a folder without
``scrapy.cfg`` (so none of the project's settings, middlewares or pipelines load), with
the same politeness-off settings and concurrency as the full crawl. At the end it
writes Scrapy's stats as JSON to ``-a stats_out=FILE``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals

LOC = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>")
HREF = re.compile(rb"""<a\s[^>]*?href\s*=\s*["']([^"'#]+)""", re.I)
SITEMAP_LINE = re.compile(rb"^\s*Sitemap:\s*(\S+)", re.I | re.M)
# What the project's spider never requests either (tags, authors, search, feeds, files).
NEVER = re.compile(
    r"^/(?:tag|tags|author|authors|search|wp-admin|wp-login|wp-json|feed|comments|login|register|"
    r"cart|account|print)(?:/|$)|\.(?:jpe?g|png|gif|webp|svg|pdf|zip|mp[34]|css|js|ico|woff2?)$",
    re.I,
)


def _thread_cpu() -> float:
    """CPU seconds of this thread (Scrapy's reactor), as the project's store records them."""
    import resource

    r = resource.getrusage(resource.RUSAGE_THREAD)
    return round(r.ru_utime + r.ru_stime, 3)


class BareSpider(scrapy.Spider):
    name = "bare"
    # The crawl's garbage-collector tuning, by the crawl's own extension
    # (newsspider/gc_tuning.py; GC_THRESHOLDS given by bench/perf.py): the baseline gets
    # every speed switch the crawl gets.
    custom_settings = {"EXTENSIONS": {"newsspider.gc_tuning.GcTuning": 0}}

    def __init__(self, base_url: str, stats_out: str = "", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/") + "/"
        self.host = urlsplit(self.base_url).netloc
        self.stats_out = stats_out
        self.seen: set[str] = set()   # as the project's spider: each URL requested once

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.closed_write_stats, signal=signals.spider_closed)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        return spider

    def opened(self, spider):
        self.crawler.stats.set_value("newsspider/cpu_thread_open_s", _thread_cpu())

    def closed_write_stats(self, spider, reason):
        if self.stats_out:
            stats = dict(self.crawler.stats.get_stats())
            start = stats.get("start_time")
            stats["newsspider/cpu_thread_s"] = _thread_cpu()
            if start is not None:  # CoreStats sets elapsed_time_seconds after this handler
                stats["elapsed_time_seconds"] = (datetime.now(timezone.utc) - start).total_seconds()
            with open(self.stats_out, "w") as f:
                json.dump(stats, f, default=str)

    async def start(self):
        for path in ("robots.txt", "sitemap.xml", "feed/", ""):
            self.seen.add(urljoin(self.base_url, path))
            yield scrapy.Request(urljoin(self.base_url, path), callback=self.parse)

    def parse(self, response):
        body = response.body
        if response.url.endswith("robots.txt"):
            links = SITEMAP_LINE.findall(body)
        elif b"<urlset" in body[:500] or b"<sitemapindex" in body[:500]:
            links = LOC.findall(body)
        elif b"<rss" in body[:500]:
            links = re.findall(rb"<link>\s*([^<\s]+)\s*</link>", body)
        else:
            links = HREF.findall(body)
        for raw in links:
            url = urljoin(response.url, raw.decode("utf-8", "replace").strip())
            parts = urlsplit(url)
            if url in self.seen or parts.netloc != self.host or NEVER.search(parts.path):
                continue
            self.seen.add(url)
            yield scrapy.Request(url, callback=self.parse)
