"""Text normalization for Bangla news text.

Stored text is NFC with invisible junk removed and whitespace collapsed; a separate
*matching key* (``match_key``) is used to compare or deduplicate text, and drops the
differences that do not change meaning (ZWNJ/ZWJ, nukta spellings, digits, punctuation,
case).  Everything here is a pure function; regexes and tables are built once at import.

Facts implemented (see the project's reference notes on Bangla):

* NFC turns the single code points ড় ঢ় য় (U+09DC/U+09DD/U+09DF) into base + nukta
  (U+09BC); both spellings therefore store, and key, identically.
* Old khanda-ta, ত + ্ + ZWJ, is rewritten to ৎ (U+09CE).
* ZWNJ/ZWJ are kept in stored text (they shape conjuncts such as র‍্যাব) and dropped in keys.
* Zero-width space, word joiner, BOM, soft hyphen, bidi marks and every other format (Cf)
  or control (Cc) character is removed; NBSP and all Unicode spaces become ' '.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array

__all__ = [
    "normalize_text",
    "normalize_paragraph",
    "normalize_body",
    "match_key",
    "to_ascii_digits",
    "is_bijoy",
    "is_bangla",
]

ZWNJ = "\u200c"
ZWJ = "\u200d"

# Format (Cf) characters, except ZWNJ/ZWJ, and non-whitespace controls (Cc).  Control
# characters that Python treats as whitespace (\t \n \v \f \r \x1c-\x1f \x85) are turned
# into spaces by the whitespace step instead.  The Cf list is complete for Unicode 15.
_INVISIBLE_RE = re.compile(
    "["
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "]+"
)
_KHANDA_TA_OLD = "\u09a4\u09cd\u200d"  # ত + ্ + ZWJ
_KHANDA_TA = "\u09ce"  # ৎ
_PARA_SPLIT_RE = re.compile(r"\n\s*\n")

_BN_DIGITS = "০১২৩৪৫৬৭৮৯"
_DIGIT_TABLE = str.maketrans(_BN_DIGITS, "0123456789")


def _nfc_safe_ranges() -> list[tuple[int, int]]:
    """The BMP code points outside the class below (``_UNSAFE_CHAR_RE``), as ranges:
    every character that may take part in an NFC change or that ``normalize_text``
    removes is left out, i.e. everything outside the BMP and, in the BMP, each character
    NFC rewrites on its own, the second half of every canonical composition (quick-check
    "Maybe"), every character with a non-zero combining class (reordering) and the
    invisible characters. Bangla needs four exceptions, which the caller checks as pairs:
    া/ৗ (U+09BE/U+09D7, which compose only with a preceding ে U+09C7) and the nukta and
    virama (combining classes 7 and 9, reordered only when virama precedes nukta;
    neither composes)."""
    # (no composite outside the BMP has a BMP second half)
    codes = array("I", range(0x10000))
    codes[0xD800:0xE000] = array("I", [0xFFFD]) * 0x800  # surrogates stand in as U+FFFD
    bmp = codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
    unsafe = {*range(0x1161, 0x1176), *range(0x11A8, 0x11C3), *range(0xD800, 0xE000)}  # Hangul V, T jamo
    for cp in [cp for cp, d in enumerate(map(unicodedata.decomposition, bmp)) if d and d[0] != "<"]:
        if unicodedata.normalize("NFC", chr(cp)) != chr(cp):
            unsafe.add(cp)  # rewritten on its own (singleton, excluded composite, ...)
        else:
            parts = unicodedata.decomposition(chr(cp)).split()
            if len(parts) == 2:
                unsafe.add(int(parts[1], 16))  # a primary composite: its 2nd char is "Maybe"
    unsafe.update(map(ord, "".join(_INVISIBLE_RE.findall(bmp))))
    unsafe.update([cp for cp, ccc in enumerate(map(unicodedata.combining, bmp)) if ccc])
    unsafe -= {0x09BC, 0x09CD, 0x09BE, 0x09D7}
    return _ranges(cp for cp in range(0x10000) if cp not in unsafe)


def _ranges(codes) -> list[tuple[int, int]]:
    """Sorted code points as (first, last) ranges."""
    ranges: list[list[int]] = []
    for cp in codes:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return [(a, b) for a, b in ranges]


def _codes(ranges) -> list[int]:
    return [cp for a, b in ranges for cp in range(a, b + 1)]


def _class_body(ranges) -> str:
    """The inside of a regex character class of the ranges."""
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)


def build_unicode_tables() -> dict[str, tuple]:
    """The code point tables the text rules are built from, computed from this Python's
    Unicode database (a scan of the BMP: ~95 ms): the BMP characters NFC leaves alone
    (``_nfc_safe_ranges``), the punctuation (every P* code point, and the quote-like
    symbols ` and ´), and the characters ``str.casefold`` changes (surrogates aside)."""
    return {
        "NFC_SAFE": tuple(_nfc_safe_ranges()),
        "PUNCT": tuple(_ranges(cp for cp in range(0x10000)
                               if unicodedata.category(chr(cp))[0] == "P" or cp in (0x60, 0xB4))),
        "CASED": tuple(_ranges(cp for cp in range(0x10000)
                               if (cp < 0xD800 or cp > 0xDFFF) and chr(cp).casefold() != chr(cp))),
    }


def _unicode_tables() -> dict[str, tuple]:
    """``build_unicode_tables()``, read from ``_unicode_tables.py`` when that was written
    from this Python's Unicode version (``python -m newsspider.bangla
    --write-unicode-tables``; a test checks it is current), else built: every process
    that imports the parser (the crawl, its parse worker, reparse, each test's crawl)
    is spared the scan's ~95 ms at start-up."""
    try:
        from newsspider.bangla import _unicode_tables as stored
    except ImportError:  # (never in a checkout: the file is part of it)
        stored = None
    if stored is not None and stored.UNIDATA_VERSION == unicodedata.unidata_version:
        return {name: getattr(stored, name) for name in ("NFC_SAFE", "PUNCT", "CASED")}
    return build_unicode_tables()


def write_unicode_tables(path=None) -> str:
    """Write ``_unicode_tables.py`` (next to this module) from ``build_unicode_tables()``."""
    from pathlib import Path

    path = Path(path) if path else Path(__file__).with_name("_unicode_tables.py")
    lines = ['"""Generated by `python -m newsspider.bangla --write-unicode-tables` from this Unicode',
             "version's database (``build_unicode_tables``): do not edit; a test checks it is",
             'current. (first, last) code point ranges."""', "",
             f"UNIDATA_VERSION = {unicodedata.unidata_version!r}"]
    for name, ranges in build_unicode_tables().items():
        lines.append(f"{name} = (")
        row = "   "
        for a, b in ranges:
            item = f" ({a:#06x}, {b:#06x}),"
            if len(row) + len(item) > 99:
                lines.append(row)
                row = "   "
            row += item
        lines.extend([row, ")"])
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return str(path)


_TABLES = _unicode_tables()


def _build_nfc_safe_class() -> str:
    """A negated regex character class: it matches every character that may take part in
    an NFC change or that ``normalize_text`` removes (``_nfc_safe_ranges``). A negated
    class of BMP ranges compiles to a lookup table: one scan costs ~3 ns a character."""
    return "[^" + _class_body(_TABLES["NFC_SAFE"]) + "]"


# Text with no match here and none of the pairs in normalize_text is already NFC, holds no invisible
# character and no old khanda-ta (whose ্ + ZWJ is in the pairs): normalize_text only
# collapses its whitespace (the common case, ~5x faster).
_UNSAFE_CHAR_RE = re.compile(_build_nfc_safe_class())


def normalize_text(s: str) -> str:
    """Normalize a single-line field (headline, byline, section, paragraph).

    Removes invisible/format characters (keeping ZWNJ/ZWJ), applies NFC, fixes old
    khanda-ta, turns every kind of whitespace (incl. newlines) into single spaces and
    strips.  Idempotent.
    """
    if not s:
        return ""
    if _UNSAFE_CHAR_RE.search(s) is None:
        if _nfc_pairs_absent(s):
            return _collapse(s)
    elif "\u09dc" in s or "\u09dd" in s or "\u09df" in s:
        # ড় ঢ় য় as single code points (how most Bangla text is typed): NFC writes each as
        # its base letter + nukta and never composes them again. Written so, a text that is
        # then safe is its own NFC (a canonically equivalent spelling, already normalized),
        # without NFC's ~800 instructions a character (CPython scans its composition table
        # for each one).
        t = s
        for one, two in _NUKTA_DECOMPOSED:
            if one in t:
                t = t.replace(one, two)
        if _UNSAFE_CHAR_RE.search(t) is None and _nfc_pairs_absent(t):
            return _collapse(t)
    s = _INVISIBLE_RE.sub("", s)
    if not s.isascii():
        s = unicodedata.normalize("NFC", s)
        if _KHANDA_TA_OLD in s:
            s = s.replace(_KHANDA_TA_OLD, _KHANDA_TA)
    return _collapse(s)


_NUKTA_DECOMPOSED = tuple((c, unicodedata.normalize("NFC", c)) for c in "\u09dc\u09dd\u09df")


def _nfc_pairs_absent(s: str) -> bool:
    """None of the four pairs the safe class lets through is in ``s``: ে + া or ৗ (which NFC
    composes), virama + nukta (which it reorders), virama + ZWJ (the old khanda-ta)."""
    return ("\u09c7\u09be" not in s and "\u09c7\u09d7" not in s and "\u09cd\u09bc" not in s
            and "\u09cd\u200d" not in s)


def _collapse(s: str) -> str:
    """``" ".join(s.split())`` (str.split() splits on exactly what \\s matches), without
    the split and join for text that has nothing to collapse: every whitespace
    character but the space is unprintable (tested over all code points), so a printable
    text without a double space or one at either end is already collapsed (0.8 against
    3 us on a 200-character paragraph)."""
    if s and s.isprintable() and "  " not in s and s[0] != " " and s[-1] != " ":
        return s
    return " ".join(s.split())


def normalize_paragraph(s: str) -> str:
    """A paragraph is stored as one line: same as :func:`normalize_text`."""
    return normalize_text(s)


def normalize_body(s: str) -> str:
    """Normalize an article body: paragraphs separated by blank lines.

    Each paragraph is normalized with :func:`normalize_text` (single newlines inside a
    paragraph become spaces), empty paragraphs are dropped, and the result is joined with
    ``"\\n\\n"``.  Idempotent.
    """
    if not s:
        return ""
    # Invisible characters are removed first so that a line holding only a ZWSP or BOM
    # counts as blank (keeps the function idempotent).
    s = _INVISIBLE_RE.sub("", s)
    paras = (normalize_text(p) for p in _PARA_SPLIT_RE.split(s))
    return "\n\n".join(p for p in paras if p)


def to_ascii_digits(s: str) -> str:
    """Map Bangla digits ০-৯ to ASCII 0-9 (other characters unchanged)."""
    if s.isascii():  # nothing to map (translate would look every character up)
        return s
    return s.translate(_DIGIT_TABLE)


def _class_of(codes) -> str:
    """A regex character class of the given sorted code points (as ranges)."""
    return "[" + _class_body(_ranges(codes)) + "]"


# every punctuation (P*) code point in the BMP, plus the quote-like symbols ` and ´
_PUNCT_CLASS = "[" + _class_body(_TABLES["PUNCT"]) + "]"
# "[P][P]*", not "[P]+": a pattern that starts with a character class lets the regex
# engine skip to the next punctuation character in C; one that starts with a repeat is
# tried at every position (5.4 against 3.4 us on a 200-character Bangla paragraph)
_PUNCT_RE = re.compile(_PUNCT_CLASS + _PUNCT_CLASS + "*")
# After NFC these are already decomposed; the table is a safety net for callers that
# hand in text that bypassed NFC.
_KEY_TABLE = str.maketrans(
    {
        ZWNJ: None,
        ZWJ: None,
        "\u09dc": "\u09a1\u09bc",
        "\u09dd": "\u09a2\u09bc",
        "\u09df": "\u09af\u09bc",
        **{b: a for b, a in zip(_BN_DIGITS, "0123456789")},
    }
)


_KEY_CHARS_RE = re.compile("[\u200c\u200d\u09dc\u09dd\u09df" + _BN_DIGITS + "]")
# _KEY_TABLE as (character, replacement) pairs: no replacement holds a character of the
# table, so replacing them one after another is the translation (str.translate with a
# dict costs ~20 us on a Bangla paragraph, the replaces ~2 us).
_KEY_PAIRS = tuple((chr(c), r or "") for c, r in _KEY_TABLE.items())


_KEY_MAP = dict(_KEY_PAIRS)
# The BMP's punctuation as _PUNCT_RE matches it, and every character the key's fast path
# must see: those of the key table, the punctuation, and those casefold() changes (all
# of the BMP's, found by asking casefold; outside the BMP all, whatever they are).
_PUNCT_CHARS = frozenset(map(chr, _codes(_TABLES["PUNCT"])))
_KEY_SCAN_RE = re.compile(_class_of(sorted(
    {*_codes(_TABLES["CASED"])} | {ord(c) for c in _KEY_MAP} | {ord(c) for c in _PUNCT_CHARS}))[:-1]
    + "\U00010000-\U0010ffff]")


def match_key(s: str, *, normalized: bool = False) -> str:
    """A key for comparing/deduplicating text (never for storage).

    normalize_text, then: drop ZWNJ/ZWJ, unify nukta spellings, casefold, Bangla digits
    to ASCII, punctuation and quotes (incl. । ‘ ’ “ ” - – —) to spaces, collapse spaces.
    ``normalized``: ``s`` is already an output of normalize_text (which is idempotent),
    so it is not normalized again.

    Most Bangla text has no character casefold() changes: one scan finds the key-table
    characters and the punctuation it holds, each replaced by ``str.replace`` (and
    casefold, the table's fifteen searches and the punctuation regex are not run: ~80
    against ~25 thousand instructions on a 200-character paragraph). A text with any
    other character found takes the full steps.
    """
    if not normalized:
        s = normalize_text(s)
    found = _KEY_SCAN_RE.findall(s)
    if not found:
        return s  # (normalize_text's output: already collapsed)
    punct = []
    for c in set(found):
        r = _KEY_MAP.get(c)
        if r is not None:
            s = s.replace(c, r)  # (no replacement holds a character of the table or a punctuation)
        elif c in _PUNCT_CHARS:
            punct.append(c)
        else:
            return _full_match_key(s)  # a cased character (or one outside the BMP)
    # Every punctuation character to a space (the regex turns each run into one space:
    # after the collapse the same), the common "। " and ", " straight to one space.
    for c in punct:
        s = s.replace(c + " ", " ")
        if c in s:
            s = s.replace(c, " ")
    # only single spaces are whitespace here (normalize_text's output, spaces added)
    if "  " in s:
        return " ".join(s.split())
    return s.strip(" ")


def _full_match_key(s: str) -> str:
    """``match_key`` of normalize_text's output, step by step."""
    if _KEY_CHARS_RE.search(s) is not None:
        for c, r in _KEY_PAIRS:
            if c in s:
                s = s.replace(c, r)
    k = _PUNCT_RE.sub(" ", s.casefold())
    # normalize_text's output has no whitespace but single inner spaces; casefold makes
    # none (no character folds to whitespace), the substitution only single spaces: a key
    # without a double space or one at either end is already collapsed
    if "  " in k or k[:1] == " " or k[-1:] == " ":
        return " ".join(k.split())
    return k


# --- script detection -------------------------------------------------------------

_BENGALI_ANY_RE = re.compile("[\u0980-\u09ff]")
# Bengali-block characters that are not digits (letters, vowel signs, marks).
_BN_LETTER_RE = re.compile("[\u0980-\u09e5\u09f0-\u09ff]")
# Letters of any other script.
_OTHER_LETTER_RE = re.compile(r"[^\W\d_\u0980-\u09ff]")

# Characters the SutonnyMJ/Bijoy fonts draw as Bangla signs or conjuncts and that ordinary
# English/European text rarely glues inside a word (accented letters used by European
# languages are deliberately absent).  ‡ = ে, ¨ = ্য, ˆ = ৈ, ¯ = স্ , ` = দ, ...
_BIJOY_MARKS = frozenset(
    "‡†¨ˆ¯Ð÷×¦§ª¬µ¶¸¹¼½¾Þ‰ƒŸ˜`"
)
_ASCII_LETTER_RE = re.compile("[A-Za-z]")

#: is_bijoy threshold: share of Latin-letter words that carry a Bijoy mark glued to them.
BIJOY_MIN_SHARE = 0.2


def is_bijoy(s: str) -> bool:
    """Detect legacy Bijoy/SutonnyMJ ASCII-encoded Bangla (e.g. ``evsjv‡`k`` = বাংলাদেশ).

    Rule: the text has no Bengali-block character, and among its whitespace-separated
    words that contain an ASCII letter, at least 20 % (``BIJOY_MIN_SHARE``) also contain a
    Bijoy mark (‡ † ¨ ˆ ¯ Ð ÷ ` ... ) glued to the letters.  The marks exclude accented
    letters and currency signs of European text, so English/French/German prose stays
    False; a very short English string with a glued dagger ("Smith†") can trip it.
    Empty text -> False.
    """
    if not s or _BENGALI_ANY_RE.search(s):
        return False
    latin = marked = 0
    for word in s.split():
        if not _ASCII_LETTER_RE.search(word):
            continue
        latin += 1
        if not _BIJOY_MARKS.isdisjoint(word):
            marked += 1
    return marked > 0 and marked >= BIJOY_MIN_SHARE * latin


#: is_bangla threshold: share of letters (all scripts) that are Bengali-block letters/signs.
BANGLA_MIN_SHARE = 0.3


def is_bangla(s: str) -> bool:
    """True when at least 30 % (``BANGLA_MIN_SHARE``) of the letters are Bengali-block
    letters or signs (digits and punctuation are not counted).  No letters -> False."""
    if not s:
        return False
    bn = len(_BN_LETTER_RE.findall(s))
    if not bn:
        return False
    other = len(_OTHER_LETTER_RE.findall(s))
    return bn >= BANGLA_MIN_SHARE * (bn + other)

