"""Decode once, parse once, precompute what every field extractor needs.

``Document.from_bytes`` decodes a page as browsers and Scrapy do (BOM, the HTTP
Content-Type charset, ``<meta charset>`` anywhere in the head, then UTF-8 / cp1252
detection; w3lib implements exactly that order) and parses it with lxml's HTML parser,
which also recovers truncated pages. Handing raw bytes to libxml2 instead decodes a page
whose ``<meta charset>`` comes late as Latin-1 (the trap in shared/real-pages/README.md).

The precomputed parts (JSON-LD objects, ``<meta>`` values, canonical URL) are built
lazily, once per document, and shared by the generic extractors and the site profiles,
as fundus does with its precomputed article document.
"""

from __future__ import annotations


import json
import re
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom

from newsspider.urls import fold

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Elements whose text is never article text.
NOISE_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "form",
              "button", "select", "textarea", "input", "object", "embed", "canvas")


# collect_ids=False: libxml2 keeps no hash table of the page's id attributes, which no
# rule reads (nothing asks XPath's id() or lxml's get_element_by_id)
_PARSER = lxml.etree.HTMLParser(remove_comments=False, no_network=True, default_doctype=False,
                                collect_ids=False)
_PARSER_UTF8 = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=False, no_network=True,
                                     default_doctype=False, collect_ids=False)
# bytes that are control characters in UTF-8 (never part of a multi-byte sequence)
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
# each as a one-byte string: 29 memchr scans cost a third of one bytes.translate() that
# deletes them (callgrind: 0.37 against 1.0 M instructions on an 83 KB page)
_CONTROL_SINGLES = tuple(bytes([c]) for c in _CONTROL_BYTES)


_NUMERIC_REF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+)")
_NAMED_REFS: dict[frozenset, tuple] = {}


def _named_refs_spelling(chars: frozenset) -> tuple[bytes, ...]:
    """``&name`` (as bytes) of every HTML5 named character reference whose characters
    include one of ``chars`` (with or without its ``;``: the table lists both spellings
    where HTML allows the short one)."""
    names = _NAMED_REFS.get(chars)
    if names is None:
        from html.entities import html5

        names = _NAMED_REFS[chars] = tuple(sorted({("&" + name.rstrip(";")).encode()
                                                  for name, value in html5.items() if chars & set(value)}))
    return names


class cached_property:  # noqa: N801  (functools' name and meaning)
    """``functools.cached_property`` without its lock: Python 3.11's takes an RLock on
    every first read (about 0.7 us, a dozen reads a page); a Document is used by one
    thread. Computed once, then read from the instance's ``__dict__``."""

    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


class NotHTML(ValueError):
    """The bytes are not an HTML document (binary, empty, or unparseable)."""


class Document:
    """One fetched page: its URL, decoded text and parsed tree, plus shared lookups."""

    def __init__(self, text: str | None, url: str = "", encoding: str = "utf-8", *, utf8: bytes | None = None):
        """``utf8``: the page's own bytes when they are UTF-8 without control characters
        (``from_bytes`` checks): libxml2 then parses them directly, which is faster than
        parsing the decoded string and needs no scrubbing. ``text`` may then be None:
        it is decoded from ``utf8`` when first read (most template pages never do)."""
        self.url = url
        self.encoding = encoding
        if text is not None:
            self.text = text
        if utf8 is not None:
            self._utf8 = utf8
            source, parser = utf8, _PARSER_UTF8
            # a "<" (or any ASCII byte that is not whitespace) is a character that is
            # not whitespace: the page is not empty, without decoding it to see
            if b"<" not in utf8 and (not self.text or self.text.isspace()):
                raise NotHTML("empty document")
        else:
            source, parser = _CONTROL.sub("", _XML_DECL.sub("", text, count=1)), _PARSER
            if not text or text.isspace():  # as not text.strip(), without copying the page
                raise NotHTML("empty document")
        try:
            # Plain etree elements: lxml.html's per-element class lookup costs more
            # than the parse itself on a page walked as often as this one is.
            self.root = lxml.etree.fromstring(source, parser)
        except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
            raise NotHTML(f"unparseable HTML: {exc}") from exc
        if self.root is None:
            raise NotHTML("no root element")

    @classmethod
    def from_bytes(cls, data: bytes, url: str = "", content_type: str | None = None) -> "Document":
        if not data or data.isspace():  # as not data.strip(), without copying the page
            raise NotHTML("empty document")
        encoding, text = _decode_html(data, content_type, lazy_utf8=True)
        utf8 = None
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and \
                not any(c in data for c in _CONTROL_SINGLES):
            utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        elif text is None:
            text = _utf8_text(data)
        return cls(text, url, encoding, utf8=utf8)

    def source_may_contain(self, word: str) -> bool:
        """False when the bytes libxml2 parsed (a UTF-8 page's own) do not contain the
        ASCII ``word`` in any letter case; True otherwise, also when unknown (a page
        parsed from its decoded, scrubbed text)."""
        utf8 = self.__dict__.get("_utf8")
        return utf8 is None or word.lower().encode() in utf8.lower()

    def source_may_spell(self, word: str) -> bool:
        """False only when no text and no attribute value of the tree can contain the
        ASCII ``word`` (case as given): the bytes libxml2 parsed (a UTF-8 page's own)
        do not contain it, and no character reference in them can produce one of its
        characters. The parser copies values from the source as written except for
        character references (a numeric one, or a named one: HTML5's table, a superset
        of what libxml2 knows) and line ends (CR LF to LF, CR to LF: they create no
        other character); a byte of a multi-byte sequence, valid or not, never decodes
        to ASCII. True when unknown (a page parsed from its decoded, scrubbed text).
        One ``in`` over the bytes where no reference can spell a character of the word:
        much cheaper than visiting the elements (a site profile's signature class on
        every page that does not carry the template)."""
        utf8 = self.__dict__.get("_utf8")
        if utf8 is None or not word.isascii():
            return True
        if word.encode() in utf8:
            return True
        chars = set(word)
        for name in _named_refs_spelling(frozenset(chars)):
            if name in utf8:
                return True
        at = utf8.find(b"&")  # (memchr; a two-byte find(b"&#") is a slower byte loop)
        while at >= 0:
            m = _NUMERIC_REF.match(utf8, at) if utf8.startswith(b"#", at + 1) else None
            if m is not None:
                digits = m.group(1)
                hexa = digits[:1] in (b"x", b"X")
                digits = (digits[1:] if hexa else digits).lstrip(b"0")
                if len(digits) <= 3 and chr(int(digits or b"0", 16 if hexa else 10)) in chars:
                    return True  # (more than 3 digits without leading zeros: beyond ASCII)
            at = utf8.find(b"&", at + 1)
        return False

    def tail_has(self, marker: str, chars: int) -> bool:
        """``marker in self.text[-chars:].lower()`` for an ASCII lower-case marker, read
        from the UTF-8 bytes when the text is not decoded: their last ``chars`` bytes
        decode to at most that many characters of the text's end, ASCII bytes always
        decode to themselves, and only ASCII capitals lower-case to ASCII letters; when
        the bytes do not show it, the text decides."""
        utf8 = self.__dict__.get("_utf8")
        if utf8 is not None and "text" not in self.__dict__:
            tail = utf8[-chars:]
            # (the marker as written first: lower-casing the bytes cannot remove it)
            if marker.encode() in tail or marker.encode() in tail.lower():
                return True
        return marker in self.text[-chars:].lower()

    @cached_property
    def text(self) -> str:
        """The decoded page (set by the constructor, or decoded from the UTF-8 bytes
        on first use, as ``decode_html`` decodes them)."""
        return self.__dict__["_utf8"].decode("utf-8", "replace")

    # -- precomputed lookups -----------------------------------------------------
    @cached_property
    def _head_tags(self) -> dict[str, list]:
        """Every ``<meta>``, ``<script>``, ``<link>`` and ``<title>`` of the page, in
        document order: one walk of the tree for the four (each walk costs about as much
        as the four; even ``next(root.iter("title"))`` walks the whole tree, as lxml's
        iterator looks for the match after the one it returns)."""
        found: dict[str, list] = {"meta": [], "script": [], "link": [], "title": []}
        for el in self.root.iter("meta", "script", "link", "title"):
            found[el.tag].append(el)
        return found

    @property
    def title_element(self):
        """The first ``<title>`` below the root, in document order (None without one)."""
        for el in self._head_tags["title"]:
            if el is not self.root:
                return el
        return None

    @cached_property
    def meta_all(self) -> dict[str, list[str]]:
        """Every ``<meta property|name|itemprop=... content=...>`` value per key (keys
        lower-cased), in page order: ``article:tag`` repeats once per tag."""
        out: dict[str, list[str]] = {}
        for el in self._head_tags["meta"]:
            a = dict(el.items())  # one call for the four reads (the parser keeps one of each name)
            key = a.get("property") or a.get("name") or a.get("itemprop")
            content = a.get("content")
            if key and content and content.strip():
                out.setdefault(key.strip().lower(), []).append(content.strip())
        return out

    @cached_property
    def meta(self) -> dict[str, str]:
        """The first value of each meta key (pages repeat og tags in plugins further down)."""
        return {k: v[0] for k, v in self.meta_all.items()}

    @cached_property
    def jsonld(self) -> list[dict]:
        """All JSON-LD objects on the page, ``@graph`` flattened; malformed blocks skipped."""
        objects: list[dict] = []
        for script in self._head_tags["script"]:
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            raw = (script.text or "").strip()
            if not raw:
                continue
            # RecursionError: a block nested thousands deep (hostile or broken) is as
            # unreadable as a malformed one, and must not make the page unarchivable
            try:
                data = json.loads(raw)
            except RecursionError:
                continue
            except ValueError:
                try:  # CMSs emit raw newlines and trailing commas inside strings
                    data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")))
                except (ValueError, RecursionError):
                    continue
            found: list[dict] = []
            try:
                _flatten_jsonld(data, found)
            except RecursionError:
                continue
            objects.extend(found)
        return objects

    @cached_property
    def jsonld_article(self) -> dict | None:
        """The page's NewsArticle/Article/BlogPosting/ReportageNewsArticle object, if any."""
        for obj in self.jsonld:
            if _jsonld_types(obj) & ARTICLE_TYPES:
                return obj
        return None

    @cached_property
    def canonical_url(self) -> str:
        """``<link rel=canonical>``, else ``og:url``, else the given URL; absolute.

        A canonical that points at the site's home page while this page is deeper (a
        CMS default) is ignored, and an ``http:`` canonical of a page fetched over
        ``https:`` on the same host is upgraded (a stale site-URL setting)."""
        candidates = [link.get("href") for link in self._head_tags["link"]
                      if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")]
        if self.meta.get("og:url"):
            candidates.append(self.meta["og:url"])
        given = urlsplit(self.url) if self.url else None
        for href in candidates:
            url = self.absolute(href)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                continue
            if given is not None and given.scheme in ("http", "https"):
                if parts.path in ("", "/") and given.path not in ("", "/") and not parts.query:
                    continue  # every page "canonical" to the home page
                if (parts.scheme == "http" and given.scheme == "https"
                        and _bare_host(parts.hostname) == _bare_host(given.hostname)):
                    url = "https" + url[4:]
            return url
        return self.url

    @cached_property
    def own_keys(self) -> frozenset[str]:
        """``fold_url`` of the page's own URLs (canonical and fetched): a link or a
        breadcrumb item with one of these keys is the page itself."""
        return frozenset(k for k in (fold_url(self.canonical_url), fold_url(self.url)) if k)

    @cached_property
    def _own_tails(self) -> tuple[str, ...]:
        """The last path segments of the page's own URLs, as given and unquoted: a URL
        that contains none of them cannot fold to the page's own (a cheap first test)."""
        tails = set()
        for url in (self.canonical_url, self.url):
            path = urlsplit(url or "").path.rstrip("/")
            tail = path.rsplit("/", 1)[-1]
            if not tail:
                return ("",)  # the root: every URL needs the full comparison
            tails.update((tail, unquote(tail)))
        return tuple(tails)

    def is_own(self, url: str) -> bool:
        """``url`` is this page (compared as the crawler folds URLs, ``fold_url``)."""
        tails = self._own_tails
        for t in tails:  # (a loop, not any() over a generator: most links end here)
            if t in url:
                break
        else:
            if "%" not in url or not any(t in unquote(url) for t in tails):
                return False
        return fold_url(self.absolute(url)) in self.own_keys

    @cached_property
    def host(self) -> str:
        return urlsplit(self.url or self.canonical_url).hostname or ""

    def absolute(self, href: str) -> str:
        href = (href or "").strip()
        if not self.url:
            return href
        cache = self.__dict__.setdefault("_absolute", {})
        url = cache.get(href)
        if url is None:
            # Fast paths with urljoin's exact result: an absolute http(s) URL as it is, a
            # root-relative path without dot segments on the page's origin.
            if href.startswith(("http://", "https://")) and "/." not in href:
                url = href
            elif href.startswith("/") and not href.startswith("//") and "/." not in href and self._origin:
                url = self._origin + href
            else:
                url = urljoin(self.url, href)
            cache[href] = url
        return url

    @cached_property
    def _origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle",
                 "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle",
                 "LiveBlogPosting", "Report"}


def _jsonld_types(obj: dict) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def _flatten_jsonld(data, out: list[dict]) -> None:
    if isinstance(data, list):
        for item in data:
            _flatten_jsonld(item, out)
    elif isinstance(data, dict):
        out.append(data)
        if "@graph" in data:
            _flatten_jsonld(data["@graph"], out)



def fold_url(url: str) -> str:
    """One key per page however it is linked, exactly as the crawler folds URLs
    (``newsspider.urls.fold``: scheme, ``www.``, a trailing slash, the fragment, tracking
    parameters, parameter order and percent-encoding do not make another page)."""
    return fold(url)


def _bare_host(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


_SINGLE_BYTE_WESTERN = {"cp1252", "latin-1", "latin_1", "iso8859-1", "iso-8859-1", "iso8859_1",
                        "ascii", "us-ascii", "windows-1252", "cp1250", "iso8859-15"}
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes as a browser would: BOM, HTTP charset, ``<meta charset>``,
    then UTF-8 / cp1252 (w3lib, as Scrapy does). Two fixes for what Bangla portals
    really serve: UTF-16 without a BOM (every other byte NUL) and UTF-8 bytes declared
    as windows-1252/Latin-1 (which would turn every Bangla letter into mojibake)."""
    return _decode_html(data, content_type)


def _utf8_text(data: bytes) -> str:
    """What w3lib's ``html_to_unicode`` returns for UTF-8 bytes (a BOM dropped)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "replace")


def _decode_html(data: bytes, content_type: str | None = None, lazy_utf8: bool = False) -> tuple[str, str | None]:
    """``decode_html``; with ``lazy_utf8`` the text of a page w3lib decodes as UTF-8
    (by BOM, header, declaration or default) is None, not decoded: the caller parses
    the bytes themselves and may never need the text."""
    if data[:512].startswith(_BINARY_MAGIC):
        raise NotHTML("binary content, not HTML")
    if not data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        head = data[:1024]
        if len(head) >= 8 and head.count(b"\x00") >= len(head) // 3 and b"<" in head:
            even, odd = head[0::2].count(0), head[1::2].count(0)
            if max(even, odd) >= len(head) // 3 and min(even, odd) <= len(head) // 16:
                enc = "utf-16-le" if odd > even else "utf-16-be"
                return enc, data.decode(enc, errors="replace")
    if _looks_binary(data):
        raise NotHTML("binary content, not HTML")
    if lazy_utf8:
        encoding = _w3lib_encoding(data, content_type)
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            return encoding, None
    encoding, text = html_to_unicode(content_type, data)
    if encoding.lower().replace("_", "-") in _SINGLE_BYTE_WESTERN or encoding.lower() in _SINGLE_BYTE_WESTERN:
        if _UTF8_MULTIBYTE.search(data):
            try:
                return "utf-8", data.decode("utf-8")
            except UnicodeDecodeError:
                pass
    return encoding, text


def _w3lib_encoding(data: bytes, content_type: str | None) -> str:
    """The encoding ``html_to_unicode(content_type, data)`` decodes with, found as it
    finds it (BOM, HTTP charset, ``<meta charset>``, else its default), without decoding."""
    bom_enc, bom = read_bom(data)
    if bom_enc is not None and bom is not None:
        return bom_enc
    enc = http_content_type_encoding(content_type)
    if enc is None:
        enc = html_body_declared_encoding(data)
    if enc is None:
        return "utf8"
    if enc in {"utf-16", "utf-32"}:
        enc += "-be"
    return enc


_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b",
                 b"RIFF", b"\x00\x00\x01\x00")


def _looks_binary(data: bytes) -> bool:
    head = data[:512]
    if head.startswith(_BINARY_MAGIC):
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: text
        return False
    return head.count(b"\x00") > 8
