"""Tests for newsspider.bangla.text: normalization, matching keys, script detection."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from newsspider.bangla import (
    is_bangla,
    is_bijoy,
    match_key,
    normalize_body,
    normalize_paragraph,
    normalize_text,
    to_ascii_digits,
)

ZWNJ, ZWJ = "\u200c", "\u200d"


def test_nfc_and_whitespace():
    assert normalize_text("  রয়টার্স\u00a0জানিয়েছে \n\t বাংলাদেশের  ") == unicodedata.normalize(
        "NFC", "রয়টার্স জানিয়েছে বাংলাদেশের"
    )
    # e-kar + aa-kar -> o-kar (NFC)
    assert normalize_text("ক\u09c7\u09be") == "ক\u09cb"
    # all kinds of Unicode spaces
    assert normalize_text("a\u2003b\u3000c\u202fd\u2028e") == "a b c d e"


def test_invisible_characters_removed():
    s = "\ufeffবাংলা\u200bদেশ\u2060 খবর\u00ad\u200e"
    assert normalize_text(s) == "বাংলাদেশ খবর"
    assert normalize_text("a\x00b\x07c") == "abc"


def test_zwnj_zwj_kept_and_khanda_ta_fixed():
    rab = "র" + ZWJ + "\u09cd" + "যাব"
    assert normalize_text(rab) == rab
    assert ZWNJ in normalize_text("কি" + ZWNJ + "ছু")
    # old khanda-ta: ত + ্ + ZWJ -> ৎ
    assert normalize_text("উ\u09a4\u09cd\u200dস") == "উৎস"
    assert normalize_text("হঠা\u09a4\u09cd\u200d") == "হঠাৎ"


def test_nukta_forms_stored_nfc():
    precomposed = "\u09dc"  # ড়
    decomposed = "\u09a1\u09bc"
    assert normalize_text("ব" + precomposed + "ো") == normalize_text("ব" + decomposed + "ো")


def test_normalize_paragraph_is_one_line():
    assert normalize_paragraph("এক\nদুই\r\nতিন") == "এক দুই তিন"


def test_normalize_body():
    body = "প্রথম অনুচ্ছেদ\nএকই অনুচ্ছেদ\n\n \u200b \n\n\nদ্বিতীয়\u00a0অনুচ্ছেদ\n  \n"
    assert normalize_body(body) == "প্রথম অনুচ্ছেদ একই অনুচ্ছেদ\n\nদ্বিতীয় অনুচ্ছেদ"
    assert normalize_body("") == ""
    assert normalize_body("\n\n\u200b\n\n") == ""


def test_to_ascii_digits():
    assert to_ascii_digits("২০২৫-০৩-২২ ১২:৩০, 2023") == "2025-03-22 12:30, 2023"


def test_match_key_equalizes_renderings():
    a = "“রয়টার্স” বলেছে, ২০২৫ সালে—র‍্যাব ‘সক্রিয়’ ছিল।"
    b = '"রয়টার্স" বলেছে ২০২৫ সালে - র্যাব সক্রিয় ছিল'
    assert match_key(a) == match_key(b)
    # precomposed vs decomposed nukta letters
    assert match_key("পড়\u09dfা") == match_key("পড\u09bcয\u09bcা")
    assert match_key("বড়\u200c") == match_key("বড\u09bc")
    # digits, case, en dash, em dash, semicolon, colon, !, ?
    assert match_key("Reuters: ২০২৫!") == match_key("reuters 2025?")
    assert match_key("আল–জাজিরা; খবর") == match_key("আল-জাজিরা খবর")
    assert match_key("হয়েছে।এ সময়") == match_key("হয়েছে। এ সময়")


def test_match_key_keeps_words_distinct():
    assert match_key("বাংলাদেশ") != match_key("বাংলা")
    assert match_key("কাল") != match_key("কেউ কিলো")


def test_is_bijoy():
    assert is_bijoy("evsjv‡`k")
    assert is_bijoy("XvKv, 25 AvM÷ (evmm) : evsjv‡`‡ki cÖavbgš¿x Avgvi †mvbvi evsjv")
    assert not is_bijoy("")
    assert not is_bijoy("The quick brown fox jumps over the lazy dog.")
    assert not is_bijoy("Copyright © 2025 US Bangla News. All rights reserved.")
    assert not is_bijoy("Ein schöner Tag in Köln, café crème — « très bien » ¿Qué?")
    assert not is_bijoy("বাংলাদেশের খবর")
    # Bengali-block characters present -> not Bijoy even with daggers
    assert not is_bijoy("বাংলা ‡ test")


def test_is_bangla():
    assert is_bangla("রয়টার্স জানিয়েছে বাংলাদেশের নির্বাচন")
    assert is_bangla("US Bangla News: বাংলাদেশের নির্বাচন নিয়ে খবর")
    assert not is_bangla("The quick brown fox jumps over the lazy dog.")
    assert not is_bangla("২০২৫ ১২৩")  # digits only: no letters
    assert not is_bangla("")
    assert not is_bangla("evsjv‡`k")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_text_idempotent(s):
    once = normalize_text(s)
    assert normalize_text(once) == once
    assert "\n" not in once and once == once.strip()


BN_ALPHABET = st.sampled_from(
    list("কখগঘঙচছজঝটঠডঢণতথদধনপফবভমযরলশষসহড়ঢ়য়ৎািীুূৃেৈোৌ্ংঃঁ়০১২৩৪৫৬৭৮৯।,")
    + ["\u09dc", "\u09dd", "\u09df", ZWNJ, ZWJ, "\u200b", "\u00a0", "\u00ad", "\ufeff", " ", "\n", "\t", "a", "Z"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(BN_ALPHABET))
def test_normalize_idempotent_on_bangla_like_text(s):
    once = normalize_text(s)
    assert normalize_text(once) == once
    body = normalize_body(s)
    assert normalize_body(body) == body
    assert match_key(once) == match_key(s)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_body_idempotent(s):
    once = normalize_body(s)
    assert normalize_body(once) == once
    assert "\n\n\n" not in once


# --- the fast path (text that needs no change) must agree with the full algorithm ------

def _reference_normalize_text(s: str) -> str:
    """normalize_text without its fast path: the documented algorithm, step by step."""
    from newsspider.bangla.text import _INVISIBLE_RE

    s = _INVISIBLE_RE.sub("", s)
    s = unicodedata.normalize("NFC", s).replace("\u09a4\u09cd\u200d", "\u09ce")
    return " ".join(s.split())


def _reference_match_key(s: str) -> str:
    import re

    from newsspider.bangla.text import _KEY_TABLE, _PUNCT_CLASS

    s = _reference_normalize_text(s).translate(_KEY_TABLE).casefold()
    return " ".join(re.sub(_PUNCT_CLASS + "+", " ", s).split())


_TRICKY = (
    [chr(c) for c in range(0x0980, 0x0A00)]
    + [ZWNJ, ZWJ, "\u200b", "\u00ad", "\ufeff", "\u00a0", "\u2003", " ", "\n", "a", "A", "e", "\u00c5", "\u212b",
       "\u0300", "\u0301", "\u0323", "\u0327", "\u093c", "\u0928", "\u0b47", "\u0b3e", "\u0bc6", "\u0bbe",
       "\u0cbf", "\u0cd5", "\u1100", "\u1161", "\u11a8", "\uac00", "\u1b05", "\u1b35", "\U0001d15e",
       "\U00011099", "\U000110ba", "।"]
)


def test_fast_path_matches_reference_on_every_pair():
    for a in _TRICKY:
        for b in _TRICKY:
            s = a + b
            assert normalize_text(s) == _reference_normalize_text(s), ascii(s)
            assert match_key(s) == _reference_match_key(s), ascii(s)


def test_fast_path_matches_reference_on_every_bmp_character_in_context():
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        for s in (c, "ক" + c, c + "\u09be", "\u09c7" + c, c + "\u0301", c + "\u09bc", "\u09cd" + c,
                  "\u09df" + c, c + "\u09dc", "\u09cd\u09dd" + c, "ন\u09df" + c + "\u09be"):
            assert normalize_text(s) == _reference_normalize_text(s), ascii(s)


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(_TRICKY), max_size=12))
def test_fast_path_matches_reference_on_tricky_text(s):
    assert normalize_text(s) == _reference_normalize_text(s)
    assert match_key(s) == _reference_match_key(s)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fast_path_matches_reference_on_any_text(s):
    assert normalize_text(s) == _reference_normalize_text(s)
    assert match_key(s) == _reference_match_key(s)


def test_no_character_casefolds_to_whitespace():
    # match_key skips its whitespace collapse when the key has no double or outer space:
    # that needs casefold() to make no whitespace out of a character that is none
    for cp in range(0x110000):
        c = chr(cp)
        if not c.isspace():
            folded = c.casefold()
            assert not any(x.isspace() for x in folded), hex(cp)


_KEY_SPACING = st.sampled_from([" ", ZWNJ, ZWJ, "।", ",", "-", "\u00a0", "\n", "ক", "১", "a", "ß", "\u09dc"])


@settings(max_examples=500, deadline=None)
@given(st.text(_KEY_SPACING, max_size=12))
def test_match_key_spacing_matches_reference(s):
    # a removed ZWNJ/ZWJ or a punctuation run next to a space, at either end or inside
    assert match_key(s) == _reference_match_key(s)
    assert match_key(normalize_text(s), normalized=True) == _reference_match_key(s)


def test_every_whitespace_but_the_space_is_unprintable():
    # normalize_text's collapse returns a printable text without double or outer
    # spaces as it is: that needs every other whitespace character to be unprintable
    for cp in range(0x110000):
        c = chr(cp)
        if c.isspace() and c != " ":
            assert not c.isprintable(), hex(cp)


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([" ", "\n", "\t", "\u00a0", "\u2028", "\x1c", "\x85", "\u3000", "ক", "a", "।",
                                "\u200b", "\ue000"]), max_size=10))
def test_collapse_matches_split_join(s):
    from newsspider.bangla.text import _collapse

    assert _collapse(s) == " ".join(s.split())
    assert normalize_text(s) == _reference_normalize_text(s)


def test_match_key_matches_reference_on_every_bmp_character_in_context():
    # the key's fast path classifies each character it finds (key table, punctuation,
    # cased): every character, next to punctuation and spaces, gives the reference key
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        for s in ("ক" + c + "। খ", ", " + c + c + "।"):
            assert match_key(s) == _reference_match_key(s), ascii(s)


_KEY_ALPHABET = st.sampled_from(list("কখগ ািে্ড়য়০১৯।,;:!?-–—‘’“”\"'()[]…") + [
    "\u09dc", "\u09df", ZWNJ, ZWJ, "a", "Z", "ß", "\u0130", "\u00b4", "`", "\U0001d400", "\U00010400", "\u00a0"])


@settings(max_examples=1000, deadline=None)
@given(st.text(_KEY_ALPHABET, max_size=30))
def test_match_key_matches_reference_on_bangla_like_punctuated_text(s):
    assert match_key(s) == _reference_match_key(s)
    assert match_key(normalize_text(s), normalized=True) == _reference_match_key(s)
