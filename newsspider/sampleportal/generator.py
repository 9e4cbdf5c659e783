"""Deterministic sample of the usbanglanews.com portal, rendered on demand.

Every page is a pure function of (seed, articles, edition, path, base_url).  Per-article content
comes from ``random.Random(seed * 1_000_003 + id)``; positions (publication time, section) are
O(1) arithmetic on the id, so any page renders without touching the other articles beyond the
few it links to.
"""
from __future__ import annotations

import functools
import hashlib
import html
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from . import corpus as C

NY = ZoneInfo("America/New_York")
FIRST_ID = 1001
NEWEST_LOCAL = datetime(2025, 5, 14, 22, 30, tzinfo=NY)
NEWEST_UTC = NEWEST_LOCAL.astimezone(timezone.utc)
EDITION_BASE = datetime(2025, 5, 16, 9, 0, tzinfo=NY)  # edition e edits are stamped after this
STATIC_MODIFIED = datetime(2025, 1, 1, 0, 0, tzinfo=timezone.utc)

# broken-on-purpose articles: (id - 1001) % 500 -> kind  (ids 1013, 1029, 1037, 1046, 1513, ...)
BROKEN = {12: "gone", 28: "server_error", 36: "truncated", 45: "no_body"}
KINDS = ("ok", "gone", "server_error", "truncated", "no_body")
STORED_KINDS = ("ok", "truncated")

PER_PAGE = 10
HOME_COUNT = 30
FEED_COUNT = 20
SITEMAP_SIZE = 1000
GAP_PERIOD = 97
SECTION_PERIOD = 50

_BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
_MASK = (1 << 64) - 1

HTML_TYPE = "text/html; charset=UTF-8"
XML_TYPE = "application/xml; charset=UTF-8"
RSS_TYPE = "application/rss+xml; charset=UTF-8"

# a valid 8x8 grey baseline JPEG (hand-assembled: one DC and one AC Huffman code)
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000"
    "ffdb004300" + "01" * 64 +
    "ffc0000b080008000801011100"
    "ffc4001400" + "01" + "00" * 15 + "00"
    "ffc4001410" + "01" + "00" * 15 + "00"
    "ffda0008010100003f00" "3f" "ffd9"
)
CSS = ("body{font-family:'SolaimanLipi','Noto Sans Bengali',sans-serif;margin:0}"
       ".main-menu ul{display:flex;list-style:none}.ad{background:#eee;text-align:center}"
       ".news-title{font-size:2em}.news-details p{line-height:1.7}\n").encode()


def bn(n) -> str:
    """ASCII digits -> Bangla digits."""
    return str(n).translate(_BN_DIGITS)


def _bn2(n: int) -> str:
    return bn(f"{n:02d}")


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def _xesc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mix(*vals: int) -> int:
    x = 0x243F6A8885A308D3
    for v in vals:
        x = (x ^ (v & _MASK)) * 0x9E3779B97F4A7C15 & _MASK
        x ^= x >> 31
        x = x * 0xBF58476D1CE4E5B9 & _MASK
        x ^= x >> 27
    return x


def _day_period(h: int) -> str:
    if 4 <= h < 6:
        return "ভোর"
    if 6 <= h < 12:
        return "সকাল"
    if 12 <= h < 15:
        return "দুপুর"
    if 15 <= h < 18:
        return "বিকাল"
    if 18 <= h < 20:
        return "সন্ধ্যা"
    return "রাত"


def visible_date(dt: datetime, style: int, tz: ZoneInfo = NY) -> str:
    """The date as the page shows it (the portal's local time, New York by default;
    Bangla digits)."""
    dt = dt.astimezone(tz)
    d, mon, y, h, mi = dt.day, C.MONTHS[dt.month - 1], dt.year, dt.hour, dt.minute
    h12 = h % 12 or 12
    if style == 0:
        return f"{bn(d)} {mon} {bn(y)}, {bn(h12)}:{_bn2(mi)} {'এএম' if h < 12 else 'পিএম'}"
    if style == 1:
        return f"{bn(d)} {mon} {bn(y)}, {_bn2(h)}:{_bn2(mi)}"
    if style == 2:
        return f"{C.WEEKDAYS[dt.weekday()]}, {bn(d)} {mon} {bn(y)} | {_day_period(h)} {bn(h12)}:{_bn2(mi)}"
    return f"{mon} {bn(d)}, {bn(y)} {bn(h12)}:{_bn2(mi)} {'পূর্বাহ্ণ' if h < 12 else 'অপরাহ্ণ'}"


def _ambiguous(dt: datetime, tz: ZoneInfo = NY) -> bool:
    """True when the portal's wall time occurs twice (DST fall-back hour)."""
    local = dt.astimezone(tz).replace(tzinfo=None)
    return (local.replace(tzinfo=tz, fold=0).utcoffset() != local.replace(tzinfo=tz, fold=1).utcoffset())


def truth_paras_probe(truth: list, kind: str) -> list:
    """The paragraphs a page actually shows (for deciding which mentions are visible)."""
    if kind == "no_body":
        return []
    if kind == "truncated":
        return truth[:2]
    return truth


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


@dataclass(frozen=True)
class ArticleSpec:
    """The truth a parser must extract from /news/{id}/ (see the package README in __init__)."""
    id: int
    path: str
    headline: str
    paragraphs: list
    byline: str
    published: datetime
    updated: datetime | None
    section_slug: str
    section: str
    credits: list
    related: list
    images: list
    tags: list
    kind: str
    # rendering facts, for tests of the parser (not part of what a parser extracts)
    visible_published: str = ""
    visible_updated: str | None = None
    date_style: int = 0
    jsonld: bool = False
    jsonld_headline: str | None = None
    credit_style: str = "none"          # none | glued | source | dateline
    repeat: str | None = None           # None | "tail" | "tail-nobr" | "read-more-content"
    br_paragraph: int | None = None     # index (in paragraphs) of the <br>-broken paragraph
    mentions: list = field(default_factory=list)   # agency names mentioned but NOT credits
    edits: tuple = ()                   # editions that changed this article

    @property
    def lastmod(self) -> datetime:
        return self.updated or self.published


class _Head:
    __slots__ = ("sec", "slug", "ctx", "headline", "tags")

    def __init__(self, sec, slug, ctx, headline, tags):
        self.sec, self.slug, self.ctx, self.headline, self.tags = sec, slug, ctx, headline, tags


class _Model:
    """Everything needed to render one article page."""
    __slots__ = ("spec", "head", "paras", "br_markup", "dateline", "glued", "source", "repeat",
                 "ad_after", "readmore", "inline_img", "caption", "more_news", "sidebar",
                 "script_title", "description")


_RE_NEWS = re.compile(r"^/news/(\d+)(/?)$")
_RE_CAT = re.compile(r"^/category/([a-z-]+)(?:/page/(\d+))?(/?)$")
_RE_TAG = re.compile(r"^/tag/([a-z-]+)(/?)$")
_RE_IMG = re.compile(r"^/wp-content/uploads/(\d+)(-2)?\.jpg$")
_RE_POST_SITEMAP = re.compile(r"^/post-sitemap(\d+)\.xml$")
_RE_BN_NUM = re.compile(r"[০-৯]+")


class SamplePortal:
    """A deterministic portal of ``articles`` articles with ids 1001 .. 1000+articles."""

    def __init__(self, articles: int = 72, seed: int = 20250514, edition: int = 0,
                 timezone: str = "America/New_York"):
        if articles < 1:
            raise ValueError("articles must be >= 1")
        # the zone the pages print their dates in (without an offset)
        self.tz = NY if timezone == "America/New_York" else ZoneInfo(timezone)
        self.articles = int(articles)
        self.seed = int(seed)
        self.edition = int(edition)
        self.first_id = FIRST_ID
        self.newest_id = FIRST_ID + self.articles - 1
        r = random.Random(self.seed ^ 0x5EED5EED)
        gaps = [r.randint(60, 300) for _ in range(GAP_PERIOD)]
        self._prefix = [0]
        for g in gaps:
            self._prefix.append(self._prefix[-1] + g)
        pattern = [i for i, w in enumerate(C.SECTION_WEIGHTS) for _ in range(w)]
        random.Random(self.seed ^ 0x5EC7).shuffle(pattern)
        self._pattern = pattern
        # offsets d (newest-first) within one period for each section
        self._sec_offsets = [[d for d in range(SECTION_PERIOD)
                              if pattern[(self.newest_id - d + self.seed) % SECTION_PERIOD] == s]
                             for s in range(len(C.SECTIONS))]
        self._slug_index = {slug: i for i, (slug, _) in enumerate(C.SECTIONS)}
        self._head = functools.lru_cache(maxsize=16384)(self._head_impl)
        self._model = functools.lru_cache(maxsize=256)(self._model_impl)
        self._sitemap_cache: dict = {}
        site_mod = NEWEST_LOCAL + timedelta(hours=11)
        if self.edition > 0:
            site_mod = max(site_mod, self._edition_time(self.edition, 49))
        self.site_modified = site_mod
        self._chrome()

    # ------------------------------------------------------------------ public API
    def article_ids(self) -> list[int]:
        return list(range(self.newest_id, FIRST_ID - 1, -1))

    def sections(self) -> list[tuple[str, str]]:
        return list(C.SECTIONS)

    def kind(self, id: int) -> str:
        self._check(id)
        return BROKEN.get((id - FIRST_ID) % 500, "ok")

    def expected_ids(self) -> list[int]:
        return [i for i in self.article_ids() if self.kind(i) in STORED_KINDS]

    def expected_articles(self) -> list[ArticleSpec]:
        return [self.article(i) for i in self.expected_ids()]

    def broken_ids(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {k: [] for k in BROKEN.values()}
        for i in self.article_ids():
            k = self.kind(i)
            if k != "ok":
                out[k].append(i)
        return out

    def exists(self, id: int) -> bool:
        return FIRST_ID <= id <= self.newest_id

    def published(self, id: int) -> datetime:
        self._check(id)
        k = self.newest_id - id
        minutes = (k // GAP_PERIOD) * self._prefix[GAP_PERIOD] + self._prefix[k % GAP_PERIOD]
        return (NEWEST_UTC - timedelta(minutes=minutes)).astimezone(self.tz)

    def updated(self, id: int) -> datetime | None:
        self._check(id)
        edits = self._edits(id)
        if edits:
            return self._edition_time(edits[-1], id)
        h = _mix(self.seed, id, 77)
        if h % 4 == 0:
            return (self.published(id) + timedelta(minutes=20 + (h >> 8) % 600)).astimezone(self.tz)
        return None

    def lastmod(self, id: int) -> datetime:
        return self.updated(id) or self.published(id)

    def headline(self, id: int) -> str:
        return self._head(id).headline

    def section_of(self, id: int) -> tuple[str, str]:
        return C.SECTIONS[self._section_index(id)]

    def section_ids(self, slug: str, start: int = 0, stop: int | None = None) -> list[int]:
        """Ids of a section, newest first, positions [start, stop)."""
        s = self._slug_index[slug]
        total = self.section_count(slug)
        stop = total if stop is None else min(stop, total)
        offs = self._sec_offsets[s]
        c = len(offs)
        return [self.newest_id - (k // c) * SECTION_PERIOD - offs[k % c] for k in range(start, stop)]

    def section_count(self, slug: str) -> int:
        offs = self._sec_offsets[self._slug_index[slug]]
        full, rem = divmod(self.articles, SECTION_PERIOD)
        return full * len(offs) + sum(1 for d in offs if d < rem)

    def section_pages(self, slug: str) -> int:
        return max(1, -(-self.section_count(slug) // PER_PAGE))

    def article(self, id: int) -> ArticleSpec:
        return self._model(id).spec

    def paths(self) -> list[str]:
        """Every path the portal serves (articles, listings, feeds, sitemaps, images)."""
        out = ["/robots.txt", "/sitemap.xml", "/category-sitemap.xml", "/feed/", "/"]
        out += [f"/post-sitemap{k}.xml" for k in range(1, self._sitemap_pages() + 1)]
        for slug, _ in C.SECTIONS:
            out.append(f"/category/{slug}/")
            out += [f"/category/{slug}/page/{n}/" for n in range(2, self.section_pages(slug) + 1)]
        out += [f"/tag/{t}/" for t in C.TAGS]
        for i in self.article_ids():
            out += [f"/news/{i}/", f"/wp-content/uploads/{i}.jpg"]
        return out

    # ------------------------------------------------------------------ arithmetic
    def _check(self, id: int) -> None:
        if not (FIRST_ID <= id <= self.newest_id):
            raise KeyError(f"no article {id}")

    def _section_index(self, id: int) -> int:
        return self._pattern[(id + self.seed) % SECTION_PERIOD]

    def _edits(self, id: int) -> tuple:
        if self.edition <= 0 or BROKEN.get((id - FIRST_ID) % 500):
            return ()
        return tuple(e for e in range(1, self.edition + 1) if (id * 7 + e) % 17 == 0)

    def _edition_time(self, e: int, id: int) -> datetime:
        return (EDITION_BASE + timedelta(hours=6 * (e - 1), minutes=id % 50)).astimezone(self.tz)

    def _sitemap_pages(self) -> int:
        return -(-self.articles // SITEMAP_SIZE)

    def _ok_link_target(self, id: int) -> bool:
        return FIRST_ID <= id <= self.newest_id and (id - FIRST_ID) % 500 not in BROKEN

    # ------------------------------------------------------------------ content
    def _draw_head(self, rng: random.Random, id: int):
        sec = self._section_index(id)
        slug = C.SECTIONS[sec][0]
        ny = rng.choice(C.NY_PLACES)
        bd = rng.choice(C.BD_PLACES)
        co = rng.choice(C.COUNTRIES)
        ctx = {
            "ny": ny[0], "ny_gen": ny[1], "ny_loc": ny[2],
            "bd": bd[0], "bd_gen": bd[1], "bd_loc": bd[2],
            "country": co[0], "country_gen": co[1], "country_loc": co[2],
            "person": rng.choice(C.PEOPLE), "org": rng.choice(C.ORGS),
            "player": rng.choice(C.PLAYERS), "team": rng.choice(C.TEAMS),
            "n1": bn(rng.randint(3, 60)), "n2": bn(rng.randint(10, 300)), "n3": bn(rng.randint(2, 25)),
            "n4": bn(rng.randint(150, 900)), "pct": bn(rng.randint(2, 30)),
            "day": rng.choice(C.WEEKDAYS),
        }
        headline = rng.choice(C.HEADLINES[slug]).format_map(ctx)
        cand = C.SECTION_TAGS[slug]
        tags = rng.sample(cand, rng.randint(1, min(3, len(cand))))
        return sec, slug, ctx, headline, tags

    def _head_impl(self, id: int) -> _Head:
        self._check(id)
        rng = random.Random(self.seed * 1_000_003 + id)
        sec, slug, ctx, headline, tags = self._draw_head(rng, id)
        for e in self._edits(id):
            if (id + e) % 2 == 0:
                headline = self._edit_headline(headline, id, e)
        return _Head(sec, slug, ctx, headline, tags)

    @staticmethod
    def _edit_headline(h: str, id: int, e: int) -> str:
        m = _RE_BN_NUM.search(h)
        if m:
            return h[:m.start()] + bn(int(m.group()) + 1 + (id + e) % 5) + h[m.end():]
        for a, b in C.HEADLINE_SWAPS:
            if a in h:
                return h.replace(a, b, 1)
        return "সর্বশেষ: " + h

    def _pick_others(self, rng: random.Random, id: int, lo: int, hi: int, n: int, exclude=()) -> list[int]:
        lo, hi = max(FIRST_ID, lo), min(self.newest_id, hi)
        if hi < lo:
            return []
        cand = rng.sample(range(lo, hi + 1), min(hi - lo + 1, n * 2 + 4))
        out = []
        for c in cand:
            if c != id and c not in exclude and self._ok_link_target(c) and c not in out:
                out.append(c)
                if len(out) == n:
                    break
        return out

    def _model_impl(self, id: int) -> _Model:
        self._check(id)
        kind = self.kind(id)
        rng = random.Random(self.seed * 1_000_003 + id)
        sec, slug, ctx, _, tags = self._draw_head(rng, id)
        head = self._head(id)
        section = C.SECTIONS[sec][1]

        # --- byline, dates, json-ld
        r = rng.random()
        if r < 0.6:
            byline = C.DESK
        elif r < 0.75:
            byline = C.OWN_REPORTER
        elif r < 0.9 or slug == "new-york":
            byline = f"{rng.choice(C.REPORTERS)}, নিউইয়র্ক"
        else:
            byline = f"{rng.choice(C.REPORTERS)}, ঢাকা থেকে"
        date_style = rng.randrange(4)
        has_jsonld = rng.random() >= 0.25
        trunc_jsonld = rng.random() < 0.1

        # --- body
        pool = C.SENTENCES[slug] + C.GENERIC
        n_par = rng.randint(4, 8)
        sizes = [rng.randint(2, 3)] + [rng.randint(1, 3) for _ in range(n_par - 1)]
        sents = [s.format_map(ctx) for s in rng.sample(pool, min(len(pool), sum(sizes)))]
        paras, pos = [], 0
        for sz in sizes:
            chunk = sents[pos:pos + sz] or [sents[-1]]
            pos += sz
            paras.append([None, " ".join(chunk)])
        mention = None
        if rng.random() < 0.25:
            mention = rng.choice(C.MENTIONS)
            m_at = rng.randint(1, n_par - 3)
            paras[m_at][1] += " " + mention[0]
        repeat = rng.random() < 0.5
        variant = rng.choices((0, 1, 2), (70, 15, 15))[0]
        b = n_par - 2 if repeat else (rng.randint(1, n_par - 1) if rng.random() < 0.8 else None)
        lead = rng.choice(C.BR_LEADS[slug])
        br_markup = "<br />\n" if rng.random() < 0.2 else "<br>"

        # --- credits
        weights = {
            "international": (25, 45, 30, 0), "bangladesh": (45, 0, 15, 40), "probash": (50, 0, 30, 20),
            "new-york": (80, 0, 0, 20), "sports": (60, 40, 0, 0), "economy": (50, 15, 35, 0),
        }[slug]
        style = rng.choices(("none", "glued", "source", "dateline"), weights)[0]
        wires = C.WIRES[slug]
        agencies = rng.sample(wires, rng.randint(1, min(3, len(wires))))
        dl_agency = rng.choice(C.DATELINE_AGENCIES)
        dl_year = rng.random() < 0.3

        # --- page furniture
        ad_after = rng.randint(0, max(0, n_par - 3))
        readmore_after = rng.randint(0, max(0, n_par - 3)) if rng.random() < 0.35 else None
        img_after = rng.randint(2, max(2, n_par - 3)) if rng.random() < 0.2 else None
        caption = rng.choice(C.FEATURED_CAPTIONS).format_map(ctx)
        inline_caption = rng.choice(C.INLINE_CAPTIONS).format_map(ctx)
        related = self._pick_others(rng, id, id - 400, id + 30, 6)
        sidebar = self._pick_others(rng, id, id - 60, id + 60, 5)
        extra = self._pick_others(rng, id, id - 200, id + 10, 2, exclude=related)
        trunc_cut = rng.randint(1, 4)

        # --- kind-specific adjustments (after all draws, so the stream stays aligned)
        if kind == "truncated":
            repeat = False
            if b == 2:
                b = 3 if n_par > 3 else None
            if n_par < 5:
                paras.append([None, C.GENERIC[id % len(C.GENERIC)].format_map(ctx)])
                n_par += 1
            if style == "dateline":
                style = "none"
        if b is not None:
            paras[b][0] = lead
        for e in self._edits(id):
            if (id + e) % 2 == 1:
                paras.insert(1, [None, C.EDIT_PARAGRAPHS[(id + e) % len(C.EDIT_PARAGRAPHS)].format_map(ctx)])

        published = self.published(id)
        updated = self.updated(id)
        if _ambiguous(published, self.tz) or (updated and _ambiguous(updated, self.tz)):
            has_jsonld = True

        credits, glued, source, dateline = [], None, None, None
        if style in ("glued", "source"):
            forms = ", ".join(agencies)
            for a in agencies:
                if C.AGENCY[a] not in credits:
                    credits.append(C.AGENCY[a])
            if style == "glued":
                glued = forms
            else:
                source = f"সূত্র: {forms}"
        elif style == "dateline":
            place = {"new-york": "নিউইয়র্ক", "bangladesh": ctx["bd"]}.get(slug, "ঢাকা")
            d = published
            date = f"{bn(d.day)} {C.MONTHS[d.month - 1]}" + (f", {bn(d.year)}" if dl_year else "")
            dateline = f"{place}, {date} ({dl_agency}) :"
            credits = [C.AGENCY[dl_agency]]

        truth = [(p[0] + " " + p[1]) if p[0] else p[1] for p in paras]
        if dateline and truth:
            # The dateline is the article's place and date: it stays in the body (the
            # credit in it is recorded as well).
            truth[0] = f"{dateline} {truth[0]}"
        br_index = next((i for i, p in enumerate(paras) if p[0]), None)
        images = [(f"/wp-content/uploads/{id}.jpg", caption)]
        if img_after is not None:
            images.append((f"/wp-content/uploads/{id}-2.jpg", inline_caption))
        more_news = related[:5] + related[1:2] + related[5:] if len(related) >= 2 else related
        related_truth = [(f"/news/{r}/", self.headline(r)) for r in related]
        repeat_name = (("tail", "tail-nobr", "read-more-content")[variant]) if repeat else None
        jsonld_headline = None
        if has_jsonld:
            jsonld_headline = head.headline
            if trunc_jsonld:
                words = head.headline.split(" ")
                if len(words) >= 3:
                    jsonld_headline = " ".join(words[:-1 - (id % 2)]) + ("…" if id % 3 else "")
                else:
                    jsonld_headline = head.headline[:max(2, len(head.headline) - 3)] + "…"
        tag_truth = [C.TAGS[t] for t in tags]
        mentions = [mention[1]] if mention and mention[0] in " ".join(truth_paras_probe(truth, kind)) else []

        if kind == "truncated":
            keep = truth[:3]
            words = keep[2].split(" ")
            cut_words = max(1, min(len(words) - 1, len(words) // 2 + trunc_cut - 2))
            keep[2] = " ".join(words[:cut_words])
            truth_paras, credits_t, tags_t = keep, [], []
            images_t = images[:1]
        elif kind == "no_body":
            truth_paras, credits_t, tags_t, images_t = [], [], tag_truth, images[:1]
            repeat_name, br_index = None, None
        else:
            truth_paras, credits_t, tags_t, images_t = truth, credits, tag_truth, images

        spec = ArticleSpec(
            id=id, path=f"/news/{id}/", headline=head.headline, paragraphs=truth_paras, byline=byline,
            published=published, updated=updated, section_slug=slug, section=section,
            credits=credits_t, related=related_truth, images=images_t, tags=tags_t, kind=kind,
            visible_published=visible_date(published, date_style, self.tz),
            visible_updated=visible_date(updated, date_style, self.tz) if updated else None,
            date_style=date_style, jsonld=has_jsonld, jsonld_headline=jsonld_headline,
            credit_style=style if kind in ("ok", "gone", "server_error") else "none",
            repeat=repeat_name, br_paragraph=br_index if kind != "no_body" else None,
            mentions=mentions, edits=self._edits(id),
        )
        m = _Model()
        m.spec, m.head, m.paras, m.br_markup = spec, head, paras, br_markup
        m.dateline, m.glued, m.source = dateline, glued, source
        m.repeat = variant if repeat else None
        m.ad_after, m.inline_img = ad_after, (img_after, inline_caption) if img_after is not None else None
        m.readmore = (readmore_after, extra[0]) if readmore_after is not None and extra else None
        m.caption, m.more_news, m.sidebar = caption, more_news, sidebar
        m.script_title = self.headline(extra[-1]) if extra else "সর্বশেষ খবর"
        m.description = truth[0].split("।")[0] + "।" if truth else ""
        m.description = (m.description if kind != "no_body" else "")
        return m

    # ------------------------------------------------------------------ page chrome
    def _chrome(self) -> None:
        menu = "".join(f'<li><a href="/category/{s}/">{n}</a></li>' for s, n in C.SECTIONS)
        self._nav = f'<nav class="main-menu"><ul><li><a href="/">প্রচ্ছদ</a></li>{menu}</ul></nav>'
        today = visible_date(NEWEST_LOCAL, 2, self.tz).split(" | ")[0]
        self._header = (
            '<header class="site-header"><div class="top-bar"><span class="today">' + today +
            '</span> <a href="https://www.facebook.com/usbanglanews" class="social">Facebook</a></div>'
            '<div class="logo"><a href="/" class="site-title">' + C.PORTAL_NAME + '</a>'
            '<span class="tagline">নিউইয়র্ক থেকে প্রকাশিত বাংলা অনলাইন সংবাদপত্র</span></div>'
            '<form class="search-form" action="/search" method="get"><input type="text" name="s">'
            '<button type="submit">খুঁজুন</button></form></header>' + self._nav +
            '<div class="ad ad-top"><span>বিজ্ঞাপন</span></div>'
        )
        self._footer = (
            '<footer class="site-footer"><div class="footer-menu">' + menu.replace("li>", "span>") +
            '</div><p>সম্পাদক ও প্রকাশক: মোহাম্মদ আলমগীর হোসেন</p><p>কার্যালয়: ' + C.ADDRESS +
            '</p><p>ফোন: +১ ৭১৮-৫৫৫-০১৪৩ | ইমেইল: news@usbanglanews.example</p>'
            '<p>© ২০১৫–২০২৫ ' + C.PORTAL_NAME + '। সর্বস্বত্ব সংরক্ষিত।</p>'
            '<p><a href="/search?s=bangladesh">আর্কাইভ খুঁজুন</a> | <a href="/wp-admin/">লগইন</a></p>'
            '</footer></body></html>'
        )

    def _head_html(self, title: str, base: str, extra: str = "") -> str:
        return (
            '<!DOCTYPE html><html lang="bn"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(title)}</title>{extra}"
            '<link rel="alternate" type="application/rss+xml" title="ইউ এস বাংলা নিউজ &raquo; ফিড" href="/feed/">'
            '<link rel="stylesheet" href="/wp-content/themes/usbn/style.css">'
            "</head>"
        )

    def _item(self, id: int, tag: str = "h3") -> str:
        h = _esc(self.headline(id))
        return (f'<div class="news-item"><a href="/news/{id}/"><img src="/wp-content/uploads/{id}.jpg" alt="{h}" '
                f'loading="lazy"><{tag}>{h}</{tag}></a><span class="date">'
                f'{visible_date(self.published(id), 1, self.tz)}</span></div>')

    def _latest_widget(self, title: str = "সর্বশেষ", n: int = 10) -> str:
        ids = range(self.newest_id, max(FIRST_ID, self.newest_id - n + 1) - 1, -1)
        lis = "".join(f'<li><a href="/news/{i}/">{_esc(self.headline(i))}</a></li>' for i in ids)
        return f'<div class="widget latest"><h3>{title}</h3><ul>{lis}</ul></div>'

    # ------------------------------------------------------------------ pages
    def _article_page(self, id: int, base: str) -> bytes:
        m = self._model(id)
        s, head = m.spec, m.head
        url = f"{base}/news/{id}/"
        h = _esc(s.headline)
        extra = (f'<link rel="canonical" href="{url}">'
                 + (f'<meta name="description" content="{_esc(m.description)}">' if m.description else "")
                 + f'<meta property="og:type" content="article"><meta property="og:title" content="{h}">'
                 f'<meta property="og:url" content="{url}"><meta property="og:image" content="{base}/wp-content/uploads/{id}.jpg">'
                 f'<meta property="og:site_name" content="{C.PORTAL_NAME}">')
        if s.jsonld:
            ld = {
                "@context": "https://schema.org", "@type": "NewsArticle",
                "mainEntityOfPage": {"@type": "WebPage", "@id": url},
                "headline": s.jsonld_headline, "image": [f"{base}/wp-content/uploads/{id}.jpg"],
                "datePublished": s.published.isoformat(),
                "dateModified": (s.updated or s.published).isoformat(),
                "author": {"@type": "Person", "name": s.byline}, "articleSection": s.section,
                "publisher": {"@type": "Organization", "name": C.PORTAL_NAME},
            }
            extra += ('<script type="application/ld+json">'
                      + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/") + "</script>")
        extra += ("<script>window.dataLayer=window.dataLayer||[];dataLayer.push({'event':'pageview','postId':"
                  f"{id}}});var usbn_trending={json.dumps(m.script_title, ensure_ascii=False)};"
                  "var usbn_breaking=\"ব্রেকিং: \"+usbn_trending;</script>")
        out = [self._head_html(f"{s.headline} | {C.PORTAL_NAME}", base, extra),
               f'<body class="post-template-default single single-post postid-{id} single-format-standard">',
               self._header,
               f'<div class="container"><main class="content"><div class="breadcrumb"><a href="/">প্রচ্ছদ</a> » '
               f'<a href="/category/{s.section_slug}/">{s.section}</a></div><div class="single-news">'
               f'<div class="reporter-info"><span class="author-name">{_esc(s.byline)}</span> '
               f'<span class="publish-date">প্রকাশিত: {s.visible_published}</span>']
        if s.visible_updated:
            out.append(f' <span class="update-date">আপডেট: {s.visible_updated}</span>')
        out.append('</div><div class="more-news"><h3>আরও খবর</h3><ul>')
        out += [f'<li><a href="/news/{r}/">{_esc(self.headline(r))}</a></li>' for r in m.more_news]
        share = f"{url}"
        out.append(
            f'</ul></div><h1 class="news-title">{h}</h1>'
            '<div class="share-buttons"><span>শেয়ার করুন</span> '
            f'<a href="https://www.facebook.com/sharer/sharer.php?u={share}" target="_blank" rel="noopener">Facebook</a> '
            f'<a href="https://twitter.com/intent/tweet?url={share}" target="_blank" rel="noopener">Twitter</a> '
            f'<a href="https://api.whatsapp.com/send?text={share}" target="_blank" rel="noopener">WhatsApp</a></div>'
            f'<figure class="featured-image"><img src="/wp-content/uploads/{id}.jpg" alt="{h}" width="800" height="450">'
            f'<figcaption>{_esc(m.caption)}</figcaption></figure><div class="news-details">')
        if s.kind != "no_body":
            paras = m.paras
            last = len(paras) - 1
            for i, (lead, text) in enumerate(paras):
                inner = f"{_esc(lead)}{m.br_markup}{_esc(text)}" if lead else _esc(text)
                if i == 0 and m.dateline:
                    inner = f"{_esc(m.dateline)} {inner}"
                if i == last and m.glued:
                    inner = f"{inner} {_esc(m.glued)}"
                out.append(f"<p>{inner}</p>")
                if i == m.ad_after:
                    out.append('<div class="ad ad-inline"><span>বিজ্ঞাপন</span></div>')
                if m.readmore and i == m.readmore[0]:
                    rid = m.readmore[1]
                    out.append(f'<p><strong>আরও পড়ুন:</strong> <a href="/news/{rid}/">{_esc(self.headline(rid))}</a></p>')
                if m.inline_img and i == m.inline_img[0]:
                    out.append(f'<figure class="wp-block-image"><img src="/wp-content/uploads/{id}-2.jpg" alt="">'
                               f'<figcaption>{_esc(m.inline_img[1])}</figcaption></figure>')
            if m.source:
                out.append(f"<p>{_esc(m.source)}</p>")
        out.append("</div>")
        if m.repeat is not None and s.kind != "no_body":
            lead, text = m.paras[-2]
            first = f"{_esc(lead)} {_esc(text)}" if m.repeat == 1 else _esc(text)
            lastp = _esc(m.paras[-1][1]) + (f" {_esc(m.glued)}" if m.glued else "")
            tail = f"<p>{first}</p><p>{lastp}</p>" + (f"<p>{_esc(m.source)}</p>" if m.source else "")
            if m.repeat == 2:
                tail = f'<div class="read-more-content">{tail}</div>'
            out.append(f'<div class="news-details-more">{tail}</div>')
        tags = "".join(f' <a href="/tag/{t}/" rel="tag">{C.TAGS[t]}</a>' for t in head.tags)
        out.append(f'<div class="tags"><span>ট্যাগ:</span>{tags}</div><div class="post-navigation">')
        if id + 1 <= self.newest_id:
            out.append(f'<a class="prev-post" href="/news/{id + 1}/">« {_esc(self.headline(id + 1))}</a> ')
        if id - 1 >= FIRST_ID:
            out.append(f'<a class="next-post" href="/news/{id - 1}/">{_esc(self.headline(id - 1))} »</a>')
        out.append('</div><div class="comments"><h3>মন্তব্য করুন</h3><form class="comment-form" action="/wp-comments-post.php" '
                   'method="post"><textarea name="comment"></textarea><input type="text" name="author" placeholder="নাম">'
                   f'<input type="hidden" name="comment_post_ID" value="{id}"><button type="submit">মন্তব্য পাঠান</button>'
                   '</form></div></div></main><aside class="sidebar"><div class="widget most-read"><h3>সর্বাধিক পঠিত</h3><ol>')
        out += [f'<li><a href="/news/{r}/">{_esc(self.headline(r))}</a></li>' for r in m.sidebar]
        out.append('</ol></div><div class="ad ad-sidebar"><span>বিজ্ঞাপন</span></div></aside></div>')
        out.append(self._footer)
        page = "".join(out)
        if s.kind == "truncated":
            start = page.index('<div class="news-details">')
            cut = s.paragraphs[2]
            p3 = page.index("<p>" + _esc(cut), start)
            page = page[:p3 + 3 + len(_esc(cut))]
        return page.encode("utf-8")

    def _home(self, base: str) -> bytes:
        lead = self._model(self.newest_id)
        ids = range(self.newest_id, max(FIRST_ID, self.newest_id - HOME_COUNT + 1) - 1, -1)
        out = [self._head_html(f"{C.PORTAL_NAME} | নিউইয়র্ক থেকে প্রকাশিত বাংলা সংবাদ", base,
                               f'<link rel="canonical" href="{base}/"><meta property="og:type" content="website">'),
               '<body class="home blog">', self._header,
               '<div class="container"><main class="content"><div class="lead-news">'
               f'<a href="/news/{self.newest_id}/"><img src="/wp-content/uploads/{self.newest_id}.jpg" alt="">'
               f'<h2>{_esc(lead.spec.headline)}</h2></a><p class="excerpt">{_esc(lead.description)}</p></div>'
               '<div class="ad ad-inline"><span>বিজ্ঞাপন</span></div><div class="news-list">']
        out += [self._item(i) for i in ids]
        out.append('</div>')
        for slug, name in C.SECTIONS:
            top = self.section_ids(slug, 0, 4)
            if top:
                out.append(f'<section class="cat-block"><h2><a href="/category/{slug}/">{name}</a></h2><ul>')
                out += [f'<li><a href="/news/{i}/">{_esc(self.headline(i))}</a></li>' for i in top]
                out.append('</ul></section>')
        out.append('</main><aside class="sidebar">' + self._latest_widget() +
                   '<div class="ad ad-sidebar"><span>বিজ্ঞাপন</span></div></aside></div>' + self._footer)
        return "".join(out).encode("utf-8")

    def _pagination(self, prefix: str, n: int, last: int) -> str:
        def url(k):
            return prefix if k == 1 else f"{prefix}page/{k}/"
        parts = []
        if n > 1:
            parts.append(f'<a class="prev" href="{url(n - 1)}">« আগের</a>')
        shown = sorted({1, last, *range(max(1, n - 2), min(last, n + 2) + 1)})
        prev = 0
        for k in shown:
            if k - prev > 1:
                parts.append('<span class="dots">…</span>')
            parts.append(f'<span class="current">{bn(k)}</span>' if k == n else f'<a href="{url(k)}">{bn(k)}</a>')
            prev = k
        if n < last:
            parts.append(f'<a class="next" rel="next" href="{url(n + 1)}">পরের »</a>')
        return '<div class="pagination">' + " ".join(parts) + "</div>"

    def _category(self, slug: str, n: int, base: str) -> bytes | None:
        last = self.section_pages(slug)
        if n < 1 or n > last:
            return None
        name = C.SECTIONS[self._slug_index[slug]][1]
        prefix = f"/category/{slug}/"
        extra = f'<link rel="canonical" href="{base}{prefix}{"" if n == 1 else f"page/{n}/"}">'
        if n > 1:
            extra += f'<link rel="prev" href="{base}{prefix}{"" if n == 2 else f"page/{n - 1}/"}">'
        if n < last:
            extra += f'<link rel="next" href="{base}{prefix}page/{n + 1}/">'
        title = f"{name} আর্কাইভ" + (f" - পাতা {bn(n)}" if n > 1 else "") + f" | {C.PORTAL_NAME}"
        ids = self.section_ids(slug, (n - 1) * PER_PAGE, n * PER_PAGE)
        out = [self._head_html(title, base, extra), f'<body class="archive category category-{slug}">', self._header,
               f'<div class="container"><main class="content"><div class="breadcrumb"><a href="/">প্রচ্ছদ</a> » {name}</div>'
               f'<h1 class="category-title">{name}</h1><div class="news-list">']
        out += [self._item(i) for i in ids]
        out.append("</div>" + self._pagination(prefix, n, last) + '</main><aside class="sidebar">'
                   + self._latest_widget() + "</aside></div>" + self._footer)
        return "".join(out).encode("utf-8")

    def _tag(self, slug: str, base: str) -> bytes | None:
        if slug not in C.TAGS:
            return None
        ids = []
        for i in range(self.newest_id, max(FIRST_ID, self.newest_id - 300) - 1, -1):
            if slug in self._head(i).tags:
                ids.append(i)
                if len(ids) == PER_PAGE:
                    break
        name = C.TAGS[slug]
        out = [self._head_html(f"{name} | {C.PORTAL_NAME}", base, f'<link rel="canonical" href="{base}/tag/{slug}/">'),
               f'<body class="archive tag tag-{slug}">', self._header,
               f'<div class="container"><main class="content"><h1 class="tag-title">ট্যাগ: {name}</h1><div class="news-list">']
        out += [self._item(i) for i in ids]
        out.append('</div></main><aside class="sidebar">' + self._latest_widget() + "</aside></div>" + self._footer)
        return "".join(out).encode("utf-8")

    def _search(self, base: str) -> bytes:
        out = [self._head_html(f"খুঁজুন | {C.PORTAL_NAME}", base, '<meta name="robots" content="noindex">'),
               '<body class="search">', self._header,
               '<div class="container"><main class="content"><h1 class="search-title">অনুসন্ধানের ফলাফল</h1><div class="news-list">']
        out += [self._item(i) for i in range(self.newest_id, max(FIRST_ID, self.newest_id - 9) - 1, -1)]
        out.append("</div></main></div>" + self._footer)
        return "".join(out).encode("utf-8")

    def _not_found(self, base: str) -> bytes:
        return "".join([
            self._head_html(f"পাতাটি খুঁজে পাওয়া যায়নি | {C.PORTAL_NAME}", base, '<meta name="robots" content="noindex">'),
            '<body class="error404">', self._header,
            '<div class="container"><main class="content"><h1 class="page-title">দুঃখিত, পাতাটি খুঁজে পাওয়া যায়নি</h1>'
            '<p>আপনি যে পাতাটি খুঁজছেন সেটি সরিয়ে ফেলা হয়েছে অথবা ঠিকানাটি ভুল।</p></main><aside class="sidebar">',
            self._latest_widget(), "</aside></div>", self._footer]).encode("utf-8")

    def _robots(self, base: str) -> bytes:
        return (f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\nDisallow: /search\n\n"
                f"Sitemap: {base}/sitemap.xml\n").encode()

    def _post_sitemap(self, k: int, base: str):
        lo = FIRST_ID + (k - 1) * SITEMAP_SIZE
        hi = min(self.newest_id, lo + SITEMAP_SIZE - 1)
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
        newest = None
        for i in range(lo, hi + 1):
            lm = self.lastmod(i)
            if newest is None or lm > newest:
                newest = lm
            out.append(f"<url><loc>{base}/news/{i}/</loc><lastmod>{lm.isoformat()}</lastmod></url>\n")
        out.append("</urlset>\n")
        self._sitemap_cache[k] = newest
        return "".join(out).encode("utf-8"), newest

    def _sitemap_lastmod(self, k: int) -> datetime:
        if k not in self._sitemap_cache:
            lo = FIRST_ID + (k - 1) * SITEMAP_SIZE
            hi = min(self.newest_id, lo + SITEMAP_SIZE - 1)
            self._sitemap_cache[k] = max(self.lastmod(i) for i in range(lo, hi + 1))
        return self._sitemap_cache[k]

    def _section_lastmod(self, slug: str) -> datetime:
        top = self.section_ids(slug, 0, 1)
        return self.lastmod(top[0]) if top else self.site_modified

    def _sitemap_index(self, base: str) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
        for k in range(1, self._sitemap_pages() + 1):
            out.append(f"<sitemap><loc>{base}/post-sitemap{k}.xml</loc>"
                       f"<lastmod>{self._sitemap_lastmod(k).isoformat()}</lastmod></sitemap>\n")
        cat_lm = max(self._section_lastmod(s) for s, _ in C.SECTIONS)
        out.append(f"<sitemap><loc>{base}/category-sitemap.xml</loc><lastmod>{cat_lm.isoformat()}</lastmod></sitemap>\n")
        out.append("</sitemapindex>\n")
        return "".join(out).encode("utf-8")

    def _category_sitemap(self, base: str) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
        for slug, _ in C.SECTIONS:
            out.append(f"<url><loc>{base}/category/{slug}/</loc><lastmod>{self._section_lastmod(slug).isoformat()}"
                       "</lastmod></url>\n")
        out.append("</urlset>\n")
        return "".join(out).encode("utf-8")

    def _feed(self, base: str) -> bytes:
        ids = range(self.newest_id, max(FIRST_ID, self.newest_id - FEED_COUNT + 1) - 1, -1)
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
               'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
               f"<title>{C.PORTAL_NAME}</title><atom:link href=\"{base}/feed/\" rel=\"self\" type=\"application/rss+xml\"/>"
               f"<link>{base}/</link><description>নিউইয়র্ক থেকে প্রকাশিত বাংলা অনলাইন সংবাদপত্র</description>"
               f"<lastBuildDate>{format_datetime(self.lastmod(self.newest_id))}</lastBuildDate><language>bn</language>\n"]
        for i in ids:
            m = self._model(i)
            s = m.spec
            link = f"{base}/news/{i}/"
            out.append(f"<item><title>{_xesc(s.headline)}</title><link>{link}</link>"
                       f'<guid isPermaLink="true">{link}</guid><pubDate>{format_datetime(s.published)}</pubDate>'
                       f"<dc:creator><![CDATA[{s.byline}]]></dc:creator><category>{_xesc(s.section)}</category>"
                       f"<description>{_xesc(m.description)}</description></item>\n")
        out.append("</channel></rss>\n")
        return "".join(out).encode("utf-8")

    # ------------------------------------------------------------------ dispatch
    def render(self, path: str, base_url: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for ``path`` (query string and fragment ignored)."""
        base = base_url.rstrip("/")
        p = path.split("#", 1)[0].split("?", 1)[0] or "/"
        ctype, body, status, modified, extra_headers = HTML_TYPE, None, 200, self.site_modified, {}

        def redirect(to):
            return 301, {"Location": base + to}, (f'<html><body><a href="{to}">{to}</a></body></html>').encode()

        m = _RE_NEWS.match(p)
        if m:
            id = int(m.group(1))
            if not self.exists(id):
                status = 404
            elif not m.group(2):
                status, extra_headers, body = redirect(f"/news/{id}/")
            else:
                kind = self.kind(id)
                if kind == "gone":
                    status = 404
                elif kind == "server_error":
                    status, body = 500, (b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
                                         b"<body><h1>Internal Server Error</h1><p>The server encountered an internal error."
                                         b"</p></body></html>")
                else:
                    body, modified = self._article_page(id, base), self.lastmod(id)
        elif p == "/":
            body = self._home(base)
        elif (m := _RE_CAT.match(p)):
            slug, n = m.group(1), int(m.group(2) or 1)
            if slug not in self._slug_index:
                status = 404
            elif m.group(2) and n == 1:
                status, extra_headers, body = redirect(f"/category/{slug}/")
            elif not m.group(3):
                status, extra_headers, body = redirect(p + "/")
            else:
                body = self._category(slug, n, base)
                if body is None:
                    status = 404
                else:
                    modified = self._section_lastmod(slug)
        elif p == "/robots.txt":
            ctype, body, modified = "text/plain; charset=UTF-8", self._robots(base), STATIC_MODIFIED
        elif p == "/sitemap.xml" or p == "/sitemap_index.xml":
            ctype, body = XML_TYPE, self._sitemap_index(base)
        elif (m := _RE_POST_SITEMAP.match(p)):
            k = int(m.group(1))
            if 1 <= k <= self._sitemap_pages():
                ctype = XML_TYPE
                body, modified = self._post_sitemap(k, base)
            else:
                status = 404
        elif p == "/category-sitemap.xml":
            ctype, body = XML_TYPE, self._category_sitemap(base)
        elif p == "/feed/":
            ctype, body, modified = RSS_TYPE, self._feed(base), self.lastmod(self.newest_id)
        elif p == "/feed":
            status, extra_headers, body = redirect("/feed/")
        elif (m := _RE_TAG.match(p)):
            body = self._tag(m.group(1), base) if m.group(2) else None
            if body is None:
                if m.group(1) in C.TAGS:
                    status, extra_headers, body = redirect(p + "/")
                else:
                    status = 404
        elif (m := _RE_IMG.match(p)):
            if self.exists(int(m.group(1))):
                ctype, body, modified = "image/jpeg", JPEG, STATIC_MODIFIED
            else:
                status = 404
        elif p == "/wp-content/themes/usbn/style.css":
            ctype, body, modified = "text/css; charset=UTF-8", CSS, STATIC_MODIFIED
        elif p == "/search" or p.startswith("/search/"):
            body = self._search(base)
        elif p.startswith("/wp-admin"):
            status, body = 403, b"<html><body><h1>Forbidden</h1></body></html>"
        else:
            status = 404
        if status == 404 and body is None:
            body = self._not_found(base)
        headers = {"Content-Type": ctype, "Content-Length": str(len(body))}
        headers.update(extra_headers)
        if status == 200:
            headers["Last-Modified"] = _http_date(modified)
            headers["ETag"] = '"' + hashlib.sha1(body).hexdigest() + '"'
        return status, headers, body
