"""The record shapes that flow through the pipelines.

``Article`` is the one shape of a parsed article; ``Failure`` is a URL the crawl gave up
on (HTTP error, network error, or a page that did not parse into an article);
``NotModified`` is a conditional re-fetch the portal answered with 304. ``RawResponse``
rides along with an article or a parse failure so the store keeps the fetched bytes
(``reparse`` re-parses them without the network). All are plain dataclasses: Scrapy passes them through the item pipelines unchanged
(itemadapter knows dataclasses), and nothing outside Scrapy needs Scrapy to use them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property


@dataclass
class RawResponse:
    url: str                      # the URL requested
    final_url: str                # after redirects
    status: int
    headers: dict                 # the headers that matter, str -> str
    body: bytes
    fetched_at: str               # ISO 8601 UTC
    request_headers: dict = field(default_factory=dict)  # as sent: the WARC request record
    portal: str | None = None     # the portal's name (newsspider.portals); None: the crawl's

    @cached_property
    def sha256(self) -> str:
        """Of the body: identifies a response's bytes (computed once, used by the store
        to skip an unchanged response and to record it in crawl_state)."""
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class Article:
    url: str                      # canonical URL, absolute
    fetched_url: str              # the URL that was requested (before canonicalisation)
    headline: str
    body: str                     # paragraphs joined by "\n\n"
    byline: str | None = None
    reporter: str | None = None   # the byline's reporter or desk, without outlet and place
    place: str | None = None      # where the report was filed
    byline_parts: list[str] = field(default_factory=list)
    timezone: str | None = None   # the zone offset-less dates were read in
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
    raw: RawResponse | None = None
    lastmod: str | None = None    # the sitemap's <lastmod> for this URL, if any
    revisit: bool = True          # False for one-off runs: they leave the schedule alone
    portal: str | None = None     # the portal's name (newsspider.portals); None: the crawl's

    @classmethod
    def from_fields(cls, fields: dict, raw: RawResponse, **extra) -> "Article":
        """An article from ``parse_article``'s fields and the response they came from."""
        return cls(
            url=fields["url"], fetched_url=raw.url, headline=fields["headline"], body=fields["body"],
            byline=fields["byline"], reporter=fields.get("reporter"), place=fields.get("place"),
            byline_parts=fields.get("byline_parts") or [], timezone=fields.get("timezone"),
            published=fields["published"], updated=fields["updated"],
            section=fields["section"], credits=fields["credits"], related=fields["related"],
            images=fields["images"], tags=fields["tags"], sources=fields["sources"],
            flags=fields["flags"], status=raw.status, fetched_at=raw.fetched_at,
            parser=fields["parser"], raw=raw, **extra,
        )


@dataclass
class Failure:
    url: str
    reason: str                   # human-readable, e.g. "HTTP 404", "TimeoutError: ..."
    kind: str                     # "http", "network", "parse", "validate"
    status: int | None = None
    permanent: bool = False       # a 404/410 or a page that is not an article
    failed_at: str = ""
    raw: RawResponse | None = None  # kept for parse failures: a later parser may succeed
    error: bool = False           # an exception in our own code (parser, pipelines, store):
                                  # counts in the run's exit status
    portal: str | None = None


@dataclass
class NotModified:
    url: str
    fetched_at: str
    headers: dict = field(default_factory=dict)
    lastmod: str | None = None
    revisit: bool = True
    request_headers: dict = field(default_factory=dict)  # as sent (the conditional ones)
    final_url: str | None = None
    front_page: bool = False      # a section's first page, not an article
    portal: str | None = None


@dataclass
class FrontPage:
    """A capture of the home page or of a section's first page: the response, and the
    article links it showed, in page order (what it led with)."""
    url: str                      # the URL requested
    raw: RawResponse
    placements: list[dict] = field(default_factory=list)   # [{"url", "title"}], page order
    portal: str | None = None
