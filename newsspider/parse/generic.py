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
_SITE_SUFFIX = re.compile(r"\s+[|\-–—]\s+[^|\-–—]{2,60}$")

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


def is_noise(el) -> bool:
    """A boilerplate element: ads, share bars, related lists, captions, comments ..."""
    if _is_noise_tag(el) or el.tag in ("figure", "figcaption", "aside", "nav", "footer", "header"):
        return True
    attr = f"{el.get('class') or ''} {el.get('id') or ''}"
    if attr.strip() and _NOISE_ATTR.search(attr):
        return True
    style = el.get("style") or ""
    return "display:none" in style.replace(" ", "")


def strip_site_suffix(title: str) -> str:
    stripped = _SITE_SUFFIX.sub("", title)
    return stripped if len(stripped) >= 8 else title


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


# --------------------------------------------------------------------------- is it an article?

def looks_like_article(doc: Document) -> tuple[bool, str]:
    """Article pages announce themselves (JSON-LD type, og:type, article:* meta);
    otherwise a page with one <h1> and a dense block of paragraphs is taken as one."""
    if doc.jsonld_article is not None:
        return True, "jsonld"
    og_type = doc.meta.get("og:type", "").lower()
    if og_type == "article" or "article:published_time" in doc.meta:
        return True, "meta:og:type"
    if og_type in ("website", "profile", "blog"):
        return False, "meta:og:type"
    container, _ = body_container(doc)
    if container is not None and len(doc.root.xpath("//h1")) >= 1:
        paras = body_paragraphs_from(container)
        if sum(len(p) for p in paras) >= 400 and len(paras) >= 2:
            return True, "density"
    return False, "density"


# --------------------------------------------------------------------------- headline

def headline(doc: Document) -> tuple[str | None, str]:
    ld = normalize_text(_first_str(doc.jsonld_article.get("headline")) or "") if doc.jsonld_article else ""
    og = normalize_text(doc.meta.get("og:title") or doc.meta.get("twitter:title") or "")
    og = strip_site_suffix(og) if og else ""
    known = [k for k in (match_key(ld), match_key(og)) if k]
    h1s = [normalize_text(text_of(h)) for h in doc.root.iter("h1")]
    h1s = [h for h in h1s if h and len(h) < 400]
    # The visible <h1> wins when it agrees with the metadata (JSON-LD headlines are
    # often truncated by CMS plugins); a logo <h1> does not agree and is skipped.
    for h in h1s:
        hk = match_key(h)
        if any(hk.startswith(k) or k.startswith(hk) or k in hk for k in known):
            return h, "h1"
    if ld and og:
        return (ld, "jsonld") if len(ld) >= len(og) else (og, "meta:og:title")
    if ld:
        return ld, "jsonld"
    if og:
        return og, "meta:og:title"
    if h1s:
        return h1s[0], "h1"
    title = doc.root.find(".//title")
    if title is not None and title.text:
        return strip_site_suffix(normalize_text(title.text)), "title"
    return None, "none"


# --------------------------------------------------------------------------- body

_BODY_CLASSES = re.compile(
    r"(?:^|\s)(?:entry-content|td-post-content|post-content|article-content|article-body|"
    r"articleBody|story-body|story-content|news-details|news-content|content-details|"
    r"details-content|post-body|single-content|the-content|jeg_post_content|"
    r"article__body|article-text|news-body|description)(?:$|\s)",
    re.I,
)


def body_container(doc: Document):
    """The element holding the article text: ``itemprop=articleBody``, a known body
    class, else the element whose direct paragraphs carry the most text with the
    fewest links (text density)."""
    for el in doc.root.iter():
        if isinstance(el.tag, str) and el.get("itemprop") == "articleBody":
            return el, "itemprop"
    scores: dict = {}
    for p in doc.root.iter("p", "br"):
        parent = p.getparent()
        if parent is None or _inside_noise(parent):
            continue
        if p.tag == "p":
            length = len(text_of(p))
            links = sum(len(text_of(a)) for a in p.iter("a"))
            if length < 25 or links > 0.5 * length:
                continue
            weight = length - links
        else:
            weight = len((p.tail or "").strip())
            if weight < 25:
                continue
        scores[parent] = scores.get(parent, 0) + weight
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + weight * 0.3
    if not scores:
        for el in doc.root.iter("article"):
            return el, "article"
        return None, "none"
    best = max(scores, key=scores.get)
    # A known body class around the winner is the same container, named: take it.
    for anc in [best, *best.iterancestors()]:
        if _BODY_CLASSES.search(anc.get("class") or ""):
            if scores.get(anc, 0) >= 0.6 * scores[best] or anc is best:
                return anc, "class"
            break
    return best, "density"


def _inside_noise(el) -> bool:
    for node in [el, *el.iterancestors()]:
        if node.tag in ("body", "html"):
            return False
        if is_noise(node):
            return True
    return False


_BLOCK_TAGS = frozenset(
    "p div section article blockquote h1 h2 h3 h4 h5 h6 ul ol li dl dt dd table tr td th "
    "pre main header footer address hr center".split()
)


def body_paragraphs_from(container, *, skip=None) -> list[str]:
    """Paragraphs of a container in page order: block elements and ``<br><br>``
    separate paragraphs; a single ``<br>`` after a sentence end starts a new one, a
    single ``<br>`` mid-sentence is joined with a space. Noise elements are skipped;
    boilerplate lines, link lists and repeated renderings are dropped."""
    lines: list[list] = [[]]
    _walk(container, lines, skip or (lambda el: False))
    paras = []
    for parts in lines:
        paras.extend(_split_on_breaks(parts))
    return dedupe_paragraphs([p for p in paras if p and not _BOILERPLATE_LINE.match(p)])


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


def dedupe_paragraphs(paras: list[str]) -> list[str]:
    """Each paragraph once: drops exact repeats (by match key), repeats of text already
    kept (a teaser rendered again, split differently), and paragraphs that are the
    concatenation of paragraphs already kept."""
    kept: list[str] = []
    keys: list[str] = []
    seen: set[str] = set()
    joined = ""
    for p in paras:
        k = match_key(p)
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

_AUTHOR_ATTR = re.compile(r"(?:^|[\s_-])(?:author(?:-name)?|byline|reporter|writer|vcard|fn)(?:$|[\s_-])", re.I)


def byline(doc: Document) -> tuple[str | None, str]:
    art = doc.jsonld_article
    if art and art.get("author"):
        name = _first_str(art["author"])
        if name and not name.startswith("http"):
            return normalize_text(name), "jsonld"
    if doc.meta.get("author"):
        return normalize_text(doc.meta["author"]), "meta:author"
    for el in doc.root.xpath("//*[@rel='author' or @itemprop='author']"):
        name = el.get("content") or text_of(el)
        if name and len(name) < 80:
            return normalize_text(name), "rel:author"
    for el in doc.root.iter():
        if isinstance(el.tag, str) and _AUTHOR_ATTR.search(f"{el.get('class') or ''}"):
            name = text_of(el)
            if 2 <= len(name) < 80:
                return name, "class:author"
    return None, "none"


# --------------------------------------------------------------------------- dates

def machine_dates(doc: Document) -> dict[str, tuple[str, str]]:
    """Raw machine-readable dates: {"published"|"updated": (raw, source)}."""
    found: dict[str, tuple[str, str]] = {}
    art = doc.jsonld_article
    if art:
        for key, field in (("datePublished", "published"), ("dateModified", "updated")):
            value = _first_str(art.get(key))
            if value:
                found.setdefault(field, (value, f"jsonld:{key}"))
    for key, field in (("article:published_time", "published"), ("og:published_time", "published"),
                       ("datepublished", "published"), ("pubdate", "published"),
                       ("article:modified_time", "updated"), ("og:updated_time", "updated"),
                       ("datemodified", "updated")):
        if key in doc.meta:
            found.setdefault(field, (doc.meta[key], f"meta:{key}"))
    if "published" not in found:
        for t in doc.root.iter("time"):
            if t.get("datetime"):
                found["published"] = (t.get("datetime"), "time[datetime]")
                break
    return found


_DATE_ATTR = re.compile(r"date|time|publish|posted|meta|updated", re.I)
_DATE_HINT = re.compile(
    r"প্রকাশ|আপডেট|হালনাগাদ|জানুয়া|ফেব্রুয়া|মার্চ|এপ্রিল|মে|জুন|জুলাই|আগস্ট|আগষ্ট|সেপ্টে|অক্টো|নভে|ডিসে|"
    r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|[০-৯]{4}|\d{4}"
)


def visible_date_texts(doc: Document, limit: int = 12) -> list[tuple[str, str]]:
    """Short texts of elements whose class or id speaks of a date, in page order."""
    out = []
    for el in doc.root.iter():
        if not isinstance(el.tag, str) or el.tag in NOISE_TAGS:
            continue
        attr = f"{el.get('class') or ''} {el.get('id') or ''}"
        if attr.strip() and _DATE_ATTR.search(attr):
            text = text_of(el)
            if 6 <= len(text) <= 160 and _DATE_HINT.search(text):
                out.append((text, f"visible:{el.tag}.{(el.get('class') or '').split(' ')[0]}"))
                if len(out) >= limit:
                    break
    return out


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


def breadcrumb_names(doc: Document) -> list[str]:
    """Breadcrumb trail without home and without the article itself."""
    own = {match_key(doc.canonical_url), match_key(doc.url)}
    for obj in doc.jsonld:
        if "BreadcrumbList" in str(obj.get("@type")):
            names = []
            items = obj.get("itemListElement") or []
            items = sorted((i for i in items if isinstance(i, dict)), key=lambda i: i.get("position") or 0)
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
    for el in doc.root.xpath("//*[contains(@class,'breadcrumb') or @aria-label='breadcrumb']"):
        names = []
        for a in el.iter("a"):
            name = text_of(a)
            href = a.get("href") or ""
            if not name or name.lower() in _HOME_WORDS or urlsplit(doc.absolute(href)).path in ("", "/"):
                continue
            names.append(name)
        if names:
            return names
    return []


# --------------------------------------------------------------------------- related links

def related_block(doc: Document):
    """The related-news block: the container after a heading such as "আরও খবর"."""
    for el in doc.root.iter("h2", "h3", "h4", "h5", "h6", "div", "span", "strong", "a", "p"):
        text = (el.text_content() or "").strip() if len(el) <= 2 else ""
        if not text or len(text) > 40 or not _RELATED_HEADING.match(normalize_text(text)):
            continue
        # Climb until the block holds links other than the heading's own.
        block = el
        for _ in range(4):
            block = block.getparent()
            if block is None:
                break
            links = [a for a in block.iter("a") if a is not el and el not in a.iterancestors()
                     and a.get("href") and text_of(a)]
            if len(links) >= 2:
                return block
    return None


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
        title = text_of(a) or normalize_text(a.get("title") or "")
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
    found: list[str] = []
    for key, value in doc.meta.items():
        if key == "article:tag" or key == "news_keywords":
            found.extend(v for v in re.split(r"\s*,\s*", value))
    art = doc.jsonld_article
    if art and art.get("keywords"):
        kw = art["keywords"]
        found.extend(kw if isinstance(kw, list) else re.split(r"\s*,\s*", str(kw)))
    if not found:
        for a in doc.root.xpath("//a[@rel='tag' or contains(@rel,' tag')] | "
                                "//*[contains(concat(' ',@class,' '),' tags ')]//a"):
            found.append(text_of(a))
    out, seen = [], set()
    for t in found:
        t = normalize_text(str(t))
        if t and match_key(t) not in seen and len(t) < 80:
            seen.add(match_key(t))
            out.append(t)
    return out


__all__ = [
    "text_of", "is_noise", "looks_like_article", "headline", "body_container",
    "body_paragraphs_from", "dedupe_paragraphs", "body_from_jsonld", "byline",
    "machine_dates", "visible_date_texts", "section", "breadcrumb_names",
    "related_block", "related_links", "images", "tags",
]
