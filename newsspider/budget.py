"""Per-run budgets: a run stops cleanly after ``RUN_MAX_SECONDS`` of wall time or
``RUN_MAX_REQUESTS`` requests, whatever the portal's pages make it discover.

Endless pagination, sitemap-index chains or related-link chains are cut by their own
limits (spider settings); this is the bound under all of them, and it keeps an hourly
cron run from holding the archive's lock into the next hour. Requests in flight when
the budget is spent finish (at most DOWNLOAD_TIMEOUT later). The spider closes with
reason ``budget_time`` or ``budget_requests``: the batch in flight is written, the run
is recorded as ``budget`` in ``runs``, the command exits 3, and the next run goes on
(what was not fetched is still new or due, so it is asked for again).
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

log = logging.getLogger(__name__)

BUDGET_REASONS = ("budget_time", "budget_requests")


class RunBudget:
    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.max_seconds = s.getfloat("RUN_MAX_SECONDS", 0)
        self.max_requests = s.getint("RUN_MAX_REQUESTS", 0)
        if not self.max_seconds and not self.max_requests:
            raise NotConfigured
        self.requests = 0
        self.timer = None
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        if ext.max_requests:
            crawler.signals.connect(ext.request_sent, signal=signals.request_reached_downloader)
        return ext

    def spider_opened(self, spider):
        if self.max_seconds:
            from twisted.internet import reactor

            self.timer = reactor.callLater(self.max_seconds, self._stop, "budget_time",
                                           f"the run's wall-time budget of {self.max_seconds:g} s is spent")

    def request_sent(self, request, spider):
        """Requests sent, not queued: a sitemap queues every article at once."""
        self.requests += 1
        if self.requests >= self.max_requests:
            self._stop("budget_requests", f"the run's budget of {self.max_requests} requests is spent")

    def _stop(self, reason: str, message: str) -> None:
        if self.closing:
            return
        self.closing = True
        self.crawler.stats.set_value("newsspider/budget", message)
        log.warning("%s: stopping the run cleanly; the next run goes on", message)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def spider_closed(self, spider):
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
