"""``scrapy crawl wayback``: the portal's past from the Internet Archive's Wayback Machine.

The CDX API lists the portal's captures (``url=HOST/`` with ``matchType=host``, filtered
to status 200 and HTML, collapsed by digest, within ``from``/``to``); every capture of an
article URL (the portal spider's own test of article paths) is fetched raw, in the
``id_`` form (``REPLAY/TIMESTAMPid_/URL``: the bytes as captured, no replay rewriting),
one request at a time in capture order, and stored as the crawl stores a fetch: a
response, a fetch and, when its content is new, a version, dated by the capture time.
The run's ``spider`` is ``wayback``: that is where every such response, fetch and
version (their ``run_id``) says it came from.

Resumable and in order: a capture is fetched only when it is newer than the article's
latest stored version (so versions stay in time order, and a second run fetches only
what the first did not store); older captures of an article already archived are
counted (``newsspider/wayback/older_than_archive``) and left out. An article deleted
from the portal before the first crawl comes into the archive this way.

Requests go only to the archive's host (the spider's URL policy is the CDX endpoint's);
the captures' own URLs must be the portal's (its URL policy).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import TextResponse

from newsspider.items import Article, RawResponse
from newsspider.parse import parse_article
from newsspider.parse.profiles import all_profiles
from newsspider.spiders.portal import PortalSpider, _headers
from newsspider.urls import UrlPolicy, clean_url, fold, remember

DEFAULT_CDX = "https://web.archive.org/cdx/search/cdx"
DEFAULT_REPLAY = "https://web.archive.org/web/"


def capture_time(ts: str) -> str:
    """A CDX timestamp (``20250514101700``, maybe shorter) as the archive's ISO text."""
    ts = (ts + "00000000000000")[:14]
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


class WaybackSpider(scrapy.Spider):
    name = "wayback"
    argument_names = ("base_url", "cdx", "replay", "from", "to", "limit")
    custom_settings = {"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}  # in order, politely

    # the portal spider's tests of article and section paths
    _is_article_url = PortalSpider._is_article_url
    _looks_like_article_url = PortalSpider._looks_like_article_url
    _is_section_url = PortalSpider._is_section_url

    @classmethod
    def argument_error(cls, args: dict, settings) -> str | None:
        unknown = sorted(set(args) - set(cls.argument_names))
        if unknown:
            return f"unknown argument {', '.join(map(repr, unknown))}; valid: {', '.join(cls.argument_names)}"
        base = args.get("base_url") or settings.get("PORTAL_URL")
        try:
            UrlPolicy(base if base.endswith("/") else base + "/")
        except ValueError:
            return f"base_url={base!r} is not a portal's address: give http(s)://host/"
        for name, default in (("cdx", DEFAULT_CDX), ("replay", DEFAULT_REPLAY)):
            parts = urlsplit(args.get(name) or default)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return f"{name}={args.get(name)!r} is not an http(s) URL"
        for name in ("from", "to"):
            value = args.get(name)
            if value is not None and not (value.isdigit() and 4 <= len(value) <= 14):
                return f"{name}={value!r}: give a CDX time, YYYY[MMDD[hhmmss]], e.g. {name}=20240101"
        if args.get("limit") is not None and not str(args["limit"]).isdigit():
            return f"limit={args['limit']!r} is not a number"
        return None

    @classmethod
    def reachability_url(cls, args: dict, settings) -> str:
        """What must answer for this run: the archive's CDX endpoint, not the portal."""
        return args.get("cdx") or DEFAULT_CDX

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        base = getattr(spider, "base_url", None) or s.get("PORTAL_URL")
        spider.base_url = base if base.endswith("/") else base + "/"
        spider.portal_policy = UrlPolicy(spider.base_url)
        spider.cdx = getattr(spider, "cdx", None) or DEFAULT_CDX
        spider.replay = getattr(spider, "replay", None) or DEFAULT_REPLAY
        spider.replay = spider.replay if spider.replay.endswith("/") else spider.replay + "/"
        spider.policy = UrlPolicy(spider.cdx)  # every request goes to the archive's host
        if UrlPolicy(spider.replay).host != spider.policy.host:
            raise ValueError("the CDX endpoint and the replay URL must be on one host")
        spider.allowed_domains = [spider.policy.host]
        spider.profiles = all_profiles()
        spider._article_urls = remember(spider._looks_like_article_url)  # PortalSpider's, by these profiles
        spider.tz = s.get("PORTAL_TIMEZONE", "America/New_York")
        spider.latest = _latest_versions(s.get("ARCHIVE_PATH"))
        return spider

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self):
        host = self.portal_policy.host
        port = urlsplit(self.base_url).port
        params = [("url", f"{host}:{port}/" if port else f"{host}/"), ("matchType", "host"), ("output", "json"),
                  ("fl", "timestamp,original,digest,statuscode,mimetype"),
                  ("filter", "statuscode:200"), ("filter", "mimetype:text/html"), ("collapse", "digest")]
        for name in ("from", "to", "limit"):
            value = getattr(self, name, None)
            if value:
                params.append((name, str(value)))
        yield scrapy.Request(f"{self.cdx}?{urlencode(params)}", callback=self.parse_cdx, priority=100,
                             meta={"role": "cdx"})

    def parse_cdx(self, response):
        try:
            rows = json.loads(response.text or "[]")
        except ValueError:
            self.crawler.stats.inc_value("newsspider/wayback/bad_cdx")
            self.logger.error("the CDX answer is not JSON: %r", response.text[:200])
            return
        if not rows:
            return
        header, rows = rows[0], rows[1:]
        index = {name: i for i, name in enumerate(header)}
        captures = []
        for row in rows:
            ts, original = str(row[index["timestamp"]]), str(row[index["original"]])
            try:  # it goes into a replay URL: digits of a real time only
                if not (ts.isascii() and ts.isdigit() and 4 <= len(ts) <= 14):
                    raise ValueError(ts)
                capture_time(ts)
            except ValueError:
                self.crawler.stats.inc_value("newsspider/wayback/bad_timestamp")
                continue
            if row[index.get("statuscode", 0)] not in ("200", 200) or not self.portal_policy.allows(original):
                self.crawler.stats.inc_value("newsspider/wayback/skipped_not_portal")
                continue
            if not self._is_article_url(original):
                self.crawler.stats.inc_value("newsspider/wayback/skipped_not_article")
                continue
            captures.append((ts, clean_url(original)))
        captures.sort()
        self.crawler.stats.set_value("newsspider/wayback/captures_listed", len(captures))
        for n, (ts, original) in enumerate(captures):
            at = capture_time(ts)
            latest = self.latest.get(fold(original))
            if latest is not None and at <= latest:
                self.crawler.stats.inc_value("newsspider/wayback/older_than_archive")
                continue
            # in capture order: one request at a time, the earliest first
            yield scrapy.Request(f"{self.replay}{ts}id_/{original}", callback=self.parse_capture,
                                 priority=-n, dont_filter=True, meta={"role": "capture", "ts": ts,
                                                                       "original": original})

    def parse_capture(self, response):
        original, at = response.meta["original"], capture_time(response.meta["ts"])
        self.crawler.stats.inc_value("newsspider/wayback/captures_fetched")
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        # the archive's own validators and dates are not the portal's: only the type is kept
        headers = {k: v for k, v in _headers(response).items() if k == "content-type"}
        raw = RawResponse(original, original, 200, headers, response.body, at)
        try:
            fields = parse_article(response.body, original, content_type=headers.get("content-type"), tz=self.tz)
        except Exception as exc:  # a parser error on an old page: the capture is not stored
            self.logger.warning("capture %s of %s does not parse: %s", response.meta["ts"], original, exc)
            return
        if fields is None:
            self.crawler.stats.inc_value("newsspider/wayback/not_article")
            return
        declared = fields.get("url")
        fields["url"] = clean_url(declared) if declared and fold(declared) == fold(original) else original
        fields["sources"] = {**fields.get("sources", {}), "capture": "wayback"}
        self.latest[fold(original)] = at
        yield Article.from_fields(fields, raw, revisit=False)


def _latest_versions(path) -> dict[str, str]:
    """fold(article URL) -> the fetch time of its latest stored version."""
    from pipelines.store import _read_only

    db = _read_only(path) if path else None
    if db is None:
        return {}
    try:
        if "versions" not in db.table_names():
            return {}
        return {fold(u): t for u, t in db.execute(
            "SELECT a.url, max(v.fetched_at) FROM versions v JOIN articles a ON a.id = v.article_id GROUP BY a.id")}
    finally:
        db.close()
