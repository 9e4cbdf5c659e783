"""Wire-agency credits in Bangla news text.

``agencies.tsv`` (next to this module) maps each agency's Bangla/English forms to one
canonical English name.  Columns: canonical, ``|``-separated forms, needs_context
(``yes`` when the bare form is an ordinary word or name, e.g. তাস "playing cards", ডন,
এপি, আরটি), note.  The same canonical name may have two rows: one for unambiguous forms,
one for ambiguous short forms.

Forms are compared by an *agency key*: :func:`match_key` (NFC, nukta forms equal, ZWNJ/ZWJ
dropped, casefolded, punctuation removed) with spaces also removed, so আল জাজিরা,
আল-জাজিরা, আল–জাজিরা and আলজাজিরা are one key.  Case endings (ের, র, -এর, ’র, কে, তে, য়, ে,
English 's) are stripped when the bare word is not found.

A credit is an attribution, not a mention.  :func:`split_credits` recognises, in order:

(b) source lines: "সূত্র: বিবিসি, আল জাজিরা", "তথ্যসূত্র:", "Source:" - a whole paragraph
    anywhere, or glued after the last sentence of one of the last three paragraphs.  The
    line is removed.  Items that are not known agencies are not credited: credits hold
    canonical agency names only (the line still leaves the body).
(a) trailing agency lists: the last paragraph ending, after its last sentence, with a list
    of agencies only ("... হয়েছে। রয়টার্স, এপি, এএফপি"; separators , ও এবং / | ; &) or being
    such a list -> list removed.  Earlier paragraphs: only a list glued after a sentence,
    with at least one unambiguous name (a whole paragraph "আল জাজিরা" in the middle is
    more likely a sub-heading of a media round-up and is left alone).
(c) a dateline in the first paragraph: "ঢাকা, ২৫ আগস্ট, ২০২৫ (বাসস) :" -> credited, text kept.
(d) "খবর রয়টার্সের" closing a sentence ("... ২০ জন। খবর আল জাজিরার।", "...২০ জন, খবর
    রয়টার্সের।") -> credited, the phrase removed (the sentence keeps its danda).
(e) "বার্তা সংস্থা এএফপি", "সংবাদ সংস্থা বাসস", "খবর দিয়েছে রয়টার্স" -> credited, text kept;
    not with the object endings কে/তে ("বার্তা সংস্থা রয়টার্সকে দেওয়া সাক্ষাৎকারে").
Anything else (a name in the narrative: "বিবিসিকে দেওয়া এক সাক্ষাৎকারে", "সিএনএনের এক
প্রতিবেদনে") is a mention and is not credited.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from newsspider.bangla.text import match_key, normalize_text

__all__ = ["canonical_agency", "split_credits", "find_credit_line", "AGENCY_TABLE"]

TABLE_PATH = Path(__file__).with_name("agencies.tsv")


class _Form(NamedTuple):
    canonical: str
    needs_context: bool


def _key(s: str) -> str:
    return match_key(s).replace(" ", "")


def _load_table(path: Path = TABLE_PATH) -> dict[str, _Form]:
    table: dict[str, _Form] = {}
    with path.open(encoding="utf-8") as fh:
        next(fh)  # header
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            canonical, forms, flag, *_ = line.rstrip("\n").split("\t")
            for form in forms.split("|"):
                k = _key(form)
                if k:
                    table[k] = _Form(canonical, flag.strip().lower() == "yes")
    return table


#: agency key -> (canonical name, needs a credit context)
AGENCY_TABLE: dict[str, _Form] = _load_table()

# Case endings as keys, longest first.  "-এর" and "’র" become "এর" and "র" in the key.
_ENDINGS = tuple(
    sorted({_key(e) for e in ("এর", "ের", "র", "কে", "তে", "য়ের", "য়", "ে", "s")}, key=len, reverse=True)
)
_OBJECT_ENDINGS = frozenset(_key(e) for e in ("কে", "তে"))
_PREFIXES = tuple(_key(p) for p in ("বার্তা সংস্থা", "সংবাদ সংস্থা", "news agency"))


@lru_cache(maxsize=8192)
def _lookup(word: str) -> tuple[str, bool, str] | None:
    """(canonical, needs_context, ending key) for a form with an optional case ending."""
    k = _key(word)
    for prefix in _PREFIXES:
        if k.startswith(prefix) and len(k) > len(prefix):
            k = k[len(prefix):]
            break
    hit = AGENCY_TABLE.get(k)
    if hit:
        return hit.canonical, hit.needs_context, ""
    for ending in _ENDINGS:
        if k.endswith(ending) and len(k) - len(ending) >= 2:
            hit = AGENCY_TABLE.get(k[: -len(ending)])
            if hit:
                return hit.canonical, hit.needs_context, ending
    return None


def canonical_agency(word: str) -> str | None:
    """The canonical name for an agency form ("রয়টার্সের" -> "Reuters"), else None.

    Accepts case endings and spelling variants (hyphen, en dash, missing space, nukta
    spelling).  Says nothing about whether a mention is a credit.
    """
    if not word or len(word) > 80:
        return None
    hit = _lookup(word.strip())
    return hit[0] if hit else None


# --- credit lines -------------------------------------------------------------------

_LIST_SEP_RE = re.compile(r"\s*(?:[,،;/|&]|(?<=\s)(?:ও|এবং|and)(?=\s))\s*", re.IGNORECASE)
_WRAP_LEAD = " \t([{-–—/:•"
_WRAP_TRAIL = " \t)]}।.!;,"
_BASED_ON_RE = re.compile(r"\s+(?:অবলম্বনে|অবলম্বন)$")
_BASED_ON = "অবলম্বন"
_SOURCE_LABEL = r"(?:(?:তথ্য\s*)?সূত্র|sources?|courtesy)\s*[:ঃ]+\s*"
_SOURCE_LINE_RE = re.compile(
    rf"^{_SOURCE_LABEL}(?P<list>[^।!?\n]{{1,160}}?)\s*[।.]?\s*$", re.IGNORECASE
)
_SOURCE_TAIL_RE = re.compile(
    rf"(?:(?<=[।!?.’”\"'])\s*|\s+)(?<![\u0980-\u09ff])(?P<line>{_SOURCE_LABEL}"
    r"(?P<list>[^।!?\n]{1,160}?))\s*[।.]?\s*$",
    re.IGNORECASE,
)
# the characters _SOURCE_LINE_RE (IGNORECASE) can match first: ত স s c in any case, ſ
# (tested over all code points)
_SOURCE_FIRST = frozenset("তসsScCſ")
_BOUNDARY_RE = re.compile(r"[।!?]|[.’”\"'»](?=\s)")
_MAX_LIST = 120


def _agency_list(s: str) -> list[tuple[str, bool]] | None:
    """[(canonical, needs_context), ...] if ``s`` is a list of agencies only, else None."""
    s = s.strip(_WRAP_LEAD).rstrip(_WRAP_TRAIL)
    if _BASED_ON in s:  # (the regex's word: most tails have none, and it starts with \s+)
        s = _BASED_ON_RE.sub("", s)
    if not s or len(s) > _MAX_LIST:
        return None
    out = []
    items = [s]
    if _has_separator(s):
        # The first item decides most tails (a sentence's last clause, no agency): the
        # regex, which starts with \s* and is tried at every position, runs up to the
        # first separator only, and over the whole tail when that item is an agency.
        m = _LIST_SEP_RE.search(s)
        if m is not None:
            first = s[:m.start()].strip(_WRAP_LEAD).rstrip(_WRAP_TRAIL)
            if first:
                hit = _lookup(first)
                if hit is None or hit[2] in _OBJECT_ENDINGS:
                    return None
            items = _LIST_SEP_RE.split(s)
    for item in items:
        item = item.strip(_WRAP_LEAD).rstrip(_WRAP_TRAIL)
        if not item:
            continue
        hit = _lookup(item)
        if hit is None or hit[2] in _OBJECT_ENDINGS:
            return None
        out.append((hit[0], hit[1]))
    return out or None


def _list_items(s: str) -> list[str]:
    """``_LIST_SEP_RE.split(s)``, after asking cheaply whether the pattern matches at
    all (``_has_separator``): most tails are one sentence without a separator, and the
    regex, which starts with ``\\s*``, is tried at every position."""
    if not _has_separator(s):
        return [s]
    return _LIST_SEP_RE.split(s)


def _has_separator(s: str) -> bool:
    """Whether ``_LIST_SEP_RE`` matches in ``s``: one of its separator characters, or
    ও / এবং / and (any case: IGNORECASE folds only ASCII capitals to these letters)
    with whitespace (``str.isspace``, the regex's ``\\s``) on both sides."""
    for c in ",،;/|&":
        if c in s:
            return True
    # (only "a" and "A" lower-case to a text with an "a": tested over all code points)
    words = (("ও", s), ("এবং", s), ("and", s.lower())) if "a" in s or "A" in s else (("ও", s), ("এবং", s))
    for word, text in words:
        n = len(text)
        i = text.find(word)
        while i >= 0:
            end = i + len(word)
            if i > 0 and end < n and text[i - 1].isspace() and text[end].isspace():
                return True
            i = text.find(word, i + 1)
    return False


def _find_inside(item: str) -> str | None:
    """A known agency named somewhere inside a short source item ("বিবিসি বাংলার প্রতিবেদন")."""
    words = item.split()
    for i in range(len(words)):
        for n in range(min(5, len(words) - i), 0, -1):
            hit = _lookup(" ".join(words[i:i + n]).strip(_WRAP_LEAD).rstrip(_WRAP_TRAIL))
            if hit and not hit[1]:
                return hit[0]
    return None


def _source_items(s: str) -> list[str]:
    """Credits of the list part of a source line: canonical names only."""
    out = []
    for item in _LIST_SEP_RE.split(_BASED_ON_RE.sub("", s.strip(_WRAP_LEAD).rstrip(_WRAP_TRAIL))):
        item = item.strip(_WRAP_LEAD).rstrip(_WRAP_TRAIL)
        if not item:
            continue
        hit = _lookup(item)
        name = hit[0] if hit else _find_inside(item)
        if name:
            out.append(name)
    return out


def find_credit_line(text: str) -> list[str] | None:
    """Credits if ``text`` (a whole line or element) is purely a credit line, else None.

    Credit lines: a source line ("সূত্র: বিবিসি, আল জাজিরা"; unknown sources are not credited,
    the line is still a credit line: an empty list) or a list of agencies only ("রয়টার্স, এপি, এএফপি", "(বাসস)", "রয়টার্স অবলম্বনে").
    A line that is wholly an agency list is a credit context, so short forms count.
    """
    s = normalize_text(text)
    if not s:
        return None
    m = _SOURCE_LINE_RE.match(s)
    if m:
        return _dedupe(_source_items(m["list"]))
    names = _agency_list(s)
    return _dedupe(n for n, _ in names) if names else None


def _dedupe(names) -> list[str]:
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault(n, None)
    return list(seen)


# --- credits inside paragraphs -----------------------------------------------------

_TAIL_WINDOW = _MAX_LIST + 40


def _split_tail(p: str) -> tuple[str, str]:
    """(head, tail): tail is the text after the last sentence boundary (may be all of p).

    Only the last ``_TAIL_WINDOW`` characters are searched: a longer tail cannot be an
    agency list (``_MAX_LIST``), so then the tail is reported empty."""
    core = p.rstrip(" ।.!?")
    start = max(0, len(core) - _TAIL_WINDOW)
    cut = _last_boundary_end(core, start)
    if cut == 0 and start:
        return p, ""
    return p[:cut].rstrip(), core[cut:].strip()


def _last_boundary_end(core: str, start: int) -> int:
    """The end of the last ``_BOUNDARY_RE`` match in ``core[start:]`` (0 without one),
    by ``rfind`` from the end instead of matching every boundary from the start: a
    danda, ! or ?, or one of .’”"'» followed by whitespace (the regex's whitespace is ``str.isspace``)."""
    cut = 0
    # (each search starts at the boundary found so far: one before it is never taken)
    for c in "।!?":
        pos = core.rfind(c, start if start > cut else cut)
        if pos >= cut:
            cut = pos + 1
    n = len(core)
    for c in ".’”\"'»":
        pos = core.rfind(c, start if start > cut else cut)
        while pos >= 0 and pos + 1 > cut:
            if pos + 1 < n and core[pos + 1].isspace():
                cut = pos + 1
                break
            pos = core.rfind(c, start, pos)
    return cut


def _has_source_label(p: str) -> bool:
    """A cheap test before the source-line regex (most paragraphs have no label)."""
    return "সূত্র" in p or "ource" in p or "OURCE" in p or "ourtesy" in p or "OURTESY" in p


_DATELINE_RE = re.compile(
    r"^(?P<pre>[^()।!?]{0,80}?)\(\s*(?P<name>[^()]{1,40}?)\s*\)\s*(?P<sep>[:ঃ\-–—])?"
)
_DATELINE_PRE_RE = re.compile(r"[0-9০-৯,]")
_KHOBOR_RE = re.compile(
    r"(?P<lead>[,;]\s*|[-–—]\s*|(?<=[।!?])\s*|^\s*)খবর\s*:?\s+"
    r"(?P<list>[^।!?\n]{1,80}?)\s*(?P<end>[।!?.]|$)"
)
_AGENCY_CONTEXT_RE = re.compile(
    r"(?<![\u0980-\u09ff])(?:(?:বার্তা|সংবাদ)\s*সংস্থা|খবর\s+দিয়েছে|news\s+agency)\s+",
    re.IGNORECASE,
)
_AND_WORDS = frozenset({"ও", "এবং", "and", "&", ","})


def _names_after(text: str, start: int) -> list[tuple[int, str]]:
    """Agencies named right after ``start`` ("রয়টার্স ও এএফপি জানিয়েছে") with positions."""
    out: list[tuple[int, str]] = []
    words = text[start:start + 120].split()[:12]
    i = 0
    while i < len(words):
        for n in range(min(5, len(words) - i), 0, -1):
            cand = " ".join(words[i:i + n])
            hit = _lookup(cand.strip(_WRAP_LEAD).rstrip(_WRAP_TRAIL))
            if hit and hit[2] not in _OBJECT_ENDINGS:
                out.append((start, hit[0]))
                i += n
                break
        else:
            return out
        if i < len(words) and words[i].lower() in _AND_WORDS:
            i += 1
        elif not cand.endswith(","):
            return out
    return out


def _credits_in_sentence(p: str, first: bool) -> list[tuple[int, str]]:
    """(c) dateline and (e) বার্তা সংস্থা credits; the text is not changed."""
    found: list[tuple[int, str]] = []
    if first and "(" in p[:130]:
        m = _DATELINE_RE.match(p)
        if m:
            hit = _lookup(m["name"])
            pre = m["pre"].strip()
            if hit and hit[2] == "" and (
                m["sep"] or (not hit[1] and (not pre or _DATELINE_PRE_RE.search(pre)))
            ):
                found.append((m.start("name"), hit[0]))
    if "সংস্থা" in p or "খবর" in p or "gency" in p or "GENCY" in p:  # the regex's words
        for m in _AGENCY_CONTEXT_RE.finditer(p):
            found.extend(_names_after(p, m.end()))
    return found


def _khobor(p: str) -> tuple[str, list[tuple[int, str]]]:
    """(d) "খবর রয়টার্সের" closing a sentence: credits, and the text without the phrase."""
    found: list[tuple[int, str]] = []
    if "খবর" not in p:
        return p, found
    pieces: list[str] = []
    last = 0
    for m in _KHOBOR_RE.finditer(p):
        names = _agency_list(m["list"])
        if not names:
            continue
        found.extend((m.start("list"), n) for n, _ in names)
        keep_end = m["end"] if m["lead"].strip() else ""
        pieces.append(p[last:m.start()] if keep_end else p[last:m.start()].rstrip())
        pieces.append(keep_end)
        last = m.end()
    if not found:
        return p, found
    pieces.append(p[last:])
    return normalize_text("".join(pieces)), found


def split_credits(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """Split wire credits from body paragraphs (already normalized, in order).

    Returns (paragraphs with credit text removed and empty ones dropped, canonical credits
    in the order they appear, no duplicates).  See the module docstring for what counts
    as a credit and what is removed.  Never raises on text input.
    """
    paras = [p for p in paragraphs if p and p.strip()]
    found: list[tuple[int, int, str]] = []  # (paragraph index, position, name)

    # (b) source lines.
    for i, p in enumerate(paras):
        # (a line the regex can match starts with a letter of its labels' first ones)
        m = _SOURCE_LINE_RE.match(p) if p[0] in _SOURCE_FIRST else None
        if m:
            found.extend((i, 0, n) for n in _source_items(m["list"]))
            paras[i] = ""
        elif i >= len(paras) - 3 and _has_source_label(p):
            m = _SOURCE_TAIL_RE.search(p)
            if m:
                found.extend((i, m.start("line"), n) for n in _source_items(m["list"]))
                paras[i] = p[: m.start()].rstrip()

    # (a) trailing agency lists: the last paragraph(s), then glued tails elsewhere.
    last = max((i for i, p in enumerate(paras) if p), default=-1)
    while last >= 0:
        head, tail = _split_tail(paras[last])
        names = _agency_list(tail) if tail else None
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
        head, tail = _split_tail(p)
        if head and tail:
            names = _agency_list(tail)
            if names and any(not ctx for _, ctx in names):
                found.extend((i, len(head), n) for n, _ in names)
                paras[i] = head

    # (c) dateline, (e) বার্তা সংস্থা, (d) খবর X-এর.
    first = next((i for i, p in enumerate(paras) if p), -1)
    for i, p in enumerate(paras):
        if not p:
            continue
        in_sentence = _credits_in_sentence(p, i == first)
        if in_sentence:
            found.extend((i, pos, n) for pos, n in in_sentence)
        paras[i], khobor = _khobor(p)
        if khobor:
            found.extend((i, pos, n) for pos, n in khobor)

    found.sort(key=lambda t: (t[0], t[1]))
    return [p for p in paras if p], _dedupe(n for _, _, n in found)
