"""Search in Datasette (issue 13): SQL functions, the search page's facets, its messages.

- SQL functions (registered on every connection, after Datasette's own):
  ``escape_fts(q)`` is replaced by :func:`newsspider.search.match_expression`, so the
  table's search box (``?_search=``, which Datasette runs as ``match escape_fts(:search)``
  on the table's ``fts_table``, ``articles_words``) takes the same syntax, normalisation
  and inflection as the ``search`` query; ``search_match(q)`` (the same),
  ``search_trigram(q)`` (the query for the trigram index, inside-word matches),
  ``search_excerpt(body, q)`` (about 30 words around the first match, «marked»).
- :func:`search_facets`: the counts by section, agency, byline and month of every match
  of the ``search`` query (with its filters): the matches' ids by one SQL query, counted
  from the facet index (:mod:`.facetindex`, ``search_facets`` in memory).
- :class:`IndexedFacet`: the ``articles`` table's facets (``- indexed: section`` ...)
  counted the same way, one pass over the page's rows for all of them.
- :func:`search_problem`: the message for a query the syntax cannot take.
"""

from __future__ import annotations

import contextvars
import json
import re
import sqlite3
import urllib.parse

from datasette.facets import Facet
from datasette.utils import path_with_removed_args, sqlite_timelimit

from newsspider import search as S

from . import facetindex, inline, tablesearch

#: the ``_search`` of the table request being rendered (render_cell has no request)
CURRENT_SEARCH: contextvars.ContextVar[str | None] = contextvars.ContextVar("newsspider_search", default=None)

FILTERS = ("from", "to", "section", "agency", "byline")
FACET_SIZE = 10


def vocabulary_lookup(conn):
    """A function of a word's candidate forms -> those the word index holds (one FTS5
    lookup each, ~20 us), or None where the archive has no word index."""
    try:
        conn.execute("select 1 from articles_words where articles_words match '\"x\"' limit 1").fetchall()
    except sqlite3.Error:
        return None

    def known(forms):
        return [f for f in forms if conn.execute(
            "select 1 from articles_words where articles_words match ? limit 1", [S._quote(f)]).fetchone()]
    return known


def _per_archive_version(conn, fn, size: int = 256):
    """``fn(q)`` remembered per query until the archive changes (``PRAGMA data_version``
    of this connection moves when another connection commits, e.g. a crawl adding words):
    the query's expression costs one vocabulary lookup per candidate form (1-3 ms for a
    word of 30-77 forms), and a page evaluates it in several statements (the table's
    rows, count and facets; the search page's tiers and facets)."""
    cache: dict = {}

    def cached(q):
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        hit = cache.get(q)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = fn(q)
        if len(cache) >= size:
            cache.clear()
        cache[q] = (version, value)
        return value
    return cached


def register_functions(conn) -> None:
    known = vocabulary_lookup(conn)

    def match(q):
        return S.match_expression(q, known)

    def match_headline(q):
        return S.match_expression(q, known, "headline")

    if known is not None:
        match, match_headline = _per_archive_version(conn, match), _per_archive_version(conn, match_headline)

    # deterministic: constant within a statement, so SQLite computes it once
    conn.create_function("escape_fts", 1, match, deterministic=True)
    conn.create_function("search_match", 1, match, deterministic=True)
    conn.create_function("search_match_headline", 1, match_headline, deterministic=True)
    conn.create_function("search_trigram", 1, S.trigram_expression, deterministic=True)
    conn.create_function("search_excerpt", 2, S.excerpt, deterministic=True)


def search_problem(q: str | None) -> str | None:
    if q is None or not q.strip():
        return None
    try:
        S.compile_query(q)
    except S.QueryError as e:
        return str(e)
    return None


# The matches of the ``search`` query with its filters, as a CTE over the word index (the
# canned query in data/metadata.yml has the same WHERE; a test keeps them equal).
FILTER_SQL = """(coalesce(:from, '') = '' or substr(a.published, 1, 10) >= :from)
  and (coalesce(:to, '') = '' or substr(a.published, 1, 10) <= :to)
  and (coalesce(:section, '') = '' or a.section = :section)
  and (coalesce(:byline, '') = '' or a.byline = :byline)
  and (coalesce(:agency, '') = '' or exists (select 1 from credits c where c.article_id = a.id
       and c.agency = :agency collate nocase))"""

# The ids of the matches of the ``search`` query with its filters (every tier but the
# inside-word one, as the counts always were): the word index's rowids, and when a filter
# is set, those of them whose article passes it (the covering index ``articles_facets``).
MATCH_IDS_SQL = "select rowid from articles_words where articles_words match search_match(:q)"
FILTERED_IDS_SQL = f"""select a.id from articles a indexed by articles_facets
where a.id in (select rowid from articles_words where articles_words match search_match(:q))
  and {FILTER_SQL}"""
#: the facets of the search page: (its name, the search_facets column counted)
SEARCH_PAGE_FACETS = (("section", "section"), ("agency", "agencies"), ("byline", "byline"), ("month", "month"))

FACET_TITLES = {"section": "Section · বিভাগ", "agency": "Agency · সংস্থা",
                "byline": "Byline · প্রতিবেদক", "month": "Month · মাস"}


def facet_params(args) -> dict:
    return {"q": args.get("q") or "", **{k: args.get(k) or "" for k in FILTERS}}


def _toggle_url(path: str, args: dict, facet: str, value: str) -> tuple[str, bool]:
    params = {k: v for k, v in args.items() if v}
    if facet == "month":
        chosen = params.get("from") == f"{value}-01" and params.get("to") == f"{value}-31"
        if chosen:
            params.pop("from"), params.pop("to")
        else:
            params["from"], params["to"] = f"{value}-01", f"{value}-31"
    else:
        chosen = params.get(facet) == value
        if chosen:
            params.pop(facet)
        else:
            params[facet] = value
    return path + "?" + urllib.parse.urlencode(params), chosen


def order_facets(counts: dict) -> dict:
    """{facet: [(value, count), ...] most first (ties: by value; months newest first),
    FACET_SIZE + 1 at most} from facetindex counts {column: {value: count}}; empty
    values are left out."""
    out = {}
    for name, column in SEARCH_PAGE_FACETS:
        values = [(v, n) for v, n in counts[column].items() if v]
        if name == "month":
            out[name] = sorted(values, reverse=True)[: FACET_SIZE + 1]
        elif name == "agency":  # in the order counted (first seen first), as Counter.most_common
            out[name] = sorted(values, key=lambda x: -x[1])[: FACET_SIZE + 1]
        else:
            out[name] = sorted(values, key=lambda x: (-x[1], x[0]))[: FACET_SIZE + 1]
    return out


async def search_facets(db, args, path: str) -> dict:
    """``{"total": n, "facets": [{"name", "title", "results": [{value, count, toggle_url,
    selected}], "truncated"}]}`` for the ``search`` page (empty without a query)."""
    params = facet_params(args)
    if not params["q"].strip() or search_problem(params["q"]):
        return {}
    filtered = any(params[k] for k in FILTERS)

    def run(conn):
        return facetindex.counts_of(conn, db.path, FILTERED_IDS_SQL if filtered else MATCH_IDS_SQL,
                                    params if filtered else {"q": params["q"]},
                                    [column for _, column in SEARCH_PAGE_FACETS],
                                    lambda: sqlite_timelimit(conn, 3000))

    try:
        total, counts = await db.execute_fn(run)
    except (sqlite3.OperationalError, LookupError):
        # past the time limit (or an archive without the facet table): the page shows its
        # rows without the counts, rather than an error instead of the rows
        return {}
    facets = order_facets(counts)
    out = []
    for name in ("section", "agency", "byline", "month"):
        values = facets[name]
        results = []
        for value, n in values[:FACET_SIZE]:
            url, chosen = _toggle_url(path, params, name, value)
            results.append({"value": value, "label": value, "count": n, "toggle_url": url, "selected": chosen})
        out.append({"name": name, "title": FACET_TITLES[name], "results": results,
                    "truncated": len(values) > FACET_SIZE})
    return {"total": total, "facets": out}


# --------------------------------------------------------------------------- the table's facets
class IndexedFacet(Facet):
    """Facets of ``articles`` counted from the facet index (:mod:`.facetindex`): metadata
    ``facets: [{indexed: section}, {indexed: agency}, {indexed: month}, ...]``. The page's
    rows are fetched once (their ids) for all its indexed facets, instead of one SQL
    query per facet looking up every row.

    The output is that of Datasette's own facets for the same counts (name, type, toggle
    URLs, order: count then value; months newest first), so a page reads the same as with
    ``section`` (column), ``{through: {table: credits, column: agency}}`` and
    ``{month: published}``. A name is a column of ``search_facets``
    (:data:`pipelines.schema.SEARCH_FACET_COLUMNS`: adding a facet is adding it there and
    ``- indexed: <column>`` to the metadata), or one of :data:`INDEXED_SPECIAL`.
    """

    type = "indexed"

    async def suggest(self):
        return []

    def _spec(self, name: str) -> dict:
        spec = INDEXED_SPECIAL.get(name)
        if spec:
            return spec
        return {"column": name, "kind": "column", "name": name}

    async def facet_results(self):
        configs = self.get_configs()
        if not configs:
            return [], []
        specs = [(sc, self._spec(sc["config"].get("column") or sc["config"]["simple"])) for sc in configs]
        db = self.ds.get_database(self.database)
        names = [spec["column"] for _, spec in specs]
        ids_sql = ids = None  # no filter: every article (the index's own totals)
        if not _NO_WHERE.fullmatch(self.sql):
            only_search = _ONLY_SEARCH.fullmatch(self.sql)
            # only the search box: the word index's rowids are the articles' ids (its
            # triggers keep them so), without looking up each match's row; the ids the
            # page's rows were chosen from, if the request has them (tablesearch)
            ids_sql = only_search.group(1) if only_search else f"select id from ({self.sql})"
            if only_search and isinstance(self.params.get("search"), str):
                ids = tablesearch.cached_matches(self.database, self.params["search"])
        limit = self.ds.setting("facet_time_limit_ms")

        def run(conn):
            return facetindex.counts_of(conn, db.path, ids_sql, self.params, names,
                                        lambda: sqlite_timelimit(conn, limit), ids=ids)

        if self.table != "articles":  # search_facets is per article
            return [], [spec["name"] for _, spec in specs]
        try:
            # counting ids the request already has is Python: here, once the index is loaded
            small = ids is not None and facetindex.index_for(db.path).seq >= 0
            _n, counts = await inline.inline_or_pool(db, run, small)
        except LookupError:
            # an archive from before the index's columns (Datasette opens it read-only;
            # the next crawl migrates it): counted in SQL meanwhile, a facet on a column
            # the archive lacks left out
            try:
                counts = await db.execute_fn(lambda conn: sql_counts(conn, self.sql, self.params, names, limit))
            except sqlite3.OperationalError:
                return [], [spec["name"] for _, spec in specs]
            specs = [(sc, spec) for sc, spec in specs if spec["column"] in counts]
        except sqlite3.OperationalError:
            return [], [spec["name"] for _, spec in specs]
        size = self.get_facet_size()
        qs_pairs = self.get_querystring_pairs()
        # the page's own query string, encoded once: each value's link adds one pair to it
        # (what path_with_added_args makes, without parsing the query string again for
        # each of the ~120 values: a third of the facets' time on a page of 5,600 matches)
        current = urllib.parse.urlencode(urllib.parse.parse_qsl(self.request.query_string))
        origin = self.ds.absolute_url(self.request, "/")[:-1]
        # Datasette's urls.path() without its PrefixedUrlString (each attribute read of
        # one calls dir(str): 1.6 ms a page of ~45 values)
        base = str(self.ds.setting("base_url"))

        def prefixed(url: str) -> str:
            return base + (url[1:] if url.startswith("/") else url)

        results = []
        for source_and_config, spec in specs:
            values = counts[spec["column"]]
            if spec["kind"] == "month":
                ordered = sorted(((v, n) for v, n in values.items() if v is not None), key=lambda x: x[0], reverse=True)
            else:
                ordered = sorted(((v, n) for v, n in values.items() if v is not None), key=lambda x: (-x[1], x[0]))
            shown = []
            for value, n in ordered[:size]:
                url, chosen = self._toggle(spec, value, qs_pairs, current)
                path = prefixed(url)
                shown.append({"value": value, "label": value, "count": n,
                              "toggle_url": (origin + path if path.startswith("/") and not path.startswith("//")
                                             else self.ds.absolute_url(self.request, path)),
                              "selected": chosen})
            head = (path_with_removed_args(self.request, {"_facet": spec["name"]}) if spec["kind"] == "column"
                    else self.request.path)
            results.append({"name": spec["name"], "type": spec["kind"],
                            "hideable": source_and_config["source"] != "metadata",
                            "toggle_url": self.ds.urls.path(head), "results": shown,
                            "truncated": len(ordered) > size})
        return results, []

    def _added(self, current: str, arg: str, value) -> str:
        """path_with_added_args(request, {arg: value}), from the page's encoded query."""
        pair = urllib.parse.urlencode([(arg, value)])
        return self.request.path + "?" + (current + "&" + pair if current else pair)

    def _toggle(self, spec, value, qs_pairs, current: str) -> tuple[str, bool]:
        """The link that adds (or, when chosen, removes) the filter of ``value``, as
        Datasette's column facet, the plugin's ``through`` and ``month`` facets make it."""
        if spec["kind"] == "through":
            for raw in self.request.args.getlist("_through"):
                try:
                    data = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(data, dict) and (data.get("table"), data.get("column"), str(data.get("value"))) == (
                        spec["table"], spec["through_column"], str(value)):
                    return path_with_removed_args(self.request, {"_through": raw}), True
            return self._added(current, "_through", json.dumps(
                {"table": spec["table"], "column": spec["through_column"], "value": value},
                ensure_ascii=False)), False
        arg = f"{spec['name']}__startswith" if spec["kind"] == "month" else spec["name"]
        if spec["kind"] == "column" and arg.startswith("_"):
            arg = f"{arg}__exact"
        if (arg, str(value)) in qs_pairs:
            return path_with_removed_args(self.request, {arg: str(value)}), True
        return self._added(current, arg, value), False


def sql_counts(conn, sql: str, params, names, limit_ms: int) -> dict[str, dict]:
    """What :func:`facetindex.counts_of` counts, in SQL over the table page's rows
    (``sql``, Datasette's query without order or limit): for an archive whose
    ``search_facets`` lacks columns. A column ``articles`` lacks too is left out."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(articles)")}
    out = {}
    with sqlite_timelimit(conn, limit_ms):
        for name in names:
            if name == "agencies":
                q = (f"select t.agency, count(*) from (select id from ({sql})) m "
                     "cross join credits t on t.article_id = m.id group by t.agency")
            elif name == "month":
                q = f"select substr(published, 1, 7), count(*) from ({sql}) group by 1"
            elif name in have:
                q = f"select [{name}], count(*) from ({sql}) group by 1"
            else:
                continue
            out[name] = dict(conn.execute(q, params).fetchall())
    return out


#: indexed facets that are not a plain column facet of ``articles``: ``agency`` (the
#: agencies of ``credits``, toggling ``_through`` as the plugin's through facet does) and
#: ``month`` (``published`` by YYYY-MM, toggling ``published__startswith``).
INDEXED_SPECIAL = {
    "agency": {"column": "agencies", "kind": "through", "name": "agency", "table": "credits",
               "through_column": "agency"},
    "month": {"column": "month", "kind": "month", "name": "published"},
}

# Datasette's facet SQL of a table page without any filter: every article
_NO_WHERE = re.compile(r"select (?:(?! where ).)* from \[?articles\]?\s*", re.S | re.I)
# ... and of one whose only filter is the search box (?_search=)
_ONLY_SEARCH = re.compile(r"select (?:(?! where ).)* from \[?articles\]? where id in "
                          r"\((select rowid from \[?articles_words\]? where \[?articles_words\]? "
                          r"match escape_fts\(:search\))\)\s*", re.S | re.I)
