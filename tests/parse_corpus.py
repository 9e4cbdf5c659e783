"""Every page the parse tests and the benchmark use, and a hash of parse_article's output
for each: the record that a faster parser still says exactly what the old one said.

    PYTHONPATH=. python -m tests.parse_corpus --write   # re-record tests/golden/parse-output.json

Re-record only when an output change is intended (and say why in the commit).
"""
from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from newsspider.parse import NotHTML, parse_article

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
REAL = HERE.parent.parent / "shared" / "real-pages"
GOLDEN = HERE / "golden" / "parse-output.json"
NOW = datetime(2025, 11, 1, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:8765"


def test_pages():
    for html in sorted(PAGES.glob("*.html")):
        expected = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        url = expected.get("_given_url") or expected.get("url", "")
        yield f"tests/pages/{html.name}", html.read_bytes(), url, None


def portal_pages():
    """The 72-article portal of the tests (every HTML path) and the benchmark's
    selections of a 5,000-article portal (200 and 60 pages)."""
    from newsspider.sampleportal import SamplePortal

    small = SamplePortal(articles=72)
    for path in small.paths():
        if path.endswith((".jpg", ".xml", ".txt")) or path == "/feed/":
            continue
        status, headers, body = small.render(path, BASE)
        if status == 200:
            yield f"portal72{path}", body, BASE + path, headers.get("Content-Type")
    big = SamplePortal(articles=5000)
    ids = big.expected_ids()
    chosen = set()
    for n in (200, 60):
        step = max(1, len(ids) // n)
        chosen.update(ids[::step][:n])
    for i in sorted(chosen):
        path = f"/news/{i}/"
        status, headers, body = big.render(path, BASE)
        if status == 200:
            yield f"portal5000{path}", body, BASE + path, headers.get("Content-Type")


def real_pages():
    if not REAL.is_dir():
        return
    for html in sorted(REAL.glob("*.html")):
        url = ""
        if html.with_suffix(".json").exists():
            url = json.loads(html.with_suffix(".json").read_text(encoding="utf-8")).get("url") or ""
        yield f"real-pages/{html.name}", html.read_bytes(), url, None


def corpus(real: bool = True):
    yield from test_pages()
    yield from portal_pages()
    if real:
        yield from real_pages()


def digest(body: bytes, url: str, content_type) -> str:
    try:
        got = parse_article(body, url, content_type=content_type, now=NOW)
    except NotHTML as e:
        got = {"NotHTML": str(e)}
    # key order counts: the archive stores these dicts as JSON in the order they were built
    text = json.dumps(got, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def record() -> dict:
    return {name: digest(body, url, ct) for name, body, url, ct in corpus()}


if __name__ == "__main__":
    if "--write" in sys.argv:
        out = record()
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
        print(f"{len(out)} pages -> {GOLDEN}")
    else:
        want = json.loads(GOLDEN.read_text())
        got = record()
        bad = [k for k in want if got.get(k) != want[k]]
        print(f"{len(want)} pages, {len(bad)} differ", *bad[:20], sep="\n")
        sys.exit(1 if bad else 0)
