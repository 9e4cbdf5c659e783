"""The one URL policy: what the crawler may fetch, and how it folds URLs into keys.

Every byte from the network is hostile, so every URL the crawl meets (``robots.txt``
``Sitemap:`` lines, sitemaps and indexes, feeds, the home page and listings, pagination,
"আরও খবর" links, retries from ``failures``, redirects, canonical links) is checked here by
one function, ``UrlPolicy.refusal``, and ``newsspider.middlewares.UrlPolicyMiddleware``
checks every request once more before it reaches a download handler, so no code path
can go around it.

A URL is allowed when, **as Scrapy will request it** (after w3lib's
``safe_url_string``, the normalisation ``scrapy.Request`` applies; checking the raw text
instead is the parser differential by which ``http://10.1.1.4\\@portal/`` passes a host
check and then connects to 10.1.1.4, since the backslash becomes a path separator):

- its scheme is ``http`` or ``https``;
- it has no user information (``user:pass@``);
- its host is the portal's host, with or without ``www.`` (a trailing dot ignored);
- its effective port is the portal's: the base URL's own scheme and port, or, when the
  base URL uses its scheme's default port, the other scheme on its default port (a
  portal at ``https://host/`` may link ``http://host/...``: ports 443 and 80 only).

Nothing here imports Scrapy: the parsers and the browse plugins fold URLs the same way.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from w3lib.url import safe_url_string

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = re.compile(r"^(?:utm_\w+|fbclid|gclid|ref|share|amp)$", re.I)
# Query parameters that name an article (``/?p=123``, ``details.php?id=5``): variants of
# the other parameters of one article are capped, these are not (each value is a page).
IDENTIFYING_PARAMS = frozenset({"p", "id", "nid", "news_id", "newsid", "story_id", "article_id",
                                "page_id", "post", "postid", "cat", "category", "page", "paged"})
# How many answers the crawl remembers about URLs, per question (the policy's verdict, the
# canonical key, the article-path check, a link joined to its page): every URL a
# 5,000-article portal links, sitemaps, menus and related links together (issue 17: at
# 4,096, emptied when full, most repeats were worked out again; at 16,384 a 20,000-article
# crawl's peak RSS grew by 10 MB, 1.09x to 1.19x its 5,000-article crawl's). Least
# recently asked out first.
REMEMBERED = 8192


def remember(function, size: int = REMEMBERED):
    """``function``, its last ``size`` answers remembered by argument (least recently
    used out first: ``functools.lru_cache``)."""
    return functools.lru_cache(maxsize=size)(function)


def as_requested(url: str) -> str:
    """``url`` exactly as ``scrapy.Request(url).url`` will be: what the policy checks."""
    return safe_url_string(url.strip())


def _host(hostname: str | None) -> str:
    return (hostname or "").lower().rstrip(".").removeprefix("www.")


def fold(url: str) -> str:
    """One key per page however it is linked: scheme, ``www.``, default ports, trailing
    slash, fragment, tracking parameters, parameter order and percent-encoding of the
    path do not make another page. The crawler (crawl state, one fetch per article),
    the parsers (is this link the page itself?) and the browser (Memento look-ups) all
    fold with this. A relative or empty URL is returned stripped."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if not parts.netloc:
        return url
    host = _host(parts.hostname)
    try:
        port = parts.port
    except ValueError:
        port = None
    port_text = f":{port}" if port and port != DEFAULT_PORTS.get(parts.scheme.lower()) else ""
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not TRACKING_PARAMS.match(k)))
    return f"{host}{port_text}{unquote(parts.path).rstrip('/') or '/'}" + (f"?{query}" if query else "")


def clean_url(url: str) -> str:
    """``url`` as the crawler requests it: tracking parameters and the fragment dropped."""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not TRACKING_PARAMS.match(k)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def settle_url(fields: dict, fetched: str, *, allowed=lambda url: True, key=fold) -> str | None:
    """Set ``fields["url"]``, the URL a page fetched from ``fetched`` is archived under,
    and return the canonical it declared when that points elsewhere: recorded in
    ``sources.canonical_elsewhere`` and the flag ``canonical-elsewhere``, never obeyed (a
    fetch of A never writes B's row). A canonical that folds to the fetched URL (and that
    ``allowed`` accepts) is the page's own preferred spelling of its address and is kept.
    ``key`` is ``fold``, or a remembering ``fold`` (the crawl's)."""
    declared = fields.get("url")
    if declared and key(declared) == key(fetched) and allowed(declared):
        fields["url"] = clean_url(declared)
        return None
    fields["url"] = clean_url(fetched)
    if not declared or clean_url(declared) == fields["url"]:
        return None
    fields["sources"] = {**(fields.get("sources") or {}), "canonical_elsewhere": declared}
    fields["flags"] = [*(fields.get("flags") or []), "canonical-elsewhere"]
    return declared


def variant_key(url: str) -> tuple[str, str] | None:
    """(page key, variant) when ``url`` carries query parameters that do not name the page:
    ``/news/1/?x=1`` and ``/news/1/?x=2`` are variants of ``/news/1/``; None otherwise."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)]
    other = sorted((k, v) for k, v in params if k.lower() not in IDENTIFYING_PARAMS)
    if not other:
        return None
    naming = sorted((k, v) for k, v in params if k.lower() in IDENTIFYING_PARAMS)
    page = f"{_host(parts.hostname)}{parts.path.rstrip('/') or '/'}?{urlencode(naming)}"
    return page, urlencode(other)


def is_http_url(url: str | None) -> bool:
    """An absolute http(s) URL with a host: the only kind of link the archive ever makes
    clickable. Browsers drop ASCII tab and newline inside URLs and ignore leading
    spaces and control characters, so ``java\\tscript:`` is checked as ``javascript:``."""
    if not url:
        return False
    text = re.sub(r"[\t\n\r]", "", url).strip("\x00- ")
    parts = urlsplit(text)
    return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)


class UrlPolicy:
    """What may be fetched for the portal at ``base_url``."""

    def __init__(self, base_url: str, *, remembered: int | None = None):
        parts = urlsplit(as_requested(base_url))
        self.scheme = parts.scheme.lower()
        if self.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"the portal's base URL must be http(s)://host/: {base_url!r}")
        self.host = _host(parts.hostname)
        port = parts.port or DEFAULT_PORTS[self.scheme]
        self.allowed = {(self.scheme, port)}
        if port == DEFAULT_PORTS[self.scheme]:
            self.allowed |= {(s, p) for s, p in DEFAULT_PORTS.items()}
        # The verdicts on the last URLs asked about, by their exact text: a portal links
        # the same pages from page after page (its menus and latest news on every
        # article), and a verdict depends on the text alone. Bounded, least recently
        # asked out first.
        self.verdict = remember(self._refusal, remembered or self.REMEMBERED)

    REMEMBERED = REMEMBERED

    def refusal(self, url: str) -> str | None:
        """None when ``url`` may be fetched, else why not (one short phrase)."""
        if not isinstance(url, str):  # not text: checked, never remembered
            return self._refusal(url)
        return self.verdict(url)

    def _refusal(self, url: str) -> str | None:
        try:
            parts = urlsplit(as_requested(url))
            port = parts.port
        except ValueError:
            return "not a valid URL"
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            return f"scheme {scheme or '(none)'!r} is not fetched"
        if "@" in parts.netloc or parts.username is not None or parts.password is not None:
            return "a URL with user information"
        host = _host(parts.hostname)
        if host != self.host:
            what = "a private or loopback address" if is_internal_address(host) else "another host"
            return f"{host or '(no host)'} is {what}"
        if (scheme, port or DEFAULT_PORTS[scheme]) not in self.allowed:
            return f"port {port or DEFAULT_PORTS[scheme]} is not the portal's"
        return None

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None


def is_internal_address(host: str) -> bool:
    """An IP literal in a private, loopback, link-local or reserved range, or localhost."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
