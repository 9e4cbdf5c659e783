"""Site profiles: a portal template's selectors and rules, as data, versioned.

A profile names, as XPath, where its template keeps each field; the extractor tries
those first and falls back to the generic layer for anything a profile leaves out or
that comes back empty. Like fundus' parser versions, a portal that changes its template
gets a new ``Profile`` with ``valid_from`` set, and old stored pages re-parse with the
profile whose signature they match (or, failing that, the one valid at fetch time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import lxml.etree

from newsspider.parse.document import Document

_COMPILED: dict = {}


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    hosts: frozenset[str]
    # An XPath whose presence identifies the template (also when served elsewhere,
    # e.g. the bundled sample portal on 127.0.0.1).
    signature: str
    # field -> XPath of the element(s) holding it
    selectors: dict[str, str] = field(default_factory=dict)
    # URL paths of article pages and of section (listing) pages, for the spider
    article_paths: tuple[str, ...] = ()
    section_paths: tuple[str, ...] = ()
    timezone: str = "America/New_York"
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def id(self) -> str:
        return f"{self.name}/{self.version}"

    def matches(self, doc: Document) -> bool:
        return bool(self.compiled(self.signature)(doc.root))

    def select(self, doc: Document, field: str) -> list:
        """The elements the profile names for a field ([] when it names none)."""
        xpath = self.selectors.get(field)
        return self.compiled(xpath)(doc.root) if xpath else []

    @staticmethod
    def compiled(xpath: str):
        found = _COMPILED.get(xpath)
        if found is None:
            found = _COMPILED[xpath] = lxml.etree.XPath(xpath)
        return found

    def is_article_path(self, path: str) -> bool:
        return any(re.search(p, path) for p in self.article_paths)

    def is_section_path(self, path: str) -> bool:
        return any(re.search(p, path) for p in self.section_paths)


def all_profiles() -> list[Profile]:
    from newsspider.parse.profiles import usbanglanews

    return list(usbanglanews.PROFILES)


_PROFILES: list[Profile] | None = None


def select_profile(doc: Document) -> Profile | None:
    """The profile whose template signature the page carries; among several (versions
    of one portal) the newest that matches."""
    global _PROFILES
    if _PROFILES is None:
        _PROFILES = all_profiles()
    matching = [p for p in _PROFILES if p.matches(doc)]
    if not matching:
        return None
    return max(matching, key=lambda p: p.valid_from or date.min)
