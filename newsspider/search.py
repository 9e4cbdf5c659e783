"""Search of the archive: what a reader types, turned into an FTS5 query; excerpts.

Pure functions (no Datasette, no Scrapy); the schema (:mod:`pipelines.schema`) builds the
index these queries run on, and the Datasette plugin registers them as SQL functions.

**Two indexes.** ``articles_words`` (FTS5 ``unicode61`` with ``categories 'L* N* Co M*'``)
holds whole words: Bangla vowel signs, the virama and the nukta are letters of the word
there, so a word of any length (মে, দল) is found, and only as a word. ``articles_fts``
(``trigram``) stays for inside-word matching: the ranked ``search`` query adds its
substring matches after the word matches.

**The same normalisation on both sides.** Stored text is :func:`normalize_text` (NFC, so
U+09DF য় is য + nukta, ZWSP removed, ZWJ/ZWNJ kept). A query is normalised by the same
function, then both sides get the same matching fold (:func:`fold`): Bangla digits
become ASCII ones and ZWJ/ZWNJ are dropped. The index side of the fold is pure SQL
(``pipelines.schema._fold_sql``, in the triggers), so any writer keeps the index right.

**Inflection.** Bangla inflects by suffix. A query word is turned into every candidate
stem (the word itself, and the word without each suffix of :data:`SUFFIXES` it ends
with, the stem keeping at least two letters), and each stem into stem + every suffix:
so বাংলাদেশের, বাংলাদেশে, বাংলাদেশকে and বাংলাদেশ all find one another, as whole words.
The list is measured in ``bench/search.py`` (inflected-form recall).

**Syntax.** Words (all must occur), ``"a phrase"`` (its words adjacent, as typed, no
inflection), ``OR`` between two items, ``-word`` / ``-"phrase"`` to exclude, ``word*``
for a prefix. A query with nothing to find (only exclusions, only punctuation) raises
:class:`QueryError` with a message for the page.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata

from newsspider.bangla.text import normalize_text

__all__ = ["SUFFIXES", "QueryError", "fold", "query_key", "forms",
           "parse_query", "compile_query", "match_expression", "excerpt", "words_of",
           "trigram_expression", "NO_MATCH"]

# Longest first matters only for reading; every suffix a word ends with gives a stem.
SUFFIXES = tuple(normalize_text(s) for s in (
    "গুলোকে", "গুলোতে", "গুলোর", "গুলো", "গুলি", "দেরকে", "দের", "েরা", "েরই", "েরও", "ের",
    "এর", "য়ের", "য়", "কেই", "কে", "তেই", "তে", "রা", "টির", "টিকে", "টি", "টার", "টা",
    "েই", "ই", "ও", "র", "ে",
))
ZWNJ, ZWJ = "\u200c", "\u200d"
_BN_DIGITS = "০১২৩৪৫৬৭৮৯"
_FOLD = str.maketrans({**{b: str(i) for i, b in enumerate(_BN_DIGITS)}, ZWNJ: None, ZWJ: None})
MIN_STEM = 2  # letters a stem keeps (code points of the word without the suffix)


#: an FTS5 expression that matches nothing (a query that cannot be taken)
NO_MATCH = '""'


class QueryError(ValueError):
    """A query the syntax cannot take; ``str()`` is the message for the page."""


def fold(s: str) -> str:
    """The matching fold applied to both the index and the query: Bangla digits → ASCII,
    ZWJ/ZWNJ dropped (the index side is ``pipelines.schema._fold_sql``)."""
    return s.translate(_FOLD)


def query_key(s: str | None) -> str:
    """A query as the index sees it: normalised as stored text is, then folded."""
    return fold(normalize_text(s or ""))


def _word_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LMN" or cat == "Co"


def words_of(s: str) -> list[str]:
    """The tokens of ``s`` as the word index cuts them (letters, marks, digits, private
    use; everything else separates)."""
    out, cur = [], []
    for ch in s:
        if _word_char(ch):
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def _stems(word: str) -> list[str]:
    stems = [word]
    for suf in SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= MIN_STEM:
            stem = word[: -len(suf)]
            if stem not in stems and not stem.endswith("\u09cd"):  # no stem ends in a virama
                stems.append(stem)
    return stems


def forms(word: str) -> list[str]:
    """Every form of ``word`` the search accepts as the same word (see the module doc).
    Only Bangla words inflect; a Latin word or a number is itself."""
    if not any("\u0980" <= ch <= "\u09ff" for ch in word) or word.isdigit():
        return [word.lower()]
    out: list[str] = []
    for stem in _stems(word):
        after_vowel = _VOWEL_END.search(stem) is not None
        for f in (stem, *(stem + s for s in SUFFIXES if not (after_vowel and _VOWEL_START.match(s)))):
            if f not in out:
                out.append(f)
    return out


# a dependent vowel sign (া ি ী ু ূ ৃ ে ৈ ো ৌ ৗ) or ং ঃ ঁ: a suffix that starts with a
# vowel sign attaches to a consonant only (ডেঙ্গু + ের is no word)
_VOWEL_END = re.compile("[\u0981-\u0983\u09be-\u09cc\u09d7]$")
_VOWEL_START = re.compile("[\u09be-\u09cc\u09d7]")


# --------------------------------------------------------------------------- parsing
_TOKEN_RE = re.compile(r'(-?)"([^"]*)("?)|(\S+)')


def parse_query(q: str | None) -> list[list[dict]]:
    """The query as a conjunction of disjunctions: ``[[item, item], [item]]`` means
    (item OR item) AND item. An item is ``{"kind": "word"|"prefix"|"phrase", "words":
    [...], "neg": bool}``. Raises :class:`QueryError` for a query with nothing to find."""
    text = query_key(q)
    groups: list[list[dict]] = []
    pending_or = False
    for m in _TOKEN_RE.finditer(text):
        neg, phrase, _closed, bare = m.group(1), m.group(2), m.group(3), m.group(4)
        if bare is not None and bare == "OR":
            pending_or = bool(groups)
            continue
        if bare is not None:
            neg = "-" if bare.startswith("-") and len(bare) > 1 else ""
            raw = bare[1:] if neg else bare
            prefix = raw.endswith("*")
            words = words_of(raw)
            if not words:
                continue
            if len(words) > 1:
                item = {"kind": "phrase", "words": words, "neg": bool(neg), "prefix": prefix}
            else:
                item = {"kind": "prefix" if prefix else "word", "words": words, "neg": bool(neg)}
        else:
            words = words_of(phrase)
            if not words:
                continue
            item = {"kind": "phrase", "words": words, "neg": bool(neg), "prefix": False}
        if pending_or and not item["neg"] and groups and not groups[-1][0]["neg"]:
            groups[-1].append(item)
        else:
            groups.append([item])
        pending_or = False
    if not groups:
        raise QueryError("Nothing to search for: type a word (Bangla or English), a \"phrase\" "
                         "in quotes, word*, or words joined by OR · খোঁজার মতো কোনো শব্দ নেই")
    if all(g[0]["neg"] for g in groups):
        raise QueryError("A search cannot only exclude: add a word to find before the -word "
                         "· শুধু বাদ দেওয়া যায় না, খোঁজার একটি শব্দ লিখুন")
    return groups


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _item_fts(item: dict, known=None) -> str:
    words = [w.lower() for w in item["words"]]
    if item["kind"] == "word":
        fs = forms(item["words"][0])
        if known is not None:
            # only the forms the index holds: bm25 costs per phrase of the query, and a
            # word has up to ~75 candidate forms of which a few occur (ranking a word of
            # 28,000 of 50,000 articles: 83 -> 30 ms)
            fs = known(fs) or fs[:1]
        return "(" + " OR ".join(map(_quote, fs)) + ")"
    if item["kind"] == "prefix":
        return _quote(words[0]) + " *"
    return _quote(" ".join(words)) + (" *" if item.get("prefix") else "")


def compile_query(q: str | None, known=None, column: str | None = None) -> str:
    """The FTS5 expression for the word index (raises :class:`QueryError`). ``known``:
    a function of a list of forms -> those the index holds (the others are left out);
    ``column``: the expression limited
    to that column (``headline``)."""
    groups = parse_query(q)
    pos = [g for g in groups if not g[0]["neg"]]
    neg = [g[0] for g in groups if g[0]["neg"]]
    expr = " AND ".join("(" + " OR ".join(_item_fts(i, known) for i in g) + ")" for g in pos)
    for item in neg:
        expr = f"({expr}) NOT {_item_fts(item, known)}"
    return f"{column} : ({expr})" if column else expr


def match_expression(q: str | None, known=None, column: str | None = None) -> str:
    """:func:`compile_query`, or :data:`NO_MATCH` for a query it cannot take (the page
    shows the message; SQL functions must not raise)."""
    try:
        return compile_query(q, known, column)
    except QueryError:
        return NO_MATCH


def trigram_expression(q: str | None) -> str:
    """The same query for the trigram index (inside-word matches), or NO_MATCH when a
    positive word is shorter than three letters (trigrams cannot match it)."""
    try:
        groups = parse_query(q)
    except QueryError:
        return NO_MATCH
    parts, negs = [], []
    for g in groups:
        alts = []
        for item in g:
            s = " ".join(item["words"])
            if len(s) < 3:
                if item["neg"]:
                    break
                return NO_MATCH
            alts.append(_quote(s))
        else:
            (negs if g[0]["neg"] else parts).append("(" + " OR ".join(alts) + ")")
    expr = " AND ".join(parts)
    for n in negs:
        expr = f"({expr}) NOT {n}"
    return expr


# --------------------------------------------------------------------------- excerpts
_WORD_CLASS = "\\w\u0980-\u09ff\u200c\u200d"
_JOINERS = "[\u200c\u200d]?"


def _pattern(word: str) -> str:
    """A folded word as a regex over stored text: a digit matches its Bangla digit too,
    and ZWJ/ZWNJ (dropped by the fold) may stand beside a virama (র‍্যাব)."""
    out = []
    for ch in word:
        if "0" <= ch <= "9":
            out.append(f"[{ch}{_BN_DIGITS[int(ch)]}]")
        elif ch == "\u09cd":
            out.append(_JOINERS + re.escape(ch) + _JOINERS)
        else:
            out.append(re.escape(ch))
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _matcher(q: str | None):
    """A compiled regex finding, in text whose digits are ASCII, the words matching a
    positive item of ``q`` (whole words; a prefix item: words starting so), or None."""
    try:
        groups = parse_query(q)
    except QueryError:
        return None
    alts = []
    for g in groups:
        for item in g:
            if item["neg"]:
                continue
            if item["kind"] == "word":
                fs = forms(item["words"][0])
            elif item["kind"] == "prefix":
                alts.append(_pattern(item["words"][0]) + f"[{_WORD_CLASS}]*")
                continue
            else:
                fs = item["words"]
                if item.get("prefix"):
                    alts.append(_pattern(item["words"][-1]) + f"[{_WORD_CLASS}]*")
            # the forms of a word share its shortest stem: a literal prefix for the regex
            # engine to look for, then the endings (~10x faster than an alternation of forms)
            common = os.path.commonprefix(fs)
            ends = sorted({f[len(common):] for f in fs}, key=len, reverse=True)
            alts.append(_pattern(common) + "(?:" + "|".join(_pattern(e) for e in ends) + ")")
    if not alts:
        return None
    # no look-behind at the start: it would stop the engine's literal-prefix search (the
    # word start is checked by _finditer)
    return re.compile(f"(?:{'|'.join(alts)})(?![{_WORD_CLASS}])", re.I)


_WORD_CHAR_RE = re.compile(f"[{_WORD_CLASS}]")


def _finditer(rx, text):
    """The matches of ``rx`` in ``text`` that start a word."""
    pos = 0
    while True:
        m = rx.search(text, pos)
        if m is None:
            return
        if m.start() == 0 or not _WORD_CHAR_RE.match(text, m.start() - 1):
            yield m
            pos = m.end()
        else:
            pos = m.start() + 1


_SPAN_RE = re.compile(r"\S+")


def excerpt(body: str | None, q: str | None, words: int = 30, before: int = 8,
            start: str = "«", end: str = "»") -> str:
    """About ``words`` words of ``body`` around the first word matching ``q``, cut at
    word boundaries (``…`` where cut), every matching word wrapped in «»; the start of
    the body when no word of it matches (the match was in the headline, or inside a word).
    One regex search: ~30 us for a 3,000-character body."""
    if not body:
        return ""
    rx = _matcher(q)
    m = next(_finditer(rx, body), None) if rx else None
    pos = m.start() if m else 0
    parts = body[:pos].rsplit(None, before) if pos else []
    lo_cut = len(parts) > before and bool(parts[0].strip())
    lead = parts[1:] if lo_cut else [p for p in parts if p]
    spans = _SPAN_RE.finditer(body, pos)
    tail = [sm.group(0) for _, sm in zip(range(words - len(lead)), spans)]
    more = next(spans, None) is not None
    text = " ".join(lead + tail)
    if rx:
        out, last = [], 0
        for mm in _finditer(rx, text):
            out.append(text[last:mm.start()])
            out.append(start + text[mm.start():mm.end()] + end)
            last = mm.end()
        out.append(text[last:])
        text = "".join(out)
    return ("… " if lo_cut else "") + text + (" …" if more else "")
