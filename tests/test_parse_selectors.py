"""Profile selectors: the plain-Python evaluator gives exactly what lxml's XPath gives."""

import random

import lxml.etree

from newsspider.parse.document import Document
from newsspider.parse.profiles import _compile_steps, _evaluate, all_profiles

_CLASSES = ["single-news", "news-details", "news-details-more", "x news-details\ty", "breadcrumb",
            "reporter-info", "author-name", "tags", "more-news", "", None, "breadcrumbs news-title",
            "publish-date", "update-date tags"]
_EXTRA = [
    "//div[contains(@class,'news')]//div[contains(@class,'news')]",
    "//*[contains(@class,'tags')]//*",
    "//div//a[position()>2]",
    "//a[position()>1]",
    "//div[contains(@class,'breadcrumb')]//*[contains(@class,'news')]//a",
    "//*[contains(concat(' ',normalize-space(@class),' '),' tags ')]",
]


def _tree(r: random.Random) -> str:
    def gen(depth):
        t = r.choice(["div", "a", "h1", "span", "figure", "p"])
        c = r.choice(_CLASSES)
        attrs = f' class="{c}"' if c is not None else ""
        kids = "".join(gen(depth + 1) for _ in range(r.randint(0, 4 if depth < 5 else 0)))
        return f"<{t}{attrs}>t{kids}</{t}>" + ("<!--c-->" if r.random() < .1 else "")
    return "<html><body>" + "".join(gen(0) for _ in range(5)) + "</body></html>"


def test_profile_xpaths_all_take_the_fast_path():
    for profile in all_profiles():
        for xpath in [profile.signature, *profile.selectors.values()]:
            assert _compile_steps(xpath) is not None, xpath


def test_unsupported_xpaths_fall_back():
    for xpath in ["//div[@id='x']", "//a[contains(@class,'x')][position()>1]", "/html/body",
                  "//div/a", "//div[contains(@class,'a b')]", "//a[position()>1]//*[position()>1]"]:
        assert _compile_steps(xpath) is None, xpath


def test_fast_selectors_equal_lxml_xpath_on_random_trees():
    xpaths = [x for p in all_profiles() for x in [p.signature, *p.selectors.values()]] + _EXTRA
    r = random.Random(20250514)
    for _ in range(400):
        doc = Document(_tree(r), "http://example.com/news/1/")
        for xpath in xpaths:
            want = lxml.etree.XPath(xpath)(doc.root)
            for got in (_compile_steps(xpath)(doc.root), _evaluate(_compile_steps(xpath), doc)):
                assert len(got) == len(want) and all(a is b for a, b in zip(got, want)), xpath
        for profile in all_profiles():  # the signature test, from the page's class pass
            assert profile.matches(doc) == bool(lxml.etree.XPath(profile.signature)(doc.root))


def _spelled(r: random.Random, word: str) -> str:
    """``word`` as HTML source: each character as itself or as a character reference."""
    out = []
    for c in word:
        k = r.random()
        if k < 0.75:
            out.append(c)
        elif c == "_" and k < 0.85:
            out.append("&lowbar;")
        elif k < 0.85:
            out.append(f"&#{'0' * r.randint(0, 3)}{ord(c)}{';' if r.random() < .8 else ''}")
        else:
            out.append(f"&#{r.choice('xX')}{'0' * r.randint(0, 2)}{ord(c):{r.choice('xX')}};")
    return "".join(out)


def test_source_spelling_precheck_is_sound_on_random_pages():
    """``Document.source_may_spell`` says False only when no attribute value and no text of
    the tree holds the word; the signature test with it equals lxml's XPath."""
    from newsspider.parse.profiles import select_profile

    words = ["single-news", "news-details", "a_b"]  # and "fj", only as &fjlig; in a text
    r = random.Random(17)
    said_no = by_reference = 0
    for _ in range(300):
        parts = []
        for _ in range(r.randint(1, 12)):
            cls = " ".join(_spelled(r, r.choice(words + ["single", "news", "x"])) for _ in range(r.randint(1, 3)))
            text = r.choice(["t", "&fjlig;", "&amp;", "&#38;", "\r\n", "single\r\n-news", "\u0995", "&#x2D;"])
            parts.append(f'<div class="{cls}">{text}</div>')
        data = ("<html><head><meta charset='utf-8'></head><body>" + "".join(parts) + "</body></html>").encode()
        if r.random() < 0.2:
            data = data.replace(b"</body>", b"\xff\xfe</body>")  # invalid UTF-8 as well
        doc = Document.from_bytes(data, "http://example.com/news/1/")
        values = [v for el in doc.root.iter() for v in [*el.attrib.values(), el.text or "", el.tail or ""]]
        for word in [*words, "fj"]:
            there = any(word in v for v in values)
            if not doc.source_may_spell(word):
                said_no += 1
                assert not there, (word, data)
            elif there and word.encode() not in data:
                by_reference += 1
        signature = all_profiles()[0].signature
        assert (select_profile(doc) is not None) == bool(lxml.etree.XPath(signature)(doc.root)), data
    assert said_no > 50 and by_reference > 50, (said_no, by_reference)  # both sides of the test were seen
