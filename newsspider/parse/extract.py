"""Bytes + URL → article fields: each field from the most reliable source available.

Order per field: the site profile's selector (when the page carries a known
template), then the generic layer (JSON-LD, meta, ``<h1>``, text density; how it
decides: ``generic``'s docstring). Dates are machine-readable first, then the visible
Bangla date interpreted in the portal's time zone: the profile's, else what the page
says, else ``tz`` (the crawl's setting). ``sources`` records which source gave each
field, and ``sources["timezone"]`` where the zone came from.

Keys beyond the stored ones: ``byline_parts`` (the displayed byline's lines and comma
parts), ``reporter`` (the reporter's or desk's name without outlet and place),
``place`` (where the report was filed: "ঢাকা" of "…, ঢাকা থেকে"), ``timezone`` (the
zone name the dates were read in, or a fixed "UTC+06:00").

Pure functions: no Scrapy, no network, no clock unless ``now`` is left out.
"""

from __future__ import annotations

from datetime import datetime, timezone

from newsspider.bangla import (
    is_bijoy,
    match_key,
    normalize_text,
    parse_date,
    parse_iso,
    split_credits,
    split_labelled_dates,
    to_iso,
)
from newsspider.bangla.dates import FUTURE_TOLERANCE
from newsspider.parse import generic
from newsspider.parse.document import Document, NotHTML
from newsspider.parse.profiles import Profile, profile_for_host, select_profile

PARSER_VERSION = "2"  # 2: issue 14 (widgets, hidden text, microdata, zones, byline facets, home pages)
DEFAULT_TZ = "America/New_York"

FIELDS = ("url", "headline", "body", "byline", "published", "updated", "section",
          "credits", "related", "images", "tags", "byline_parts", "reporter", "place", "timezone")


def parse_article(data: bytes | str, url: str = "", *, content_type: str | None = None,
                  tz: str = DEFAULT_TZ, now: datetime | None = None,
                  portal_zone: str | None = None) -> dict | None:
    """Parse one page. Returns the fields (plus ``sources``, ``flags``, ``parser``),
    or None for a page that is not an article (home, section, tag, search pages).
    Raises ``NotHTML`` for bytes that are not an HTML document.

    ``tz``: the zone for dates without an offset when nothing else tells. ``portal_zone``:
    the zone the portal registry gives a portal with no site profile of its own; it
    wins over a profile matched by template only (a theme is sold to many portals) and
    over what the page suggests, not over the profile of the page's own host."""
    if isinstance(data, str):
        doc = Document(data, url)
    else:
        doc = Document.from_bytes(data, url, content_type)
    return extract(doc, tz=tz, now=now, portal_zone=portal_zone)


def extract(doc: Document, *, tz: str = DEFAULT_TZ, now: datetime | None = None,
            portal_zone: str | None = None) -> dict | None:
    now = now or datetime.now(timezone.utc)
    profile = select_profile(doc)
    extraction = _Extraction(doc, profile, tz, now)
    extraction.portal_zone = portal_zone
    if profile is None:
        is_article, _ = generic.looks_like_article(doc)
        if not is_article:
            return None
    elif not extraction._select("headline") and not doc.jsonld_article:
        return None
    return extraction.result()


class _Extraction:
    def __init__(self, doc: Document, profile: Profile | None, tz: str, now: datetime):
        self.doc, self.profile, self.tz, self.now = doc, profile, tz, now
        self.sources: dict[str, str] = {}
        self.flags: list[str] = []
        self._selected: dict[str, list] = {}
        self._keys: dict[str, str] = {}  # paragraph -> match_key, filled by the body walk
        self._zone = None
        self.portal_zone: str | None = None

    def _select(self, field: str) -> list:
        if self.profile is None:
            return []
        cache = self._selected
        if field not in cache:
            cache[field] = self.profile.select(self.doc, field)
        return cache[field]

    def _profile_text(self, field: str) -> str | None:
        for el in self._select(field):
            text = generic.text_of(el)
            if text:
                self.sources[field] = f"profile:{self.profile.id}"
                return text
        return None

    def _generic(self, field: str, pair) -> str | None:
        value, source = pair
        if value:
            self.sources[field] = source
        return value or None

    # -- fields -----------------------------------------------------------------
    def headline(self) -> str | None:
        return self._profile_text("headline") or self._generic("headline", generic.headline(self.doc))

    def paragraphs(self) -> list[str]:
        containers = self._select("body")
        source = f"profile:{self.profile.id}" if containers else None
        container = containers[0] if containers else None
        keep = frozenset()
        if container is None:
            container, source = generic.body_container(self.doc)
            keep = generic.scan(self.doc).protected
        paras = generic.body_paragraphs_from(container, keys=self._keys, keep=keep) if container is not None else []
        if not paras:
            paras = generic.body_from_jsonld(self.doc)
            source = "jsonld:articleBody" if paras else source
        if paras:
            self.sources["body"] = source or "none"
        return paras

    def byline(self) -> str | None:
        for el in self._select("byline"):
            text = generic.byline_text(el)
            if text:
                self.sources["byline"] = f"profile:{self.profile.id}"
                return text
        return self._generic("byline", generic.byline(self.doc))

    def zone(self):
        """The portal's time zone for dates without an offset: the profile's (a portal the
        project knows, by template or by host), else what the page says (an offset, its
        language region), else the crawl's setting. Recorded in sources["timezone"]."""
        if self._zone is None:
            own = profile_for_host(self.doc.host)
            profile = self.profile if self.profile is not None and self.profile.timezone else own
            if self.portal_zone and not (own is not None and own.timezone):
                self._zone = (self.portal_zone, self.portal_zone, "registry")
            elif profile is not None and profile.timezone:
                self._zone = (profile.timezone, profile.timezone, f"profile:{profile.id}")
            else:
                self._zone = generic.page_zone(self.doc, self.tz) or (self.tz, self.tz, "setting")
            self.sources["timezone"] = self._zone[2]
        return self._zone[0]

    def dates(self) -> dict[str, str | None]:
        """Machine-readable dates first; then the visible Bangla date line (the
        profile's element, else the best-placed dated element), whose labels
        ("প্রকাশ:", "আপডেট:") say which is which. An "updated" equal to "published" is
        no update."""
        found: dict[str, datetime] = {}
        for field, (raw, source) in generic.machine_dates(self.doc).items():
            dt = parse_iso(raw)  # the common case, a full ISO stamp: fast path
            if dt is None or dt.tzinfo is None or dt > self.now + FUTURE_TOLERANCE:
                dt = parse_date(raw, tz=self.zone(), now=self.now)
            if dt is not None:
                found[field] = dt
                self.sources[field] = source
        if "published" not in found or "updated" not in found:
            for raw, source in self._date_candidates(found):
                if not raw:
                    continue
                parts = split_labelled_dates(raw)
                if "published" not in parts and "published" not in found and "updated" in parts:
                    parts["published"] = raw  # only an update label: the page's one date
                for field in ("published", "updated"):
                    if field in found or field not in parts:
                        continue
                    dt = parse_date(parts[field], tz=self.zone(), now=self.now)
                    if dt is not None:
                        found[field] = dt
                        self.sources[field] = source
                if "published" in found and "updated" in found:
                    break
        if "updated" in found and "published" in found and found["updated"] <= found["published"]:
            del found["updated"]
            self.sources.pop("updated", None)
        return {"published": to_iso(found["published"]) if "published" in found else None,
                "updated": to_iso(found["updated"]) if "updated" in found else None}

    def _date_candidates(self, found: dict):
        """The profile's date elements, then the page's visible date texts: those only
        when the profile's did not give both dates (they need the generic scan). With
        the published date found, a visible text can only add an "updated" part: when
        no date-classed element's text has one, the scan is not built for nothing."""
        for field in ("published", "updated"):
            for raw, source in [(generic.text_of(el), f"profile:{self.profile.id}") for el in self._select(field)]:
                yield raw, source
        if "published" in found and "updated" not in found and "_scan" not in self.doc.__dict__ \
                and not generic.dated_text_has_update(self.doc):
            return
        yield from generic.visible_date_texts(self.doc)

    def section(self, headline: str | None = None) -> str | None:
        crumbs = [generic.text_of(a) for a in self._select("section")]
        crumbs = [c for c in crumbs if c]
        if crumbs:
            self.sources["section"] = f"profile:{self.profile.id}"
            return crumbs[-1]
        return self._generic("section", generic.section(self.doc, headline))

    def related(self) -> list[dict]:
        blocks = self._select("related")
        block = blocks[0] if blocks else generic.related_block(self.doc)
        if block is None:
            return []
        self.sources["related"] = f"profile:{self.profile.id}" if blocks else "heading"
        return generic.related_links(self.doc, block)

    def tags(self) -> list[str]:
        els = self._select("tags")
        if els:
            return [t for t in (generic.text_of(a) for a in els) if t]
        return generic.tags(self.doc)

    def result(self) -> dict:
        doc = self.doc
        headline = self.headline()
        paras = self.paragraphs()
        # A paragraph that only repeats the headline is not body text.
        hk = match_key(headline or "")
        keys = self._keys
        paras = [p for p in paras if (keys[p] if p in keys else match_key(p)) != hk]
        paras, credits = split_credits(paras)
        body = "\n\n".join(paras)
        if credits:
            self.sources["credits"] = "body"
        if not doc.tail_has("</html>", 4096) and not doc.tail_has("</body>", 8192):
            self.flags.append("truncated")
        if is_bijoy(body) or is_bijoy(headline or ""):
            self.flags.append("bijoy")
        container = (self._select("body") or [None])[0]
        byline = self.byline()
        parts, reporter, place = generic.byline_facets(byline, self.sources.get("byline", ""),
                                                       doc.meta.get("og:site_name", ""))
        fields = {
            "url": doc.canonical_url or doc.url,
            "headline": normalize_text(headline) if headline else "",
            "body": body,
            "byline": byline,
            **self.dates(),
            "section": self.section(headline),
            "credits": credits,
            "related": self.related(),
            "images": generic.images(doc, container),
            "tags": self.tags(),
            "byline_parts": parts,
            "reporter": reporter,
            "place": place,
        }
        self.zone()
        fields["timezone"] = self._zone[1]
        fields["sources"] = self.sources
        fields["flags"] = self.flags
        fields["parser"] = f"{self.profile.id if self.profile else 'generic'}@{PARSER_VERSION}"
        return fields


__all__ = ["parse_article", "extract", "FIELDS", "PARSER_VERSION", "NotHTML"]
