"""The generic path on pages of templates the project wrote itself (tests/pages/).

Each ``NAME.html`` has a ``NAME.json`` beside it: the expected value of every contract
key it lists (a key it leaves out is not checked). Private keys: ``_given_url`` (the URL
the page was fetched from; default: the expected ``url``), ``_null`` (the page is not an
article), ``_flags`` (flags the item must carry). The pages reproduce real Bangla
portal templates (WordPress "Newspaper", AMP, a React ``<article>`` with a JSON-LD
``@graph``, a story split over many ``div``s, an old table layout with only a visible
date, UTF-16, a wrong charset declaration, a truncated page, Bijoy text, a listing page)
with their noise: menus, ads, share bars, captions, read-more lines, subscription boxes,
comments, previous/next links and related lists.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsspider.parse import parse_article
from tests.conftest import nfc_deep

PAGES = Path(__file__).with_name("pages")
NOW = datetime(2025, 11, 1, tzinfo=timezone.utc)
KEYS = ("url", "headline", "body", "byline", "published", "updated", "section", "credits",
        "related", "images", "tags", "byline_parts", "reporter", "place", "timezone")


def load(name: str):
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    url = expected.get("_given_url") or expected.get("url", "")
    return parse_article((PAGES / f"{name}.html").read_bytes(), url, now=NOW), expected


CASES = [(p.stem, key) for p in sorted(PAGES.glob("*.json"))
         for key in (*KEYS, "_null", "_flags")
         if key in json.loads(p.read_text(encoding="utf-8"))]


def test_pages_present():
    assert len({name for name, _ in CASES}) >= 8


@pytest.mark.parametrize("name,key", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_page_field(name, key):
    got, expected = load(name)
    if key == "_null":
        assert got is None
        return
    assert got is not None, f"{name}: parsed as not an article"
    if key == "_flags":
        assert set(expected["_flags"]) <= set(got["flags"])
        return
    assert nfc_deep(got[key]) == nfc_deep(expected[key]), f"{name}: {key} (source: {got['sources'].get(key)})"


@pytest.mark.parametrize("name", sorted({n for n, _ in CASES}))
def test_every_field_records_its_source(name):
    got, _ = load(name)
    if got is None:
        return
    for key in ("headline", "body", "published"):
        if got[key]:
            assert got["sources"].get(key), f"{name}: no source recorded for {key}"
