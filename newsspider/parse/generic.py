"""What every news page carries: JSON-LD, OpenGraph, ``<article>``, ``<time>``, text density.

One function per field, each taking the shared ``Document`` and returning
``(value, source)`` — the source names where the value came from ("jsonld",
"meta:og:title", "h1", "density", ...) so a wrong field can be traced. Site profiles
(``profiles/``) try their own selectors first and fall back to these.

How the generic path decides
----------------------------
Everything below reads one walk over ``<body>`` (``Scan``): per element the weight of
its paragraph text (link text excluded) and the candidates for each field. Two rules
of that walk hold for every field:

* **Hidden is not there.** An element hidden by ``style`` (``display:none``,
  ``visibility:hidden``), the ``hidden`` attribute, ``aria-hidden="true"`` or a hiding
  class (``hidden``, ``d-none``, ``sr-only``, ``screen-reader-text``) gives no text to
  any field; only its microdata ``content``/``datetime`` attributes are read.
* **Noise never discards the article.** A noise box (ads, share bars, related lists,
  comments, widgets, sidebars, footers, ``<aside>``/``<nav>``/``<header>``/``<footer>``/
  ``<figure>``/``<form>``) adds no weight to the page -- unless it holds the article:
  an ``itemprop=articleBody`` with text inside it, or (boxes that are not comments,
  related, share, ads ...) it outweighs all text outside boxes and holds, or sits beside,
  the headline's heading (the ``<h1>``-``<h3>`` agreeing with og:title / JSON-LD /
  ``<title>``, else the ``<h1>``). Then it and every box around it count again (CMSs
  that wrap every block in ``div.widget``, ASP.NET pages inside one ``<form>``). Boxes
  inside the article stay noise.

Per field, the first that gives a value wins:

* **article or not** (``looks_like_article``): structure beats metadata. A page that
  claims ``article`` (JSON-LD type, ``og:type``) is none when its text is mostly teaser
  cards (an excerpt beside or inside a headline link) with no 400-character block beside
  them, when it is the site's bare root URL, or when its text is weak (< 400 characters,
  or a quarter teasers) and its URL is a listing's (category, tag, search ...) or its
  title is the site's name. Otherwise the claim holds; without a claim, listing URLs
  hold none and a dense block that is not teasers makes one.
* **headline**: the visible ``<h1>``-``<h3>`` that agrees with JSON-LD / ``og:title`` /
  ``<title>`` (outside noise first) > JSON-LD ``headline`` > ``og:title`` without the site
  name > a bare ``<h1>`` > ``<title>``.
* **body**: ``itemprop=articleBody`` holding >= 100 characters > the smallest element
  holding 70 % of the page's weight (of the text outside teaser cards, when cards share
  it), widened to a named body class > ``<article>`` > JSON-LD ``articleBody``.
* **byline**: JSON-LD ``author`` > ``<meta name=author>`` (and kin) > a visible author /
  byline / reporter element, as displayed: its lines (``<br>``, blocks) joined by ", ".
  The visible one wins when it starts with the metadata's name (and shows more), or when
  the metadata names the publisher (og:site_name, a JSON-LD Organization); a domain is
  never a byline. ``byline_facets`` then gives ``byline_parts``, ``reporter`` (the first part that is not
  the outlet) and ``place`` (a last part ending in "থেকে", or one word naming no role or
  outlet); a JSON-LD author list is names only.
* **published / updated**: JSON-LD > ``<meta>`` (also ``<meta itemprop>``) > microdata
  (``itemprop=datePublished/dateModified``, the article's before a box's) > ``<time
  datetime>`` outside boxes > the best visible date line (a publish label, a clock, after
  the ``<h1>``; never a header's "today"). A stamp without offset and a visible date are
  read in the portal's zone (``extract._Extraction.zone``): the profile's (by template or
  host) > an offset other than +00:00 anywhere on the page (``page_zone``) > the region of
  ``<html lang>`` / ``og:locale`` / JSON-LD ``inLanguage`` (bn-BD: Asia/Dhaka, bn-IN:
  Asia/Kolkata) > the host's ``.bd``/``.in`` > the portal's address in its text (+880, a
  Dhaka postcode; not beside a North American number) > the crawl's setting.
  ``sources["timezone"]`` says which.
* **section**: JSON-LD ``articleSection`` > ``article:section`` > the breadcrumb's last
  item (JSON-LD ``BreadcrumbList`` > a named crumbs element > an unnamed trail before the
  ``<h1>``), never home and never the article itself: an item whose URL folds to the
  page's own (``document.fold_url``: scheme, ``www.``, trailing slash, tracking
  parameters) or a last item named as the headline.
* **related**: the block after a "আরও খবর" / "সম্পর্কিত খবর" heading, without the article's
  own text, prev/next links or the page itself.
* **tags**: a visible tag box's links (no "আরও সংবাদ"/"আরও খবর" link, no category link,
  only tag URLs when most are) > ``rel=tag`` links > ``article:tag`` / ``news_keywords``
  > JSON-LD ``keywords``.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from functools import lru_cache
from itertools import chain, islice
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import lxml.etree

from newsspider.bangla import match_key, normalize_text, parse_iso, split_labelled_dates
from newsspider.parse.document import NOISE_TAGS, Document

# --------------------------------------------------------------------------- helpers

_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[।!?.:;\"”’)\]|]\s*$")

# class/id words of containers that never hold article text
_NOISE_ATTR = re.compile(
    r"(?:^|[\s_-])(?:ads?|advert\w*|adsbygoogle|banner|sponsor\w*|share\w*|sharing|social\w*|"
    r"related\w*|more-news|also-read|read-also|tags?|tag-?list|post-?navigation|nav-links|"
    r"next-prev|prev-next|comments?|respond|subscri\w*|newsletter|breadcrumbs?|author-?box|"
    r"print|caption|wp-caption-text|sidebar|widget|popular|most-read|fb-\w+|addtoany|footer\w*|copyright|"
    r"sharethis|td-a-rec|td-adspot-title|jp-relatedposts)(?:$|[\s_-])",
    re.I,
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:বিজ্ঞাপন|advertisement|sponsored|শেয়ার করুন|শেয়ার|share|share this|"
    r"print|প্রিন্ট|"
    r"(?:আরও|আরো)\s+(?:পড়ুন|পড়ুন|খবর)\b.*|read more\b.*|also read\b.*|"
    r"ছবি\s*:.{0,80}|photo\s*:.{0,80}|"
    r"follow us.*|ফলো করুন.*|গুগল নিউজ.*|"
    r"\(?adsbygoogle.*)$",
    re.I,
)
_RELATED_HEADING = re.compile(
    r"^(?:আরও খবর|আরো খবর|এই বিভাগের (?:আরও|আরো) খবর|এ বিভাগের (?:আরও|আরো) খবর|"
    r"সম্পর্কিত খবর|সংশ্লিষ্ট খবর|আরও পড়ুন|আরো পড়ুন|related (?:news|posts|articles|stories)|"
    r"more (?:news|stories)|you may also like)\s*:?$",
    re.I,
)
_PREVNEXT_ATTR = re.compile(r"(?:prev|next)[-_]?(?:post|prev|next)?|post-?navigation|nav-links", re.I)
_HOME_WORDS = {"প্রচ্ছদ", "হোম", "home", "মূলপাতা", "প্রথম পাতা", "homepage"}


def text_of(el) -> str:
    """Visible text of an element (noise tags and hidden elements skipped), whitespace
    collapsed; "" for a hidden element."""
    if is_hidden(el):
        return ""
    if not len(el):  # no children (comments count): its own text, if any
        text = el.text
        return normalize_text(text) if text and not _is_noise_tag(el) else ""
    parts: list[str] = []
    _collect_text(el, parts)
    return normalize_text("".join(parts))


def _collect_text(el, parts: list, br=" ") -> None:
    text = el.text  # each read decodes the UTF-8 anew: once
    if text and not _is_noise_tag(el):
        parts.append(text)
    for child in el:
        if not _is_noise_tag(child) and not is_hidden(child):
            if child.tag == "br":
                parts.append(br)
            elif br is not _LINE or child.tag not in _BLOCK_TAGS:
                _collect_text(child, parts, br)
            else:
                parts.append(_LINE)
                _collect_text(child, parts, br)
                parts.append(_LINE)
        tail = child.tail
        if tail:
            parts.append(tail)


_LINE = "\n"


def text_lines(el) -> list[str]:
    """Visible text of an element as its lines: ``<br>`` and block elements end a line."""
    if is_hidden(el):
        return []
    parts: list[str] = []
    _collect_text(el, parts, _LINE)
    return [t for t in (normalize_text(line) for line in "".join(parts).split(_LINE)) if t]


def _is_noise_tag(el) -> bool:
    tag = el.tag
    return not isinstance(tag, str) or tag in NOISE_TAGS


_NOISE_ELEMENTS = ("figure", "figcaption", "aside", "nav", "footer", "header", "form")
# Never walked: no text in them for any field. ``form`` is a noise *box* instead (an
# ASP.NET page wraps the whole page, article included, in one <form>).
_SKIP_TAGS = frozenset(NOISE_TAGS) - {"form"}


def is_noise(el) -> bool:
    """A boilerplate element: ads, share bars, related lists, captions, comments ..."""
    if _is_noise_tag(el):
        return True
    return _noise_box(el, el.tag)


def _noise_box(el, tag: str) -> bool:
    """``is_noise`` of an element whose tag (``tag``, read once by the caller) is a
    string and no noise tag."""
    if tag in _NOISE_ELEMENTS:
        return True
    attrs = el.items()  # one call for the six attribute reads below
    if not attrs:
        return False
    a = dict(attrs)
    attr = f"{a.get('class') or ''} {a.get('id') or ''}"
    if len(attr) > 1 and _attr_flags(attr)[0]:
        return True
    return _hidden_attrs(a)


# class+id string -> (noise, date, author, crumb, tags), shared by all documents: the
# pages of one portal repeat the same few hundred class strings, and each test is a
# regular-expression search (the noise alternation the costliest).
_ATTR_FLAGS: dict[str, tuple] = {}


def _attr_flags(attr: str) -> tuple:
    flags = _ATTR_FLAGS.get(attr)
    if flags is None:
        if len(_ATTR_FLAGS) >= 100_000:
            _ATTR_FLAGS.clear()  # bounded: ids can be unique per page
        flags = (bool(attr.strip() and _NOISE_ATTR.search(attr)), bool(_DATE_ATTR.search(attr)),
                 bool(_AUTHOR_ATTR.search(attr)), "crumb" in attr.lower(), bool(_TAGS_ATTR.search(attr)))
        flags = _ATTR_FLAGS[attr] = (*flags, any(flags))  # [5]: any of the five
    return flags


# class value -> (hiding class, its _attr_flags as an element's only attribute, or None
# for an empty one or one without any flag), shared by all documents as _ATTR_FLAGS is:
# most elements of a page have a class and no other attribute, and the theme's class
# strings repeat.
_CLASS_INFO: dict[str, tuple] = {}


def _class_info(cls: str) -> tuple:
    if len(_CLASS_INFO) >= 100_000:
        _CLASS_INFO.clear()
    attr = f"{cls} "  # what the scan tests for class and id: "class id"
    flags = _attr_flags(attr) if len(attr) > 1 else None
    info = _CLASS_INFO[cls] = (_hidden_attrs({"class": cls}), flags if flags is not None and flags[5] else None)
    return info


def _first_str(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for v in value:
            s = _first_str(v)
            if s:
                return s
    if isinstance(value, dict):
        return _first_str(value.get("name") or value.get("@value"))
    return None


# --------------------------------------------------------------------------- one pass over the tree

_TITLE_ATTR = re.compile(r"(?:^|[\s_-])(?:headline|title|heading|news-?title|post-?title|entry-?title|"
                         r"story-?title|article-?title)(?:$|[\s_-])", re.I)
_NOT_TITLE_ATTR = re.compile(r"logo|site-?title|site-?name|brand|widget|block-?title|section-?title|"
                             r"page-?title|box-?title|related|card|module", re.I)
_META_ATTR = re.compile(r"(?:^|[\s_-])(?:byline|author\w*|writer|reporter|contributor\w*|date\w*|time|"
                        r"posted-?on|post-?meta|entry-?meta|meta-?info|meta|publish\w*|updated?|"
                        r"views?|reading-?time|kicker|standfirst|summary|excerpt|location|crumbs?)(?:$|[\s_-])", re.I)
_TODAY_ATTR = re.compile(r"today|current-?date|date-?today|td_data_time|header-?date|top-?date", re.I)
_TAGS_ATTR = re.compile(r"(?:^|[\s_-])(?:tags?|tag-?list|tagcloud|post-?tags|topics?|keywords?|labels)(?:$|[\s_-])", re.I)
_TAG_HREF = re.compile(r"/(?:tags?|topics?|topic-?\w*|keywords?|label)/|[?&]tag=", re.I)
_LISTING_PATH = re.compile(r"^/(?:$|(?:category|categories|cat|section|tag|tags|topic|topics|author|"
                           r"search|archive|archives|page)(?:/|$|\.php))|/page/\d+/?$|/feed/?$", re.I)


class Scan:
    """What one walk over the tree learns: per element the weight of paragraph text in
    its subtree, document order, and the candidate elements for each field (headings,
    dates, authors, breadcrumbs, tag lists, microdata). Built once per document.

    Hidden subtrees (``display:none``, ``visibility:hidden``, ``hidden``,
    ``aria-hidden="true"``) are not walked: they are no page text for any field (only
    their microdata ``content``/``datetime`` attributes are read). A noise *box* (a
    noise element or class: ads, share bars, widgets, sidebars, footers ...) keeps its
    own weight in ``boxed`` and adds nothing to its ancestors' ``total`` -- until it
    turns out to hold the article (``_protect``): then it and every box around it count
    again, so no noise rule can discard the element holding the article."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.total: dict = {}        # element -> paragraph weight it adds to its parent (0: absent)
        self.boxed: dict = {}        # noise box -> weight of its subtree
        self.protected: set = set()  # boxes that hold the article
        self.order: dict = {}
        self.headings: list = []     # (el, in_noise), after _finish
        self._headings: list = []    # (el, boxes around it)
        self.times: list = []
        self.dated: list = []        # elements whose class/id speaks of a date
        self.authors: list = []
        self.crumbs: list = []
        self.tag_boxes: list = []
        self.body_props: list = []   # visible itemprop=articleBody elements
        self.microdata: list = []    # (field, value, itemprop, boxes)
        self.own: dict = {}          # element -> weight of its own text (not in a <p>)
        # (element, text) of the elements that can head a related block, in document
        # order, as _heading_candidates finds them in the whole tree: found by this walk
        # (its texts, up to 61 characters), and by _short_texts where it does not go
        self.heading_candidates: list = []
        self._text: str | None = None  # the last walked element's short text (_walk)
        root = doc.root
        body = root.find("body")
        if body is None:
            self.body = root
            self._walk(root, ())
        else:
            # the root is never a candidate (html), its children in document order
            self.body = body
            cands = self.heading_candidates
            for child in root:
                if child is body:
                    self._walk(body, ())
                elif isinstance(child.tag, str):
                    _short_texts(child, cands)
            if root.tag in _RELATED_TAG_SET:  # (never from the HTML parser: its root is <html>)
                self.heading_candidates = _heading_candidates(root)
        self._finish()

    _flags = staticmethod(_attr_flags)

    def _walk(self, el, boxes: tuple, tag: str | None = None) -> int:
        """``tag``: ``el.tag`` when the caller has read it (each read builds a string).
        Returns the weight; leaves the element's text (``"".join(el.itertext())``) in
        ``self._text`` while it has at most 60 characters, else None there."""
        order = self.order
        order[el] = len(order)
        flags = None
        label = False
        attrs = el.items()  # one call; each el.get() is another walk of the attributes
        if attrs:
            if len(attrs) == 1 and attrs[0][0] == "class":  # most elements: their class alone
                info = _CLASS_INFO.get(attrs[0][1]) or _class_info(attrs[0][1])
                if info[0]:
                    return self._hidden_walk(el)
                flags = info[1]
            else:
                a = dict(attrs)
                # _hidden_attrs(a), inline (this runs for every element of the page)
                style, cls = a.get("style"), a.get("class")
                if (style is not None and _HIDDEN_STYLE.search(style) is not None) \
                        or a.get("hidden") is not None or a.get("aria-hidden") == "true" \
                        or (cls is not None and ("hid" in cls or "none" in cls or "sr-only" in cls
                                                 or "screen-reader" in cls) and _HIDDEN_CLASS.search(cls) is not None):
                    return self._hidden_walk(el)
                itemprop = a.get("itemprop")
                if itemprop is not None:
                    self._itemprop(el, itemprop, boxes)
                id_ = a.get("id")
                if cls is not None or id_ is not None:
                    attr = f"{cls or ''} {id_ or ''}"
                    if len(attr) > 1:
                        flags = _ATTR_FLAGS.get(attr) or _attr_flags(attr)
                        label = a.get("aria-label") == "breadcrumb"
                        if not (flags[5] or label):
                            flags = None  # no flag: as the class-alone path says it
        if tag is None:
            tag = el.tag
        kind = _SCAN_KIND.get(tag)  # None: a tag with no rule of its own (div, a, li, span ...)
        if kind is None:
            box = flags is not None and flags[0]
            if box:
                boxes = (*boxes, el)
        else:
            box = kind == 1 or (flags is not None and flags[0])
            if box:
                boxes = (*boxes, el)
            if kind == 2:
                self._headings.append((el, boxes))
            elif kind == 3:
                self.times.append((el, boxes))
        if flags is not None:
            if flags[1]:
                self.dated.append(el)
            if flags[2]:
                self.authors.append(el)
            if flags[3] or label:
                self.crumbs.append(el)
            if flags[4]:
                self.tag_boxes.append(el)
        cands = self.heading_candidates
        slot = len(cands)
        if kind == 4:  # <p>
            weight = _para_weight(el)
            for child in el:  # bylines and dates hide in <p> too; no weight below
                ctag = child.tag
                if isinstance(ctag, str) and ctag not in _SKIP_TAGS:
                    self._walk_meta(child, boxes)
            joined = _short_children(el, cands)
        else:
            weight = 0
            text = el.text
            if text:
                n = len(text)
                parts = [text]
                own = len(text.strip()) if tag != "a" else 0
            else:
                n = own = 0
                parts = []
            for child in el:
                ctag = child.tag
                if isinstance(ctag, str):
                    if ctag not in _SKIP_TAGS:
                        weight += self._walk(child, boxes, ctag)
                        sub = self._text
                    elif len(child):
                        sub = _short_texts(child, cands)
                    else:  # (no noise tag is a candidate)
                        sub = child.text or ""
                        if len(sub) > 60:
                            sub = None
                    if sub is None:
                        n = 61
                    elif sub and n <= 60:
                        n += len(sub)
                        parts.append(sub)
                tail = child.tail  # each access decodes the UTF-8 anew
                if tail:
                    if ctag != "a":
                        own += len(tail.strip())
                    if n <= 60:
                        n += len(tail)
                        parts.append(tail)
            if own >= 25 and tag not in _NO_OWN_WEIGHT:
                weight += own
                self.own[el] = own
            if n > 60:
                joined = None
            elif len(parts) == 1:
                joined = parts[0]
            else:
                joined = "".join(parts)
        if joined and tag in _RELATED_TAG_SET and ("খ" in joined or "প" in joined or "e" in joined or "E" in joined) \
                and len(el) <= 2:
            cands.insert(slot, (el, joined))  # before its descendants: document order
        self._text = joined
        if box:
            self.boxed[el] = weight
            return 0  # (total: read as .get(el, 0) everywhere, and 0 is not stored)
        if weight:
            self.total[el] = weight
        return weight

    def _hidden_walk(self, el) -> int:
        """A hidden element met by ``_walk``: its microdata, its heading candidates."""
        self._hidden(el)
        self._text = _short_texts(el, self.heading_candidates)
        return 0

    def _walk_meta(self, el, boxes: tuple) -> None:
        """Inside a paragraph: only the candidates (dates, authors, microdata)."""
        self.order.setdefault(el, len(self.order))
        attrs = el.items()
        if attrs:  # (an element without attributes is no candidate itself, unless a <time>)
            a = dict(attrs)
            if _hidden_attrs(a):
                self._hidden(el)
                return
            itemprop = a.get("itemprop")
            if itemprop is not None:
                self._itemprop(el, itemprop, boxes)
        if el.tag == "time":
            self.times.append((el, boxes))
        if attrs:
            attr = f"{a.get('class') or ''} {a.get('id') or ''}"
            if len(attr) > 1:
                flags = _attr_flags(attr)
                if flags[1]:
                    self.dated.append(el)
                if flags[2]:
                    self.authors.append(el)
        if len(el):
            for child in el:
                ctag = child.tag
                if isinstance(ctag, str) and ctag not in _SKIP_TAGS:
                    self._walk_meta(child, boxes)

    def _itemprop(self, el, itemprop: str, boxes: tuple, visible: bool = True) -> None:
        for prop in itemprop.split():
            field = _MICRODATA_DATES.get(prop)
            if field is not None:
                value = el.get("content") or el.get("datetime") or (text_of(el) if visible else "")
                if value and value.strip():
                    self.microdata.append((field, value.strip(), prop, boxes))
            elif prop == "articleBody" and visible:
                self.body_props.append(el)

    def _hidden(self, el) -> None:
        """A hidden subtree: no text, no candidates; machine-readable microdata only."""
        for sub in _HIDDEN_ITEMPROPS(el):  # <meta itemprop> is in doc.meta
            itemprop = sub.get("itemprop")
            if sub.get("content") or sub.get("datetime"):
                self._itemprop(sub, itemprop, (el,), visible=False)

    # -- after the walk --------------------------------------------------------
    def _finish(self) -> None:
        """Protect the boxes holding the article: an ``itemprop=articleBody`` with text,
        else the heaviest box (not comments, related, share ...) that outweighs all text
        outside boxes and holds the headline's heading or sits beside it
        (``_near_h1``). Then mark each heading noise when a box around it is not
        protected."""
        for el in self.body_props:
            if self.boxed.get(el, self.total.get(el, 0)) >= 100:
                self._protect(el)
                break
        else:
            clean = max(self.total.get(self.body, 0), 1)
            heavy = [(w, box) for box, w in self.boxed.items() if w > clean
                     and not _NEVER_ARTICLE.search(f"{box.get('class') or ''} {box.get('id') or ''}")]
            if heavy:
                anchors = self._headline_headings()
                best = max(((w, self.order.get(box, 0), box) for w, box in heavy
                            if any(_near_h1(box, el, b) for el, b in anchors)), default=None, key=lambda t: t[:2])
                if best is not None:
                    self._protect(best[2])
        protected = self.protected
        self.headings = [(el, any(b not in protected for b in boxes)) for el, boxes in self._headings]

    def _headline_headings(self) -> list:
        """(heading, boxes) of the headline: the <h1>-<h3> whose text agrees with the
        page's title metadata (og:title, JSON-LD headline, <title>), else every <h1>."""
        doc = self.doc
        art = doc.jsonld_article or {}
        title_el = doc.title_element
        known = [match_key(t) for t in (_first_str(art.get("headline")), doc.meta.get("og:title"),
                                         "".join(title_el.itertext()) if title_el is not None else "") if t]
        known = [k for k in known if len(k) >= 4]
        agree = []
        for el, boxes in self._headings:
            hk = match_key(text_of(el)) if known else ""
            if len(hk) >= 4 and any(hk == k or k.startswith(hk) or hk in k for k in known):
                agree.append((el, boxes))
        return agree or [(el, b) for el, b in self._headings if el.tag == "h1"]

    def _protect(self, el) -> None:
        """``el`` holds the article: the boxes around it count again, up to the body."""
        boxed, total, protected = self.boxed, self.total, self.protected
        delta = None
        node = el
        while node is not None:
            if node in boxed:
                if node not in protected:
                    protected.add(node)
                    if delta is not None:
                        boxed[node] += delta
                    delta = boxed[node]
                elif delta is not None:
                    boxed[node] += delta
                total[node] = boxed[node]
            elif delta is not None:
                total[node] = total.get(node, 0) + delta
            if node is self.body:
                break
            node = node.getparent()

    def container(self):
        """The smallest element holding most (70 %) of the page's paragraph text (the
        weights are final after ``_finish``: computed once)."""
        found = self.__dict__.get("_container", self)
        if found is self:
            found = self._container = self._find_container()
        return found

    def _find_container(self):
        node = self.body
        total = self.total
        while True:
            best, best_w = None, 0
            for child in node:
                w = total.get(child, 0)
                if w > best_w:
                    best, best_w = child, w
            if best is None or best.tag == "p" or best_w < 0.7 * total.get(node, 0):
                return node if total.get(node, 0) else None
            node = best


def _near_h1(box, h1, h1_boxes: tuple) -> bool:
    """The box holds the <h1>, or lies inside the outermost box around it, or (an <h1>
    outside every box) sits beside it: the box's parent holds the <h1> within two levels."""
    if h1_boxes:
        outer = h1_boxes[0]
        return box is outer or box in h1_boxes or any(a is outer for a in box.iterancestors())
    parent = box.getparent()
    up = h1.getparent()
    for _ in range(3):
        if up is None:
            return False
        if up is parent:
            return True
        up = up.getparent()
    return False


# Noise words of boxes that never hold an article (unlike CMS wrappers: widget, sidebar,
# print, form): the weight rule of Scan._finish does not protect them.
_NEVER_ARTICLE = re.compile(
    r"(?:^|[\s_-])(?:comments?|respond|related\w*|share\w*|sharing|social\w*|ads?|advert\w*|sponsor\w*|"
    r"newsletter|subscri\w*|also-read|read-also|more-news|tags?|breadcrumbs?|author-?box|caption|"
    r"popular|most-read)(?:$|[\s_-])", re.I)
_NO_OWN_WEIGHT = frozenset(("a", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"))
# the tags with a rule of their own in Scan._walk: 1 a noise element (a box), 2 a heading
# candidate (h1-h3), 3 <time>, 4 <p>
_SCAN_KIND = {**dict.fromkeys(_NOISE_ELEMENTS, 1), "h1": 2, "h2": 2, "h3": 2, "time": 3, "p": 4}
_MICRODATA_DATES = {"datePublished": "published", "dateCreated": "published", "uploadDate": "published",
                    "dateModified": "updated"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


_HIDDEN_CLASS = re.compile(r"(?:^|\s)(?:hidden|d-none|hide|sr-only|screen-reader-text|visually-?hidden)(?:$|\s)", re.I)


# the elements of a subtree (itself included) with an itemprop, but not <meta>, in
# document order: the walk of el.iter() this replaces read every element's attributes
_HIDDEN_ITEMPROPS = lxml.etree.XPath("descendant-or-self::*[@itemprop][not(self::meta)]")


def _hidden_attrs(a: dict) -> bool:
    """``is_hidden`` on an element's attributes as a dict."""
    style = a.get("style")
    if (style is not None and _HIDDEN_STYLE.search(style) is not None) \
            or a.get("hidden") is not None or a.get("aria-hidden") == "true":
        return True
    cls = a.get("class")
    return cls is not None and ("hid" in cls or "none" in cls or "sr-only" in cls or "screen-reader" in cls) \
        and _HIDDEN_CLASS.search(cls) is not None


def is_hidden(el) -> bool:
    """Hidden from the reader: ``display:none``/``visibility:hidden`` in ``style``, the
    ``hidden`` attribute, ``aria-hidden="true"``, and the hiding classes of common
    frameworks (``hidden``, ``d-none``, ``sr-only``, ``screen-reader-text`` ...)."""
    style = el.get("style")
    if (style is not None and _HIDDEN_STYLE.search(style) is not None) \
            or el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    cls = el.get("class")
    return cls is not None and ("hid" in cls or "none" in cls or "sr-only" in cls or "screen-reader" in cls) \
        and _HIDDEN_CLASS.search(cls) is not None


def _para_weight(p) -> int:
    """A paragraph's text minus its link text (each ``itertext()`` piece stripped; the
    text of links inside links counts once per link, as summing ``itertext()`` over
    ``p.iter("a")`` counts it), 0 when short or mostly links. One walk, no iterators."""
    if not len(p):
        t = p.text
        text = len(t.strip()) if t else 0
        return text if text >= 20 else 0
    text, links = _text_and_links(p, 0)
    if text < 20:
        return 0
    if links > 0.5 * text:
        return 0
    return text - links


def _text_and_links(el, in_links: int) -> tuple[int, int]:
    """(stripped text length, that length times the links it is inside) of el's
    ``itertext()``: its text, its descendants' text and tails (comments' content not)."""
    t = el.text
    text = len(t.strip()) if t else 0
    links = text * in_links
    for child in el:
        if isinstance(child.tag, str):
            ct, cl = _text_and_links(child, in_links + 1 if child.tag == "a" else in_links)
            text += ct
            links += cl
        t = child.tail
        if t:
            n = len(t.strip())
            text += n
            links += n * in_links
    return text, links


def scan(doc: Document) -> Scan:
    s = doc.__dict__.get("_scan")
    if s is None:
        s = doc.__dict__["_scan"] = Scan(doc)
    return s


# --------------------------------------------------------------------------- is it an article?

def looks_like_article(doc: Document) -> tuple[bool, str]:
    """Article pages announce themselves (JSON-LD type, og:type, article:* meta), but the
    page's structure outweighs that claim: a page whose text is a list of teasers, or a
    home page (its title the site's name, or the site's root URL) without a dense block of
    text, is no article whatever its metadata says. Without a claim: listing URLs
    (category, tag, search, author, home) hold none; otherwise a page with a dense block
    of paragraphs that is not a list of teasers is one."""
    claim = "jsonld" if doc.jsonld_article is not None else None
    if claim is None and (doc.meta.get("og:type", "").lower() == "article" or "article:published_time" in doc.meta):
        claim = "meta:og:type"
    parts = urlsplit(doc.canonical_url or doc.url)
    home = listing_url = False
    if parts.scheme in ("http", "https"):
        path, query = parts.path or "/", parts.query
        home = path in _HOME_PATHS and not query
        listing_url = bool((_LISTING_PATH.search(path) and "id=" not in query)
                           or re.search(r"(?:^|&)(?:s|q|search)=", query))
        if claim is None and listing_url:
            return False, "url"
    sc = scan(doc)
    container = sc.container()
    weight = sc.total.get(container, 0) if container is not None else 0
    teasers, plain = _teaser_share(sc, container) if container is not None else (0.0, 0)
    if claim is not None:
        if teasers >= 0.5 and plain < 400:
            return False, "listing"  # teasers and no dominant block of text beside them
        if home:
            return False, "home"  # the site's root URL is its home page, whatever it claims
        if (weight < 400 or teasers >= 0.25) and (listing_url or _titled_as_site(doc)):
            return False, "home" if not listing_url else "url"
        return True, claim
    if container is None:
        return False, "density"
    if teasers >= 0.5:
        return False, "listing"
    paras = sum(1 for p in container.iter("p") if sc.total.get(p, 0) >= 20) or weight // 200
    if weight >= 400 or (weight >= 200 and paras >= 2):
        return True, "density"
    return False, "density"


def _titled_as_site(doc: Document) -> bool:
    """The page's claimed headline (JSON-LD, og:title) is the site's own name
    (og:site_name, application-name, the JSON-LD publisher, the home link's text or
    logo): a home page's metadata."""
    art = doc.jsonld_article or {}
    titles = {match_key(t) for t in (_first_str(art.get("headline")), doc.meta.get("og:title")) if t}
    titles.discard("")
    if not titles:
        return False
    names = [doc.meta.get("og:site_name"), doc.meta.get("application-name"),
             _first_str(art.get("publisher")) if isinstance(art.get("publisher"), (dict, list)) else None]
    for a in scan(doc).body.iter("a"):
        href = a.get("href") or ""
        if href and urlsplit(doc.absolute(href)).path in _HOME_PATHS:
            names.append(text_of(a))
            names.extend(img.get("alt") for img in a.iter("img"))
            break
    return any(match_key(n) in titles for n in names if n)


def _teaser_share(sc: Scan, container) -> tuple[float, int]:
    """Share of the container's text that sits in teaser cards, and the weight of the
    text outside them (``teaser_blocks``)."""
    blocks = teaser_blocks(sc, container)
    total = sum(w for _, w, _ in blocks)
    if not total:
        return 0.0, 0
    teaser = sum(w for _, w, t in blocks if t)
    return teaser / total, total - teaser


def teaser_blocks(sc: Scan, container) -> list:
    """The container's text blocks (a paragraph, or an element's own text; noise boxes
    skipped) as (block, weight, is_teaser): a teaser is inside a link, or its parent or
    grandparent also holds a linked heading or a headline-long link of its own (a
    listing's excerpts). Computed once per container."""
    cache = sc.__dict__.setdefault("_teasers", {})
    if container in cache:
        return cache[container]
    blocks: list = []
    _text_blocks(sc, container, blocks)
    cards: dict = {}
    per_card: dict = {}  # how many text blocks each parent / grandparent holds
    in_blocks = {b for b, _ in blocks}  # links inside a text block are inline links, no titles
    for block, _ in blocks:
        parent = block.getparent()
        for card in (parent, parent.getparent() if parent is not None else None):
            if card is not None:
                per_card[card] = per_card.get(card, 0) + 1
    out = []
    for block, w in blocks:
        teaser = any(x.tag == "a" for x in _ancestors_below(block, container))
        if not teaser:
            parent = block.getparent()
            for card in (parent, parent.getparent() if parent is not None else None):
                if card is None or card is container:
                    break
                has = cards.get(card)
                if has is None:
                    has = cards[card] = _has_title_link(sc, card, in_blocks, single=per_card.get(card, 0) <= 2)
                if has:
                    teaser = True
                    break
        out.append((block, w, teaser))
    cache[container] = out
    return out


def _plain_container(sc: Scan, container):
    """Inside a container shared by the article and teaser cards: the smallest element
    holding 70 % of the text outside the cards."""
    plain: dict = {}
    for block, w, teaser in teaser_blocks(sc, container):
        if teaser:
            continue
        node = block
        while node is not None:
            plain[node] = plain.get(node, 0) + w
            if node is container:
                break
            node = node.getparent()
    node = container
    while True:
        best, best_w = None, 0
        for child in node:
            w = plain.get(child, 0)
            if w > best_w:
                best, best_w = child, w
        if best is None or best_w < 0.7 * plain.get(node, 0) or best.tag == "p":
            return node
        node = best


def _text_blocks(sc: Scan, el, out: list) -> None:
    total, own, boxed, protected = sc.total, sc.own, sc.boxed, sc.protected
    for child in el:
        if not isinstance(child.tag, str) or (child in boxed and child not in protected):
            continue
        if child.tag == "p":
            if total.get(child, 0):
                out.append((child, total[child]))
            continue
        if child in own:
            out.append((child, own[child]))
        if total.get(child, 0):
            _text_blocks(sc, child, out)


def _ancestors_below(el, container):
    for a in el.iterancestors():
        if a is container:
            return
        yield a


def _has_title_link(sc: Scan, el, blocks, in_heading: bool = False, single: bool = True) -> bool:
    """The card holds, outside text blocks and outside noise boxes, a linked heading or
    (a card of at most two text blocks: an excerpt, not a run of paragraphs with a
    read-more line) a link as long as a headline."""
    boxed, protected = sc.boxed, sc.protected
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or child in blocks or (child in boxed and child not in protected):
            continue
        heading = in_heading or tag in ("h2", "h3", "h4", "h5")
        if tag == "a" and child.get("href"):
            if heading or next(child.iter("h2", "h3", "h4"), None) is not None \
                    or (single and len(text_of(child)) >= 20):  # (child is an <a>: not itself a heading)
                return True
            continue
        if _has_title_link(sc, child, blocks, heading, single):
            return True
    return False


# --------------------------------------------------------------------------- headline

_SITE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:»«/]|::)\s+")


def headline(doc: Document) -> tuple[str | None, str]:
    ld = normalize_text(_first_str(doc.jsonld_article.get("headline")) or "") if doc.jsonld_article else ""
    og = normalize_text(doc.meta.get("og:title") or doc.meta.get("twitter:title") or "")
    title_el = doc.title_element
    title = normalize_text("".join(title_el.itertext())) if title_el is not None else ""
    known = [k for k in (match_key(ld), match_key(og), match_key(title)) if len(k) >= 4]
    sc = scan(doc)
    # The visible heading wins when the metadata contains it (titles carry the site
    # name, JSON-LD headlines are often cut by CMS plugins); a logo <h1> does not agree.
    ranked = sorted(sc.headings, key=lambda h: (h[1], h[0].tag))
    for el, _ in ranked:
        if _NOT_TITLE_ATTR.search(f"{el.get('class') or ''} {el.get('id') or ''}") and el.tag != "h1":
            continue
        h = text_of(el)
        if not h or len(h) > 300:
            continue
        hk = match_key(h)
        if len(hk) >= 4 and any(hk == k or k.startswith(hk) or hk.startswith(k) or hk in k for k in known):
            return h, el.tag
    if ld:
        return ld, "jsonld"
    if og:
        return strip_site_name(og), "meta:og:title"
    for el, noise in ranked:
        if el.tag == "h1" and not noise:
            h = text_of(el)
            if h and len(h) < 300:
                return h, "h1"
    if title:
        return strip_site_name(title), "title"
    for el, _ in ranked:
        h = text_of(el)
        if h and len(h) < 300:
            return h, el.tag
    return None, "none"


def strip_site_name(title: str) -> str:
    """"Headline | Site", "Site :: Headline", "Headline - Site": the longest part."""
    parts = _SITE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    best = max(parts, key=len)
    return best if len(best) >= 8 else title


# --------------------------------------------------------------------------- body

_BODY_CLASSES = re.compile(
    r"(?:^|\s)(?:entry-content|td-post-content|post-content|article-content|article-body|"
    r"articleBody|story-body|story-content|news-details|news-content|content-details|"
    r"details-content|post-body|single-content|the-content|jeg_post_content|"
    r"article__body|article-text|news-body|description)(?:$|\s)",
    re.I,
)


def body_container(doc: Document):
    """The element holding the article text: ``itemprop=articleBody`` when it holds
    text, else the smallest element holding most of the page's paragraph text (noise
    subtrees skipped), widened to a named body class around it."""
    sc = scan(doc)
    for el in sc.body_props:
        if sc.total.get(el, 0) >= 100:
            return el, "itemprop"
    best = sc.container()
    if best is None:
        for el in doc.root.iter("article"):
            return el, "article"
        return None, "none"
    share, plain = _teaser_share(sc, best)
    if 0.3 <= share and plain >= 200:
        best = _plain_container(sc, best)  # the article beside a list of teasers
    for anc in best.iterancestors():
        if anc.tag in ("body", "html"):
            break
        if _BODY_CLASSES.search(anc.get("class") or ""):
            if sc.total.get(anc, 0) <= 1.15 * sc.total.get(best, 0):
                return anc, "class"
            break
    return best, "density"


_BLOCK_TAGS = frozenset(
    "p div section article blockquote h1 h2 h3 h4 h5 h6 ul ol li dl dt dd table tr td th "
    "pre main header footer address hr center".split()
)


def body_paragraphs_from(container, *, skip=None, keys: dict | None = None, keep=frozenset()) -> list[str]:
    """Paragraphs of a container in page order: block elements and ``<br><br>``
    separate paragraphs; a single ``<br>`` after a sentence end starts a new one, a
    single ``<br>`` mid-sentence is joined with a space. Noise elements are skipped;
    boilerplate lines, link lists and repeated renderings are dropped. ``keep``: noise
    boxes that hold the article (``Scan.protected``), walked as any block."""
    lines: list[list] = [[]]
    _walk(container, lines, skip, keep)
    paras = []
    for parts in lines:
        if parts:  # (an empty line, between two blocks, gives no paragraph)
            paras.extend(_split_on_breaks(parts))
    # (each paragraph is an output of normalize_text)
    return dedupe_paragraphs([p for p in paras if p and not _BOILERPLATE_LINE.match(p)], keys, normalized=True)


_BR = object()


def _walk(el, lines: list[list], skip, keep) -> None:
    text = el.text  # each read decodes the UTF-8 anew: once
    if text:
        lines[-1].append(text)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in NOISE_TAGS:
            pass
        elif tag == "br":
            lines[-1].append(_BR)
        elif (_noise_box(child, tag) and child not in keep) or (skip is not None and skip(child)):
            if tag in _BLOCK_TAGS or tag in ("figure", "aside", "nav"):
                lines.append([])
        elif tag in _BLOCK_TAGS:
            if _link_dense(child):
                lines.append([])
            else:
                lines.append([])
                _walk(child, lines, skip, keep)
                lines.append([])
        else:
            _walk(child, lines, skip, keep)
        tail = child.tail
        if tail:
            lines[-1].append(tail)


def _link_dense(el) -> bool:
    """A block that is mostly links (a list of headlines, a tag cloud)."""
    if el.tag not in ("ul", "ol", "div", "section", "table", "p", "li") or not len(el):
        return False  # (without children: no links)
    links = list(el.iter("a"))
    if not links:
        return False  # no linked text: not dense, whatever the text (most paragraphs)
    total = len(text_of(el))
    if total == 0:
        return False
    linked = sum(len(text_of(a)) for a in links)
    return linked > 0.6 * total and (el.tag != "p" or total < 300)


def _split_on_breaks(parts: list) -> list[str]:
    if _BR not in parts:
        # No <br>: one paragraph. normalize_text collapses whitespace itself, and no
        # character of \s is one it removes, so the per-part _WS.sub is not needed.
        text = "".join(parts)
        return [normalize_text(text)] if text.strip() else []
    out: list[str] = []
    current = ""
    pending_breaks = 0
    for part in parts:
        if part is _BR:
            pending_breaks += 1
            continue
        # (no _WS.sub of the part: the pieces are normalized at the end, which collapses
        # whitespace runs anyway, and the tests below strip or ignore them)
        text = part
        if pending_breaks:
            if not text.strip():
                continue  # whitespace between two <br>s
            before = current.strip()
            if pending_breaks >= 2 or (before and _SENTENCE_END.search(before)):
                out.append(current)
                current = ""
            else:
                current = current.rstrip() + " "
            pending_breaks = 0
            text = text.lstrip()
        current += text
    out.append(current)
    return [normalize_text(p) for p in out if p.strip()]


def dedupe_paragraphs(paras: list[str], keys_out: dict | None = None, *, normalized: bool = False) -> list[str]:
    """Each paragraph once: drops exact repeats (by match key), repeats of text already
    kept (a teaser rendered again, split differently), and paragraphs that are the
    concatenation of paragraphs already kept."""
    kept: list[str] = []
    keys: list[str] = []
    seen: set[str] = set()
    joined = ""
    for p in paras:
        k = match_key(p, normalized=normalized)
        if keys_out is not None:
            keys_out[p] = k  # the caller compares paragraphs by key again
        if not k or k in seen:
            continue
        if len(k) >= 30 and k in joined:
            continue
        if len(k) >= 60:
            rest = k
            for prev in keys:
                if len(prev) >= 30 and prev in rest:
                    rest = rest.replace(prev, " ")
            if len(rest.strip()) < 10:
                continue
        kept.append(p)
        keys.append(k)
        seen.add(k)
        joined += "\n" + k
    return kept


def body_from_jsonld(doc: Document) -> list[str]:
    art = doc.jsonld_article
    text = _first_str(art.get("articleBody")) if art else None
    if not text:
        return []
    return dedupe_paragraphs([normalize_text(p) for p in re.split(r"\n\s*\n|\r?\n", text) if p.strip()],
                             normalized=True)


# --------------------------------------------------------------------------- byline

_AUTHOR_ATTR = re.compile(r"(?:^|[\s_-])(?:author(?:-?name)?|byline|reporter|writer|vcard|fn|contributor(?:-?name)?)"
                          r"(?:$|[\s_-])", re.I)
_BYLINE_LABEL = re.compile(r"^(?:লিখেছেন|লেখক|প্রতিবেদন|রিপোর্ট|রিপোর্টার|by|written by|posted by|author)\s*[:：-]?\s+", re.I)
_BYLINE_TRIM = " -–—|,:;/•·"


def clean_byline(name: str) -> str:
    name = normalize_text(name).strip(_BYLINE_TRIM)
    name = _BYLINE_LABEL.sub("", name).strip(_BYLINE_TRIM)
    return name


def _author_name(value) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_author_name(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str) and value.strip() and not value.strip().startswith("http"):
        return clean_byline(value) or None
    return None


def byline(doc: Document) -> tuple[str | None, str]:
    """JSON-LD author > meta author > a visible author element. The visible byline wins
    over the metadata when it shows the same name and more (its outlet, its place: "as
    displayed")."""
    structured, source = _structured_byline(doc)
    shown, shown_source = _visible_byline(doc)
    if structured and _DOMAIN.match(structured):
        structured = None  # "example.com" names the site, not who wrote it
    if structured and shown and _names_the_site(doc, structured, source):
        return shown, shown_source  # the publisher as author: the page shows who wrote it
    if structured:
        if shown and shown != structured and "," not in structured \
                and match_key(_BYLINE_SPLIT.split(shown)[0]) == match_key(structured):
            return shown, shown_source
        return structured, source
    return shown, shown_source


_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+/?$", re.I)


def _names_the_site(doc: Document, name: str, source: str) -> bool:
    """The metadata's author is the publisher: the site's name, or a JSON-LD author
    of type Organization."""
    site = doc.meta.get("og:site_name")
    if site and match_key(site) == match_key(name):
        return True
    art = doc.jsonld_article or {}
    author = art.get("author")
    if source == "jsonld" and isinstance(author, dict):
        return "Organization" in str(author.get("@type"))
    return False


def _structured_byline(doc: Document) -> tuple[str | None, str]:
    art = doc.jsonld_article
    if art and art.get("author"):
        name = _author_name(art["author"])
        if name:
            return name, "jsonld"
    for key in ("author", "article:author", "dc.creator", "byl"):
        value = doc.meta.get(key)
        if value and not value.startswith("http") and len(value) < 100:
            return clean_byline(value), f"meta:{key}"
    return None, "none"


def _visible_byline(doc: Document) -> tuple[str | None, str]:
    sc = scan(doc)
    for el in sc.authors:
        if el.tag in ("img", "body", "article", "main") or sc.total.get(el, 0) > 200:
            continue
        # an author link inside the box is the name without its label
        link = next((a for a in el.iter("a") if text_of(a) and ("author" in (a.get("href") or "")
                                                               or a.get("rel") == "author")), None)
        if link is not None:
            name = clean_byline(text_of(link))
            shown = byline_text(el)  # the lines around the link: its outlet, its place
            if shown != name and match_key(_BYLINE_SPLIT.split(shown)[0]) == match_key(name) \
                    and not _BYLINE_DATE.search(shown):
                name = shown
        else:
            name = byline_text(el)
        if 2 <= len(name) < 120 and not _BYLINE_DATE.search(name):
            return name, "class:author"
    return None, "none"


# a date in an author box (month words alone are no sign: "মেহেদী" begins with মে)
_BYLINE_DATE = re.compile(r"প্রকাশ|আপডেট|হালনাগাদ|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|[০-৯]{4}|\d{4}|"
                          r"[0-9০-৯]{1,2}\s*[:：ঃ]\s*[0-9০-৯]{2}")


def byline_text(el) -> str:
    """A byline element as displayed: its lines (``<br>``, blocks) joined by ", ", each
    without its label; a line that is a date ("প্রকাশ: ...") is not part of it."""
    lines = [clean_byline(line) for line in text_lines(el)]
    if len(lines) > 1:
        lines = [line for line in lines if line and not _PUBLISH_WORDS.search(line) and not _CLOCK.search(line)]
    return ", ".join(line for line in lines if line)


_BYLINE_SPLIT = re.compile(r"\s*[,،|;]\s*|\s+[-–—]\s+")
_FROM_PLACE = re.compile(r"^(?P<place>.+?)\s+থেকে$")
_TRAILING_FROM = re.compile(r"^(?P<name>\S+(?:\s+\S+)+?)\s+(?P<place>\S+)\s+থেকে$")
_ROLE_WORDS = re.compile(
    r"প্রতিবেদক|প্রতিনিধি|রিপোর্টার|করেসপন্ডেন্ট|সংবাদদাতা|ডেস্ক|ডেক্স|সম্পাদক|বার্তাকক্ষ|লেখক|"
    r"অনলাইন|নিউজ|desk|reporter|correspondent|staff|online|editor|news", re.I)
_OUTLET = re.compile(r"\.(?:com|net|org|bd|tv|info|news|কম)\b|ডটকম|\.কম", re.I)
# places of more than one word (a one-word last part is taken as a place anyway)
_MULTIWORD_PLACES = {match_key(p) for p in (
    "নিউ ইয়র্ক", "নিউ জার্সি", "লস অ্যাঞ্জেলেস", "কক্স বাজার", "কক্স’স বাজার", "সাউথ ক্যারোলিনা",
    "নর্থ ক্যারোলিনা", "কুয়ালা লামপুর", "আবু ধাবি", "নিউ দিল্লি", "ওয়াশিংটন ডিসি", "হং কং")}


def byline_facets(byline: str | None, source: str, site_name: str = "") -> tuple[list[str], str | None, str | None]:
    """(parts, reporter, place) of a displayed byline. Parts: its lines and comma
    separated pieces. Place: the last part when it ends in "থেকে" ("from"), is a known
    place of several words, or is one word that names no role and no outlet (the
    reporter's town after the name: "…, ঢাকা", "…, নিউইয়র্ক"). Reporter: the first part
    that is neither the outlet (a domain, the site's name) nor the place. A JSON-LD
    author list is names only: no place."""
    if not byline:
        return [], None, None
    if source.startswith("jsonld"):
        parts = [p for p in _BYLINE_SPLIT.split(byline) if p]
        return parts, byline, None
    parts = [p.strip(_BYLINE_TRIM) for p in _BYLINE_SPLIT.split(byline)]
    parts = [p for p in parts if p]
    if not parts:
        return [], None, None
    place = None
    place_index = None
    if len(parts) == 1:
        m = _TRAILING_FROM.match(parts[0])
        if m:
            return parts, m["name"], m["place"]
    else:
        last = parts[-1]
        m = _FROM_PLACE.match(last)
        if m:
            place, place_index = m["place"], len(parts) - 1
        elif _looks_like_place(last, site_name):
            place, place_index = last, len(parts) - 1
    reporter = next((p for i, p in enumerate(parts) if i != place_index and not _OUTLET.search(p)
                     and not _is_site(p, site_name)), None)
    return parts, reporter, place


def _is_site(part: str, site_name: str) -> bool:
    """The part names the site ("যুগান্তর" of "দৈনিক যুগান্তর")."""
    if not site_name:
        return False
    key, site = match_key(part), _site_key(site_name)
    return bool(key) and (key == site or (len(key) >= 3 and key in site.split()) or key in site and len(key) >= 6)


@lru_cache(maxsize=1024)
def _site_key(site_name: str) -> str:
    """match_key of a site's name (og:site_name): the same on every page of a portal."""
    return match_key(site_name)


def _looks_like_place(part: str, site_name: str) -> bool:
    if _ROLE_WORDS.search(part) or _OUTLET.search(part) or re.search(r"[0-9০-৯]", part):
        return False
    if _is_site(part, site_name):
        return False
    words = part.split()
    return len(words) == 1 or match_key(part) in _MULTIWORD_PLACES


# --------------------------------------------------------------------------- dates

_UPDATE_WORDS = re.compile(r"আপডেট|হালনাগাদ|সর্বশেষ|পরিবর্তি|update|modified|edited", re.I)


def machine_dates(doc: Document) -> dict[str, tuple[str, str]]:
    """Raw machine-readable dates: {"published"|"updated": (raw, source)}: JSON-LD,
    then ``<meta>`` (also ``<meta itemprop>``), then microdata, then ``<time datetime>``.
    Computed once per document."""
    found = doc.__dict__.get("_machine_dates")
    if found is None:
        found = doc.__dict__["_machine_dates"] = _machine_dates(doc)
    return found


def _machine_dates(doc: Document) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    art = doc.jsonld_article
    if art:
        for key, field in (("datePublished", "published"), ("dateModified", "updated")):
            value = _first_str(art.get(key))
            if value:
                found.setdefault(field, (value, f"jsonld:{key}"))
    meta = doc.meta
    for key, field in (("article:published_time", "published"), ("og:published_time", "published"),
                       ("datepublished", "published"), ("pubdate", "published"),
                       ("publish-date", "published"), ("dc.date.issued", "published"),
                       ("article:modified_time", "updated"), ("og:updated_time", "updated"),
                       ("datemodified", "updated")):
        if key in meta:
            found.setdefault(field, (meta[key], f"meta:{key}"))
    if "published" in found and "updated" in found:
        return found
    if doc.__dict__.get("_scan") is None and not _may_have_machine_dates(doc):
        return found  # no <time>, no date microdata: the scan would find nothing here
    sc = scan(doc)
    if sc.microdata:
        # schema.org microdata (<span itemprop=datePublished content=...>): those of the
        # article first, then those in boxes (a related list's teasers)
        protected = sc.protected
        for field, value, prop, _ in sorted(sc.microdata, key=lambda m: any(b not in protected for b in m[3])):
            found.setdefault(field, (value, f"microdata:{prop}"))
    if "published" not in found or "updated" not in found:
        protected = sc.protected
        for t, boxes in sc.times:
            value = t.get("datetime")
            if not value or any(b not in protected for b in boxes):
                continue  # a <time> in a sidebar or a related list dates another article
            context = f"{t.get('class') or ''} {t.get('itemprop') or ''}"
            parent = t.getparent()
            if parent is not None:
                context += " " + (parent.text or "") + " " + (parent.get("class") or "")
            field = "updated" if _UPDATE_WORDS.search(context) else "published"
            found.setdefault(field, (value, "time[datetime]"))
    return found


# Any element the scan could take a machine date from: a <time>, or an itemprop naming
# one of _MICRODATA_DATES (a superset: hidden, boxed or empty ones included).
def _may_have_machine_dates(doc: Document) -> bool:
    """``_MAY_HAVE_MACHINE_DATES``, without its walk over every element's attributes
    when the page's own bytes show it has no itemprop attribute at all (the HTML parser
    takes attribute names from the source as written, lower-casing ASCII; a character
    reference cannot spell one): then only a ``<time>`` can give a date."""
    if not doc.source_may_contain("itemprop"):
        return next(doc.root.iter("time"), None) is not None
    return _MAY_HAVE_MACHINE_DATES(doc.root)


_MAY_HAVE_MACHINE_DATES = lxml.etree.XPath(
    "boolean(//time | //*[@itemprop][contains(@itemprop, 'datePublished') or contains(@itemprop, 'dateCreated')"
    " or contains(@itemprop, 'uploadDate') or contains(@itemprop, 'dateModified')])")
_DATE_ATTR = re.compile(r"date|time|publish|posted|meta|updated|info", re.I)
_DATE_HINT = re.compile(
    r"প্রকাশ|আপডেট|হালনাগাদ|জানুয়া|ফেব্রুয়া|মার্চ|এপ্রিল|মে|জুন|জুলাই|আগস্ট|আগষ্ট|সেপ্টে|অক্টো|নভে|ডিসে|"
    r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|[০-৯]{4}|\d{4}"
)
_PUBLISH_WORDS = re.compile(r"প্রকাশ|আপডেট|হালনাগাদ|published|posted|updated", re.I)
_CLOCK = re.compile(r"[0-9০-৯]{1,2}\s*[:：ঃ]\s*[0-9০-৯]{2}")


_CLASS_AND_ID_VALUES = lxml.etree.XPath("//@class | //@id")
_ID_VALUES = lxml.etree.XPath("//@id")
# attribute value -> whether _DATE_ATTR finds a date word in it (shared, bounded)
_DATE_WORDS: dict[str, bool] = {}


def dated_text_has_update(doc: Document) -> bool:
    """Whether any element whose class/id speaks of a date (a superset of the scan's
    ``dated``: hidden, boxed and long ones too) has an "updated" part in its text as
    ``visible_date_texts`` would offer it (``text_of``, ``split_labelled_dates``).

    The scan's test is ``_DATE_ATTR`` on "class id"; its words hold no space, so it
    finds one in that string exactly when it finds one in the class or in the id: the
    attribute values are tested (once per distinct value), and only the elements of
    those that have one are fetched and read."""
    checked: set = set()
    words = _DATE_WORDS
    classes = doc.__dict__.get("_class_values")  # when the profile's selectors read them
    values = _CLASS_AND_ID_VALUES(doc.root) if classes is None else chain(classes, _ID_VALUES(doc.root))
    for value in values:
        hit = words.get(value)
        if hit is None:
            if len(words) >= 100_000:
                words.clear()
            key = str(value)  # not the smart string: it would keep the tree alive
            hit = words[key] = _DATE_ATTR.search(key) is not None
        if not hit:
            continue
        el = value.getparent()
        if el in checked:
            continue
        checked.add(el)
        text = text_of(el)
        if text and "updated" in split_labelled_dates(text):
            return True
    return False


def visible_date_texts(doc: Document, limit: int = 12) -> list[tuple[str, str]]:
    """Short texts of elements whose class or id speaks of a date, best first: a
    publish label, a clock time and a place after the headline count for a candidate;
    a header's "today" date and anything in navigation or footers count against it."""
    sc = scan(doc)
    h1 = next((el for el, noise in sc.headings if el.tag == "h1"), None)
    h1_pos = sc.order.get(h1, 0) if h1 is not None else 0
    scored = []
    seen = set()
    for el in sc.dated:
        if el.tag in ("body", "html", "main", "article") or sc.total.get(el, 0) > 300:
            continue
        text = text_of(el)
        if not (6 <= len(text) <= 200) or not _DATE_HINT.search(text) or text in seen:
            continue
        seen.add(text)
        attr = f"{el.get('class') or ''} {el.get('id') or ''}"
        score = 0
        if _PUBLISH_WORDS.search(text):
            score += 3
        if _CLOCK.search(text):
            score += 2
        if sc.order.get(el, 0) >= h1_pos:
            score += 1
        if _TODAY_ATTR.search(attr) or text.startswith(("আজ", "Today")):
            score -= 6
        if any(a.tag in ("header", "nav", "footer", "aside") for a in el.iterancestors()):
            score -= 2
        scored.append((-score, sc.order.get(el, 0), text, f"visible:{el.tag}.{(el.get('class') or '').split(' ')[0]}"))
    scored.sort()
    return [(t, src) for _, _, t, src in scored[:limit]]


# --------------------------------------------------------------------------- time zone

# Zones a page's language region names (only where one zone covers the country).
_REGION_ZONES = {"BD": "Asia/Dhaka", "IN": "Asia/Kolkata", "NP": "Asia/Kathmandu"}
# Named zones for an offset a Bangla page carries (no daylight saving in any of them).
_OFFSET_ZONES = {timedelta(hours=6): "Asia/Dhaka", timedelta(hours=5, minutes=30): "Asia/Kolkata",
                 timedelta(hours=5, minutes=45): "Asia/Kathmandu"}


def page_zone(doc: Document, setting: str) -> tuple[object, str, str] | None:
    """The time zone the page itself states: (tz for parse_date, its name, source), or
    None. First a UTC offset other than +00:00 in any machine-readable date of the page
    (JSON-LD, meta, microdata, ``<time datetime>``; +00:00 and Z are how CMSs write UTC,
    not the portal's zone), named when the page's region, the crawl's setting or a Bangla
    country zone has that offset at that instant, else kept as a fixed offset; then the
    region of ``<html lang>`` ("bn-BD"), ``og:locale`` ("bn_BD") or the JSON-LD
    ``inLanguage``, then the host's country domain (``.bd``, ``.in``), then the portal's
    address in the page's text (+880, a Dhaka postcode)."""
    region_zone, region_source = None, ""
    art = doc.jsonld_article or {}
    for value, source in ((doc.root.get("lang") or doc.root.get("{http://www.w3.org/XML/1998/namespace}lang"),
                           "html:lang"), (doc.meta.get("og:locale"), "meta:og:locale"),
                          (_first_str(art.get("inLanguage")), "jsonld:inLanguage")):
        if value:
            bits = re.split(r"[-_]", value.strip())
            zone = _REGION_ZONES.get(bits[1].upper()) if len(bits) > 1 else None
            if zone:
                region_zone, region_source = zone, f"{source}={value.strip()}"
                break
    for raw, source in _stamps(doc):
        dt = parse_iso(raw)
        if dt is None or dt.tzinfo is None:
            continue
        offset = dt.utcoffset()
        if not offset:
            continue
        for name in (region_zone, setting, _OFFSET_ZONES.get(offset)):
            if name and dt.astimezone(ZoneInfo(name)).utcoffset() == offset:
                return name, name, f"offset:{source}"
        fixed = timezone(offset)
        return fixed, str(fixed), f"offset:{source}"
    if region_zone:
        return region_zone, region_zone, region_source
    tld = doc.host.rsplit(".", 1)[-1].upper() if "." in doc.host else ""
    if tld in _REGION_ZONES:
        zone = _REGION_ZONES[tld]
        return zone, zone, f"host:.{tld.lower()}"
    # The portal's own address in its text: a Bangladeshi phone number (+880) or a
    # Dhaka postcode, and no North American number beside it.
    m = _BD_ADDRESS.search(doc.text)
    if m and not _US_PHONE.search(doc.text):
        return "Asia/Dhaka", "Asia/Dhaka", f"text:{m.group(0).strip()}"
    return None


_BD_ADDRESS = re.compile(r"\+\s?(?:880|৮৮০)(?=[\s\-()0-9০-৯])|ঢাকা[\s,-]*(?:1[0-3]\d\d|১[০-৩][০-৯][০-৯])(?![0-9০-৯])")
_US_PHONE = re.compile(r"\+\s?1[\s.-]?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}|\(\d{3}\)\s?\d{3}-\d{4}")


def _stamps(doc: Document):
    """Machine-readable date strings on the page, the article's first."""
    for field, (raw, source) in machine_dates(doc).items():
        yield raw, source
    for obj in doc.jsonld:
        for key in ("datePublished", "dateModified", "dateCreated", "uploadDate"):
            value = _first_str(obj.get(key))
            if value:
                yield value, f"jsonld:{key}"
    for key, values in doc.meta_all.items():
        if key.endswith(("_time", "date", "modified", "published")):
            for value in values:
                yield value, f"meta:{key}"
    sc = scan(doc)
    for _, value, prop, _ in sc.microdata:
        yield value, f"microdata:{prop}"
    for t, _ in sc.times:
        value = t.get("datetime")
        if value:
            yield value, "time[datetime]"


# --------------------------------------------------------------------------- section

def section(doc: Document, headline: str | None = None) -> tuple[str | None, str]:
    art = doc.jsonld_article
    if art and art.get("articleSection"):
        name = _first_str(art["articleSection"])
        if name:
            return normalize_text(name), "jsonld:articleSection"
    if doc.meta.get("article:section"):
        return normalize_text(doc.meta["article:section"]), "meta:article:section"
    crumbs = breadcrumb_names(doc, headline)
    if crumbs:
        return crumbs[-1], "breadcrumb"
    return None, "none"


_CRUMB_SEPARATORS = re.compile(r"^[\s»>›/|:\-–—→]*$")
_HOME_PATHS = ("", "/", "/index.php", "/index.html", "/home")


def _is_own_crumb(doc: Document, name: str, url, headline_key: str, last: bool = True) -> bool:
    """A breadcrumb item that is the article itself: its URL folds to the page's own
    (scheme, www., trailing slash, tracking parameters aside), or (the trail's last
    item) its name is the headline or the headline's start, as CMSs cut it."""
    if isinstance(url, str) and url and doc.is_own(url):
        return True
    if headline_key and last:
        key = match_key(name)
        return key == headline_key or (len(key) >= 12 and headline_key.startswith(key.rstrip(". …")))
    return False


def breadcrumb_names(doc: Document, headline: str | None = None) -> list[str]:
    """Breadcrumb trail without home and without the article itself: JSON-LD
    BreadcrumbList, an element named "breadcrumb"/"crumbs", else a short run of links
    before the headline that starts at the home page and is separated by » > / (an
    unnamed trail)."""
    hk = match_key(headline or "")
    for obj in doc.jsonld:
        if "BreadcrumbList" in str(obj.get("@type")):
            names = []
            items = obj.get("itemListElement") or []
            items = sorted((i for i in items if isinstance(i, dict)),
                           key=lambda i: i.get("position") if isinstance(i.get("position"), (int, float)) else 0)
            for index, item in enumerate(items):
                target = item.get("item")
                name = item.get("name") or (target.get("name") if isinstance(target, dict) else None)
                url = target.get("@id") if isinstance(target, dict) else target
                if not isinstance(name, str):
                    continue
                name = normalize_text(name)
                if name.lower() in _HOME_WORDS or (isinstance(url, str) and urlsplit(url).path in ("", "/")):
                    continue
                if _is_own_crumb(doc, name, url, hk, index == len(items) - 1):
                    continue
                names.append(name)
            if names:
                return names
    sc = scan(doc)
    for el in sc.crumbs:
        names = _trail(doc, el, hk)
        if names:
            return names
    h1 = next((el for el, _ in sc.headings), None)
    limit = sc.order.get(h1, 10 ** 9) if h1 is not None else 10 ** 9
    for el in doc.root.iter("div", "nav", "ol", "ul", "p", "span", "td"):
        if sc.order.get(el, 0) > limit:
            break
        if not len(el):
            continue  # no children: no links
        links = list(el.iter("a"))  # el is no <a>: its descendants, as findall(".//a")
        if not 2 <= len(links) <= 5:
            continue
        first = urlsplit(doc.absolute(links[0].get("href") or "")).path
        if first not in _HOME_PATHS and text_of(links[0]).lower() not in _HOME_WORDS:
            continue
        if len(text_of(el)) > 150:
            continue
        gaps = [(a.tail or "") for a in links[:-1]]
        if all(g.strip() and _CRUMB_SEPARATORS.match(g) for g in gaps):
            names = _trail(doc, el, hk)
            if names:
                return names
    return []


def _trail(doc: Document, el, headline_key: str = "") -> list[str]:
    names = []
    links = list(el.iter("a"))
    for i, a in enumerate(links):
        name = text_of(a)
        url = doc.absolute(a.get("href") or "")
        if not name or name.lower() in _HOME_WORDS or urlsplit(url).path in _HOME_PATHS:
            continue
        if _is_own_crumb(doc, name, url, headline_key, i == len(links) - 1):
            continue
        names.append(name)
    return names


# --------------------------------------------------------------------------- related links

_READ_MORE_HEADING = re.compile(r"^(?:আরও|আরো)\s+পড়ুন|^read more|^also read", re.I)


_RELATED_TAGS = ("h2", "h3", "h4", "h5", "h6", "div", "span", "strong", "b", "a", "p", "header", "li")
_RELATED_TAG_SET = frozenset(_RELATED_TAGS)


def _heading_candidates(root) -> list:
    """(element, its text) of the elements that can be a related block's heading, in
    document order: of ``_RELATED_TAGS``, at most two children (``len``: comments
    count), 1 to 60 characters of text (``"".join(el.itertext())``), and holding a খ or
    প (the Bangla headings: খবর, পড়ুন) or an e/E (related, more, you may also like;
    ``re.I`` folds only E to e): ``normalize_text`` creates none of these characters,
    so a text without them cannot match ``_RELATED_HEADING``. One walk computes every
    element's text length from its children's (an ``itertext()`` iterator per element
    cost more than the whole walk). ``Scan`` finds the same list in its own walk
    (``Scan.heading_candidates``); this walks a tree of its own."""
    out: list = []
    _short_texts(root, out)
    return out


def _short_texts(el, out: list) -> str | None:
    """The text of ``el`` (``"".join(itertext())``) when it has at most 60 characters,
    else None; appends the candidates in its subtree, itself included, to ``out`` in
    document order (each element inserted before its descendants' candidates)."""
    slot = len(out)
    joined = _short_children(el, out)
    if joined and el.tag in _RELATED_TAG_SET and len(el) <= 2 and \
            ("খ" in joined or "প" in joined or "e" in joined or "E" in joined):
        out.insert(slot, (el, joined))
    return joined


def _short_children(el, out: list) -> str | None:
    """``_short_texts`` of ``el`` without ``el``'s own candidacy: its text, and its
    descendants' candidates appended to ``out``."""
    text = el.text
    parts = [text] if text else []
    n = len(text) if text else 0
    for child in el:
        ctag = child.tag
        if isinstance(ctag, str):
            if len(child):
                sub = _short_texts(child, out)
            else:  # a leaf, inline: its text is its .text
                sub = child.text or ""
                if len(sub) > 60:
                    sub = None
                elif sub and ctag in _RELATED_TAG_SET and \
                        ("খ" in sub or "প" in sub or "e" in sub or "E" in sub):
                    out.append((child, sub))
            if sub is None:
                n = 61
            elif n <= 60:
                n += len(sub)
                parts.append(sub)
        tail = child.tail
        if tail and n <= 60:
            n += len(tail)
            parts.append(tail)
    if n > 60:
        return None
    return "".join(parts)


# A character normalize_text might remove (its invisible ones) or that might stand for
# another under re.I: anything but ASCII without its invisible controls, the Bangla
# block and ZWNJ/ZWJ (which it keeps).
_MAY_VANISH = re.compile(r"[^\t-\r\x1c-\x7e\u0980-\u09ff\u200c\u200d]")


def _may_be_related_heading(raw: str) -> bool:
    """False only when ``_RELATED_HEADING.match(normalize_text(raw))`` cannot succeed,
    without normalizing (NFC costs ~800 instructions a Bangla character): every
    alternative holds "খবর", "ুন" (পড়ুন) or, in any case, "related", "more" or "you".
    Their characters are letters and vowel signs that NFC neither composes, decomposes
    nor reorders (combining class 0), no other character becomes one under NFC or
    re.I, and whitespace is collapsed, not removed: normalizing can join the pieces of
    an anchor only by removing a character between them, so a text without removable
    characters must hold the anchor as it is."""
    if _MAY_VANISH.search(raw) is not None:
        return True
    if "খবর" in raw or "ুন" in raw:
        return True
    low = raw.lower()
    return "related" in low or "more" in low or "you" in low


def related_block(doc: Document):
    """The related-news block: the container after a heading such as "এই বিভাগের আরো
    খবর", "সম্পর্কিত খবর" or "আরও খবর". An inline "আরও পড়ুন:" label inside the text is a
    read-more line, not a heading; it names a block only as a real heading (h2-h6).
    The block never holds the article text itself."""
    sc = scan(doc)
    container = sc.container()
    body_weight = sc.total.get(container, 0) if container is not None else 0
    fallback = None
    headings: dict = {}  # raw text -> its normalized text when it is a heading, else None
    for el, raw in sc.heading_candidates:
        # (menus repeat their items' texts: an <li> and its one <a> share one)
        text = headings.get(raw, "")
        if text == "":
            text = normalize_text(raw) if _may_be_related_heading(raw) else None
            text = headings[raw] = text if text is not None and _RELATED_HEADING.match(text) else None
        if text is None:
            continue
        if el.tag == "a" and (el.get("href") or "#")[:1] not in ("#", ""):
            continue  # a link *named* "আরও পড়ুন" is a read-more line, not a heading
        read_more = bool(_READ_MORE_HEADING.match(text))
        if read_more and el.tag not in ("h2", "h3", "h4", "h5", "h6"):
            continue
        # Climb until the block holds links other than the heading's own.
        inside = None  # el's subtree (small: at most 60 characters of text, two children)
        block = el
        for _ in range(4):
            block = block.getparent()
            if block is None or block.tag in ("body", "html"):
                break
            if container is not None and (block is container or sc.total.get(block, 0) > 0.5 * body_weight > 0):
                break
            # two links other than the heading's own are enough to know (cheapest tests first)
            links = 0
            for a in block.iter("a"):
                href = a.get("href")
                if not href or href.startswith("#") or a is el:
                    continue
                if inside is None:
                    inside = set(el.iter())  # (el in a.iterancestors(): a in el's subtree)
                if a not in inside and text_of(a):
                    links += 1
                    if links >= 2:
                        break
            if links >= 2:
                if not read_more:
                    return block
                fallback = fallback if fallback is not None else block
                break
    return fallback


_TITLE_BULLETS = " »«>›•·▪■►-–—|"


def link_title(a) -> str:
    """A related link's title: its heading when it has one, else its text without
    timestamps and bullets, else its ``title`` attribute."""
    if not len(a):  # no children: no heading inside, the title is its own text
        t = normalize_text(a.text or "").strip(_TITLE_BULLETS)
        return t or normalize_text(a.get("title") or "")
    for h in a.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        t = text_of(h)
        if t:
            return t
    parts: list[str] = []
    _collect_title(a, parts)
    t = normalize_text("".join(parts)).strip(_TITLE_BULLETS)
    return t or normalize_text(a.get("title") or "")


def _collect_title(el, parts):
    text = el.text
    if text:
        parts.append(text)
    for child in el:
        if isinstance(child.tag, str) and child.tag not in NOISE_TAGS and child.tag != "time" \
                and not _META_ATTR.search(child.get("class") or ""):
            _collect_title(child, parts)
        tail = child.tail
        if tail:
            parts.append(tail)


_PREVNEXT_SEEN: dict[str, bool] = {}


def _prevnext(attr: str) -> bool:
    """``_PREVNEXT_ATTR`` matches the class+rel string (cached: the links of a list
    share their ancestors' classes)."""
    hit = _PREVNEXT_SEEN.get(attr)
    if hit is None:
        if len(_PREVNEXT_SEEN) >= 100_000:
            _PREVNEXT_SEEN.clear()
        hit = _PREVNEXT_SEEN[attr] = _PREVNEXT_ATTR.search(attr) is not None
    return hit


def related_links(doc: Document, block) -> list[dict]:
    out, seen = [], set()
    around: dict = {}  # ancestor -> _prevnext of it: the links of a list share them
    for a in block.iter("a"):
        href = a.get("href") or ""
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        # (an element without class and rel tests " ", which the pattern never matches)
        cls, rel = a.get("class"), a.get("rel")
        if (cls is not None or rel is not None) and _prevnext(f"{cls or ''} {rel or ''}"):
            continue
        hit = False
        n = a
        for _ in range(3):
            n = n.getparent()
            if n is None:
                break
            hit = around.get(n)
            if hit is None:
                cls, rel = n.get("class"), n.get("rel")
                hit = around[n] = (cls is not None or rel is not None) and _prevnext(f"{cls or ''} {rel or ''}")
            if hit:
                break
        if hit:
            continue
        url = doc.absolute(href)
        if "#" in url:
            url = url.split("#")[0]
        if url in seen:
            continue  # (before the title: a teaser's image and headline link the same URL)
        title = link_title(a)
        if not title or _RELATED_HEADING.match(title):
            continue
        if doc.is_own(url):
            continue
        seen.add(url)
        out.append({"url": url, "title": title})
    return out


# --------------------------------------------------------------------------- images, tags

def images(doc: Document, container=None) -> list[dict]:
    out, seen = [], set()

    def add(src, caption):
        if not src or src.startswith("data:"):
            return
        url = doc.absolute(src)
        if url in seen:
            return
        seen.add(url)
        out.append({"url": url, "caption": normalize_text(caption or "") or None})

    scope = container.getparent() if container is not None and container.getparent() is not None else doc.root
    for fig in scope.iter("figure"):
        img = next(fig.iter("img"), None)  # fig.find(".//img"): a <figure> is no <img>
        cap = next(fig.iter("figcaption"), None)
        if img is not None:
            add(img.get("src") or img.get("data-src"), text_of(cap) if cap is not None else img.get("alt"))
    if doc.meta.get("og:image") and not out:
        add(doc.meta["og:image"], None)
    return out


# "more news", "all news": a link to the section's index, not a tag
_MORE_LINK = re.compile(r"^(?:আরও|আরো|সব|সকল)\s+(?:সংবাদ|খবর|নিউজ)|^(?:more|all)\s+(?:news|stories)|^(?:আরও|আরো|more)\b",
                        re.I)


def _not_a_tag(a) -> bool:
    """A link of a tag box that is not a tag: "আরও সংবাদ"/"আরও খবর" (more news), a
    category link (WordPress ``rel="category tag"``)."""
    if "category" in (a.get("rel") or "").split():
        return True
    return bool(_MORE_LINK.match(text_of(a).strip(_TITLE_BULLETS + " ")))


def tags(doc: Document) -> list[str]:
    """Visible tag links first (what the page shows), then ``article:tag``, JSON-LD
    ``keywords`` and ``news_keywords`` (the site-wide ``keywords`` meta is SEO noise)."""
    found: list[str] = []
    sc = scan(doc)
    for el in sc.tag_boxes:
        if el.tag in ("body", "html", "article", "main") or sc.total.get(el, 0) >= 200:
            continue
        links = [a for a in el.iter("a") if a.get("href") and not _not_a_tag(a)]
        tagged = [a for a in links if _TAG_HREF.search(a.get("href") or "")]
        if tagged and len(tagged) * 2 >= len(links):
            links = tagged  # the box's other links (a section index) are no tags
        if links:
            found = [text_of(a) for a in links]
            break
    if not found:
        found = [text_of(a) for a in doc.root.iter("a")
                 if "tag" in (rel := (a.get("rel") or "").split()) and "category" not in rel and not _not_a_tag(a)]
    if not found:
        for key in ("article:tag", "news_keywords"):
            for value in doc.meta_all.get(key, ()):
                found.extend(re.split(r"\s*[,،]\s*", value))
            if found:
                break
    art = doc.jsonld_article
    if not found and art and art.get("keywords"):
        kw = art["keywords"]
        found.extend(kw if isinstance(kw, list) else re.split(r"\s*,\s*", str(kw)))
    out, seen = [], set()
    for t in found:
        t = normalize_text(str(t)).strip(" #,")
        if t and (key := match_key(t)) not in seen and len(t) < 80 and not t.endswith(":"):
            seen.add(key)
            out.append(t)
    return out


__all__ = [
    "text_of", "is_noise", "looks_like_article", "headline", "body_container",
    "body_paragraphs_from", "dedupe_paragraphs", "body_from_jsonld", "byline",
    "machine_dates", "visible_date_texts", "section", "breadcrumb_names",
    "related_block", "related_links", "images", "tags", "is_hidden", "text_lines", "byline_text",
    "byline_facets", "page_zone", "teaser_blocks",
]
