"""Downloader middlewares: redirects that stay on the portal, retries that back off.

``PortalRedirectGuard`` refuses every redirected request (HTTP 3xx or meta refresh)
whose host is not the portal's own, naming private and loopback addresses as such, so
page content and redirects cannot make the crawler fetch anything else (no SSRF).
Scrapy's OffsiteMiddleware does not cover this: it lets any request with
``dont_filter`` through, and article requests need ``dont_filter`` so that Scrapy's
dupefilter does not silently swallow the repeat of a redirect loop.

Scrapy's ``RetryMiddleware`` re-queues a failed request at once. This subclass waits
before handing the retry back: ``RETRY_BACKOFF_BASE * 2**(n-1)`` seconds for the n-th
retry, or the server's ``Retry-After`` (seconds or an HTTP date) when it sends one on a
429/503, both capped at ``RETRY_BACKOFF_MAX``. The wait is asynchronous: other requests
go on meanwhile. What still fails after ``RETRY_TIMES`` reaches the spider's errback,
which records it in the archive's ``failures`` table for the next run.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

import ipaddress
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(retry, retry_after(response.headers.get(b"Retry-After")))
        return retry

    async def process_exception(self, request, exception, spider=None):
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(retry, None)
        return retry

    async def _wait(self, retry, server_delay: float | None) -> None:
        n = retry.meta.get("retry_times", 1)
        delay = server_delay if server_delay is not None else self.backoff_base * 2 ** (n - 1)
        delay = max(0.0, min(delay, self.backoff_max))
        if delay:
            self.crawler.stats.inc_value("retry/backoff_seconds", delay)
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))


def retry_after(value: bytes | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), None if absent/bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def is_internal_address(host: str) -> bool:
    """An IP literal in a private, loopback, link-local or reserved range."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast


class PortalRedirectGuard:
    """Refuse redirected requests that leave the portal's host."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if not request.meta.get("redirect_urls"):
            return None
        spider = self.crawler.spider
        portal = getattr(spider, "host", None)
        if portal is None:
            return None
        host = _host(request.url)
        if host == portal:
            return None
        self.crawler.stats.inc_value("newsspider/redirects_refused")
        what = "a private or loopback address" if is_internal_address(host) else "another host"
        raise IgnoreRequest(f"not following a redirect off the portal: {request.url} is {what}")
