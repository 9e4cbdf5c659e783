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
            if len(_compile_steps(xpath).steps) == 1:  # how Profile.matches tests a signature
                assert _compile_steps(xpath).exists(doc.root) == bool(want), xpath
