"""Validate: an article is stored only when it is one.

A record without a headline or a body, with a non-HTTP URL, with mojibake (UTF-8 read
as Latin-1) or legacy Bijoy-encoded text is not stored as an article: it is turned into
a ``Failure`` of kind ``validate``, which the store records with its reason, so nothing
is lost silently and the next run retries it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newsspider.items import Article, Failure

# UTF-8 Bangla decoded as Latin-1/cp1252 starts every letter with "à¦" or "à§".
_MOJIBAKE = re.compile(r"à[¦§]|Ã[\x80-\xbf]|â€")
MIN_BODY_CHARS = 20


def problems(a: Article) -> list[str]:
    found = []
    parts = urlsplit(a.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        found.append(f"not an http(s) URL: {a.url!r}")
    if not a.headline:
        found.append("no headline")
    if len(a.body) < MIN_BODY_CHARS:
        found.append("no body text" if not a.body else f"body too short ({len(a.body)} chars)")
    if _MOJIBAKE.search(a.headline) or _MOJIBAKE.search(a.body[:2000]):
        found.append("mojibake (text decoded with the wrong charset)")
    if "bijoy" in a.flags:
        found.append("legacy Bijoy-encoded text, not Unicode Bangla")
    return found


class ValidatePipeline:
    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        if not isinstance(item, Article):
            return item
        found = problems(item)
        if not found:
            return item
        if self.stats:
            self.stats.inc_value("newsspider/invalid_articles")
        return Failure(
            url=item.fetched_url or item.url,
            reason="invalid article: " + "; ".join(found),
            kind="validate",
            status=item.status,
            permanent=True,
            failed_at=item.fetched_at,
        )
