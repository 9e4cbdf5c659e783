"""Tests for newsspider.bangla.agencies: canonical names and credit splitting."""

from hypothesis import given, settings
from hypothesis import strategies as st

from newsspider.bangla import canonical_agency, find_credit_line, normalize_text, split_credits
from newsspider.bangla.agencies import AGENCY_TABLE

# The last paragraph of the seed article (usbanglanews.com), credit glued after the
# last sentence.
SEED_LAST = (
    "রাশিয়ার সঙ্গে যুদ্ধে তারা উত্তর কোরিয়ার সেনা সদস্যদের মোকাবিলা করেছে। অর্থাৎ, উত্তর কোরিয়ার "
    "সেনারা রাশিয়ার হয়ে যুদ্ধ করছে। রাশিয়ায় গিয়ে পুতিনের সঙ্গে দেখা করে এসেছেন কিম। পুতিনও "
    "উত্তর কোরিয়ায় গেছেন। তখনই দুই দেশের মধ্যে সামরিক চুক্তি হয়েছে। রয়টার্স, এপি, এএফপি"
)


def n(paragraphs):
    return [normalize_text(p) for p in paragraphs]


# --- canonical_agency ---------------------------------------------------------------

def test_canonical_forms_and_endings():
    cases = {
        "রয়টার্স": "Reuters",
        "রয়টার্সের": "Reuters",
        "রয়টার্সকে": "Reuters",
        "রযটার্স": "Reuters",
        "এএফপির": "AFP",
        "এ এফ পি": "AFP",
        "এপি’র": "AP",
        "এপি'র": "AP",
        "এপির": "AP",
        "অ্যাসোসিয়েটেড প্রেস": "AP",
        "আল জাজিরা": "Al Jazeera",
        "আল-জাজিরা": "Al Jazeera",
        "আল–জাজিরা": "Al Jazeera",
        "আলজাজিরা": "Al Jazeera",
        "আল জাজিরার": "Al Jazeera",
        "নিউইয়র্ক টাইমস-এর": "The New York Times",
        "নিউ ইয়র্ক টাইমসের": "The New York Times",
        "বিবিসির": "BBC",
        "বিবিসিতে": "BBC",
        "বিবিসি বাংলা": "BBC",
        "সিএনএনের": "CNN",
        "(বাসস)": "BSS",
        "আনাদোলুর": "Anadolu",
        "তাসের": "TASS",
        "বার্তা সংস্থা এএফপি": "AFP",
        "Reuters": "Reuters",
        "al jazeera": "Al Jazeera",
        "BBC's": "BBC",
    }
    for word, canonical in cases.items():
        assert canonical_agency(word) == canonical, word


def test_canonical_nukta_spellings_equal():
    precomposed = "র\u09dfটার্স"  # য় as one code point
    decomposed = "র\u09af\u09bcটার্স"  # য + nukta
    assert canonical_agency(precomposed) == canonical_agency(decomposed) == "Reuters"


def test_canonical_unknown():
    for word in ("বাংলাদেশ", "", "খবর", "ইউ এস বাংলা নিউজ ডেক্স", "র", "এ"):
        assert canonical_agency(word) is None


def test_table_has_flags_for_ambiguous_short_forms():
    from newsspider.bangla.agencies import _key

    for form in ("তাস", "ডন", "এপি", "আরটি"):
        assert AGENCY_TABLE[_key(form)].needs_context, form
    for form in ("রয়টার্স", "অ্যাসোসিয়েটেড প্রেস", "বাসস"):
        assert not AGENCY_TABLE[_key(form)].needs_context, form


# --- split_credits: (a) trailing credit line ----------------------------------------

def test_seed_last_paragraph_glued_credit():
    body, credits = split_credits(n(["প্রথম অনুচ্ছেদ।", SEED_LAST]))
    assert credits == ["Reuters", "AP", "AFP"]
    assert body[-1].endswith("তখনই দুই দেশের মধ্যে সামরিক চুক্তি হয়েছে।")
    assert body[0] == "প্রথম অনুচ্ছেদ।"


def test_trailing_credit_as_own_paragraph():
    body, credits = split_credits(["এক।", "তখনই চুক্তি হয়েছে।", "রয়টার্স, এপি, এএফপি"])
    assert body == ["এক।", "তখনই চুক্তি হয়েছে।"]
    assert credits == ["Reuters", "AP", "AFP"]


def test_trailing_credit_separators():
    for line in ("রয়টার্স ও এএফপি", "রয়টার্স এবং এএফপি", "রয়টার্স / এএফপি", "রয়টার্স | এএফপি",
                 "রয়টার্স, এএফপি।", "(রয়টার্স, এএফপি)", "রয়টার্স ও এএফপি অবলম্বনে"):
        body, credits = split_credits(["ঘটনা ঘটেছে।", line])
        assert body == ["ঘটনা ঘটেছে।"], line
        assert credits == ["Reuters", "AFP"], line


def test_glued_credit_in_repeated_paragraph():
    # the seed page repeats the paragraph: the earlier copy also loses its credit
    body, credits = split_credits(n([SEED_LAST, SEED_LAST]))
    assert credits == ["Reuters", "AP", "AFP"]
    assert all(p.endswith("চুক্তি হয়েছে।") for p in body)


def test_ambiguous_short_form_in_trailing_line_is_a_credit():
    body, credits = split_credits(["দুই দেশের বৈঠক হয়েছে।", "এপি"])
    assert body == ["দুই দেশের বৈঠক হয়েছে।"] and credits == ["AP"]


def test_middle_subheading_is_not_a_credit():
    paras = ["বিশ্ব গণমাধ্যমে নির্বাচন।", "আল জাজিরা", "কাতারভিত্তিক সংবাদমাধ্যমটি লিখেছে।"]
    assert split_credits(paras) == (paras, [])


def test_sentence_ending_with_agency_is_not_a_credit_line():
    paras = ["এ তথ্য জানিয়েছে রয়টার্স।"]
    assert split_credits(paras) == (paras, [])


# --- (b) source lines ---------------------------------------------------------------

def test_source_line_paragraph():
    body, credits = split_credits(["এক।", "শেষ কথা।", "সূত্র: বিবিসি, আল জাজিরা"])
    assert body == ["এক।", "শেষ কথা।"]
    assert credits == ["BBC", "Al Jazeera"]


def test_source_line_variants():
    for line in ("সূত্র : বিবিসি", "সূত্রঃ বিবিসি", "তথ্যসূত্র: বিবিসি", "Source: BBC", "সূত্র: বিবিসি।"):
        body, credits = split_credits(["এক।", line])
        assert (body, credits) == (["এক।"], ["BBC"]), line


def test_source_line_glued_and_unknown_sources_not_credited():
    body, credits = split_credits(["এক।", "শেষ কথা। সূত্র: বিবিসি বাংলার প্রতিবেদন"])
    assert body == ["এক।", "শেষ কথা।"] and credits == ["BBC"]
    body, credits = split_credits(["এক।", "সূত্র: প্রেস বিজ্ঞপ্তি"])
    assert body == ["এক।"] and credits == []


def test_source_word_in_narrative_is_not_a_credit():
    paras = ["পুলিশ সূত্রে জানা গেছে, তিনজন আটক।", "এক সূত্র জানায়, বৈঠক হবে।"]
    assert split_credits(paras) == (paras, [])


# --- (c) dateline -------------------------------------------------------------------

def test_dateline_bss():
    first = "ঢাকা, ২৫ আগস্ট, ২০২৫ (বাসস) : প্রধান উপদেষ্টা আজ বলেছেন।"
    body, credits = split_credits([first, "আর কিছু।"])
    assert body == [first, "আর কিছু।"]  # the dateline stays
    assert credits == ["BSS"]
    body, credits = split_credits(["(বাসস) প্রধান উপদেষ্টা আজ বলেছেন।"])
    assert credits == ["BSS"]
    assert split_credits(["ওয়াশিংটন, ২ মে (এপি) — প্রেসিডেন্ট বলেছেন।"])[1] == ["AP"]


def test_parenthesised_agency_later_is_not_a_dateline():
    paras = ["এক।", "ঢাকা, ২৫ আগস্ট (বাসস) : দ্বিতীয় অনুচ্ছেদে ডেটলাইন নয়।"]
    assert split_credits(paras) == (paras, [])


# --- (d) খবর X-এর --------------------------------------------------------------------

def test_khobor_own_sentence_removed():
    body, credits = split_credits(["গাজায় ইসরায়েলি হামলায় নিহত হয়েছেন ২০ জন। খবর আল জাজিরার।", "দুই।"])
    assert body == ["গাজায় ইসরায়েলি হামলায় নিহত হয়েছেন ২০ জন।", "দুই।"]
    assert credits == ["Al Jazeera"]


def test_khobor_after_comma_removed():
    body, credits = split_credits(["গাজায় হামলায় নিহত হয়েছেন ২০ জন, খবর রয়টার্সের। আরও অনেকে আহত।"])
    assert body == ["গাজায় হামলায় নিহত হয়েছেন ২০ জন। আরও অনেকে আহত।"]
    assert credits == ["Reuters"]
    body, credits = split_credits(["নিহত ২০ জন। খবর বিবিসির"])
    assert (body, credits) == (["নিহত ২০ জন।"], ["BBC"])
    body, credits = split_credits(["নিহত ২০ জন। খবর রয়টার্স ও এএফপির।"])
    assert (body, credits) == (["নিহত ২০ জন।"], ["Reuters", "AFP"])
    body, credits = split_credits(["নিহত ২০ জন, খবর নিউইয়র্ক টাইমস-এর।"])
    assert (body, credits) == (["নিহত ২০ জন।"], ["The New York Times"])


def test_khobor_in_narrative_is_not_a_credit():
    paras = ["খবর পেয়ে পুলিশ ঘটনাস্থলে যায়।", "এ খবর ছড়িয়ে পড়লে, খবর শুনে সবাই আসে।", "সুখবর রয়টার্সের।"]
    assert split_credits(paras) == (paras, [])


# --- (e) বার্তা সংস্থা X ---------------------------------------------------------------

def test_news_agency_phrase_credited_text_kept():
    paras = [
        "বার্তা সংস্থা এএফপি জানিয়েছে, হামলায় ২০ জন নিহত।",
        "বার্তা সংস্থা রয়টার্সের খবরে বলা হয়েছে, আলোচনা চলছে।",
        "এ তথ্য জানিয়েছে বার্তা সংস্থা এপি।",
    ]
    body, credits = split_credits(paras)
    assert body == paras
    assert credits == ["AFP", "Reuters", "AP"]
    assert split_credits(["রাষ্ট্রীয় বার্তাসংস্থা কেসিএনএ জানায়।"])[1] == ["KCNA"]
    assert split_credits(["বার্তা সংস্থা রয়টার্স ও এএফপির খবরে বলা হয়েছে।"])[1] == ["Reuters", "AFP"]
    assert split_credits(["এ খবর দিয়েছে রয়টার্স।"])[1] == ["Reuters"]


def test_news_agency_object_is_a_mention():
    paras = ["বার্তা সংস্থা রয়টার্সকে দেওয়া সাক্ষাৎকারে তিনি বলেন।"]
    assert split_credits(paras) == (paras, [])


# --- not credits --------------------------------------------------------------------

def test_mentions_are_not_credits():
    paras = [
        "বিবিসিকে দেওয়া এক সাক্ষাৎকারে তিনি বলেন, আমরা প্রস্তুত।",
        "সিএনএনের এক প্রতিবেদনে বলা হয়েছে, আলোচনা চলছে।",
        "তারা তাস খেলছিলেন।",
        "ডন নামের এক যুবক আটক হয়েছেন।",
        "আল জাজিরা লিখেছে, যুদ্ধ থামেনি।",
    ]
    assert split_credits(paras) == (paras, [])


def test_credit_order_and_dedupe():
    paras = [
        "ঢাকা, ২৫ আগস্ট, ২০২৫ (বাসস) : বার্তা সংস্থা রয়টার্স জানায়, বৈঠক হবে।",
        "বৈঠক হয়েছে।",
        "রয়টার্স, এএফপি",
    ]
    body, credits = split_credits(paras)
    assert credits == ["BSS", "Reuters", "AFP"]
    assert body == paras[:2]


def test_empty_input():
    assert split_credits([]) == ([], [])
    assert split_credits(["", "  "]) == ([], [])


# --- find_credit_line ---------------------------------------------------------------

def test_find_credit_line():
    assert find_credit_line("রয়টার্স, এপি, এএফপি") == ["Reuters", "AP", "AFP"]
    assert find_credit_line("সূত্র: বিবিসি, আল জাজিরা") == ["BBC", "Al Jazeera"]
    assert find_credit_line("  (বাসস) ") == ["BSS"]
    assert find_credit_line("রয়টার্স অবলম্বনে") == ["Reuters"]
    assert find_credit_line("Source: Reuters, AP") == ["Reuters", "AP"]
    assert find_credit_line("সূত্র: ইন্টারনেট") == []
    assert find_credit_line("ইউ এস বাংলা নিউজ ডেক্স") is None
    assert find_credit_line("রয়টার্স জানিয়েছে, বৈঠক হবে।") is None
    assert find_credit_line("") is None


# --- robustness ---------------------------------------------------------------------

WORDS = st.sampled_from(
    ["রয়টার্স", "এপি", "এএফপির", "খবর", "সূত্র:", "বার্তা সংস্থা", "(বাসস)", "।", ",", " ও ", "তাস",
     "হয়েছে", "\u200d", "আল–জাজিরা", "|", "ঢাকা", "২৫", ":", " ", "কে", "Source:", "\n"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(WORDS, max_size=15).map("".join), max_size=5))
def test_split_credits_never_raises(paras):
    body, credits = split_credits(paras)
    assert all(p for p in body)
    assert len(credits) == len(set(credits))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), max_size=4))
def test_split_credits_never_raises_on_arbitrary_text(paras):
    split_credits(paras)
    for p in paras:
        find_credit_line(p)
        canonical_agency(p)
