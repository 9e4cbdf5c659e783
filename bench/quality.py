"""Extraction quality: our parser beside trafilatura on the same pages.

    python -m bench.quality          (or: python bench/quality.py)

Pages: the bundled sample portal's articles (the target template), the project's own
test pages of other templates (tests/pages/) and the real pages in ../shared/real-pages/
(skipped with a message when absent). Scores per page: body token F1 (whitespace
tokens, NFC, punctuation stripped), headline exact, published date exact (same instant).
trafilatura is optional: without it its columns say so; the project never imports it.
Prints a table; writes bench/out/quality.json.
"""

from __future__ import annotations

import json
import sys
import time
import unicodedata
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from newsspider.bangla import match_key, parse_iso, to_iso  # noqa: E402
from newsspider.parse import parse_article  # noqa: E402

OUT = ROOT / "bench" / "out" / "quality.json"
NOW = datetime(2025, 11, 1, tzinfo=timezone.utc)


def tokens(text: str) -> list[str]:
    return match_key(text or "").split()


def f1(got: str, want: str) -> float:
    g, w = Counter(tokens(got)), Counter(tokens(want))
    if not g and not w:
        return 1.0
    common = sum((g & w).values())
    if not common:
        return 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return 2 * p * r / (p + r)


def same_text(a, b) -> bool:
    return bool(a) and bool(b) and unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


def same_instant(a, b) -> bool | None:
    if b is None:
        return None
    if not a:
        return False
    da, db = parse_iso(str(a)), parse_iso(str(b))
    if da is None or db is None:
        return False
    if da.tzinfo is None or db.tzinfo is None:  # trafilatura gives a day only: compare days
        return da.date() == db.date()
    return da == db


def cases():
    from newsspider.sampleportal import SamplePortal

    portal = SamplePortal(articles=72)
    base = "http://portal.test"
    for a in portal.expected_articles():
        _, headers, body = portal.render(a.path, base)
        yield ("sample", a.path, body, base + a.path, {
            "headline": a.headline, "body": "\n\n".join(a.paragraphs),
            "published": to_iso(a.published) if a.published else None})
    for page in sorted((ROOT / "tests" / "pages").glob("*.json")):
        exp = json.loads(page.read_text(encoding="utf-8"))
        if exp.get("_null") or "body" not in exp:
            continue
        yield ("own", page.stem, page.with_suffix(".html").read_bytes(), exp.get("_given_url") or exp.get("url", ""), exp)
    real = ROOT.parent / "shared" / "real-pages"
    if not real.exists():
        print(f"(real pages skipped: {real} is absent)")
        return
    for page in sorted(real.glob("*.json")):
        exp = json.loads(page.read_text(encoding="utf-8"))
        yield ("real", page.stem, page.with_suffix(".html").read_bytes(), exp.get("url", ""), exp)


def ours(data: bytes, url: str) -> dict:
    r = parse_article(data, url, now=NOW) or {}
    return {"headline": r.get("headline"), "body": r.get("body") or "", "published": r.get("published")}


def trafilatura_fn():
    try:
        import trafilatura
    except ImportError:
        return None

    def run(data: bytes, url: str) -> dict:
        from newsspider.parse.document import decode_html

        _, text = decode_html(data)
        doc = trafilatura.bare_extraction(text, url=url or None, with_metadata=True,
                                          include_comments=False, include_tables=False)
        if doc is None:
            return {"headline": None, "body": "", "published": None}
        get = (lambda k: getattr(doc, k, None)) if not isinstance(doc, dict) else doc.get
        return {"headline": get("title"), "body": get("text") or "", "published": get("date")}
    return run


def main() -> int:
    traf = trafilatura_fn()
    if traf is None:
        print("trafilatura is not installed: its columns are empty (pip install trafilatura to compare)")
    rows = []
    for group, name, data, url, exp in cases():
        row = {"group": group, "page": name}
        for label, fn in (("ours", ours), ("trafilatura", traf)):
            if fn is None:
                continue
            started = time.perf_counter()
            try:
                got = fn(data, url)
            except Exception as exc:  # a competitor's crash is a score of zero, not ours
                got = {"headline": None, "body": "", "published": None, "error": repr(exc)}
            row[label] = {
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "body_f1": round(f1(got["body"], exp.get("body", "")), 4),
                "headline_exact": same_text(got["headline"], exp.get("headline")),
                "date_exact": same_instant(got["published"], exp.get("published")),
            }
        rows.append(row)

    def summary(label, group=None):
        sel = [r[label] for r in rows if label in r and (group is None or r["group"] == group)]
        if not sel:
            return None
        dates = [s["date_exact"] for s in sel if s["date_exact"] is not None]
        return {"pages": len(sel),
                "body_f1": round(sum(s["body_f1"] for s in sel) / len(sel), 4),
                "headline_exact": round(sum(s["headline_exact"] for s in sel) / len(sel), 4),
                "date_exact": round(sum(dates) / len(dates), 4) if dates else None,
                "ms_per_page": round(sum(s["ms"] for s in sel) / len(sel), 2)}

    groups = ["sample", "own", "real", None]
    table = {label: {g or "all": summary(label, g) for g in groups} for label in ("ours", "trafilatura")}
    print(f"{'pages':<8}{'n':>4}  {'parser':<12}{'body F1':>9}{'headline':>10}{'date':>8}{'ms/page':>9}")
    for g in groups:
        for label in ("ours", "trafilatura"):
            s = table[label][g or "all"]
            if s is None:
                if label == "trafilatura" and traf is None:
                    print(f"{g or 'all':<8}{'':>4}  {label:<12}{'(not installed)':>36}")
                continue
            date = f"{s['date_exact']:.3f}" if s["date_exact"] is not None else "-"
            print(f"{g or 'all':<8}{s['pages']:>4}  {label:<12}{s['body_f1']:>9.3f}{s['headline_exact']:>10.3f}"
                  f"{date:>8}{s['ms_per_page']:>9.2f}")
    worst = sorted((r for r in rows if "ours" in r), key=lambda r: r["ours"]["body_f1"])[:5]
    print("lowest body F1 (ours): " + ", ".join(f"{r['page']}={r['ours']['body_f1']:.3f}" for r in worst))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"summary": table, "pages": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
