"""Downloader middlewares: one URL policy on every request, robots.txt as RFC 9309
reads it, charsets that are text encodings, retries that back off.

``UrlPolicyMiddleware`` checks every request against the spider's ``UrlPolicy``
(``newsspider.urls``): scheme http(s), the portal's host and port, no user information,
checked on the URL as Scrapy requests it. Redirects come back through it as new
requests, so a redirect off the portal is refused too (no SSRF). Scrapy's
OffsiteMiddleware does not cover this: it compares host names only, and lets any
request with ``dont_filter`` through.

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

import re

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater

from newsspider.urls import is_internal_address  # noqa: F401  (re-exported for the tests)


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


class UrlPolicyMiddleware:
    """The URL policy (``newsspider.urls``), enforced on every request that reaches the
    downloader: discovery, articles, retries, redirects (HTTP 3xx and meta refresh come
    back through here as new requests) and Scrapy's own robots.txt requests. The spider
    already filters what it discovers; this is the second check no code path can skip.
    A refused request is counted in the stats (``newsspider/refused/url_policy``) and
    ends in its errback, where an article's becomes a ``refused`` failure."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        policy = getattr(self.crawler.spider, "policy", None)
        if policy is None:
            raise IgnoreRequest(f"no URL policy: {request.url} is not fetched")
        reason = policy.refusal(request.url)
        if reason is None:
            return None
        self.crawler.stats.inc_value("newsspider/refused/url_policy")
        if request.meta.get("redirect_urls"):
            self.crawler.stats.inc_value("newsspider/redirects_refused")
            raise IgnoreRequest(f"not following a redirect off the portal: {request.url}: {reason}")
        raise IgnoreRequest(f"refused by the URL policy: {request.url}: {reason}")


class _DisallowAll:
    """The robots.txt rules of a host whose robots.txt could not be fetched."""

    def allowed(self, url, user_agent) -> bool:
        return False


class RobotsRfc9309Middleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with RFC 9309 section 2.3.1's reading of a
    robots.txt that cannot be fetched: 4xx means no rules (allow), but a 5xx answer, a
    timeout, a connection error or a redirect the URL policy refuses means the host is
    unreachable, so everything is disallowed (Scrapy allows everything then). The run
    then fetches nothing, records ``newsspider/robots_unreachable`` and fails (exit 1)
    with the reason, and the next run asks again."""

    UNREACHABLE = "robots.txt unreachable"

    async def _parse_robots(self, response, netloc, request):
        if response.status >= 500:
            self._unreachable(netloc, f"HTTP {response.status}")
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc, netloc):
        if not isinstance(exc, IgnoreRequest):
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unreachable(netloc, f"{type(exc).__name__}: {exc}"[:200])

    def _unreachable(self, netloc, why):
        self._stats.set_value("newsspider/robots_unreachable", f"{netloc}: {why}")
        rp_dfd = self._parsers[netloc]
        self._parsers[netloc] = _DisallowAll()
        if hasattr(rp_dfd, "callback"):
            rp_dfd.callback(self._parsers[netloc])

    def process_request_2(self, rp, request):
        if isinstance(rp, _DisallowAll):
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"{self.UNREACHABLE} ({self._stats.get_value('newsspider/robots_unreachable')}): "
                                "RFC 9309 says disallow all")
        return super().process_request_2(rp, request)


class CookiesMiddleware:
    """Scrapy's ``CookiesMiddleware``, imported only when ``COOKIES_ENABLED`` (off here: a
    news archive keeps no session, and a portal's cookies would make one fetch differ
    from the next). Scrapy's module imports tldextract before the middleware can say it
    is not configured: 90 ms of every crawl's start-up for a middleware that never runs.
    It stands in Scrapy's place in ``DOWNLOADER_MIDDLEWARES_BASE``, at the same priority,
    so ``-s COOKIES_ENABLED=True`` still turns Scrapy's own on."""

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("COOKIES_ENABLED"):
            raise NotConfigured
        from scrapy.downloadermiddlewares.cookies import CookiesMiddleware as ScrapyCookiesMiddleware

        return ScrapyCookiesMiddleware.from_crawler(crawler)


class CharsetGuardMiddleware:
    """Drop a ``charset`` that names a Python codec which is not a text encoding.

    ``Content-Type: text/html; charset=zlib`` (or ``idna``, ``rot13``, ``punycode``,
    ``undefined``) makes Scrapy decode the page with that codec, which raises on every
    read of ``response.text``: the page could never be archived. Without the bogus
    charset the page is decoded as a browser would (its own ``<meta>``, then sniffing)."""

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        ctype = response.headers.get(b"Content-Type")
        if not ctype or b"charset" not in ctype.lower():
            return response
        match = re.search(rb"charset\s*=\s*[\"']?([^\s;\"']*)", ctype, re.I)
        if match is None or is_text_encoding(match.group(1).decode("latin-1")):
            return response
        headers = response.headers.copy()
        headers[b"Content-Type"] = (ctype[:match.start()].rstrip(b"; ") + ctype[match.end():]).strip(b"; ")
        # encoding=None: replace() would otherwise carry the bogus encoding over
        cls = responsetypes.from_args(headers=headers, url=response.url, body=response.body)
        extra = {"encoding": None} if issubclass(cls, TextResponse) else {}
        if self.crawler is not None:
            self.crawler.stats.inc_value("newsspider/charset_dropped")
        return response.replace(cls=cls, headers=headers, **extra)


def is_text_encoding(name: str) -> bool:
    """Does ``name`` name a codec that turns bytes into text (unknown names count as
    text: decoding falls back on its own)?"""
    import codecs

    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return True
    if name.strip().lower() in ("undefined",) or info.name in ("undefined", "idna", "punycode"):
        return False
    return getattr(info, "_is_text_encoding", True)
