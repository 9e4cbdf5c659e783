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
    for _ in range(10000):
        parts = [generic._BR if r.random() < 0.3 else _random_text(r, 6) for _ in range(r.randrange(8))]
        assert generic._split_on_breaks(parts) == _reference_split_on_breaks(parts), parts


# --- credits: the agency-list and sentence-boundary pre-checks ----------------------

from newsspider.bangla import agencies  # noqa: E402


def _reference_has_separator(s: str) -> bool:
    for c in ",،;/|&":
        if c in s:
            return True
    for word, text in (("ও", s), ("এবং", s), ("and", s.lower())):
        n = len(text)
        i = text.find(word)
        while i >= 0:
            end = i + len(word)
            if i > 0 and end < n and text[i - 1].isspace() and text[end].isspace():
                return True
            i = text.find(word, i + 1)
    return False


def _reference_agency_list(s: str):
    s = s.strip(agencies._WRAP_LEAD).rstrip(agencies._WRAP_TRAIL)
    s = agencies._BASED_ON_RE.sub("", s)
    if not s or len(s) > agencies._MAX_LIST:
        return None
    out = []
    for item in (agencies._LIST_SEP_RE.split(s) if _reference_has_separator(s) else [s]):
        item = item.strip(agencies._WRAP_LEAD).rstrip(agencies._WRAP_TRAIL)
        if not item:
            continue
        hit = agencies._lookup(item)
        if hit is None or hit[2] in agencies._OBJECT_ENDINGS:
            return None
        out.append((hit[0], hit[1]))
    return out or None


def _reference_last_boundary_end(core: str, start: int) -> int:
    cut = 0
    for c in "।!?":
        pos = core.rfind(c, start)
        if pos >= cut:
            cut = pos + 1
    n = len(core)
    for c in ".’”\"'»":
        pos = core.rfind(c, start)
        while pos >= 0 and pos + 1 > cut:
            if pos + 1 < n and core[pos + 1].isspace():
                cut = pos + 1
                break
            pos = core.rfind(c, start, pos)
    return cut


def _reference_split_credits(paragraphs):
    A = agencies
    paras = [p for p in paragraphs if p and p.strip()]
    found = []
    for i, p in enumerate(paras):
        m = A._SOURCE_LINE_RE.match(p)
        if m:
            found.extend((i, 0, n) for n in A._source_items(m["list"]))
            paras[i] = ""
        elif i >= len(paras) - 3 and A._has_source_label(p):
            m = A._SOURCE_TAIL_RE.search(p)
            if m:
                found.extend((i, m.start("line"), n) for n in A._source_items(m["list"]))
                paras[i] = p[: m.start()].rstrip()
    last = max((i for i, p in enumerate(paras) if p), default=-1)
    while last >= 0:
        head, tail = A._split_tail(paras[last])
        names = _reference_agency_list(tail) if tail else None
        if not names:
            break
        found.extend((last, len(head), n) for n, _ in names)
        paras[last] = head
        if head:
            break
        last = max((i for i, p in enumerate(paras[:last]) if p), default=-1)
    for i, p in enumerate(paras):
        if not p or i >= last:
            continue
        head, tail = A._split_tail(p)
        if head and tail:
            names = _reference_agency_list(tail)
            if names and any(not ctx for _, ctx in names):
                found.extend((i, len(head), n) for n, _ in names)
                paras[i] = head
    first = next((i for i, p in enumerate(paras) if p), -1)
    for i, p in enumerate(paras):
        if not p:
            continue
        found.extend((i, pos, n) for pos, n in A._credits_in_sentence(p, i == first))
        paras[i], khobor = A._khobor(p)
        found.extend((i, pos, n) for pos, n in khobor)
    found.sort(key=lambda t: (t[0], t[1]))
    return [p for p in paras if p], A._dedupe(n for _, _, n in found)


_CREDIT_PIECES = ["রয়টার্স", "এএফপি", "এপি", "বাসস", "আল জাজিরা", "বিবিসি", "রয়টার্সের", "রয়টার্সকে", "তাস",
                  "সূত্র:", "তথ্যসূত্র :", "Source:", "SoUrCe:", "courtesy:", "ſource:", "খবর", "বার্তা সংস্থা",
                  "অবলম্বনে", "অবলম্বন", "ও", "এবং", "and", "AND", "And", "&", ",", "/", "|", ";", "।", "!", "?",
                  ".", "’", "”", "\"", "'", "»", "(", ")", ":", "-", " ", " ", " ", "\u00a0", "\n",
                  "কথা", "বলেন", "ওভারে", "ঢাকা", "২৫ আগস্ট", "Reuters", "AP", "İ", "a", "c", "s", "ত", "স"]


def _credit_text(r: random.Random, n: int) -> str:
    return "".join(r.choice(_CREDIT_PIECES) for _ in range(r.randrange(1, n)))


def test_credit_helpers_equal_reference_on_random_text():
    r = random.Random(1717)
    for _ in range(10000):
        s = _credit_text(r, 12)
        assert agencies._has_separator(s) == _reference_has_separator(s), s
        assert agencies._agency_list(s) == _reference_agency_list(s), s
        start = r.randrange(len(s) + 1)
        assert agencies._last_boundary_end(s, start) == _reference_last_boundary_end(s, start), (s, start)


def test_split_credits_equals_reference_on_random_paragraphs():
    r = random.Random(2025)
    for _ in range(2500):
        paras = [normalize_text(_credit_text(r, 14)) for _ in range(r.randrange(1, 6))]
        assert agencies.split_credits(paras) == _reference_split_credits(paras), paras


# --- related links: the prev/next ancestor test without iterators ----------------------

from itertools import islice  # noqa: E402

import lxml.etree  # noqa: E402

from newsspider.parse.document import Document  # noqa: E402


def _reference_related_links(doc, block):
    out, seen = [], set()
    around: dict = {}
    for a in block.iter("a"):
        href = a.get("href") or ""
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        if generic._prevnext(f"{a.get('class') or ''} {a.get('rel') or ''}"):
            continue
        hit = False
        for n in islice(a.iterancestors(), 3):
            hit = around.get(n)
            if hit is None:
                hit = around[n] = generic._prevnext(f"{n.get('class') or ''} {n.get('rel') or ''}")
            if hit:
                break
        if hit:
            continue
        title = generic.link_title(a)
        if not title or generic._RELATED_HEADING.match(title):
            continue
        url = doc.absolute(href).split("#")[0]
        if url in seen or doc.is_own(url):
            continue
        seen.add(url)
        out.append({"url": url, "title": title})
    return out


def _random_links_page(r: random.Random) -> str:
    def attrs():
        out = ""
        if r.random() < 0.4:
            out += f' class="{r.choice(["prev-post", "next", "nav-links", "item", "", "post-navigation", "x y"])}"'
        if r.random() < 0.2:
            out += f' rel="{r.choice(["next", "prev", "tag", "nofollow", ""])}"'
        return out

    def node(depth):
        if depth > 4 or r.random() < 0.35:
            href = r.choice(["/news/1/", "/news/2/#c", "#top", "javascript:void(0)", "mailto:x@y", "",
                             "/news/5/", "http://127.0.0.1:8765/news/5/", "/news/%35/", "/news/3/"])
            text = r.choice(["খবর এক", "আরও খবর", "", " »  শিরোনাম ", "Title"])
            return f'<a href="{href}"{attrs()}>{text}</a>'
        tag = r.choice(["div", "ul", "li", "span", "nav"])
        return f"<{tag}{attrs()}>" + "".join(node(depth + 1) for _ in range(r.randrange(1, 4))) + f"</{tag}>"

    return f"<html><body><div{attrs()}>{node(0)}{node(0)}</div></body></html>"


def test_related_links_equals_reference_on_random_trees():
    r = random.Random(1701)
    for _ in range(800):
        html = _random_links_page(r)
        url = r.choice(["http://127.0.0.1:8765/news/5/", "http://127.0.0.1:8765/", ""])
        doc = Document(html, url)
        for block in [doc.root, *doc.root.iter("div", "ul", "li")][:4]:
            assert generic.related_links(doc, block) == _reference_related_links(doc, block), html


def test_tail_has_equals_the_decoded_check():
    r = random.Random(5)
    for _ in range(3000):
        body = "".join(r.choice(["</html>", "</HTML>", "</Body>", "</body>", "x", "ক", " ", "<p>"])
                       for _ in range(r.randrange(12)))
        data = f"<html><body>{body}".encode()
        doc = Document.from_bytes(data, "http://a.example/")
        for marker, chars in (("</html>", r.randrange(1, 40)), ("</body>", r.randrange(1, 40))):
            assert doc.tail_has(marker, chars) == (marker in data.decode()[-chars:].lower()), (data, marker, chars)
