"""What every news page carries: JSON-LD, OpenGraph, ``<article>``, ``<time>``, text density.

One function per field, each taking the shared ``Document`` and returning
``(value, source)`` — the source names where the value came from ("jsonld",
"meta:og:title", "h1", "density", ...) so a wrong field can be traced. Site profiles
(``profiles/``) try their own selectors first and fall back to these.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newsspider.bangla import match_key, normalize_text
from newsspider.parse.document import NOISE_TAGS, Document

# --------------------------------------------------------------------------- helpers

_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[।!?.:;\"”’)\]|]\s*$")

# class/id words of containers that never hold article text
_NOISE_ATTR = re.compile(
    r"(?:^|[\s_-])(?:ads?|advert\w*|adsbygoogle|banner|sponsor\w*|share\w*|sharing|social\w*|"
    r"related\w*|more-news|also-read|read-also|tags?|tag-?list|post-?navigation|nav-links|"
    r"next-prev|prev-next|comments?|respond|subscri\w*|newsletter|breadcrumbs?|author-?box|"
    r"print|caption|wp-caption-text|sidebar|widget|popular|most-read|fb-\w+|addtoany|"
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
    """Visible text of an element (noise tags skipped), whitespace collapsed."""
    parts: list[str] = []
    _collect_text(el, parts)
    return normalize_text("".join(parts))


def _collect_text(el, parts: list[str]) -> None:
    if el.text and not _is_noise_tag(el):
        parts.append(el.text)
    for child in el:
        if not _is_noise_tag(child):
            if child.tag == "br":
                parts.append(" ")
            else:
                _collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def _is_noise_tag(el) -> bool:
    tag = el.tag
    return not isinstance(tag, str) or tag in NOISE_TAGS


_NOISE_ELEMENTS = ("figure", "figcaption", "aside", "nav", "footer", "header")


def is_noise(el) -> bool:
    """A boilerplate element: ads, share bars, related lists, captions, comments ..."""
    if _is_noise_tag(el) or el.tag in _NOISE_ELEMENTS:
        return True
    attr = f"{el.get('class') or ''} {el.get('id') or ''}"
    if attr.strip() and _NOISE_ATTR.search(attr):
        return True
    style = el.get("style") or ""
    return "display:none" in style.replace(" ", "")


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
    its subtree (noise skipped), document order, and the candidate elements for each
    field (headings, dates, authors, breadcrumbs, tag lists). Built once per document."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.total: dict = {}
        self.order: dict = {}
        self.headings: list = []     # (el, in_noise)
        self.times: list = []
        self.dated: list = []        # elements whose class/id speaks of a date
        self.authors: list = []
        self.crumbs: list = []
        self.tag_boxes: list = []
        self.heading_links = 0
        # class+id string -> (noise, date, author, crumb, tags): pages repeat a few class
        # strings on hundreds of elements, each test is a regex search
        self._attr_flags: dict[str, tuple] = {}
        body = doc.root.find("body")
        self.body = body if body is not None else doc.root
        self._walk(self.body, False)

    def _flags(self, attr: str) -> tuple:
        flags = self._attr_flags.get(attr)
        if flags is None:
            flags = self._attr_flags[attr] = (
                bool(attr.strip() and _NOISE_ATTR.search(attr)), bool(_DATE_ATTR.search(attr)),
                bool(_AUTHOR_ATTR.search(attr)), "crumb" in attr.lower(), bool(_TAGS_ATTR.search(attr)))
        return flags

    def _walk(self, el, in_noise: bool) -> int:
        order = self.order
        order[el] = len(order)
        tag = el.tag
        attr = f"{el.get('class') or ''} {el.get('id') or ''}"
        has_attr = len(attr) > 1
        flags = self._flags(attr) if has_attr else None
        # is_noise(el), with the class/id test from the cache
        noise = in_noise or _is_noise_tag(el) or tag in _NOISE_ELEMENTS or (flags is not None and flags[0]) \
            or "display:none" in (el.get("style") or "").replace(" ", "")
        if tag in ("h1", "h2", "h3"):
            self.headings.append((el, noise))
        elif tag == "time":
            self.times.append(el)
        if flags is not None:
            if flags[1]:
                self.dated.append(el)
            if flags[2]:
                self.authors.append(el)
            if flags[3] or el.get("aria-label") == "breadcrumb":
                self.crumbs.append(el)
            if flags[4]:
                self.tag_boxes.append(el)
        if tag == "p":
            weight = 0 if noise else _para_weight(el)
            self.total[el] = weight
            for child in el:  # bylines and dates hide in <p> too; no weight below
                if isinstance(child.tag, str) and child.tag not in NOISE_TAGS:
                    self._walk_meta(child)
            return weight
        if tag == "a":
            for child in el.iter("h2", "h3", "h4"):
                self.heading_links += not noise
                break
        total = 0
        own = len((el.text or "").strip()) if tag not in ("a",) else 0
        for child in el:
            ctag = child.tag
            if isinstance(ctag, str) and ctag not in NOISE_TAGS:
                total += self._walk(child, noise)
            if child.tail and ctag != "a":
                own += len(child.tail.strip())
        if not noise and own >= 25 and tag not in ("a", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"):
            total += own
        self.total[el] = total
        return total

    def _walk_meta(self, el) -> None:
        for sub in el.iter():
            if not isinstance(sub.tag, str):
                continue
            self.order.setdefault(sub, len(self.order))
            attr = f"{sub.get('class') or ''} {sub.get('id') or ''}"
            if sub.tag == "time":
                self.times.append(sub)
            if len(attr) > 1:
                flags = self._flags(attr)
                if flags[1]:
                    self.dated.append(sub)
                if flags[2]:
                    self.authors.append(sub)

    def container(self):
        """The smallest element holding most (70 %) of the page's paragraph text."""
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


def _para_weight(p) -> int:
    text = 0
    links = 0
    for t in p.itertext():
        text += len(t.strip())
    if text < 20:
        return 0
    for a in p.iter("a"):
        for t in a.itertext():
            links += len(t.strip())
    if links > 0.5 * text:
        return 0
    return text - links


def scan(doc: Document) -> Scan:
    s = doc.__dict__.get("_scan")
    if s is None:
        s = doc.__dict__["_scan"] = Scan(doc)
    return s


# --------------------------------------------------------------------------- is it an article?

def looks_like_article(doc: Document) -> tuple[bool, str]:
    """Article pages announce themselves (JSON-LD type, og:type, article:* meta);
    listing URLs (category, tag, search, author, home) do not hold one; otherwise a page
    with a headline and a dense block of paragraphs that is not a list of teasers is."""
    if doc.jsonld_article is not None:
        return True, "jsonld"
    og_type = doc.meta.get("og:type", "").lower()
    if og_type == "article" or "article:published_time" in doc.meta:
        return True, "meta:og:type"
    parts = urlsplit(doc.canonical_url or doc.url)
    if parts.scheme in ("http", "https"):
        path, query = parts.path or "/", parts.query
        if (_LISTING_PATH.search(path) and "id=" not in query) or re.search(r"(?:^|&)(?:s|q|search)=", query):
            return False, "url"
    sc = scan(doc)
    container = sc.container()
    if container is None:
        return False, "density"
    weight = sc.total.get(container, 0)
    if _teaser_share(sc, container) >= 0.5:
        return False, "listing"
    paras = sum(1 for p in container.iter("p") if sc.total.get(p, 0) >= 20) or weight // 200
    if weight >= 400 or (weight >= 200 and paras >= 2):
        return True, "density"
    return False, "density"


def _teaser_share(sc: Scan, container) -> float:
    """Share of the container's paragraph text that sits in teaser cards: a paragraph
    whose parent or grandparent also holds a linked heading (a listing page's excerpts)."""
    total = sc.total.get(container, 0)
    if not total:
        return 0.0
    teaser = 0
    cards: dict = {}
    for p in container.iter("p"):
        w = sc.total.get(p, 0)
        if not w:
            continue
        for card in (p.getparent(), p.getparent().getparent() if p.getparent() is not None else None):
            if card is None or card is container:
                break
            has = cards.get(card)
            if has is None:
                has = cards[card] = any(h.find(".//a") is not None or any(x.tag == "a" for x in h.iterancestors())
                                        for h in card.iter("h2", "h3", "h4", "h5"))
            if has:
                teaser += w
                break
    return teaser / total


# --------------------------------------------------------------------------- headline

_SITE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:»«/]|::)\s+")


def headline(doc: Document) -> tuple[str | None, str]:
    ld = normalize_text(_first_str(doc.jsonld_article.get("headline")) or "") if doc.jsonld_article else ""
    og = normalize_text(doc.meta.get("og:title") or doc.meta.get("twitter:title") or "")
    title_el = doc.root.find(".//title")
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
    for el in doc.root.iter():
        if isinstance(el.tag, str) and el.get("itemprop") == "articleBody" and sc.total.get(el, 0) >= 100:
            return el, "itemprop"
    best = sc.container()
    if best is None:
        for el in doc.root.iter("article"):
            return el, "article"
        return None, "none"
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


def body_paragraphs_from(container, *, skip=None, keys: dict | None = None) -> list[str]:
    """Paragraphs of a container in page order: block elements and ``<br><br>``
    separate paragraphs; a single ``<br>`` after a sentence end starts a new one, a
    single ``<br>`` mid-sentence is joined with a space. Noise elements are skipped;
    boilerplate lines, link lists and repeated renderings are dropped."""
    lines: list[list] = [[]]
    _walk(container, lines, skip or (lambda el: False))
    paras = []
    for parts in lines:
        paras.extend(_split_on_breaks(parts))
    return dedupe_paragraphs([p for p in paras if p and not _BOILERPLATE_LINE.match(p)], keys)


_BR = object()


def _walk(el, lines: list[list], skip) -> None:
    if el.text:
        lines[-1].append(el.text)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in NOISE_TAGS:
            pass
        elif tag == "br":
            lines[-1].append(_BR)
        elif is_noise(child) or skip(child):
            if tag in _BLOCK_TAGS or tag in ("figure", "aside", "nav"):
                lines.append([])
        elif tag in _BLOCK_TAGS:
            if _link_dense(child):
                lines.append([])
            else:
                lines.append([])
                _walk(child, lines, skip)
                lines.append([])
        else:
            _walk(child, lines, skip)
        if child.tail:
            lines[-1].append(child.tail)


def _link_dense(el) -> bool:
    """A block that is mostly links (a list of headlines, a tag cloud)."""
    if el.tag not in ("ul", "ol", "div", "section", "table", "p", "li"):
        return False
    total = len(text_of(el))
    if total == 0:
        return False
    linked = sum(len(text_of(a)) for a in el.iter("a"))
    return linked > 0.6 * total and (el.tag != "p" or total < 300)


def _split_on_breaks(parts: list) -> list[str]:
    out: list[str] = []
    current = ""
    pending_breaks = 0
    for part in parts:
        if part is _BR:
            pending_breaks += 1
            continue
        text = _WS.sub(" ", part)
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


def dedupe_paragraphs(paras: list[str], keys_out: dict | None = None) -> list[str]:
    """Each paragraph once: drops exact repeats (by match key), repeats of text already
    kept (a teaser rendered again, split differently), and paragraphs that are the
    concatenation of paragraphs already kept."""
    kept: list[str] = []
    keys: list[str] = []
    seen: set[str] = set()
    joined = ""
    for p in paras:
        k = match_key(p)
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
    return dedupe_paragraphs([normalize_text(p) for p in re.split(r"\n\s*\n|\r?\n", text) if p.strip()])


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
    art = doc.jsonld_article
    if art and art.get("author"):
        name = _author_name(art["author"])
        if name:
            return name, "jsonld"
    for key in ("author", "article:author", "dc.creator", "byl"):
        value = doc.meta.get(key)
        if value and not value.startswith("http") and len(value) < 100:
            return clean_byline(value), f"meta:{key}"
    sc = scan(doc)
    for el in sc.authors:
        if el.tag in ("img", "body", "article", "main") or sc.total.get(el, 0) > 200:
            continue
        # an author link inside the box is the name without its label
        link = next((a for a in el.iter("a") if text_of(a) and ("author" in (a.get("href") or "")
                                                               or a.get("rel") == "author")), None)
        name = clean_byline(text_of(link if link is not None else el))
        if 2 <= len(name) < 80 and not _DATE_HINT.search(name):
            return name, "class:author"
    return None, "none"


# --------------------------------------------------------------------------- dates

_UPDATE_WORDS = re.compile(r"আপডেট|হালনাগাদ|সর্বশেষ|পরিবর্তি|update|modified|edited", re.I)


def machine_dates(doc: Document) -> dict[str, tuple[str, str]]:
    """Raw machine-readable dates: {"published"|"updated": (raw, source)}."""
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
    if "published" not in found or "updated" not in found:
        for t in scan(doc).times:
            value = t.get("datetime")
            if not value:
                continue
            context = f"{t.get('class') or ''} {t.get('itemprop') or ''}"
            parent = t.getparent()
            if parent is not None:
                context += " " + (parent.text or "") + " " + (parent.get("class") or "")
            field = "updated" if _UPDATE_WORDS.search(context) else "published"
            found.setdefault(field, (value, "time[datetime]"))
    return found


_DATE_ATTR = re.compile(r"date|time|publish|posted|meta|updated|info", re.I)
_DATE_HINT = re.compile(
    r"প্রকাশ|আপডেট|হালনাগাদ|জানুয়া|ফেব্রুয়া|মার্চ|এপ্রিল|মে|জুন|জুলাই|আগস্ট|আগষ্ট|সেপ্টে|অক্টো|নভে|ডিসে|"
    r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|[০-৯]{4}|\d{4}"
)
_PUBLISH_WORDS = re.compile(r"প্রকাশ|আপডেট|হালনাগাদ|published|posted|updated", re.I)
_CLOCK = re.compile(r"[0-9০-৯]{1,2}\s*[:：ঃ]\s*[0-9০-৯]{2}")


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


# --------------------------------------------------------------------------- section

def section(doc: Document) -> tuple[str | None, str]:
    art = doc.jsonld_article
    if art and art.get("articleSection"):
        name = _first_str(art["articleSection"])
        if name:
            return normalize_text(name), "jsonld:articleSection"
    if doc.meta.get("article:section"):
        return normalize_text(doc.meta["article:section"]), "meta:article:section"
    crumbs = breadcrumb_names(doc)
    if crumbs:
        return crumbs[-1], "breadcrumb"
    return None, "none"


_CRUMB_SEPARATORS = re.compile(r"^[\s»>›/|:\-–—→]*$")
_HOME_PATHS = ("", "/", "/index.php", "/index.html", "/home")


def breadcrumb_names(doc: Document) -> list[str]:
    """Breadcrumb trail without home and without the article itself: JSON-LD
    BreadcrumbList, an element named "breadcrumb"/"crumbs", else a short run of links
    before the headline that starts at the home page and is separated by » > / (an
    unnamed trail)."""
    own = {match_key(doc.canonical_url), match_key(doc.url)}
    for obj in doc.jsonld:
        if "BreadcrumbList" in str(obj.get("@type")):
            names = []
            items = obj.get("itemListElement") or []
            items = sorted((i for i in items if isinstance(i, dict)),
                           key=lambda i: i.get("position") if isinstance(i.get("position"), (int, float)) else 0)
            for item in items:
                target = item.get("item")
                name = item.get("name") or (target.get("name") if isinstance(target, dict) else None)
                url = target.get("@id") if isinstance(target, dict) else target
                if not isinstance(name, str):
                    continue
                name = normalize_text(name)
                if name.lower() in _HOME_WORDS or (isinstance(url, str) and urlsplit(url).path in ("", "/")):
                    continue
                if isinstance(url, str) and match_key(url) in own:
                    continue
                names.append(name)
            if names:
                return names
    sc = scan(doc)
    for el in sc.crumbs:
        names = _trail(doc, el)
        if names:
            return names
    h1 = next((el for el, _ in sc.headings), None)
    limit = sc.order.get(h1, 10 ** 9) if h1 is not None else 10 ** 9
    for el in doc.root.iter("div", "nav", "ol", "ul", "p", "span", "td"):
        if sc.order.get(el, 0) > limit:
            break
        links = el.findall(".//a")
        if not 2 <= len(links) <= 5:
            continue
        first = urlsplit(doc.absolute(links[0].get("href") or "")).path
        if first not in _HOME_PATHS and text_of(links[0]).lower() not in _HOME_WORDS:
            continue
        if len(text_of(el)) > 150:
            continue
        gaps = [(a.tail or "") for a in links[:-1]]
        if all(g.strip() and _CRUMB_SEPARATORS.match(g) for g in gaps):
            names = _trail(doc, el)
            if names:
                return names
    return []


def _trail(doc: Document, el) -> list[str]:
    names = []
    mine = (doc.canonical_url.rstrip("/"), doc.url.rstrip("/"))
    for a in el.iter("a"):
        name = text_of(a)
        url = doc.absolute(a.get("href") or "")
        if not name or name.lower() in _HOME_WORDS or urlsplit(url).path in _HOME_PATHS:
            continue
        if url.rstrip("/") in mine:
            continue
        names.append(name)
    return names


# --------------------------------------------------------------------------- related links

_READ_MORE_HEADING = re.compile(r"^(?:আরও|আরো)\s+পড়ুন|^read more|^also read", re.I)


def related_block(doc: Document):
    """The related-news block: the container after a heading such as "এই বিভাগের আরো
    খবর", "সম্পর্কিত খবর" or "আরও খবর". An inline "আরও পড়ুন:" label inside the text is a
    read-more line, not a heading; it names a block only as a real heading (h2-h6).
    The block never holds the article text itself."""
    sc = scan(doc)
    container = sc.container()
    body_weight = sc.total.get(container, 0) if container is not None else 0
    fallback = None
    for el in doc.root.iter("h2", "h3", "h4", "h5", "h6", "div", "span", "strong", "b", "a", "p", "header", "li"):
        if len(el) > 2:
            continue
        text = "".join(el.itertext())
        if not text or len(text) > 60:
            continue
        text = normalize_text(text)
        if not _RELATED_HEADING.match(text):
            continue
        if el.tag == "a" and (el.get("href") or "#")[:1] not in ("#", ""):
            continue  # a link *named* "আরও পড়ুন" is a read-more line, not a heading
        read_more = bool(_READ_MORE_HEADING.match(text))
        if read_more and el.tag not in ("h2", "h3", "h4", "h5", "h6"):
            continue
        # Climb until the block holds links other than the heading's own.
        block = el
        for _ in range(4):
            block = block.getparent()
            if block is None or block.tag in ("body", "html"):
                break
            if container is not None and (block is container or sc.total.get(block, 0) > 0.5 * body_weight > 0):
                break
            links = [a for a in block.iter("a") if a is not el and el not in a.iterancestors()
                     and a.get("href") and not (a.get("href") or "").startswith("#") and text_of(a)]
            if len(links) >= 2:
                if not read_more:
                    return block
                fallback = fallback if fallback is not None else block
                break
    return fallback


_TITLE_BULLETS = " »«>›•·▪■►-–—|"


def link_title(a) -> str:
    """A related link's title: its heading when it has one, else its text without
    timestamps and bullets, else its ``title`` attribute."""
    for h in a.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        t = text_of(h)
        if t:
            return t
    parts: list[str] = []
    _collect_title(a, parts)
    t = normalize_text("".join(parts)).strip(_TITLE_BULLETS)
    return t or normalize_text(a.get("title") or "")


def _collect_title(el, parts):
    if el.text:
        parts.append(el.text)
    for child in el:
        if isinstance(child.tag, str) and child.tag not in NOISE_TAGS and child.tag != "time" \
                and not _META_ATTR.search(child.get("class") or ""):
            _collect_title(child, parts)
        if child.tail:
            parts.append(child.tail)


def related_links(doc: Document, block) -> list[dict]:
    out, seen = [], set()
    own = {doc.canonical_url.rstrip("/"), doc.url.rstrip("/")}
    for a in block.iter("a"):
        href = a.get("href") or ""
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        if any(_PREVNEXT_ATTR.search(f"{n.get('class') or ''} {n.get('rel') or ''}")
               for n in [a, *list(a.iterancestors())[:3]]):
            continue
        title = link_title(a)
        if not title or _RELATED_HEADING.match(title):
            continue
        url = doc.absolute(href).split("#")[0]
        if url.rstrip("/") in own or url in seen:
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
        img = fig.find(".//img")
        cap = fig.find(".//figcaption")
        if img is not None:
            add(img.get("src") or img.get("data-src"), text_of(cap) if cap is not None else img.get("alt"))
    if doc.meta.get("og:image") and not out:
        add(doc.meta["og:image"], None)
    return out


def tags(doc: Document) -> list[str]:
    """Visible tag links first (what the page shows), then ``article:tag``, JSON-LD
    ``keywords`` and ``news_keywords`` (the site-wide ``keywords`` meta is SEO noise)."""
    found: list[str] = []
    sc = scan(doc)
    for el in sc.tag_boxes:
        if el.tag in ("body", "html", "article", "main") or sc.total.get(el, 0) >= 200:
            continue
        links = [a for a in el.iter("a") if a.get("href")]
        if links:
            found = [text_of(a) for a in links]
            break
    if not found:
        found = [text_of(a) for a in doc.root.iter("a") if "tag" in (a.get("rel") or "").split()]
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
        if t and match_key(t) not in seen and len(t) < 80 and not t.endswith(":"):
            seen.add(match_key(t))
            out.append(t)
    return out


__all__ = [
    "text_of", "is_noise", "looks_like_article", "headline", "body_container",
    "body_paragraphs_from", "dedupe_paragraphs", "body_from_jsonld", "byline",
    "machine_dates", "visible_date_texts", "section", "breadcrumb_names",
    "related_block", "related_links", "images", "tags",
]
