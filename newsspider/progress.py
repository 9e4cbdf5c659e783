"""Progress of a long run: every ``PROGRESS_INTERVAL`` (15 s) on a terminal, and every
``PROGRESS_LOG_INTERVAL`` (60 s) in the log.

A crawl of the real portal is polite (one or two requests at a time, a second apart), so
its first sitemap alone queues hours of work; this says what has been done, what is
queued and, from the pace of the last interval and the politeness limit, roughly when it
will end:

    progress: 120 pages fetched (104 articles: 96 new, 2 changed, 6 unchanged), 3 failures,
    450 queued, 58 pages/min; about 8 min to go (the politeness limit allows 120 pages/min)

It replaces Scrapy's LogStats, which says only "Crawled N pages".
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from twisted.internet import task

log = logging.getLogger("newsspider.progress")


class Progress:
    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.tty = sys.stderr.isatty()
        self.interval = s.getfloat("PROGRESS_INTERVAL", 15)
        self.log_interval = s.getfloat("PROGRESS_LOG_INTERVAL", 60)
        delay = s.getfloat("DOWNLOAD_DELAY", 0)
        per_domain = s.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
        self.limit_per_min = 60 * per_domain / delay if delay > 0 else None
        self.loop = None
        self.last = (time.monotonic(), 0)
        self.last_logged = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        tick = self.interval if self.tty else self.log_interval
        if tick > 0:
            self.loop = task.LoopingCall(self.tick)
            self.loop.start(tick, now=False)

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def queued(self) -> int | None:
        try:
            return len(self.crawler.engine._slot.scheduler)
        except Exception:
            return None

    def line(self) -> str:
        st = self.crawler.stats
        pages = st.get_value("response_received_count", 0)
        now = time.monotonic()
        then, before = self.last
        self.last = (now, pages)
        rate = (pages - before) * 60 / max(now - then, 1e-6)
        new, changed, same = (st.get_value(f"newsspider/articles_{k}", 0) for k in ("new", "updated", "unchanged"))
        failures = st.get_value("newsspider/failures", 0)
        queued = self.queued()
        text = (f"progress: {pages} pages fetched ({new + changed + same} articles: {new} new, {changed} changed, "
                f"{same} unchanged), {failures} failures")
        if queued is not None:
            text += f", {queued} queued"
        text += f", {rate:.0f} pages/min"
        if queued:
            pace = rate or self.limit_per_min
            if pace:
                text += f"; about {queued / pace:.0f} min to go"
            if self.limit_per_min:
                text += f" (the politeness limit allows {self.limit_per_min:.0f} pages/min)"
        return text

    def tick(self):
        text = self.line()
        now = time.monotonic()
        if now - self.last_logged >= self.log_interval - 0.5:
            self.last_logged = now
            log.info(text)  # stderr and the log file
        elif self.tty:
            print(text, file=sys.stderr, flush=True)
