"""Search in Datasette (issue 13): SQL functions, the search page's facets, its messages.

- SQL functions (registered on every connection, after Datasette's own):
  ``escape_fts(q)`` is replaced by :func:`newsspider.search.match_expression`, so the
  table's search box (``?_search=``, which Datasette runs as ``match escape_fts(:search)``
  on the table's ``fts_table``, ``articles_words``) takes the same syntax, normalisation
  and inflection as the ``search`` query; ``search_match(q)`` (the same),
  ``search_trigram(q)`` (the query for the trigram index, inside-word matches),
  ``search_excerpt(body, q)`` (about 30 words around the first match, «marked»).
- :func:`search_facets`: the counts by section, agency, byline and month of every match
  of the ``search`` query (with its filters), in one SQL statement that runs the match
  once (a materialised CTE) and reads the covering index ``articles_facets``.
- :func:`search_problem`: the message for a query the syntax cannot take.
"""

from __future__ import annotations

import contextvars
import sqlite3
import urllib.parse

from newsspider import search as S

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


def register_functions(conn) -> None:
    known = vocabulary_lookup(conn)

    def match(q):
        return S.match_expression(q, known)

    def match_headline(q):
        return S.match_expression(q, known, "headline")

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

# Every match with its facet values, from the narrow precomputed ``search_facets`` (one
# row lookup per match); the filters need ``articles`` only when one is set.
FACETS_SQL = f"""with m as materialized (
  select f.section, f.byline, f.month, f.agencies from search_facets f
  where f.id in (select rowid from articles_words where articles_words match search_match(:q))
    and (coalesce(:from, '') || coalesce(:to, '') || coalesce(:section, '') || coalesce(:byline, '')
         || coalesce(:agency, '') = ''
         or f.id in (select a.id from articles a indexed by articles_facets where a.id = f.id and {FILTER_SQL}))
)
select 'section', section, count(*) from m group by 2
union all select 'byline', byline, count(*) from m group by 2
union all select 'month', month, count(*) from m group by 2
union all select 'agency', agencies, count(*) from m group by 2"""

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


def count_facets(rows) -> dict:
    """{facet: [(value, count), ...] most first (months newest first), FACET_SIZE + 1 at
    most} from FACETS_SQL's rows (facet, value, count); an agency "value" is the agencies
    of an article joined by U+001F."""
    from collections import Counter

    counts = {name: Counter() for name in ("section", "agency", "byline", "month")}
    for facet, value, n in rows:
        if facet == "agency":
            for agency in (value or "").split("\x1f"):
                if agency:
                    counts["agency"][agency] += n
        elif value:
            counts[facet][value] += n
    out = {name: c.most_common(FACET_SIZE + 1) for name, c in counts.items()}
    out["month"] = sorted(counts["month"].items(), reverse=True)[: FACET_SIZE + 1]
    return out


async def search_facets(db, args, path: str) -> dict:
    """``{"total": n, "facets": [{"name", "title", "results": [{value, count, toggle_url,
    selected}], "truncated"}]}`` for the ``search`` page (empty without a query)."""
    params = facet_params(args)
    if not params["q"].strip() or search_problem(params["q"]):
        return {}
    rows = (await db.execute(FACETS_SQL, params, custom_time_limit=3000)).rows
    facets = count_facets(rows)
    total = sum(r[2] for r in rows if r[0] == "section")
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
