"""Normalize: the text rules of the language and the archive's formats, applied once.

Every string field gets NFC and the fixes of shared/reference/bangla.md (zero-width
characters and BOMs removed, NBSP as space, khanda-ta, whitespace collapsed); the body
keeps its paragraph breaks ("\\n\\n"); dates become ISO 8601 with an offset; URLs lose
their fragment. Idempotent: an already normalized article passes unchanged.
"""

from __future__ import annotations

from datetime import datetime, timezone

from newsspider.bangla import normalize_body, normalize_text, parse_date, to_iso
from newsspider.items import Article


def _clean_url(url: str) -> str:
    return url.split("#", 1)[0].strip()


class NormalizePipeline:
    def __init__(self, tz: str = "America/New_York"):
        self.tz = tz

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("PORTAL_TIMEZONE", "America/New_York"))

    def process_item(self, item, spider=None):
        if isinstance(item, Article):
            normalize_article(item, self.tz)
        return item


def normalize_article(a: Article, tz: str = "America/New_York") -> Article:
    a.url = _clean_url(a.url)
    a.headline = normalize_text(a.headline or "")
    a.body = normalize_body(a.body or "")
    a.byline = normalize_text(a.byline) if a.byline else None
    a.byline = a.byline or None
    a.reporter = normalize_text(a.reporter) or None if a.reporter else None
    a.place = normalize_text(a.place) or None if a.place else None
    a.byline_parts = [p for p in (normalize_text(p) for p in a.byline_parts) if p]
    tz = a.timezone or tz  # the zone the parser found for this portal, else the crawl's
    a.section = normalize_text(a.section) if a.section else None
    a.section = a.section or None
    for name in ("published", "updated"):
        value = getattr(a, name)
        if value:
            dt = parse_date(value, tz=tz, now=datetime.now(timezone.utc))
            setattr(a, name, to_iso(dt) if dt else None)
    a.credits = list(dict.fromkeys(c for c in a.credits if c))
    a.related = [
        {"url": _clean_url(r["url"]), "title": normalize_text(r.get("title") or "")}
        for r in a.related if r.get("url")
    ]
    a.images = [
        {"url": _clean_url(i["url"]), "caption": normalize_text(i["caption"]) if i.get("caption") else None}
        for i in a.images if i.get("url")
    ]
    a.tags = [t for t in (normalize_text(t) for t in a.tags) if t]
    if not a.fetched_at:
        a.fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return a
