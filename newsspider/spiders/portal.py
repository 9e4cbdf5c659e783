"""The ``portal`` spider: discover the portal's articles and fetch each one once.

Discovery, in this order: URLs whose earlier failure is due for a retry (from the
archive), ``robots.txt`` ``Sitemap:`` lines and ``/sitemap.xml`` (indexes followed);
then, once those are done (so every article's ``<lastmod>`` is known), the RSS/Atom
feed (``/feed/`` and any ``<link rel=alternate>`` feed), the home page, section pages
(menu links, pagination followed) and each article's "আরও খবর" links.
Only the portal's own host is followed. Parsing is not done here: the page's bytes go to
``newsspider.parse.parse_article`` and the fields become an ``Article`` item for the
pipelines (normalize → validate → store). A URL the crawl gives up on becomes a
``Failure`` item, so it is recorded with its reason and retried by the next run.

Incremental: an article already in the archive is requested again only when it is due
(``crawl_state.next_due``, from the revisit schedule) or the sitemap's ``<lastmod>``
is newer than when it was fetched, and then conditionally (``If-None-Match`` /
``If-Modified-Since``); a 304 becomes a ``NotModified`` item. Section pages are followed
back only until a page links nothing new or due.

Arguments (``scrapy crawl portal -a NAME=VALUE``), all optional:
  portal        a portal of the registry (newsspider/portals.toml) by name; the crawl
                command also takes ``all`` or names separated by commas (one crawler each)
  base_url      the portal's root (default: the PORTAL_URL setting, https://usbanglanews.com/)
  url           fetch and store this one article only
  section       crawl one section only: its slug (``international``) or its URL
  start_url     start discovery from this listing page instead of the whole site
  max_articles  stop after this many article pages have been requested
  since         only articles published on or after this date (YYYY-MM-DD, the portal's day)
  follow_related  1/0: follow the "আরও খবর" links (default: 1 for a whole-portal
                crawl, 0 for a one-off run, where they are stored as data only)
One-off runs (url, section, start_url, max_articles, since) fetch what they are asked
for and leave the revisit schedule of other articles alone: ``section`` that section's
listing pages and their articles, ``start_url`` that page and the pages after it.
``since`` skips, before fetching, what the sitemap's ``<lastmod>`` or a listing's teaser
date shows to be older, and stops following a section back once a whole page is older.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from twisted.internet.defer import TimeoutError as DefTimeoutError
from twisted.internet.error import TCPTimedOutError, TimeoutError

try:  # Scrapy >= 2.13
    from scrapy.exceptions import DownloadCancelledError
except ImportError:  # pragma: no cover
    from twisted.internet.defer import CancelledError as DownloadCancelledError
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.response import get_base_url
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from newsspider import portals
from newsspider.items import Article, Failure, FrontPage, NotModified, RawResponse
from newsspider.urls import UrlPolicy, as_requested, clean_url, fold, remember, settle_url, variant_key
from newsspider.parse import NotHTML, parse_article
from newsspider.parseworker import ParseWorker
from newsspider.parse.profiles import all_profiles
from pipelines.store import KEPT_HEADERS, crawl_states, failures_waiting, portal_named, retry_candidates

# Generic URL shapes, for any portal whose template no profile describes.
ARTICLE_PATHS = (
    r"/\d{4}/\d{1,2}/(?:\d{1,2}/)?[^/]+/?$",          # WordPress date permalinks
    r"/(?:news|article|story|details|post|archives)/\d+(?:/[^/]*)?/?$",
    r"/\d{3,}(?:-[^/]+)?/?$",                          # /.../12345/ or /12345-slug/
    r"/[^/]*(?:%e0%a6|%e0%a7|[\u0980-\u09ff])[^/]*/?$",  # Bangla slug (raw or %-encoded)
)
SECTION_PATHS = (
    r"^/(?:category|categories|section|sections|newscat|topic|topics|cat)/[^/]+(?:/[^/]+)?/?(?:page/\d+/?)?$",
)
NEVER_PATHS = re.compile(
    r"^/(?:tag|tags|author|authors|search|wp-admin|wp-login|wp-json|feed|comments|login|"
    r"register|cart|account|print|amp/feed)(?:/|$)|\.(?:jpe?g|png|gif|webp|svg|pdf|zip|mp[34]|"
    r"css|js|xml|ico|woff2?)$|/feed/?$|/amp/?$",
    re.I,
)
# One key per article however it is linked; the URL policy decides what may be fetched.
# Remembered for the last links folded: a portal links the same pages from page after page.
canonical_key = remember(fold)
# Links joined to their page's base URL, remembered alike (every listing page repeats the
# portal's menus and latest-news boxes): what ``response.urljoin`` returns.
_joined = remember(urljoin)


def _strings(response, expr: str) -> list[str]:
    """``response.xpath(expr).getall()`` for an expression that selects strings (attribute
    values), read from the document lxml built: parsel wraps every result in a Selector
    first (a listing page's 88 links: 445 against 21 us). A body parsel reads as JSON or
    plain text has no elements: no strings (parsel raised ValueError on it)."""
    selector = response.selector
    if selector.type in ("html", "xml"):
        return selector.root.xpath(expr, smart_strings=False)
    return []


def _absolute(response, href: str) -> str:
    """``response.urljoin(href)`` (its base: the page's ``<base href>`` or URL)."""
    return _joined(get_base_url(response), href)


def _parse_since(value: str) -> datetime:
    """A date (YYYY-MM-DD) or an ISO 8601 time; ValueError with the reason otherwise."""
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ].+)?", text):
        raise ValueError(f"since={value!r} is not a date: give YYYY-MM-DD (the portal's day), e.g. since=2025-05-01")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"since={value!r} is not a valid date: give YYYY-MM-DD, e.g. since=2025-05-01") from None


BOOLEAN_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


class PortalSpider(scrapy.Spider):
    name = "portal"
    argument_names = ("base_url", "url", "section", "start_url", "max_articles", "since", "follow_related",
                      "portal")

    @classmethod
    def argument_error(cls, args: dict, settings) -> str | None:
        """One line on what is wrong with the ``-a`` arguments, or None. Checked by the
        crawl command before anything starts (exit 2), so a misspelled name or a bad
        value never turns into a full crawl, a traceback or a silent no-op."""
        unknown = sorted(set(args) - set(cls.argument_names))
        if unknown:
            return (f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                    f"valid: {', '.join(cls.argument_names)}")
        base = args.get("base_url") or settings.get("PORTAL_URL")
        if args.get("portal") is not None:
            if args.get("base_url"):
                return "give one of portal and base_url"
            try:
                chosen = portals.for_settings(settings).select(str(args["portal"]))
            except portals.RegistryError as exc:
                return str(exc)
            if len(chosen) > 1 and any(args.get(k) for k in ("url", "section", "start_url")):
                return "url, section and start_url are for one portal: give portal=NAME"
            base = chosen[0].base_url
        try:
            policy = UrlPolicy(base if base.endswith("/") else base + "/")
        except ValueError:
            return f"base_url={base!r} is not a portal's address: give http(s)://host/, e.g. https://usbanglanews.com/"
        for name in ("url", "start_url"):
            value = args.get(name)
            if value is None:
                continue
            parts = urlsplit(str(value).strip())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return f"{name}={value!r} is not a URL: give an absolute http(s) URL of the portal"
            reason = policy.refusal(value)
            if reason:
                return f"{name}={value!r} is not on the portal {base} ({reason}); not fetching it"
        if "max_articles" in args:
            value = str(args["max_articles"]).strip()
            if not value.isdigit() or int(value) < 1:
                return f"max_articles={args['max_articles']!r} is not a positive whole number, e.g. max_articles=50"
        if "since" in args:
            try:
                _parse_since(args["since"])
            except ValueError as exc:
                return str(exc)
        if "follow_related" in args and str(args["follow_related"]).strip().lower() not in BOOLEAN_WORDS:
            return f"follow_related={args['follow_related']!r}: give 1 or 0"
        if "section" in args and not str(args["section"]).strip().strip("/"):
            return "section= is empty: give a section's slug (e.g. international) or its URL"
        if sum(1 for k in ("url", "section", "start_url") if args.get(k)) > 1:
            return "give one of url, section and start_url"
        return None

    def __init__(self, base_url=None, url=None, section=None, start_url=None,
                 max_articles=None, since=None, follow_related=None, portal=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portal = portal
        self.base_url = base_url
        self.url = url.strip() if url else url
        self.section = section.strip() if section else section
        self.start_url = start_url.strip() if start_url else start_url
        self.max_articles = int(max_articles) if max_articles not in (None, "", "0") else None
        self.since = _parse_since(since) if since else None
        # one-off runs leave the revisit schedule of other articles alone, and fetch what
        # they were asked for: the "আরও খবর" links they meet are stored as data, not
        # followed (unless follow_related=1)
        self.one_off = bool(url or section or start_url or self.max_articles or self.since)
        if follow_related is None:
            self.follow_related = not self.one_off
        else:
            self.follow_related = BOOLEAN_WORDS.get(str(follow_related).strip().lower(), True)
        self.now = datetime.now(timezone.utc)
        self.states: dict[str, tuple] = {}
        self.waiting: set[str] = set()       # failed URLs whose retry is not due yet
        self.lastmods: dict[str, str] = {}   # canonical key -> the sitemap's <lastmod>
        self.listings_started = False
        self.seen: set[str] = set()
        self.article_requests = 0
        self.variants: dict[str, set[str]] = {}  # page key -> query variants requested
        self.too_old: set[str] = set()  # keys a sitemap or listing dated before `since`
        self.profiles = all_profiles()
        self._article_urls = remember(self._looks_like_article_url)  # by this spider's profiles
        self.frontier = None  # the distributed mode's shared state (newsspider.cluster)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        registry = portals.for_settings(s)
        # the portal: -a portal=NAME (its registry entry), else -a base_url / PORTAL_URL
        # and the entry of that address if there is one (the crawl command applies the
        # entry's settings: zone, delay, concurrency, revisit schedule)
        entry = registry.get(spider.portal) if spider.portal else None
        spider.base_url = (entry.base_url if entry else None) or spider.base_url or s.get("PORTAL_URL")
        if not spider.base_url.endswith("/"):
            spider.base_url += "/"
        spider.portal_entry = entry or registry.for_url(spider.base_url)
        spider.archive_path = s.get("ARCHIVE_PATH")
        spider.portal_name = (spider.portal_entry.name if spider.portal_entry
                              else (spider.archive_path and portal_named(spider.archive_path, spider.base_url))
                              or portals.name_for_url(spider.base_url))
        spider.tz = s.get("PORTAL_TIMEZONE", "America/New_York")
        # a portal without a profile of its own (it may share a profile's template) has
        # its dates read in its own zone; one with a profile in the profile's
        spider.portal_zone = (spider.tz if spider.portal_entry is not None and not spider.portal_entry.profile
                              else None)
        if spider.since is not None and spider.since.tzinfo is None:
            # a date without an offset is the portal's own day
            spider.since = spider.since.replace(tzinfo=ZoneInfo(spider.tz))
        spider.archive_path = s.get("ARCHIVE_PATH")
        spider.section_max_pages = s.getint("SECTION_MAX_PAGES", 300)
        spider.sitemap_max_depth = s.getint("SITEMAP_MAX_DEPTH", 3)
        spider.related_max_depth = s.getint("RELATED_MAX_DEPTH", 3)
        spider.variants_per_page = s.getint("QUERY_VARIANTS_PER_PAGE", 3)
        spider.max_size = s.getint("DOWNLOAD_MAXSIZE", 10 * 1024 * 1024)
        spider.policy = UrlPolicy(spider.base_url)
        spider.host = spider.policy.host
        contact = s.get("OPERATOR_CONTACT")
        if contact:
            spider.user_agent = f"{s.get('USER_AGENT').rstrip(')')}; operator: {contact})"
        elif not _is_local(spider.host):
            spider.logger.warning(
                "the User-Agent names no operator: set -s OPERATOR_CONTACT=you@example.org (or in "
                "newsspider/settings.py) so that %s can reach whoever runs this crawl", spider.host)
        spider.allowed_domains = [spider.host]
        if s.get("CLUSTER_REDIS_URL"):
            # distributed mode: the archive's state comes through Redis (seeded from it);
            # a crawler never opens the SQLite archive
            from newsspider.cluster.frontier import Frontier

            spider.frontier = Frontier(crawler, spider)
            spider.archive_path = None
            spider.states = {canonical_key(u): v for u, v in spider.frontier.crawl_states().items()}
            spider.waiting = {canonical_key(u) for u in spider.frontier.failures_waiting()}
        elif spider.archive_path:
            spider.states = {canonical_key(u): v
                             for u, v in crawl_states(spider.archive_path, spider.portal_name).items()}
            spider.waiting = {canonical_key(u) for u in failures_waiting(spider.archive_path,
                                                                          portal=spider.portal_name)}
        crawler.signals.connect(spider.spider_idle, signal=scrapy.signals.spider_idle)
        # article pages are parsed in a process of their own (newsspider/parseworker.py)
        spider.parse_worker = ParseWorker() if s.getbool("PARSE_WORKER", True) else None
        if spider.parse_worker is not None:
            # started by the first article page (a run that fetches none, as an hourly run
            # of an unchanged portal, starts none), ended and waited for at the close
            crawler.signals.connect(spider.parse_worker.close, signal=scrapy.signals.spider_closed)
        return spider

    def spider_idle(self):
        """Sitemaps (and what they listed) are done: now the feed and the listing pages."""
        if self.frontier is not None:
            return self.frontier.on_idle()  # done when the whole crawl is, for every worker
        if self.listings_started or self.url or self.section or self.start_url:
            return  # those runs start from what they were given, not from the home page
        self.listings_started = True
        for request in self.listing_requests():
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    # -- start ---------------------------------------------------------------------
    async def start(self):
        if self.frontier is not None and not self.frontier.claim_start():
            return  # another worker runs discovery's start; this one takes from the queue
        for request in self.start_requests():
            yield request
        if self.frontier is not None:
            self.frontier.start_done()

    def start_requests(self):
        if self.url:  # one article, nothing else
            if self._allowed(self.url, "argument"):
                yield from self._article_requests([self.url], source="argument")
            else:
                self.logger.error("not fetching %s: %s", self.url, self.policy.refusal(self.url))
            return
        if self.section:
            target = self.section if "/" in self.section else urljoin(self.base_url, f"category/{self.section}/")
            yield self._listing(target, source="section-argument")
            return
        if self.start_url:
            yield self._listing(self.start_url, source="start_url")
            return
        if self.frontier is not None:
            due = self.frontier.retry_candidates()
        else:
            due = retry_candidates(self.archive_path, portal=self.portal_name) if self.archive_path else []
        refused = [u for u in due if not self._allowed(u, "retry")]
        for u in refused:  # never fetched; recorded so that it stops being retried
            yield Failure(u, f"refused by the URL policy: {self.policy.refusal(u)}", kind="refused",
                          permanent=True, failed_at=self.now.isoformat(timespec="seconds"))
        due = [u for u in due if u not in refused]
        if due:
            self.logger.info("retrying %d URLs that failed in earlier runs", len(due))
            self.crawler.stats.set_value("newsspider/retried_failures", len(due))
        for u in due:
            if self._is_article_url(u):
                yield from self._article_requests([u], source="retry")
            else:
                yield self._listing(u, source="retry")
        yield scrapy.Request(urljoin(self.base_url, "robots.txt"), callback=self.parse_robots,
                             errback=self.discovery_failed, priority=30, meta={"role": "robots"})
        yield scrapy.Request(urljoin(self.base_url, "sitemap.xml"), callback=self.parse_sitemap,
                             errback=self.discovery_failed, priority=20, meta={"role": "sitemap"})

    def listing_requests(self):
        yield scrapy.Request(urljoin(self.base_url, "feed/"), callback=self.parse_feed,
                             errback=self.discovery_failed, priority=20, meta={"role": "feed"})
        yield self._listing(self.base_url, source="home")

    # -- discovery -----------------------------------------------------------------
    def _capture(self, response) -> RawResponse:
        """A discovery page (robots.txt, a sitemap, a feed) as a capture: stored when its
        bytes changed, its fetch recorded, and so in the WARC export."""
        fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        requested = (response.meta.get("redirect_urls") or [response.request.url if response.request else response.url])[0]
        self.crawler.stats.inc_value(f"newsspider/captures/{response.meta.get('role', 'discovery')}")
        return RawResponse(requested, response.url, response.status, _headers(response), response.body, fetched_at,
                           request_headers=_request_headers(response))

    def parse_robots(self, response):
        yield self._capture(response)
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if self._allowed(url, "robots"):
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.discovery_failed,
                                     priority=20, meta={"role": "sitemap", "depth_sitemap": 0})

    def parse_sitemap(self, response):
        yield self._capture(response)
        body = response.body
        if body[:2] == b"\x1f\x8b":
            # A .xml.gz served without Content-Encoding: decompressed here, never past
            # DOWNLOAD_MAXSIZE (a 2 MB gzip bomb expands to gigabytes).
            try:
                body = gunzip(body, max_size=self.max_size)
            except Exception as exc:
                self.crawler.stats.inc_value("newsspider/bad_sitemaps")
                self.logger.warning("sitemap %s not read: %s", response.url,
                                    "larger than DOWNLOAD_MAXSIZE once decompressed"
                                    if "max" in str(exc).lower() or "size" in type(exc).__name__.lower() else exc)
                return
        try:
            sitemap = Sitemap(body)
        except Exception:
            self.crawler.stats.inc_value("newsspider/bad_sitemaps")
            return
        if sitemap.type == "sitemapindex":
            depth = response.meta.get("depth_sitemap", 0) + 1
            if depth > self.sitemap_max_depth:
                self.crawler.stats.inc_value("newsspider/limits/sitemap_depth")
                self.logger.warning("sitemap index %s not followed: nested %d deep (SITEMAP_MAX_DEPTH)",
                                    response.url, depth)
                return
            for entry in sitemap:
                loc = entry.get("loc")
                if loc and self._allowed(loc, "sitemap"):
                    yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.discovery_failed,
                                         priority=20, meta={"role": "sitemap", "depth_sitemap": depth})
            return
        articles, listings, lastmods = [], [], {}
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc or not self._allowed(loc, "sitemap"):
                continue
            if self._is_article_url(loc):
                lastmod = (entry.get("lastmod") or "").strip() or None
                if self.since and lastmod and _before(lastmod, self.since):
                    self.too_old.add(canonical_key(loc))  # not fetched, whichever channel links it
                    self.crawler.stats.inc_value("newsspider/skipped/before_since")
                    continue
                articles.append(loc)
                lastmods[loc] = lastmod
                if lastmod:
                    self.lastmods[canonical_key(loc)] = lastmod
            elif self._is_section_url(loc):
                listings.append(loc)
        self.crawler.stats.inc_value("newsspider/discovered/sitemap", len(articles))
        yield from self._article_requests(articles, source="sitemap", lastmods=lastmods)
        for loc in listings:
            yield self._listing(loc, source="sitemap")

    def parse_feed(self, response):
        yield self._capture(response)
        try:
            root = etree.fromstring(response.body, parser=etree.XMLParser(recover=True, resolve_entities=False,
                                                                          no_network=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            self.crawler.stats.inc_value("newsspider/bad_feeds")
            return
        links = [l.text.strip() for l in root.iter("link") if l.text and l.text.strip()]
        links += [l.get("href") for l in root.iter("{http://www.w3.org/2005/Atom}link")
                  if l.get("href") and l.get("rel", "alternate") == "alternate"]
        articles = [u for u in (urljoin(response.url, l.strip()) for l in links)
                    if self._allowed(u, "feed") and self._is_article_url(u)]
        self.crawler.stats.inc_value("newsspider/discovered/feed", len(articles))
        yield from self._article_requests(articles, source="feed")

    def parse_listing(self, response):
        """Home, section and other listing pages: article links, section links, the next page."""
        if response.status == 304:  # a section's first page, unchanged since the last run
            requested = (response.meta.get("redirect_urls") or [response.request.url])[0]
            yield NotModified(requested, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              _headers(response), revisit=False, request_headers=_request_headers(response),
                              final_url=response.url, front_page=True)
            return
        if not isinstance(response, TextResponse):
            return
        if self._is_front_page(response):
            yield self._front_page(response)
        if response.meta.get("source") == "home":
            for href in _strings(response, "//link[@rel='alternate'][contains(@type,'rss') or "
                                           "contains(@type,'atom')]/@href"):
                if self._allowed(response.urljoin(href.strip()), "feed"):
                    yield scrapy.Request(response.urljoin(href.strip()), callback=self.parse_feed,
                                         errback=self.discovery_failed, priority=20, meta={"role": "feed"})
        articles, listings = [], []
        for href in self._listing_hrefs(response):
            url = _absolute(response, href.strip())
            if not self._allowed(url, "listing"):
                continue
            if self._is_article_url(url):
                articles.append(url)
            elif self._is_section_url(url):
                listings.append(url)
        page = response.meta.get("page", 1)
        if self.since:
            dated = teaser_dates(response, articles, self.tz)
            old = [u for u in articles if dated.get(canonical_key(u)) and _before(dated[canonical_key(u)], self.since)]
            self.crawler.stats.inc_value("newsspider/skipped/before_since", len(old))
            self.too_old.update(canonical_key(u) for u in old)
            newer = [u for u in articles if dated.get(canonical_key(u)) and canonical_key(u) not in self.too_old]
            articles = [u for u in articles if canonical_key(u) not in self.too_old]
            if old and not newer and response.meta.get("source") != "home":
                # every dated teaser is older than `since`: so are the section's older
                # pages (undated links, a sidebar's "latest", do not keep it going)
                self.crawler.stats.inc_value("newsspider/pagination_stopped/since")
                yield from self._article_requests(articles, source="listing")
                return
        yield from self._article_requests(articles, source="listing")
        # Follow the section back only while its pages still link something new or due.
        if articles and not any(self._wanted(u) for u in articles):
            self.crawler.stats.inc_value("newsspider/pagination_stopped")
            return
        for next_href in _strings(response, "//link[@rel='next']/@href | //a[@rel='next']/@href | "
                                            "//a[contains(concat(' ',@class,' '),' next ')]/@href")[:1]:
            next_url = response.urljoin(next_href.strip())
            if self.section_max_pages and page >= self.section_max_pages:
                self.crawler.stats.inc_value("newsspider/limits/section_pages")
                self.logger.warning("pagination stopped at %s: %d pages (SECTION_MAX_PAGES)", response.url, page)
            elif self._allowed(next_url, "pagination"):
                yield self._listing(next_url, source="pagination", page=page + 1)
        if response.meta.get("source") in ("home", "retry"):
            for url in listings:
                yield self._listing(url, source="menu")

    def _listing_hrefs(self, response) -> list[str]:
        """The links of a listing page. A whole-portal crawl takes them all (discovery);
        a one-off run of a section or a start page only the page's own list: its main
        element when it has one, else the page without its sidebars, menus, header and
        footer (their "latest" and "popular" boxes link every section)."""
        if not (self.section or self.start_url):
            return _strings(response, "//a/@href")
        main = _strings(response, "(//main | //*[@role='main'])//a/@href")
        if main:
            return main
        chrome = ("ancestor::aside or ancestor::nav or ancestor::footer or ancestor::header or "
                  "ancestor::*[contains(@class,'sidebar') or contains(@id,'sidebar')]")
        return _strings(response, f"//a[not({chrome})]/@href")

    # -- front pages ---------------------------------------------------------------
    def _is_front_page(self, response) -> bool:
        """The home page, or the first page of a section (not a later page, not a tag)."""
        meta = response.meta
        if response.status != 200 or meta.get("source") in ("pagination", "retry"):
            return False
        if meta.get("source") == "home":
            return True
        path = urlsplit(response.url).path
        return meta.get("page", 1) == 1 and "/page/" not in path and self._is_section_url(response.url)

    def _front_page(self, response) -> FrontPage:
        """The capture: the response as fetched, and the article links in page order
        (each once, with the first non-empty link text as its title)."""
        fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        requested = (response.meta.get("redirect_urls") or [response.request.url if response.request else response.url])[0]
        raw = RawResponse(requested, response.url, response.status, _headers(response), response.body, fetched_at,
                          request_headers=_request_headers(response))
        placements: dict[str, dict] = {}
        for a in response.xpath("//a[@href]"):
            url = _absolute(response, a.attrib["href"].strip())
            if not (self.policy.allows(url) and self._is_article_url(url)):
                continue
            title = " ".join(" ".join(a.xpath(".//text()").getall()).split())
            entry = placements.setdefault(canonical_key(url), {"url": clean_url(url), "title": ""})
            if not entry["title"] and title:
                entry["title"] = title
        self.crawler.stats.inc_value("newsspider/front_pages")
        return FrontPage(requested, raw, list(placements.values()))

    # -- articles ------------------------------------------------------------------
    async def parse_article(self, response):
        fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        requested = (response.meta.get("redirect_urls") or [response.request.url if response.request else response.url])[0]
        headers = _headers(response)
        if response.status == 304:
            asked = response.request is not None and (b"If-None-Match" in response.request.headers
                                                      or b"If-Modified-Since" in response.request.headers)
            if not asked:  # nothing to be "not modified" from: the article would be lost
                self.crawler.stats.inc_value("newsspider/failed/http_304_unconditional")
                yield Failure(requested, "HTTP 304 to an unconditional request", kind="http", status=304,
                              failed_at=fetched_at)
                return
            yield NotModified(requested, fetched_at, headers, lastmod=response.meta.get("lastmod"),
                              revisit=not self.one_off, request_headers=_request_headers(response),
                              final_url=response.url)
            return
        raw = RawResponse(requested, response.url, response.status, headers, response.body, fetched_at,
                          request_headers=_request_headers(response))
        if not isinstance(response, TextResponse):
            yield Failure(requested, f"not an HTML page (Content-Type: {headers.get('content-type', '?')})",
                          kind="parse", status=response.status, permanent=True, failed_at=fetched_at)
            return
        try:
            if self.parse_worker is None:
                fields = parse_article(response.body, response.url, content_type=headers.get("content-type"),
                                       tz=self.tz, portal_zone=self.portal_zone)
            else:  # the same function, in the worker: the crawl goes on fetching meanwhile
                fields = await self.parse_worker.parse(response.body, response.url, headers.get("content-type"),
                                                       self.tz, parse=parse_article, portal_zone=self.portal_zone)
        except NotHTML as exc:
            yield Failure(requested, f"not an HTML document: {exc}", kind="parse",
                          status=response.status, permanent=True, failed_at=fetched_at, raw=raw)
            return
        except Exception as exc:  # a parser bug on this page: recorded, never lost silently
            self.logger.error("parsing %s raised %s: %s", response.url, type(exc).__name__, exc)
            yield Failure(requested, f"parser raised {type(exc).__name__}: {exc}"[:500], kind="parse",
                          status=response.status, failed_at=fetched_at, raw=raw, error=True)
            return
        if fields is None:
            yield Failure(requested, "not an article page", kind="parse", status=response.status,
                          permanent=True, failed_at=fetched_at, raw=raw)
            return
        if self.since and fields["published"] and _before(fields["published"], self.since):
            self.crawler.stats.inc_value("newsspider/skipped/before_since")
            return
        self.crawler.stats.inc_value("newsspider/articles_parsed")
        # A fetch of URL A never writes URL B: the row is the fetched page's. A canonical
        # link is the page's preferred spelling of its own URL (kept when it folds to the
        # URL fetched); pointing anywhere else it is recorded, not obeyed.
        if settle_url(fields, response.url, allowed=self.policy.allows, key=canonical_key):
            self.crawler.stats.inc_value("newsspider/canonical_elsewhere")
        yield Article.from_fields(fields, raw, lastmod=response.meta.get("lastmod"), revisit=not self.one_off)
        if self.follow_related and not self.url:
            depth = response.meta.get("related_depth", 0) + 1
            related = [r["url"] for r in fields["related"] if self._allowed(r["url"], "related")]
            related = [u for u in related if self._is_article_url(u)]
            if depth > self.related_max_depth:
                if any(canonical_key(u) not in self.seen for u in related):
                    self.crawler.stats.inc_value("newsspider/limits/related_depth")
                return
            for request in self._article_requests(related, source="related", related_depth=depth):
                yield request

    # -- failures ------------------------------------------------------------------
    def article_failed(self, failure):
        """A request given up on becomes a ``Failure`` with the reason, for the archive."""
        request = failure.request
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL we asked for
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if failure.check(HttpError):
            status = failure.value.response.status
            if request.meta.get("source") == "section-argument" and status in (404, 410):
                # a mistake in the command, not a broken page: no failure row
                self.crawler.stats.set_value(
                    "newsspider/bad_argument",
                    f"the portal has no section {self.section!r} (HTTP {status} at {request.url}); "
                    "give a section's slug as in its menu, e.g. section=international")
                return None
            self.crawler.stats.inc_value(f"newsspider/failed/http_{status}")
            return Failure(url, f"HTTP {status}", kind="http", status=status,
                           permanent=status in (404, 410), failed_at=now)
        exc = failure.value
        name = type(exc).__name__
        message = str(exc) or name
        kind, permanent = "network", False
        if failure.check(IgnoreRequest):
            # Refused on our side: robots.txt, a redirect off the portal or too many
            # redirects, a body over DOWNLOAD_MAXSIZE once decompressed.
            lowered = message.lower()
            if "robots.txt unreachable" in lowered:
                # Nothing is wrong with the page: the run fails with the reason and the
                # next run asks again (a failure row would schedule a retry for nothing).
                self.crawler.stats.inc_value("newsspider/skipped/robots_unreachable")
                return None
            kind = "robots" if "robots" in lowered else "refused"
            permanent = kind == "robots"
            if "offsite" in lowered:
                message = f"not following a link off the portal ({message})"
        elif failure.check(DownloadCancelledError) or "max size" in message.lower():
            kind, message = "limit", f"response larger than DOWNLOAD_MAXSIZE: {message}"
        elif failure.check(TimeoutError, DefTimeoutError, TCPTimedOutError) or "Timeout" in name:
            kind, message = "network", f"timeout after {request.meta.get('download_timeout', '?')} s: {message}"
        self.crawler.stats.inc_value(f"newsspider/failed/{kind}")
        if url != request.url:
            message += f" (redirected to {request.url})"
        return Failure(url, f"{name}: {message}"[:500], kind=kind, permanent=permanent, failed_at=now)

    def discovery_failed(self, failure):
        """A missing sitemap or feed is normal for a portal; it is counted, not retried."""
        role = failure.request.meta.get("role", "discovery")
        self.crawler.stats.inc_value(f"newsspider/discovery_failed/{role}")
        self.logger.info("discovery %s failed: %s (%s)", role, failure.request.url, failure.getErrorMessage())

    # -- helpers -------------------------------------------------------------------
    def _wanted(self, url: str) -> bool:
        """Is this article new to the archive, due for a revisit, or changed since its
        last fetch according to the sitemap's <lastmod>?"""
        key = canonical_key(url)
        if key in self.waiting:
            return False
        state = self.states.get(key)
        if state is None:
            return True
        _etag, _last_modified, next_due, known_lastmod, last_fetched = state
        if next_due and next_due <= self.now.isoformat(timespec="seconds"):
            return True
        lastmod = self.lastmods.get(key)
        if not lastmod:
            return False
        if known_lastmod:
            return lastmod != known_lastmod and not _before(lastmod, known_lastmod)
        return bool(last_fetched) and _before(last_fetched, lastmod)

    def _article_requests(self, urls, source, lastmods=None, related_depth=0):
        lastmods = lastmods or {}
        for url in urls:
            if self.max_articles is not None and self.article_requests >= self.max_articles:
                return
            key = canonical_key(url)
            if key in self.seen or (key in self.too_old and source not in ("argument", "retry")):
                continue
            self.seen.add(key)
            variant = variant_key(url)
            if variant is not None:  # /news/1/?x=1, ?x=2, ...: a few, not thousands
                page, query = variant
                seen = self.variants.setdefault(page, set())
                if len(seen) >= self.variants_per_page:
                    self.crawler.stats.inc_value("newsspider/limits/query_variants")
                    continue
                seen.add(query)
            lastmod = lastmods.get(url) or self.lastmods.get(key)
            asked = source in ("argument", "retry")
            if not asked and not self._wanted(url):
                self.crawler.stats.inc_value("newsspider/skipped/not_due")
                continue
            headers = {}
            state = self.states.get(key)
            if state is not None:  # fetched before: ask whether it changed
                if state[0]:
                    headers["If-None-Match"] = state[0]
                if state[1]:
                    headers["If-Modified-Since"] = state[1]
            self.article_requests += 1
            self.crawler.stats.inc_value(f"newsspider/requested/{source}")
            # dont_filter: articles are deduplicated above (by canonical key); Scrapy's
            # dupefilter would instead drop a redirect loop's repeat without an errback,
            # losing the URL silently. With it, the loop ends at REDIRECT_MAX_TIMES and
            # is recorded as a failure.
            meta = {"role": "article", "source": source, "lastmod": lastmod,
                    "related_depth": related_depth, "handle_httpstatus_list": [304]}
            if self.frontier is not None:
                # distributed mode: the shared frontier queues it only if no worker did
                # (its canonical key, claimed in the same step as the queueing)
                meta["article_key"] = key
            yield scrapy.Request(clean_url(as_requested(url)), callback=self.parse_article, errback=self.article_failed,
                                 priority=10, headers=headers, dont_filter=True, meta=meta)

    def _listing(self, url, source, page=1):
        url = clean_url(as_requested(url))
        headers, meta = {}, {"role": "listing", "source": source, "page": page}
        if source in ("menu", "sitemap") and page == 1:
            # A section's first page is a front page with its own conditional-request
            # state: unchanged, it answers 304 (recorded, and a revisit in the WARC
            # export), and its older pages are unchanged too. The home page is always
            # fetched whole: it is where discovery starts.
            state = self.states.get(canonical_key(url))
            if state is not None:
                if state[0]:
                    headers["If-None-Match"] = state[0]
                if state[1]:
                    headers["If-Modified-Since"] = state[1]
            meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(url, callback=self.parse_listing, errback=self.article_failed, headers=headers,
                              meta=meta)

    def _allowed(self, url: str, channel: str) -> bool:
        """The URL policy, for a URL found through ``channel``; refusals are counted."""
        reason = self.policy.refusal(url)
        if reason is None:
            return True
        self.crawler.stats.inc_value(f"newsspider/refused/{channel}")
        self.logger.debug("not following %r from %s: %s", url, channel, reason)
        return False

    def _is_article_url(self, url: str) -> bool:
        """Does ``url`` look like an article's (its path and query, by the profiles and the
        usual article paths)? Remembered for the last URLs asked about, as the policy's
        verdicts are: a portal links the same articles from page after page."""
        return self._article_urls(url)

    def _looks_like_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        path = parts.path or "/"
        if NEVER_PATHS.search(path) or path == "/":
            return False
        if any(p.is_article_path(path) for p in self.profiles):
            return True
        if any(p.is_section_path(path) for p in self.profiles) or self._is_section_url(url):
            return False
        if re.search(r"(?:^|&)p=\d+", parts.query):
            return True
        return any(re.search(p, path, re.I) for p in ARTICLE_PATHS) and not re.search(r"/page/\d+/?$", path)

    def _is_section_url(self, url: str) -> bool:
        path = urlsplit(url).path or "/"
        if any(p.is_section_path(path) for p in self.profiles):
            return True
        return any(re.search(p, path, re.I) for p in SECTION_PATHS)


def _is_local(host: str) -> bool:
    """The sample portal or a test server: no operator to name to anyone."""
    from newsspider.urls import is_internal_address

    return is_internal_address(host) or host.endswith((".test", ".localhost", ".invalid", ".example"))


def teaser_dates(response, articles: list[str], tz: str) -> dict[str, str]:
    """fold(url) -> ISO date of the article's teaser on a listing page: the ``<time>`` or
    the visible date inside the smallest block around its link that links no other
    article (a teaser: link, headline, date)."""
    from newsspider.bangla.dates import parse_date, parse_iso

    wanted = {canonical_key(u) for u in articles}
    out: dict[str, str] = {}
    for a in response.xpath("//a[@href]"):
        key = canonical_key(_absolute(response, a.attrib["href"].strip()))
        if key not in wanted or key in out:
            continue
        block = a
        for _ in range(4):
            parent = block.xpath("..")
            if not parent:
                break
            links = {fold(response.urljoin(h.strip())) for h in parent[0].xpath(".//a/@href").getall()}
            if len(links & wanted) > 1:
                break
            block = parent[0]
        machine = block.xpath(".//time/@datetime").get()
        when = parse_iso(machine) if machine else None
        if when is None:
            when = parse_date(" ".join(block.xpath(".//text()").getall()), tz)
        if when is not None:
            out[key] = when.isoformat()
    return out


def _before(a: str, b) -> bool:
    """Is ISO date ``a`` before ``b`` (an ISO string or a datetime)? Naive means UTC."""
    def parse(v):
        dt = v if isinstance(v, datetime) else datetime.fromisoformat(str(v).strip().replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    try:
        return parse(a) < parse(b)
    except ValueError:
        return False


def _request_headers(response) -> dict:
    """The headers the last request of this fetch was sent with (after the downloader
    middlewares: User-Agent, Accept, the conditional ones), for the WARC request record."""
    request = response.request
    if request is None:
        return {}
    # Scrapy's Headers is a dict of normalized names to lists of values: read as a dict,
    # not through Headers.items(), which looks every name up again (getlist)
    return {name.decode("latin-1"): values[-1].decode("latin-1")
            for name, values in dict.items(request.headers) if values}


def _headers(response) -> dict:
    out = {}
    for name, values in dict.items(response.headers):
        key = name.decode("latin-1").lower()
        if key in KEPT_HEADERS and values:
            out[key] = values[-1].decode("latin-1")
    return out
