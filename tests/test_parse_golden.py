"""parse_article's output on every page the tests and the benchmark use is what it was
when tests/golden/parse-output.json was recorded (hashes of the JSON output): speed
work must not change a field. Re-record with ``python -m tests.parse_corpus --write``
only for an intended change."""
from __future__ import annotations

import json

import pytest

from tests import parse_corpus
from tests.conftest import shared_dir

WANT = json.loads(parse_corpus.GOLDEN.read_text())


@pytest.mark.parametrize("group", ["tests/pages/", "portal72/", "portal5000/"])
def test_output_unchanged(group):
    pages = [p for p in parse_corpus.corpus(real=False) if p[0].startswith(group)]
    assert pages
    got = {name: parse_corpus.digest(body, url, ct) for name, body, url, ct in pages}
    want = {k: v for k, v in WANT.items() if k.startswith(group)}
    assert got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []


def test_real_page_output_unchanged():
    shared_dir("real-pages")
    got = {name: parse_corpus.digest(body, url, ct) for name, body, url, ct in parse_corpus.real_pages()}
    want = {k: v for k, v in WANT.items() if k.startswith("real-pages/")}
    assert got and got == want
