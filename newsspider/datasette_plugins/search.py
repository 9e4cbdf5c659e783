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
import urllib.parse

from newsspider import search as S

#: the ``_search`` of the table request being rendered (render_cell has no request)
CURRENT_SEARCH: contextvars.ContextVar[str | None] = contextvars.ContextVar("newsspider_search", default=None)

FILTERS = ("from", "to", "section", "agency", "byline")
FACET_SIZE = 10


def register_functions(conn) -> None:
    conn.create_function("escape_fts", 1, S.match_expression, deterministic=True)
    conn.create_function("search_match", 1, S.match_expression, deterministic=True)
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

FACETS_SQL = f"""with m as materialized (
  select a.id, a.section, a.byline, substr(a.published, 1, 7) as month
  from articles a indexed by articles_facets
  where a.id in (select rowid from articles_words where articles_words match search_match(:q))
    and {FILTER_SQL}
)
select * from (select 'section' as facet, section as value, count(*) as n from m
               where section is not null group by section order by n desc limit {FACET_SIZE + 1})
union all
select * from (select 'agency', c.agency, count(*) as n from m join credits c on c.article_id = m.id
               group by c.agency order by n desc limit {FACET_SIZE + 1})
union all
select * from (select 'byline', byline, count(*) as n from m where byline is not null and byline != ''
               group by byline order by n desc limit {FACET_SIZE + 1})
union all
select * from (select 'month', month, count(*) as n from m where month is not null
               group by month order by month desc limit {FACET_SIZE + 1})
union all
select 'total', null, count(*) from m"""

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


async def search_facets(db, args, path: str) -> dict:
    """``{"total": n, "facets": [{"name", "title", "results": [{value, count, toggle_url,
    selected}], "truncated"}]}`` for the ``search`` page (empty without a query)."""
    params = facet_params(args)
    if not params["q"].strip() or search_problem(params["q"]):
        return {}
    rows = (await db.execute(FACETS_SQL, params, custom_time_limit=3000)).rows
    facets, total = {}, 0
    for facet, value, n in rows:
        if facet == "total":
            total = n
            continue
        facets.setdefault(facet, []).append((value, n))
    out = []
    for name in ("section", "agency", "byline", "month"):
        values = facets.get(name, [])
        results = []
        for value, n in values[:FACET_SIZE]:
            url, chosen = _toggle_url(path, params, name, value)
            results.append({"value": value, "label": value, "count": n, "toggle_url": url, "selected": chosen})
        out.append({"name": name, "title": FACET_TITLES[name], "results": results,
                    "truncated": len(values) > FACET_SIZE})
    return {"total": total, "facets": out}
