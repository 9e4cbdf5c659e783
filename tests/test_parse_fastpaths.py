"""The template path's fast paths against the code they replaced (kept here verbatim as
the reference), on random inputs: the output must not change (issue 17)."""

from __future__ import annotations

import random
import re

from newsspider.bangla.text import normalize_text
from newsspider.parse import generic

_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[।!?.:;\"”’)\]|]\s*$")

# text pieces of a paragraph: Bangla words, sentence ends, every kind of whitespace,
# invisible characters and the pairs normalize_text treats specially
_PIECES = ["কথা", "বলেন", "।", ".", "?", ":", "”", ")", "|", " ", "  ", "\n", "\t", "\u00a0", "\u2000", "\u3000",
           "\u200b", "\u200c", "\u200d", "\u00ad", "\x85", "\x1c", "\u09c7", "\u09be", "\u09cd", "\u09bc",
           "\u09a4", "a", "B", "e\u0301", ""]


def _random_text(r: random.Random, n: int) -> str:
    return "".join(r.choice(_PIECES) for _ in range(r.randrange(n)))


def _reference_split_on_breaks(parts: list) -> list[str]:
    if generic._BR not in parts:
        text = "".join(parts)
        return [normalize_text(text)] if text.strip() else []
    out: list[str] = []
    current = ""
    pending_breaks = 0
    for part in parts:
        if part is generic._BR:
            pending_breaks += 1
            continue
        text = _WS.sub(" ", part)
        if pending_breaks:
            if not text.strip():
                continue
            before = current.strip()
            if pending_breaks >= 2 or (before and _SENTENCE_END.search(before)):
                out.append(current)
                current = ""
            else:
                current = current.rstrip() + " "
            pending_breaks = 0
            text = text.lstrip()
        current += text
    out.append(current)
    return [normalize_text(p) for p in out if p.strip()]


def test_split_on_breaks_equals_reference_on_random_parts():
    r = random.Random(17)
    for _ in range(20000):
        parts = [generic._BR if r.random() < 0.3 else _random_text(r, 6) for _ in range(r.randrange(8))]
        assert generic._split_on_breaks(parts) == _reference_split_on_breaks(parts), parts
