"""The record shapes that flow through the pipelines.

``Article`` is the one shape of a parsed article; ``Failure`` is a URL the crawl gave up
on (HTTP error, network error, or a page that did not parse into an article). Both are
plain dataclasses: Scrapy passes them through the item pipelines unchanged
(itemadapter knows dataclasses), and nothing outside Scrapy needs Scrapy to use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Article:
    url: str                      # canonical URL, absolute
    fetched_url: str              # the URL that was requested (before canonicalisation)
    headline: str
    body: str                     # paragraphs joined by "\n\n"
    byline: str | None = None
    published: str | None = None  # ISO 8601 with offset after NormalizePipeline
    updated: str | None = None
    section: str | None = None
    credits: list[str] = field(default_factory=list)
    related: list[dict] = field(default_factory=list)   # [{"url", "title"}]
    images: list[dict] = field(default_factory=list)    # [{"url", "caption"}]
    tags: list[str] = field(default_factory=list)
    sources: dict = field(default_factory=dict)         # field -> where it came from
    flags: list[str] = field(default_factory=list)      # e.g. "truncated", "bijoy"
    status: int = 200
    fetched_at: str = ""          # ISO 8601 UTC
    parser: str = ""              # profile/template that parsed it, with version


@dataclass
class Failure:
    url: str
    reason: str                   # human-readable, e.g. "HTTP 404", "TimeoutError: ..."
    kind: str                     # "http", "network", "parse", "validate"
    status: int | None = None
    permanent: bool = False       # a 404/410 or a page that is not an article
    failed_at: str = ""
