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


def _alternatives(pattern: str) -> list[str]:
    """The strings of ``^(?:a|b (?:c|d) e|...)\\s*:?$`` (groups without quantifiers)."""
    body = pattern[len("^(?:"):pattern.rindex(")")]

    def close(s: str, i: int) -> int:  # the ")" of the group opened at s[i]
        depth = 0
        for j in range(i, len(s)):
            depth += s[j] == "("
            depth -= s[j] == ")"
            if depth == 0:
                return j
        raise ValueError(s)

    def alternation(s: str) -> list[str]:
        branches, start, i = [], 0, 0
        while i < len(s):
            if s[i] == "(":
                i = close(s, i)
            elif s[i] == "|":
                branches.append(s[start:i])
                start = i + 1
            i += 1
        branches.append(s[start:])
        return [x for b in branches for x in sequence(b)]

    def sequence(b: str) -> list[str]:
        if "(?:" not in b:
            return [b]
        i = b.index("(?:")
        j = close(b, i)
        return [b[:i] + x + y for x in alternation(b[i + 3:j]) for y in sequence(b[j + 1:])]

    words = alternation(body)
    assert not any(c in w for w in words for c in "()|\\[]*+?"), words
    return words


def test_related_heading_prefilter_is_exact():
    """``_may_be_related_heading`` says no only to texts the heading rule cannot match:
    every alternative holds an anchor, and mangled spellings (case, precomposed nukta
    letters, invisible characters, ZWNJ, whitespace, a colon) never match behind a no."""
    from newsspider.bangla import normalize_text

    alternatives = _alternatives(generic._RELATED_HEADING.pattern)
    assert len(alternatives) >= 15 and "এই বিভাগের আরো খবর" in alternatives
    for alt in alternatives:
        assert generic._RELATED_HEADING.match(alt), alt
        assert any(a in alt.lower() for a in ("খবর", "ুন", "related", "more", "you")), alt
    noise = ["", " ", "\n\t", "\u200b", "\u00ad", "\u200c", "\u200d", "\ufeff", "\u00a0", ":", " :", "প", "খ", "e",
             "\u09dc", "\u09bc", "ড", "\u0301", "\u09c7", "\u09be", "ন", "ু", "x", "E", "ſ", "\u212a", "İ"]
    r = random.Random(17)
    said_no = matched = 0
    for _ in range(20000):
        alt = r.choice(alternatives)
        chars = list(alt)
        for _ in range(r.randint(0, 3)):
            k = r.randrange(len(chars) + 1)
            op = r.random()
            if op < 0.5:
                chars.insert(k, r.choice(noise))
            elif op < 0.7 and k < len(chars):
                chars[k] = chars[k].swapcase()
            elif op < 0.8:
                chars = [c.replace("ড়", "\u09dc") for c in "".join(chars)]
            elif k < len(chars):
                del chars[k]
        raw = "".join(chars)
        if r.random() < 0.2:
            raw = raw.replace("ড\u09bc", "\u09dc")
        hit = bool(generic._RELATED_HEADING.match(normalize_text(raw)))
        matched += hit
        if not generic._may_be_related_heading(raw):
            said_no += 1
            assert not hit, repr(raw)
    assert said_no > 1000 and matched > 5000, (said_no, matched)
