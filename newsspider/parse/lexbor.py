"""The template path: a page that carries a site profile's template, parsed by Lexbor
(selectolax) and its fields read with Lexbor's CSS selectors and text, with exactly the
output of the lxml path, or not at all.

Why a second parser: on the sample portal's pages libxml2's parse alone costs as much
as the 2x budget's half, and the Python walks over lxml's fresh tree most of the rest;
Lexbor parses the same bytes in about 40% of libxml2's instructions and answers the
profile's selectors in C (figures: bench/README.md, "Parser, third pass").

Why it is exact: the fields are computed by the same rules as ``generic``'s (each
function here is the lxml one's port, line for line, over Lexbor's nodes; the string
work is the same functions), on a tree both parsers build identically. That is checked
for every page, not assumed:

- the bytes: UTF-8 without control bytes or CR (as ``Document.from_bytes`` takes them
  directly), ``<!DOCTYPE html>`` first (no quirks mode, where CSS class matching is
  case-insensitive) and no other ``<!`` (comments, CDATA: where tokenizers disagreed), no
  ``<?``, no ``</`` without a letter, no elements whose content or placement the two
  parsers treat differently (``noscript``, ``template``, ``svg``, ``math``, ``pre``,
  ``plaintext`` ...), character references only of a short list both decode alike;
- Lexbor's tree as spelled: its serialisation has exactly the source's tags, in order
  (no implied, moved, dropped or re-opened element: an unclosed or stray tag, a nested
  form, a misnested formatting element all change it);
- libxml2 would not restructure it either: every (parent, child) tag pair of the tree
  is one that libxml2, asked once per pair (cached), keeps as parent and child (its
  start-tag auto-close rules are decided by the current element and the new tag); and
  the tree is shallower than libxml2's depth limit (255).

Anything else, and any field the profile does not find (the generic layer would be
needed), raises ``Fallback``: the caller then parses with lxml as before. Pure: no
Scrapy, no network.
"""

from __future__ import annotations

import re
from itertools import islice

import lxml.etree

from newsspider.bangla import normalize_text, split_labelled_dates
from newsspider.parse import generic
from newsspider.parse.document import _CONTROL_SINGLES, NOISE_TAGS, Document, NotHTML, _decode_html
from newsspider.parse.generic import (
    _BLOCK_TAGS, _BR, _LINE, _META_ATTR, _NOISE_ELEMENTS, _PUBLISH_WORDS, _CLOCK, _RELATED_HEADING,
    _TITLE_BULLETS, _attr_flags, _hidden_attrs, _prevnext, _split_on_breaks, clean_byline, dedupe_paragraphs,
    _BOILERPLATE_LINE, _DATE_ATTR,
)
from newsspider.parse.profiles import Profile, _compile_steps, all_profiles

try:
    from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser
    _WO_EVENTS = LexborDocumentOptions.WO_EVENTS  # the tree as parsed: no DOM mutation side effects
except ImportError:  # pragma: no cover - a dependency; without it every page takes the lxml path
    LexborHTMLParser = None


class Fallback(Exception):
    """The template path cannot give this page's fields exactly: use the lxml path."""


# --------------------------------------------------------------------------- the bytes

# Elements whose content or place the parsers treat differently (raw text, foreign
# content, tables' foster parenting, select's content rules, noscript, template ...).
_UNSAFE_TAGS = frozenset(
    b"noscript template svg math pre listing plaintext xmp iframe noembed noframes frameset frame image "
    b"isindex keygen param basefont bgsound menuitem object applet marquee select option optgroup datalist "
    b"selectedcontent table caption colgroup col tbody thead tfoot tr td th ruby rb rp rt rtc".split())
# character references both parsers decode alike (numeric ones: their values, below)
_BAD_REF = re.compile(
    rb"&(?!(?:amp|lt|gt|quot|nbsp|raquo|laquo|hellip|mdash|ndash|lsquo|rsquo|ldquo|rdquo|bull|middot|copy|"
    rb"reg|trade|times|#[0-9]{2,6}|#[xX][0-9a-fA-F]{2,5});)")
_NUMERIC_REF = re.compile(rb"&#([xX]?)([0-9a-fA-F]+);")
_END_WITHOUT_LETTER = re.compile(rb"</[^a-z]")
_TEXTAREA_WITH_TEXT = re.compile(rb"<textarea\b[^>]*>(?!</textarea>)")
# nothing but whitespace outside <head> and <body> (both parsers move such text: not alike)
_START = re.compile(rb"<!doctype html>\s*<html[\s>]")
_BETWEEN = re.compile(rb"</head>\s*<body[\s>]")
_TAG_BYTES = re.compile(rb"<(/?[a-z][^\s/>]*)")
# UTF-8 of the non-ASCII letters Python's re.I matches to an ASCII letter (İ ı ſ; K has no
# k in ``_DATE_ATTR``): without them the CSS [class*="date" i] finds a superset of its hits
_FOLDS_TO_ASCII = (b"\xc4\xb0", b"\xc4\xb1", b"\xc5\xbf")
_VOID = frozenset(b"area base br col embed hr img input link meta source track wbr".split())
_MAX_DEPTH = 200  # libxml2 stops nesting at 255
_TAG_NAME = re.compile(rb"[a-z][a-z0-9-]*\Z")


def _ref_ok(m) -> bool:
    # not an ASCII letter or digit: the byte-level tests (class words) see every one
    v = int(m.group(2), 16 if m.group(1) else 10)
    return v in (9, 10) or 0x20 <= v < 0x7F and not chr(v).isalnum() or 0xA0 <= v < 0xD800 or 0xE000 <= v < 0xFDD0 or 0xFDF0 <= v <= 0xFFFD


def _safe_bytes(data: bytes, lower: bytes, tags: list) -> bool:
    """No construct the two parsers may read differently (the module's docstring)."""
    if _START.match(lower) is None or lower.find(b"<!", 15) >= 0 or b"<?" in data or b"\r" in data:
        return False
    if _END_WITHOUT_LETTER.search(lower) is not None or not _UNSAFE_TAGS.isdisjoint(tags):
        return False
    if b"<textarea" in lower and _TEXTAREA_WITH_TEXT.search(lower) is not None:
        return False
    if b"&" in data and (_BAD_REF.search(data) is not None
                         or not all(_ref_ok(m) for m in _NUMERIC_REF.finditer(data))):
        return False
    if any(f in data for f in _FOLDS_TO_ASCII):
        return False
    head_end = lower.find(b"</head>")
    if head_end < 0 or _BETWEEN.match(lower, head_end) is None:
        return False
    end = lower.rstrip()
    return end.endswith(b"</html>") and end[:-7].rstrip().endswith(b"</body>")


# --------------------------------------------------------------------------- the tree

# (parent tag, child tag) -> whether libxml2 keeps the child in the parent (bytes tags),
# for the pairs the template pages have shown so far (bounded)
_PAIRS: dict[tuple[bytes, bytes], bool] = {}
_MAX_PAIRS = 20_000
_PROBE_PARSER = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=False, no_network=True,
                                      default_doctype=False)


def _libxml2_keeps(parent: bytes, child: bytes) -> bool:
    """Ask libxml2 whether a ``child`` start tag inside an open ``parent`` stays its child."""
    inner = b"<%s>" % child if child in _VOID else b"<%s></%s>" % (child, child)
    if parent == b"html":
        return child in (b"head", b"body")
    if child in (b"html", b"head", b"body"):
        return parent == b"html"
    if parent == b"head":
        doc = b"<!DOCTYPE html><html><head>%s</head><body></body></html>" % inner
    elif parent == b"body":
        doc = b"<!DOCTYPE html><html><head></head><body>%s</body></html>" % inner
    elif parent in _VOID:
        return False
    else:
        doc = b"<!DOCTYPE html><html><head></head><body><%s>%s</%s></body></html>" % (parent, inner, parent)
    try:
        root = lxml.etree.fromstring(doc, _PROBE_PARSER)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return False
    # the page as libxml2 built it: <html><head/><body/></html>, the pair where it was put
    if root is None or [el.tag for el in root] != ["head", "body"]:
        return False
    up = root[0] if parent == b"head" else root[1]
    if parent not in (b"head", b"body"):
        if [el.tag for el in up] != [parent.decode("ascii")]:
            return False
        up = up[0]
    return [el.tag for el in up] == [child.decode("ascii")] and len(up[0]) == 0


def _structure_ok(tags: list) -> bool:
    """libxml2 builds Lexbor's tree too, given its tags as serialised (balanced, voids
    without end tags): no element of it is a child libxml2 would not keep in that
    parent (its start-tag auto-close rules look at the current element and the new tag
    only; each pair asked once, ``_libxml2_keeps``), and it is not deeper than libxml2
    nests (a tree of N tags nests at most N/2 deep)."""
    stack = [b"html"]
    pairs = set()
    add = pairs.add
    push, pop = stack.append, stack.pop
    void = _VOID
    for t in tags[1:]:  # (the first is <html>)
        if not stack:
            return False  # (a tag after </html>)
        if t[0] == 47:  # b"/"
            pop()
        else:
            add((stack[-1], t))
            if t not in void:
                push(t)
                if len(stack) > _MAX_DEPTH:
                    return False
    known = _PAIRS
    for pair in pairs:
        ok = known.get(pair)
        if ok is None:
            if len(known) >= _MAX_PAIRS or not (_TAG_NAME.match(pair[0]) and _TAG_NAME.match(pair[1])):
                return False
            ok = known[pair] = _libxml2_keeps(*pair)
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------- the document

def _attrs(node) -> dict:
    """A node's attributes as lxml gives them (a valueless attribute is "")."""
    a = node.attributes
    if None in a.values():
        a = {k: ("" if v is None else v) for k, v in a.items()}
    return a


class _HeadElement:
    """What ``Document``'s lookups read of a ``<meta>``, ``<script>``, ``<link>``."""

    __slots__ = ("tag", "_a", "text")

    def __init__(self, node):
        self.tag = node.tag
        self._a = _attrs(node)
        self.text = node.text(deep=True) or None if self.tag == "script" else None

    def get(self, key, default=None):
        return self._a.get(key, default)

    def items(self):
        return list(self._a.items())


class _NoTree:
    """``Document.root`` of a Lexbor document: any lxml-tree code reaching for it means
    a field the template path does not compute here; the lxml path will."""

    def __getattr__(self, name):
        raise Fallback(f"lxml tree needed ({name})")

    def __len__(self):
        raise Fallback("lxml tree needed")

    def __iter__(self):
        raise Fallback("lxml tree needed")


_NO_TREE = _NoTree()


class LexborDocument(Document):
    """A ``Document`` whose head lookups (``meta``, JSON-LD, canonical URL ...) come from
    Lexbor's tree; its ``root`` raises ``Fallback``."""

    def __init__(self, tree, utf8: bytes, url: str, encoding: str):
        self.url = url
        self.encoding = encoding
        self._utf8 = utf8
        self.tree = tree
        self.root = _NO_TREE

    @property
    def _head_tags(self) -> dict[str, list]:
        found = self.__dict__.get("_head")
        if found is None:
            found = self.__dict__["_head"] = {"meta": [], "script": [], "link": []}
            for node in self.tree.css("meta, script, link"):
                el = _HeadElement(node)
                found[el.tag].append(el)
        return found

    def may_have_machine_dates(self) -> bool:
        if not self.source_may_contain("itemprop"):
            return self.tree.css_first("time") is not None
        return self.tree.css_first('time, [itemprop*="datePublished"], [itemprop*="dateCreated"], '
                                   '[itemprop*="uploadDate"], [itemprop*="dateModified"]') is not None


# --------------------------------------------------------------------------- profiles as CSS

_CSS: dict[str, str | None] = {}
_SIMPLE_VALUE = re.compile(r"^[A-Za-z0-9_-]+$")


def css_of(xpath: str) -> str | None:
    """The CSS selector that finds the elements the profile's XPath finds, in document
    order, each once; None for an XPath outside the ``//tag[predicates]`` chains the
    profiles' fast evaluator knows (``profiles._compile_steps``). ``contains(@class,
    'x')`` is ``[class*="x"]``; the class-token test is ``.x`` (no-quirks documents:
    case-sensitive, split on the whitespace the XPath's normalize-space knows, form
    feed excluded from the bytes); ``position()>N`` as a step's first predicate is
    ``:nth-of-type(n+N+1)`` (``//a[position()>N]``: an ``a`` after N ``a`` siblings)."""
    if xpath in _CSS:
        return _CSS[xpath]
    compiled = _compile_steps(xpath)
    css = None
    if compiled is not None:
        parts = []
        for tag, preds, after in compiled.steps:
            sel = tag
            for kind, value in preds:
                if not _SIMPLE_VALUE.match(value):
                    parts = None
                    break
                sel += f'[class*="{value}"]' if kind == "contains" else f".{value}"
            if parts is None:
                break
            if after is not None:
                sel += f":nth-of-type(n+{after + 1})"
            parts.append(sel)
        css = " ".join(parts) if parts else None
    _CSS[xpath] = css
    return css


_NEEDLES: list | None = None


def _needles() -> list[tuple[Profile, tuple[bytes, ...]]]:
    """Per profile, the ASCII class words its signature needs: a page without them in its
    bytes cannot carry the template (no Lexbor parse for it)."""
    global _NEEDLES
    if _NEEDLES is None:
        out = []
        for p in all_profiles():
            steps = _compile_steps(p.signature)
            words = tuple(v.encode() for _, preds, _ in (steps.steps if steps else ()) for _, v in preds)
            if steps is not None and words and css_of(p.signature):
                out.append((p, words))
        _NEEDLES = out
    return _NEEDLES


def may_carry_template(data: bytes) -> bool:
    return any(all(w in data for w in words) for _, words in _needles())


# --------------------------------------------------------------------------- text, as generic's

def _hidden(node) -> bool:
    return _hidden_attrs(_attrs(node))


def _collect(node, parts: list, br, noise_self: bool) -> None:
    """``generic._collect_text``: lxml's ``el.text`` is the text before the first child
    node (a comment is one), skipped for a noise tag; a child's tail always counts."""
    first = True
    child = node.first_child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            if not (first and noise_self):
                parts.append(child.text_content)
        else:
            first = False
            if tag != "-comment" and tag not in NOISE_TAGS and not _hidden(child):
                if tag == "br":
                    parts.append(br)
                elif br is not _LINE or tag not in _BLOCK_TAGS:
                    _collect(child, parts, br, False)
                else:
                    parts.append(_LINE)
                    _collect(child, parts, br, False)
                    parts.append(_LINE)
        child = child.next


def text_of(node) -> str:
    """``generic.text_of`` of the same element."""
    if _hidden(node):
        return ""
    first = node.first_child
    if first is None:
        return ""
    if first.tag == "-text" and first.next is None:  # no children in lxml: its own text
        return normalize_text(first.text_content) if node.tag not in NOISE_TAGS else ""
    parts: list[str] = []
    _collect(node, parts, " ", node.tag in NOISE_TAGS)
    return normalize_text("".join(parts))


def text_lines(node) -> list[str]:
    if _hidden(node):
        return []
    parts: list[str] = []
    _collect(node, parts, _LINE, node.tag in NOISE_TAGS)
    return [t for t in (normalize_text(line) for line in "".join(parts).split(_LINE)) if t]


def byline_text(node) -> str:
    lines = [clean_byline(line) for line in text_lines(node)]
    if len(lines) > 1:
        lines = [line for line in lines if line and not _PUBLISH_WORDS.search(line) and not _CLOCK.search(line)]
    return ", ".join(line for line in lines if line)


def _has_children(node) -> bool:
    """``len(el)`` of lxml: element or comment children."""
    child = node.first_child
    while child is not None:
        if child.tag != "-text":
            return True
        child = child.next
    return False


def _noise_box(node, tag: str) -> bool:
    if tag in _NOISE_ELEMENTS:
        return True
    a = _attrs(node)
    if not a:
        return False
    attr = f"{a.get('class') or ''} {a.get('id') or ''}"
    if len(attr) > 1 and _attr_flags(attr)[0]:
        return True
    return _hidden_attrs(a)


def _link_dense(node, tag: str) -> bool:
    if tag not in ("ul", "ol", "div", "section", "table", "p", "li") or not _has_children(node):
        return False
    links = node.css("a")
    if not links:
        return False
    total = len(text_of(node))
    if total == 0:
        return False
    linked = sum(len(text_of(a)) for a in links)
    return linked > 0.6 * total and (tag != "p" or total < 300)


def _walk(node, lines: list[list]) -> None:
    """``generic._walk`` without ``skip`` and ``keep`` (a profile's body container)."""
    child = node.first_child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            lines[-1].append(child.text_content)  # el.text, or the tail of the child before
        elif tag == "-comment" or tag in NOISE_TAGS:
            pass
        elif tag == "br":
            lines[-1].append(_BR)
        elif _noise_box(child, tag):
            if tag in _BLOCK_TAGS or tag in ("figure", "aside", "nav"):
                lines.append([])
        elif tag in _BLOCK_TAGS:
            if _link_dense(child, tag):
                lines.append([])
            else:
                lines.append([])
                _walk(child, lines)
                lines.append([])
        else:
            _walk(child, lines)
        child = child.next


def body_paragraphs_from(container, keys: dict) -> list[str]:
    lines: list[list] = [[]]
    _walk(container, lines)
    paras = []
    for parts in lines:
        if parts:
            paras.extend(_split_on_breaks(parts))
    return dedupe_paragraphs([p for p in paras if p and not _BOILERPLATE_LINE.match(p)], keys, normalized=True)


def _collect_title(node, parts) -> None:
    child = node.first_child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            parts.append(child.text_content)
        elif tag != "-comment" and tag not in NOISE_TAGS and tag != "time" \
                and not _META_ATTR.search(_attrs(child).get("class") or ""):
            _collect_title(child, parts)
        child = child.next


def link_title(a) -> str:
    if not _has_children(a):
        t = normalize_text(a.text(deep=True) or "").strip(_TITLE_BULLETS)
        return t or normalize_text(_attrs(a).get("title") or "")
    for h in a.css("h1, h2, h3, h4, h5, h6"):
        t = text_of(h)
        if t:
            return t
    parts: list[str] = []
    _collect_title(a, parts)
    t = normalize_text("".join(parts)).strip(_TITLE_BULLETS)
    return t or normalize_text(_attrs(a).get("title") or "")


def related_links(doc: Document, block) -> list[dict]:
    out, seen = [], set()
    around: dict = {}
    for a in block.css("a"):
        attrs = _attrs(a)
        href = attrs.get("href") or ""
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        if _prevnext(f"{attrs.get('class') or ''} {attrs.get('rel') or ''}"):
            continue
        hit = False
        for n in islice(_ancestors(a), 3):
            key = n.mem_id
            hit = around.get(key)
            if hit is None:
                na = _attrs(n)
                hit = around[key] = _prevnext(f"{na.get('class') or ''} {na.get('rel') or ''}")
            if hit:
                break
        if hit:
            continue
        title = link_title(a)
        if not title or _RELATED_HEADING.match(title):
            continue
        url = doc.absolute(href).split("#")[0]
        if url in seen or doc.is_own(url):
            continue
        seen.add(url)
        out.append({"url": url, "title": title})
    return out


def _ancestors(node):
    up = node.parent
    while up is not None and up.tag != "-document":
        yield up
        up = up.parent


def images(doc: Document, container, tree) -> list[dict]:
    out, seen = [], set()

    def add(src, caption):
        if not src or src.startswith("data:"):
            return
        url = doc.absolute(src)
        if url in seen:
            return
        seen.add(url)
        out.append({"url": url, "caption": normalize_text(caption or "") or None})

    scope = container.parent if container is not None else None
    if scope is None or scope.tag == "-document":
        scope = tree.root
    for fig in scope.css("figure"):
        img = fig.css_first("img")
        cap = fig.css_first("figcaption")
        if img is not None:
            a = _attrs(img)
            add(a.get("src") or a.get("data-src"), text_of(cap) if cap is not None else a.get("alt"))
    if doc.meta.get("og:image") and not out:
        add(doc.meta["og:image"], None)
    return out


_DATE_WORDS_ASCII = ("date", "time", "publish", "posted", "meta", "updated", "info")
_DATE_WORDS: dict[str, bool] = {}


def dated_text_has_update(doc: LexborDocument) -> bool:
    """``generic.dated_text_has_update``: the elements whose class or id holds one of
    ``_DATE_ATTR``'s words (in ASCII letters of any case: a superset of its matches,
    the page's class and id values being ASCII), each tested as it tests them."""
    words = _DATE_WORDS
    lower = doc._utf8.lower()
    present = [w for w in _DATE_WORDS_ASCII if w.encode() in lower]  # (a value holding it is in the bytes)
    if not present:
        return False
    for node in doc.tree.css(", ".join(f'[{attr}*="{w}" i]' for attr in ("class", "id") for w in present)):
        a = _attrs(node)
        hit = False
        for value in (a.get("class"), a.get("id")):
            if value is None:
                continue
            h = words.get(value)
            if h is None:
                if len(words) >= 100_000:
                    words.clear()
                h = words[value] = _DATE_ATTR.search(value) is not None
            if h:
                hit = True
                break
        if not hit:
            continue
        text = text_of(node)
        if text and "updated" in split_labelled_dates(text):
            return True
    return False


# --------------------------------------------------------------------------- the extraction

def _extraction_class():
    from newsspider.parse.extract import _Extraction

    class LexborExtraction(_Extraction):
        """``extract._Extraction`` over Lexbor's nodes: every field the profile finds is
        computed as the lxml path computes it; the generic layer is never called with a
        node (what it would need raises ``Fallback``)."""

        def _select(self, field: str) -> list:
            cache = self._selected
            if field not in cache:
                xpath = self.profile.selectors.get(field)
                if not xpath:
                    cache[field] = []
                else:
                    css = css_of(xpath)
                    if css is None:
                        raise Fallback(f"selector not in CSS: {xpath}")
                    cache[field] = self.doc.tree.css(css)
            return cache[field]

        def _profile_text(self, field: str) -> str | None:
            for el in self._select(field):
                text = text_of(el)
                if text:
                    self.sources[field] = f"profile:{self.profile.id}"
                    return text
            return None

        def headline(self):
            text = self._profile_text("headline")
            if not text:
                raise Fallback("headline: generic layer")
            return text

        def paragraphs(self) -> list[str]:
            containers = self._select("body")
            if not containers:
                raise Fallback("body: generic layer")
            source = f"profile:{self.profile.id}"
            paras = body_paragraphs_from(containers[0], self._keys)
            if not paras:
                paras = generic.body_from_jsonld(self.doc)
                source = "jsonld:articleBody" if paras else source
            if paras:
                self.sources["body"] = source
            return paras

        def byline(self):
            for el in self._select("byline"):
                text = byline_text(el)
                if text:
                    self.sources["byline"] = f"profile:{self.profile.id}"
                    return text
            raise Fallback("byline: generic layer")

        def _date_candidates(self, found: dict):
            for field in ("published", "updated"):
                for raw, source in [(text_of(el), f"profile:{self.profile.id}") for el in self._select(field)]:
                    yield raw, source
            if "published" in found and "updated" not in found and not dated_text_has_update(self.doc):
                return
            raise Fallback("dates: visible date texts")

        def section(self, headline=None):
            crumbs = [c for c in (text_of(a) for a in self._select("section")) if c]
            if crumbs:
                self.sources["section"] = f"profile:{self.profile.id}"
                return crumbs[-1]
            raise Fallback("section: generic layer")

        def related(self) -> list[dict]:
            blocks = self._select("related")
            if not blocks:
                raise Fallback("related: generic layer")
            self.sources["related"] = f"profile:{self.profile.id}"
            return related_links(self.doc, blocks[0])

        def tags(self) -> list[str]:
            els = self._select("tags")
            if not els:
                raise Fallback("tags: generic layer")
            return [t for t in (text_of(a) for a in els) if t]

        def images(self, container) -> list[dict]:
            return images(self.doc, container, self.doc.tree)

    return LexborExtraction


_EXTRACTION = None


def parse_template(data: bytes, url: str, content_type: str | None, *, tz: str, now, portal_zone):
    """``extract(Document.from_bytes(data, url, content_type), ...)`` for a page that
    carries a profile's template; raises ``Fallback`` when that cannot be given exactly."""
    global _EXTRACTION
    if LexborHTMLParser is None or not may_carry_template(data):
        raise Fallback("no template")
    try:
        encoding, text = _decode_html(data, content_type, lazy_utf8=True)
    except NotHTML:
        raise Fallback("not HTML: the lxml path says why") from None
    if text is not None or any(c in data for c in _CONTROL_SINGLES):
        raise Fallback("not UTF-8 as it is")
    utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    lower = utf8.lower()
    source_tags = _TAG_BYTES.findall(lower)
    if not _safe_bytes(utf8, lower, source_tags):
        raise Fallback("bytes the parsers may read differently")
    try:
        utf8.decode("utf-8")  # libxml2 and Lexbor repair invalid sequences differently
    except UnicodeDecodeError:
        raise Fallback("invalid UTF-8") from None
    tree = LexborHTMLParser(utf8, options=_WO_EVENTS)
    html = tree.html
    if not html or _TAG_BYTES.findall(html.encode().lower()) != source_tags:
        raise Fallback("Lexbor's tree is not the source's")
    if source_tags[0] != b"html" or not _structure_ok(source_tags):
        raise Fallback("a tree libxml2 builds differently")
    doc = LexborDocument(tree, utf8, url, encoding)
    matching = [p for p, _ in _needles() if tree.css_first(css_of(p.signature)) is not None]
    if not matching:
        raise Fallback("no template")
    from datetime import date, datetime, timezone

    profile = max(matching, key=lambda p: p.valid_from or date.min)
    if _EXTRACTION is None:
        _EXTRACTION = _extraction_class()
    now = now or datetime.now(timezone.utc)
    extraction = _EXTRACTION(doc, profile, tz, now)
    extraction.portal_zone = portal_zone
    if not extraction._select("headline") and not doc.jsonld_article:
        return None
    return extraction.result()
