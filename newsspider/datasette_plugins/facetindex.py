"""Facet counts from an in-memory copy of ``search_facets`` (issue 13).

Counting a facet in SQL looks up every matching article's row and sorts the matches by
value, once per facet: ~1.5-2 µs a match a facet, so a word in 30,000 of 500,000 articles
costs ~250 ms for four facets. Here each column of ``search_facets`` (one narrow row per
article, kept by the schema's triggers: :data:`pipelines.schema.SEARCH_FACET_COLUMNS`) is
held per archive as an array of small integer codes indexed by article id (and as one
byte each while the column has at most 256 values); a facet of a set of matches is the
matches' codes gathered by one ``itemgetter`` call and counted with ``bytes.count`` per
code (~0.03 µs a match; ``Counter(map(codes.__getitem__, ids))``, ~0.15 µs, for a column
of more values), and the ids come from one SQL query (the match, with the page's filters),
fetched once for every facet of the page (or given by the table's search, which has them).

Beside the facet columns it holds each article's ``published`` as an integer that orders
as SQLite orders the text (:func:`published_key`), so that the articles table's search
picks the newest matches without looking up every match's row
(:mod:`.tablesearch`).

Kept current by ``search_facets.seq``: every write of a row gives it the next ``seq``, so
each use reads ``max(seq)`` (one index lookup) and loads only the rows written since
(a crawl adding 300 articles: 300 rows, not the table). A deleted article's row stays in
memory, unused: the ids counted always come from a query on the archive, which no longer
returns it.
"""

from __future__ import annotations

import heapq
import json
import re
import sqlite3
import threading
from array import array
from collections import Counter
from itertools import repeat
from operator import itemgetter

from pipelines.schema import AGENCY_SEPARATOR, SEARCH_FACET_COLUMNS

__all__ = ["FacetIndex", "index_for", "CacheBehind", "published_key"]

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2}))?")


def published_key(value) -> int | None:
    """``published`` as YYYYMMDDHHMM: ordered as SQLite orders the text, except that the
    values of one minute are equal (a date alone is the minute 00:00); -1 for NULL (first
    in SQLite's order). None for a value this cannot order (not an ISO 8601 date, or a
    date followed by anything but ``THH:MM``: "2025-07-01 23:00" sorts before
    "2025-07-01T01:00" in the text)."""
    if value is None:
        return -1
    if type(value) is not str:
        return None
    m = _ISO_DATE.match(value)
    if m is None or (m.group(4) is None and len(value) != 10):
        return None
    y, mo, d, h, mi = m.groups()
    return int(y + mo + d + (h or "00") + (mi or "00"))


class CacheBehind(Exception):
    """An id to count is newer than the rows loaded (written meanwhile): refresh, retry."""


class _Column:
    __slots__ = ("codes", "small", "values", "index")

    def __init__(self):
        self.codes = array("I")       # article id -> code of its value (0: no row, or NULL)
        self.small = bytearray()      # the same, one byte each, while there are <= 256 codes
        self.values: list = [None]    # code -> value
        self.index: dict = {None: 0}  # value -> code

    def code(self, value) -> int:
        c = self.index.get(value)
        if c is None:
            c = self.index[value] = len(self.values)
            self.values.append(value)
            if c > 255:
                self.small = None
        return c

    def grow(self, n: int) -> None:
        self.codes.extend(repeat(0, n))
        if self.small is not None:
            self.small.extend(bytes(n))

    def set(self, i: int, value) -> None:
        c = self.codes[i] = self.code(value)
        if self.small is not None:
            self.small[i] = c

    def counts(self, ids, gather) -> dict:
        """{code: count} over ``ids``; ``gather``: ``itemgetter(*ids)`` (None for a few ids).
        A column of at most 256 values is gathered as bytes and counted by ``bytes.count``
        per code (~0.03 us a match, against ~0.15 for a Counter of every code)."""
        if gather is not None and self.small is not None:
            picked = bytes(gather(self.small))
            return {c: n for c in range(len(self.values)) if (n := picked.count(c))}
        return Counter(map(self.codes.__getitem__, ids))


class FacetIndex:
    """The facet columns of one archive's ``search_facets``, in memory."""

    def __init__(self):
        self.columns: dict[str, _Column] = {}
        self.seq = -1          # the highest seq loaded (-1: nothing loaded)
        self.size = 0          # ids 0 .. size - 1 are covered by the arrays
        self.has_seq = True
        self.published = array("q")   # article id -> published_key (-1: NULL or no row)
        self.unorderable: set[int] = set()  # ids whose published has no key
        self.lock = threading.Lock()
        self._totals: tuple[int, dict] | None = None

    # ------------------------------------------------------------------ loading
    def refresh(self, conn) -> None:
        """Load the rows written since the last call (all of them the first time)."""
        if not self.columns:
            have = [r[1] for r in conn.execute("PRAGMA table_info(search_facets)")]
            if not have:
                raise LookupError("the archive has no search_facets table (run a crawl to migrate it)")
            self.has_seq = "seq" in have
            self.columns = {c: _Column() for c in SEARCH_FACET_COLUMNS if c in have}
        names = list(self.columns)
        if self.has_seq and self.seq >= 0:
            top = conn.execute("SELECT max(seq) FROM search_facets").fetchone()[0]
            top = -1 if top is None else top
            if top <= self.seq:
                return
            rows = self._rows(conn, f"SELECT id, {', '.join(names)}, seq, {{}} FROM search_facets f "
                              "WHERE seq > ?", [self.seq])
        else:
            # the first load (or an archive of an early v2, without seq, every time): the
            # whole table in one scan, in its own order (one statement: one snapshot)
            if not self.has_seq:
                self.columns = {c: _Column() for c in self.columns}
                self.size = 0
                self.published, self.unorderable = array("q"), set()
            seq = ", seq" if self.has_seq else ", 0"
            rows = self._rows(conn, f"SELECT id, {', '.join(names)}{seq}, {{}} FROM search_facets f", [])
        top = max((r[-2] or 0 for r in rows), default=self.seq) if self.has_seq else 0
        cols = [self.columns[c] for c in names]
        if rows:
            top_id = max(r[0] for r in rows)
            if top_id >= self.size:
                grow = top_id + 1 - self.size + 1024
                for col in cols:
                    col.grow(grow)
                self.published.extend(repeat(-1, grow))
                self.size += grow
        published, unorderable = self.published, self.unorderable
        for row in rows:
            i = row[0]
            for k, col in enumerate(cols, 1):
                col.set(i, row[k])
            key = published_key(row[-1])
            if key is None:
                unorderable.add(i)
                published[i] = -1
            else:
                unorderable.discard(i)
                published[i] = key
        self.seq = top
        self._totals = None

    @staticmethod
    def _rows(conn, sql: str, params) -> list:
        try:
            return conn.execute(sql.format(_PUBLISHED), params).fetchall()
        except sqlite3.OperationalError as e:
            if "articles_facets" not in str(e):
                raise
            return conn.execute(sql.format(_PUBLISHED_ANY), params).fetchall()

    # ------------------------------------------------------------------ ordering
    def newest(self, ids, limit: int, most: int) -> list[int] | None:
        """The ids among ``ids`` that can be among the ``limit`` newest by ``published``
        (the ``limit`` largest keys and every id tied with the smallest of them), in the
        order of ``ids``; None when that is more than ``most`` ids (one day's articles
        dated without a time are all tied) or the date of one of ``ids`` has no key: then
        only SQL can order them. Raises CacheBehind."""
        if self.unorderable and not self.unorderable.isdisjoint(ids):
            return None
        if ids and max(ids) >= self.size:
            raise CacheBehind()
        if len(ids) <= limit:
            return list(ids)
        keys = self.published
        threshold = heapq.nlargest(limit, map(keys.__getitem__, ids))[-1]
        chosen = [i for i in ids if keys[i] >= threshold]
        return chosen if len(chosen) <= most else None

    # ------------------------------------------------------------------ counting
    def count(self, ids, names) -> dict[str, dict]:
        """{column: {value: count}} over ``ids`` (NULL values left out; ``agencies``
        split into agencies, each counted once per article). Raises CacheBehind."""
        if ids and max(ids) >= self.size:
            raise CacheBehind()
        gather = itemgetter(*ids) if len(ids) > 32 else None  # one C call per column
        out = {}
        for name in names:
            col = self.columns.get(name)
            if col is None:
                raise LookupError(f"search_facets has no column {name!r} (run a crawl to migrate the archive)")
            out[name] = self._values(name, col, col.counts(ids, gather))
        return out

    def totals(self, names) -> dict[str, dict]:
        """The same over every article (the table page without a filter), computed once
        per change of the archive."""
        if self._totals is None or self._totals[0] != self.seq:
            self._totals = (self.seq, {})
        cache = self._totals[1]
        out = {}
        for name in names:
            if name not in cache:
                col = self.columns[name]
                cache[name] = self._values(name, col, Counter(col.codes))
            out[name] = cache[name]
        return out

    @staticmethod
    def _values(name, col, counts: Counter) -> dict:
        counts.pop(0, None)
        values = col.values
        if name != "agencies":
            return {values[k]: n for k, n in counts.items()}
        # agencies: the article's agencies joined by U+001F, in credited order; in the
        # order of the joined values, as SQL's GROUP BY gave them (ties keep it)
        out: dict[str, int] = {}
        for joined, n in sorted((values[k], n) for k, n in counts.items()):
            for agency in joined.split(AGENCY_SEPARATOR):
                if agency:
                    out[agency] = out.get(agency, 0) + n
        return out


#: each row's published, read with its facet row (one statement: one snapshot), from the
#: covering index articles_facets (id, section, byline, published): left to itself the
#: planner read the table's rows (500,000 articles: 15 s and 2 GB of the file mapped,
#: against 1.1 s)
_PUBLISHED = "(SELECT published FROM articles a INDEXED BY articles_facets WHERE a.id = f.id)"
_PUBLISHED_ANY = "(SELECT published FROM articles a WHERE a.id = f.id)"  # an archive without it

_INDEXES: dict[str, FacetIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(path) -> FacetIndex:
    """The one FacetIndex of the archive at ``path`` in this process."""
    key = str(path)
    with _INDEXES_LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = FacetIndex()
        return _INDEXES[key]


def counts_of(conn, path, ids_sql: str | None, params, names, time_limit=None, ids=None) -> tuple[int, dict]:
    """(number of ids, {column: {value: count}}) of the ids ``ids_sql`` selects (its first
    column), or of ``ids`` when given (the request has them already), counted from the
    facet index of ``path``; neither: every article (the number is then -1: the caller
    has the table's count). ``time_limit``: a context manager factory for the ids query
    only (loading the index is not the query's cost: the first load of 500,000 rows from
    a cold disk may take seconds)."""
    index = index_for(path)
    with index.lock:
        index.refresh(conn)
    if ids is None and ids_sql is not None:
        # one JSON array of every id, not a row each: sqlite3 makes a tuple per row (~0.4
        # us; the ids of 28,350 matches: 16 -> 9 ms), json.loads reads it in C (9 -> ~5)
        sql = f"WITH ids(k) AS ({ids_sql}) SELECT '[' || coalesce(group_concat(k), '') || ']' FROM ids"
        if time_limit is not None:
            with time_limit():
                joined = conn.execute(sql, params).fetchone()[0]
        else:
            joined = conn.execute(sql, params).fetchone()[0]
        ids = json.loads(joined)
    for _attempt in range(3):
        with index.lock:
            try:
                if ids is None:
                    return -1, index.totals(names)
                return len(ids), index.count(ids, names)
            except CacheBehind:  # ids written after the index was read: read them, count again
                index.refresh(conn)
    raise CacheBehind()
