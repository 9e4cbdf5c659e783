"""The ``portal`` spider: discover the portal's articles and fetch each one once.

Discovery, in this order: URLs whose earlier failure is due for a retry (from the
archive), ``robots.txt`` ``Sitemap:`` lines and ``/sitemap.xml`` (indexes followed),
the RSS/Atom feed (``/feed/`` and any ``<link rel=alternate>`` feed), the home page,
section pages (menu links, pagination followed) and each article's "আরও খবর" links.
Only the portal's own host is followed. Parsing is not done here: the page's bytes go to
``newsspider.parse.parse_article`` and the fields become an ``Article`` item for the
pipelines (normalize → validate → store). A URL the crawl gives up on becomes a
``Failure`` item, so it is recorded with its reason and retried by the next run.

Arguments (``scrapy crawl portal -a NAME=VALUE``), all optional:
  base_url      the portal's root (default: the PORTAL_URL setting, https://usbanglanews.com/)
  url           fetch and store this one article only
  section       crawl one section only: its slug (``international``) or its URL
  start_url     start discovery from this listing page instead of the whole site
  max_articles  stop after this many article pages have been requested
  follow_related  "0" to not follow the "আরও খবর" links (default "1")
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit, parse_qsl, urlencode

import scrapy
from lxml import etree
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from newsspider.items import Article, Failure
from newsspider.parse import NotHTML, parse_article
from newsspider.parse.profiles import all_profiles
from pipelines.store import retry_candidates

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
TRACKING_PARAMS = re.compile(r"^(?:utm_\w+|fbclid|gclid|ref|share|amp)$", re.I)


def canonical_key(url: str) -> str:
    """One key per article however it is linked: scheme, ``www.``, trailing slash,
    fragment and tracking parameters do not make another article."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not TRACKING_PARAMS.match(k)))
    return f"{host}{port}{parts.path.rstrip('/') or '/'}" + (f"?{query}" if query else "")


def clean_url(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not TRACKING_PARAMS.match(k)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


class PortalSpider(scrapy.Spider):
    name = "portal"
    argument_names = ("base_url", "url", "section", "start_url", "max_articles", "follow_related")

    def __init__(self, base_url=None, url=None, section=None, start_url=None,
                 max_articles=None, follow_related="1", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = base_url
        self.url = url
        self.section = section
        self.start_url = start_url
        self.max_articles = int(max_articles) if max_articles not in (None, "", "0") else None
        self.follow_related = str(follow_related).lower() not in ("0", "false", "no")
        self.seen: set[str] = set()
        self.article_requests = 0
        self.profiles = all_profiles()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.base_url = spider.base_url or s.get("PORTAL_URL")
        if not spider.base_url.endswith("/"):
            spider.base_url += "/"
        spider.tz = s.get("PORTAL_TIMEZONE", "America/New_York")
        spider.archive_path = s.get("ARCHIVE_PATH")
        spider.section_max_pages = s.getint("SECTION_MAX_PAGES", 0)
        host = urlsplit(spider.url or spider.base_url).hostname or ""
        spider.host = host.lower().removeprefix("www.")
        spider.allowed_domains = [spider.host]
        return spider

    # -- start ---------------------------------------------------------------------
    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self):
        if self.url:  # one article, nothing else
            yield from self._article_requests([self.url], source="argument")
            return
        if self.section:
            target = self.section if "/" in self.section else urljoin(self.base_url, f"category/{self.section}/")
            yield self._listing(target, source="section-argument")
            return
        if self.start_url:
            yield self._listing(self.start_url, source="start_url")
            return
        due = retry_candidates(self.archive_path) if self.archive_path else []
        due = [u for u in due if self._on_site(u)]
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
        yield scrapy.Request(urljoin(self.base_url, "feed/"), callback=self.parse_feed,
                             errback=self.discovery_failed, priority=20, meta={"role": "feed"})
        yield self._listing(self.base_url, source="home")

    # -- discovery -----------------------------------------------------------------
    def parse_robots(self, response):
        for url in sitemap_urls_from_robots(response.text, base_url=response.url):
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.discovery_failed,
                                 priority=20, meta={"role": "sitemap"})

    def parse_sitemap(self, response):
        body = response.body
        if body[:2] == b"\x1f\x8b":
            import gzip
            try:
                body = gzip.decompress(body)
            except OSError:
                self.crawler.stats.inc_value("newsspider/bad_sitemaps")
                return
        try:
            sitemap = Sitemap(body)
        except Exception:
            self.crawler.stats.inc_value("newsspider/bad_sitemaps")
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                loc = entry.get("loc")
                if loc and self._on_site(loc):
                    yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.discovery_failed,
                                         priority=20, meta={"role": "sitemap"})
            return
        articles, listings = [], []
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc or not self._on_site(loc):
                continue
            if self._is_article_url(loc):
                articles.append(loc)
            elif self._is_section_url(loc):
                listings.append(loc)
        self.crawler.stats.inc_value("newsspider/discovered/sitemap", len(articles))
        yield from self._article_requests(articles, source="sitemap")
        for loc in listings:
            yield self._listing(loc, source="sitemap")

    def parse_feed(self, response):
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
        articles = [u for u in (urljoin(response.url, l) for l in links)
                    if self._on_site(u) and self._is_article_url(u)]
        self.crawler.stats.inc_value("newsspider/discovered/feed", len(articles))
        yield from self._article_requests(articles, source="feed")

    def parse_listing(self, response):
        """Home, section and other listing pages: article links, section links, the next page."""
        if not isinstance(response, TextResponse):
            return
        if response.meta.get("source") == "home":
            for href in response.xpath("//link[@rel='alternate'][contains(@type,'rss') or "
                                       "contains(@type,'atom')]/@href").getall():
                yield scrapy.Request(response.urljoin(href), callback=self.parse_feed,
                                     errback=self.discovery_failed, priority=20, meta={"role": "feed"})
        articles, listings = [], []
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip())
            if not url.startswith("http") or not self._on_site(url):
                continue
            if self._is_article_url(url):
                articles.append(url)
            elif self._is_section_url(url):
                listings.append(url)
        yield from self._article_requests(articles, source="listing")
        page = response.meta.get("page", 1)
        for next_href in response.xpath("//link[@rel='next']/@href | //a[@rel='next']/@href | "
                                        "//a[contains(concat(' ',@class,' '),' next ')]/@href").getall()[:1]:
            if not self.section_max_pages or page < self.section_max_pages:
                yield self._listing(response.urljoin(next_href), source="pagination", page=page + 1)
        if response.meta.get("source") in ("home", "start_url", "retry"):
            for url in listings:
                yield self._listing(url, source="menu")

    # -- articles ------------------------------------------------------------------
    def parse_article(self, response):
        fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if not isinstance(response, TextResponse):
            yield Failure(response.url, f"not an HTML page (Content-Type: "
                          f"{response.headers.get('Content-Type', b'').decode('latin-1')})",
                          kind="parse", status=response.status, permanent=True, failed_at=fetched_at)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        try:
            fields = parse_article(response.body, response.url, content_type=content_type, tz=self.tz)
        except NotHTML as exc:
            yield Failure(response.url, f"not an HTML document: {exc}", kind="parse",
                          status=response.status, permanent=True, failed_at=fetched_at)
            return
        if fields is None:
            yield Failure(response.url, "not an article page", kind="parse", status=response.status,
                          permanent=True, failed_at=fetched_at)
            return
        self.crawler.stats.inc_value("newsspider/articles_parsed")
        yield Article(
            url=fields["url"] if self._on_site(fields["url"]) else response.url,
            fetched_url=response.request.url if response.request else response.url,
            headline=fields["headline"], body=fields["body"], byline=fields["byline"],
            published=fields["published"], updated=fields["updated"], section=fields["section"],
            credits=fields["credits"], related=fields["related"], images=fields["images"],
            tags=fields["tags"], sources=fields["sources"], flags=fields["flags"],
            status=response.status, fetched_at=fetched_at, parser=fields["parser"],
        )
        if self.follow_related and not self.url:
            related = [r["url"] for r in fields["related"] if self._on_site(r["url"])]
            yield from self._article_requests([u for u in related if self._is_article_url(u)],
                                              source="related")

    # -- failures ------------------------------------------------------------------
    def article_failed(self, failure):
        request = failure.request
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if failure.check(HttpError):
            status = failure.value.response.status
            self.crawler.stats.inc_value(f"newsspider/failed/http_{status}")
            return Failure(request.url, f"HTTP {status}", kind="http", status=status,
                           permanent=status in (404, 410), failed_at=now)
        exc = failure.value
        name = type(exc).__name__
        self.crawler.stats.inc_value(f"newsspider/failed/{name}")
        kind = "robots" if name == "IgnoreRequest" else "network"
        message = str(exc) or name
        return Failure(request.url, f"{name}: {message}"[:500], kind=kind,
                       permanent=kind == "robots", failed_at=now)

    def discovery_failed(self, failure):
        """A missing sitemap or feed is normal for a portal; it is counted, not retried."""
        role = failure.request.meta.get("role", "discovery")
        self.crawler.stats.inc_value(f"newsspider/discovery_failed/{role}")
        self.logger.info("discovery %s failed: %s (%s)", role, failure.request.url, failure.getErrorMessage())

    # -- helpers -------------------------------------------------------------------
    def _article_requests(self, urls, source):
        for url in urls:
            if self.max_articles is not None and self.article_requests >= self.max_articles:
                return
            key = canonical_key(url)
            if key in self.seen:
                continue
            self.seen.add(key)
            self.article_requests += 1
            self.crawler.stats.inc_value(f"newsspider/requested/{source}")
            yield scrapy.Request(clean_url(url), callback=self.parse_article, errback=self.article_failed,
                                 priority=10, meta={"role": "article", "source": source})

    def _listing(self, url, source, page=1):
        return scrapy.Request(clean_url(url), callback=self.parse_listing, errback=self.article_failed,
                              meta={"role": "listing", "source": source, "page": page})

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        return host == self.host

    def _is_article_url(self, url: str) -> bool:
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
