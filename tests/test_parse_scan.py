"""The generic scan's single walk finds what the separate walks it replaced found."""

import random

from newsspider.parse import generic
from newsspider.parse.document import Document, NotHTML
from tests import parse_corpus


def _candidates_by_definition(root) -> list:
    """What ``related_block`` may take as a heading, by its definition: every element of
    ``_RELATED_TAGS`` with at most two children, whose ``"".join(itertext())`` has 1 to
    60 characters and a খ, প, e or E; in document order."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag not in generic._RELATED_TAG_SET or len(el) > 2:
            continue
        text = "".join(el.itertext())
        if 1 <= len(text) <= 60 and any(c in text for c in "খপeE"):
            out.append((el, text))
    return out


def _same(got, want) -> bool:
    return len(got) == len(want) and all(a is c and b == d for (a, b), (c, d) in zip(got, want))


_TAGS = ["div", "span", "a", "p", "li", "h2", "h3", "b", "strong", "i", "script", "style", "button", "svg",
         "noscript", "textarea", "input", "header", "aside", "nav", "footer", "time", "ul", "br", "img", "form",
         "figure", "h1", "section"]
_TEXTS = ["", "", "আরও খবর", "আরো পড়ুন", "related news", "More stories", "x" * 30, "খ" * 59, "e", "E",
          "এই বিভাগের আরো খবর", "  \n ", "প্রকাশ: ১০:৪৬", "২০২০", "a paragraph long enough to be weighed as text"]
_ATTRS = ["", "", ' class="widget"', ' class="hidden"', ' style="display:none"', " hidden", ' aria-hidden="true"',
          ' class="post-date"', ' class="author"', ' id="breadcrumb"', ' itemprop="datePublished" content="2020"',
          ' class="x" id="y"', ' class="tags"', ' aria-label="breadcrumb" class="c"', ' href="/x"',
          ' class="HIDDEN"', ' class=""', ' id=""', ' itemprop="articleBody"', ' class="share" id="s"']


def _page(r: random.Random) -> str:
    def gen(depth):
        t = r.choice(_TAGS)
        kids = "".join(gen(depth + 1) for _ in range(r.randint(0, 3 if depth < 5 else 0)))
        comment = "<!--c-->" if r.random() < .1 else ""
        return f"<{t}{r.choice(_ATTRS)}>{r.choice(_TEXTS)}{comment}{kids}</{t}>{r.choice(_TEXTS)}"
    head = f"<head><title>{r.choice(_TEXTS)}</title><script>x</script></head>" if r.random() < .8 else ""
    body = "".join(gen(0) for _ in range(r.randint(1, 5)))
    return f"<html>{head}<body>{body}</body></html>" if r.random() < .9 else f"<div>{body}</div>"


def test_heading_candidates_of_the_scan_on_random_pages():
    """Hidden subtrees, noise tags, paragraphs, comments, the head: the scan skips or
    walks them differently, the candidates are those of the whole tree all the same."""
    r = random.Random(17)
    for _ in range(1500):
        doc = Document.from_bytes(_page(r).encode(), "http://example.com/a/1")
        want = _candidates_by_definition(doc.root)
        assert _same(generic.Scan(doc).heading_candidates, want)
        assert _same(generic._heading_candidates(doc.root), want)


def test_heading_candidates_of_the_scan_on_the_corpus():
    pages = 0
    for _, body, url, content_type in parse_corpus.corpus():
        try:
            doc = Document.from_bytes(body, url, content_type)
        except NotHTML:
            continue
        assert _same(generic.Scan(doc).heading_candidates, _candidates_by_definition(doc.root))
        pages += 1
    assert pages > 300
