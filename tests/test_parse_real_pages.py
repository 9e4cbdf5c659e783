"""The generic path on real pages of other Bangla portals (../shared/real-pages/).

Each page must match its expected JSON on every key given there. The pages are read
from ../shared, never copied into the project.
"""

from __future__ import annotations

import json

import pytest

from newsspider.parse import parse_article
from tests.conftest import nfc_deep, shared_dir


def real_pages():
    folder = shared_dir("real-pages")
    return sorted(p for p in folder.glob("*.html") if p.with_suffix(".json").exists())


def test_real_pages_present():
    assert real_pages(), "no real page with an expected JSON in ../shared/real-pages"


@pytest.mark.parametrize("key", ["url", "headline", "body", "published", "section", "credits", "related"])
def test_real_page_field(key):
    for page in real_pages():
        expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        if key not in expected:
            continue
        got = parse_article(page.read_bytes(), expected.get("url", ""))
        assert got is not None, page.name
        assert nfc_deep(got[key]) == nfc_deep(expected[key]), f"{page.name}: {key}"


