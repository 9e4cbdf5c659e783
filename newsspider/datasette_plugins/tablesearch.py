"""The articles table's search box without a row lookup per match (issue 13).

Datasette answers ``/archive/articles?_search=…`` with statements of its own making, each
evaluating the match again and looking up every matching article's row:

- the page's rows: ``select … from articles where id in (select rowid from articles_words
  where articles_words match escape_fts(:search)) order by published desc limit 51``
  (every match's row read, its columns copied into the sorter: 40 ms for 28,000 matches
  of 50,000 articles);
- the count: ``select count(*) from articles where id in (…)`` (27 ms; the match alone
  counts them in 3);
- the facets' ids (:class:`.search.IndexedFacet`), a third evaluation.

Datasette 0.65 has no hook that replaces them, so the archive's databases get an
``execute`` that recognises these two statements exactly (the search box as the only
filter, the table's own order) and answers them from one evaluation of the match per
request (its ids, kept for the request's facets too):

- the count is the number of ids (the word index's rowids are the articles' ids: its
  triggers keep them so);
- the rows: the facet index (:mod:`.facetindex`) holds every article's ``published`` as a
  number that orders as the text does, to the minute; the ids with the ``limit`` largest
  numbers, and every id tied with the smallest of them, are the only candidates, and
  Datasette's own statement runs over them (``where id in (<candidates>)``, same order by,
  same limit), so the page is the same rows in the same order, ties included.

Anything else (another sort, a filter besides the search box, ``_next``, a ``published``
that is not ISO 8601 among the matches, too many ties) runs as Datasette wrote it.
"""

from __future__ import annotations

import contextvars
import json
import re

from datasette.database import Results

from . import facetindex, inline

#: per request: {(database name, search): list of ids}; set by the ASGI wrapper
REQUEST_MATCHES: contextvars.ContextVar[dict | None] = contextvars.ContextVar("newsspider_matches", default=None)

_MATCH = (r"select rowid from \[?articles_words\]? where \[?articles_words\]? "
          r"match escape_fts\(:search\)")
ROWS = re.compile(r"select (?P<columns>(?:(?! from ).)+) from \[?articles\]? where id in \(" + _MATCH +
                  r"\) order by (?P<order>published desc) limit (?P<limit>[0-9]+)\s*", re.S | re.I)
COUNT = re.compile(r"select count\(\*\) from \[?articles\]? where id in \(" + _MATCH + r"\)\s*", re.S | re.I)
#: the ids as one JSON array (json.loads reads 30,000 ids in ~2 ms, split + int in ~6)
IDS_SQL = ("select '[' || coalesce(group_concat(rowid), '') || ']' from (select rowid from articles_words "
           "where articles_words match escape_fts(:search))")
#: more candidates than this (ties at the page's last date) and SQL orders all the matches
MOST_CANDIDATES = 2000


def wrap(db) -> None:
    """Give ``db`` (a Datasette Database holding ``articles`` and its word index) the
    ``execute`` described above."""
    if getattr(db.execute, "newsspider_tablesearch", False):
        return
    original = db.execute

    async def execute(sql, params=None, truncate=False, custom_time_limit=None, page_size=None,
                      log_sql_errors=True):
        kw = {"truncate": truncate, "custom_time_limit": custom_time_limit, "page_size": page_size,
              "log_sql_errors": log_sql_errors}
        search = params.get("search") if isinstance(params, dict) else None
        if isinstance(search, str) and isinstance(sql, str):
            count = COUNT.fullmatch(sql)
            if count:
                ids = await matches(original, db.name, search, custom_time_limit)
                return Results([(len(ids),)], False, (("count(*)", None, None, None, None, None, None),))
            rows = ROWS.fullmatch(sql)
            if rows:
                limit = int(rows.group("limit"))
                ids = await matches(original, db.name, search, custom_time_limit)
                chosen = await newest(db, ids, limit)
                if chosen is not None:
                    sql = (f"select {rows.group('columns')} from articles where id in "
                           f"({','.join(map(str, chosen))}) order by {rows.group('order')} limit {limit}")
        return await original(sql, params, **kw)

    execute.newsspider_tablesearch = True
    db.execute = execute


async def matches(execute, name: str, search: str, custom_time_limit=None) -> list[int]:
    """The ids the word index matches for ``search`` (ascending), evaluated once per
    request (by one statement under Datasette's time limit)."""
    cache = REQUEST_MATCHES.get()
    key = (name, search)
    if cache is not None and key in cache:
        return cache[key]
    results = await execute(IDS_SQL, {"search": search}, custom_time_limit=custom_time_limit)
    ids = json.loads(results.rows[0][0])
    if cache is not None:
        cache[key] = ids
    return ids


def cached_matches(name: str, search: str) -> list[int] | None:
    """The ids of ``search`` if this request has evaluated it."""
    cache = REQUEST_MATCHES.get()
    return None if cache is None else cache.get((name, search))


async def newest(db, ids, limit: int) -> list[int] | None:
    """The candidates for the ``limit`` newest of ``ids`` (:meth:`FacetIndex.newest`),
    or None: SQL orders them all."""
    if len(ids) <= limit:
        return list(ids)
    index = facetindex.index_for(db.path)

    def run(conn):
        for _attempt in range(3):
            with index.lock:
                index.refresh(conn)
                try:
                    return index.newest(ids, limit, MOST_CANDIDATES)
                except facetindex.CacheBehind:  # ids written after the index was read
                    continue
        return None

    try:
        # here, not in the SQL pool, once the index is loaded: reading the rows written
        # since is a small indexed query, the rest is Python (the GIL is held either way)
        return await inline.inline_or_pool(db, run, small=index.seq >= 0)
    except LookupError:  # an archive without search_facets (not migrated yet)
        return None
