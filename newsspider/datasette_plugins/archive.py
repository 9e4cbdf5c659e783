"""Datasette hooks that make the archive pleasant to read (Datasette 0.65).

- ``render_cell``: an article body as paragraphs, a diff as coloured lines with the
  changed words marked, search snippets with their matches highlighted, ids in canned
  query results as links to their rows, a stored response as a link to its text.
- ``extra_template_vars``: the home page's summary of the archive (portal, date range,
  counts, last crawl and its status), the article page's related articles, credits,
  versions and stored responses, and the SVG chart of canned queries that have a
  ``chart:`` in the metadata.
- ``register_facet_classes``: ``through`` (facet a table by a column of a many-to-many
  table, e.g. articles by ``credits.agency``, toggling Datasette's own ``_through``
  filter) and ``month`` (a date column by ``YYYY-MM``, toggling ``col__startswith``);
  ``indexed`` (the articles table's facets counted from the facet index, see
  :class:`.search.IndexedFacet`).
- ``register_routes``: ``/<db>/-/response/<id>``, a stored response decompressed and
  shown as plain text (never as HTML: the archived page's scripts must not run here).
- ``asgi_wrapper``: a table page opened without ``_col``/``_nocol`` is redirected to
  its ``default_columns`` (table plugin config ``newsspider: default_columns: [...]``).
- ``prepare_connection``: SQL functions ``text_diff(old, new)``,
  ``version_text(headline, byline, section, credits, body)``, ``html_escape(text)`` and
  ``safe_href(url)``; and an SQLite authorizer (:func:`archive_authorizer`) that refuses
  to read ``responses.body`` (the stored pages are never served in bulk: one at a time
  through ``/<db>/-/response/<id>``) and to call ``fts3_tokenizer()`` (it returns a
  memory address).
- ``asgi_wrapper``: besides the default columns, a Content-Security-Policy on every
  response (:data:`CSP`: no inline script but Datasette's own, by hash), the ``responses``
  table's pages without the ``body`` column, and a clear message on refused SQL.

Every link made from archived content goes through :func:`text.safe_href` (http(s) with a
host, or shown as text): the ``external_link`` template filter, ``render_cell``, the feed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import urllib.parse
from pathlib import Path

import datasette as datasette_package
from datasette import hookimpl
from datasette.facets import Facet
from datasette.utils import (derive_named_parameters, escape_sqlite, path_with_added_args,
                             path_with_removed_args, tilde_decode, to_css_class)
from datasette.utils.asgi import Response

from pipelines.store import decompress
from markupsafe import Markup

from newsspider.bangla import normalize_text

from . import STATIC_MOUNT, charts, text
from . import search as search_plugin
from . import inline, tablesearch

# Datasette 0.65's fallback error handler prints the exception with rich whenever rich is
# importable, outside the except block, which rich refuses (ValueError): every error
# page (403, 404, 405 ...) became a bare 500. rich comes in with wacz (frictionless ->
# typer); without it the handler takes its plain path, as before.
import datasette.handle_exception as _handle_exception  # noqa: E402

_handle_exception.rich = None

from newsspider.urls import fold  # noqa: E402  (the crawler's URL folding, Scrapy-free)

PLUGIN = "newsspider"

BODY_TABLES = {"articles", "versions", "article_versions", None}
ID_LINKS = {  # query-result column -> table it points into
    "article_id": "articles",
    "version_id": "versions",
    "previous_version_id": "versions",
    "response_id": "responses",
    "run_id": "runs",
}


# --------------------------------------------------------------------------- SQL functions
DENIED_COLUMNS = {("responses", "body")}   # (table, column), lower case
DENIED_FUNCTIONS = {"fts3_tokenizer"}
SQL_REFUSALS = {  # the start of SQLite's message for a refusal -> the reason, said in words
    "access to responses.body is prohibited":
        ": the stored pages are not readable through SQL (a query over many of them would exhaust "
        "the server); open one at /<database>/-/response/<id>",
    "not authorized to use function":
        " (fts3_tokenizer() is disabled in this archive: it returns a memory address of the server)",
}


def archive_authorizer(action, arg1, arg2, dbname, source):
    """SQLite authorizer of every Datasette connection: deny reading the stored bodies
    (``responses.body``, whichever way a query names it: ``*``, a CTE, a view, a sort)
    and calling ``fts3_tokenizer``; allow everything else Datasette's read-only
    connections can do."""
    if action == sqlite3.SQLITE_READ and arg1 and arg2 and (arg1.lower(), arg2.lower()) in DENIED_COLUMNS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and arg2 and arg2.lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def unrestricted(conn, fn):
    """``fn(conn)`` with the authorizer lifted, for the one route that decompresses one
    stored body; ``conn`` is the connection of the executor thread running this call,
    so no other query can run on it meanwhile."""
    conn.set_authorizer(None)
    try:
        return fn(conn)
    finally:
        conn.set_authorizer(archive_authorizer)


@hookimpl(trylast=True)  # after Datasette's own: its escape_fts() is replaced by the archive's
def prepare_connection(conn):
    # Reads through a memory map: a search that counts or sorts thousands of matches looks
    # up each one's row, and copying every page into SQLite's small cache doubled that
    # (the count of a word of 13,000 of 50,000 articles: 34 -> 14 ms). Address space only;
    # the pages are the OS's cache, shared by Datasette's connections.
    conn.execute("PRAGMA mmap_size = 4294967296")
    search_plugin.register_functions(conn)
    conn.create_function("text_diff", 2, text.text_diff, deterministic=True)
    conn.create_function("version_text", 5, text.version_text, deterministic=True)
    conn.create_function("html_escape", 1, text.html_escape, deterministic=True)
    conn.create_function("safe_href", 1, text.safe_href, deterministic=True)
    conn.set_authorizer(archive_authorizer)


@hookimpl
def startup(datasette):
    async def inner():
        for name, db in datasette.databases.items():
            if name == "_internal" or db.is_memory or not await db.table_exists("articles"):
                continue
            inline.wrap(datasette, db)  # its schema look-ups without a thread hand-off
            if await db.table_exists("articles_words"):
                tablesearch.wrap(db)
    return inner


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["safe_href"] = text.safe_href
    env.filters["external_link"] = text.external_link
    env.filters["latin_runs"] = text.latin_runs
    env.filters["newsspider_table_body"] = lambda rows: text.table_body_html(rows, to_css_class)


@hookimpl
def extra_css_urls():
    return [f"/{STATIC_MOUNT}/archive.css"]


# --------------------------------------------------------------------------- cells
@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None:
        return None
    if column in ("stats", "args") and table == "runs" and isinstance(value, str) and value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            return None
        pretty = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        what = "Scrapy's final stats" if column == "stats" else "arguments"
        return Markup('<details class="json-folded"><summary>{}: {} values</summary><pre>{}</pre></details>').format(
            what, len(data) if isinstance(data, dict) else 1, pretty)
    if column == "failing_urls" and table is None and isinstance(value, str):
        return Markup("<br>").join(Markup('<span class="failing-url">{}</span>').format(line)
                                   for line in value.split("\n"))
    if column == "url" and table == "responses":
        rid = row["id"]
        return Markup('<a href="{}">{}</a> <small>(<a href="{}">text</a>)</small>').format(
            datasette.urls.table(database, "responses") + f"/{rid}", value,
            datasette.urls.path(f"/{database}/-/response/{rid}"))
    if column == "body" and table == "articles" and search_plugin.CURRENT_SEARCH.get():
        # the table's search: the words around the match, not the start of the body
        return text.marks_html(search_plugin.S.excerpt(value, search_plugin.CURRENT_SEARCH.get()))
    if column == "body" and table in BODY_TABLES and isinstance(value, str):
        return text.body_html(value)
    if column == "diff" and isinstance(value, str):
        return text.diff_html(value)
    if column == "excerpt" and table is None and isinstance(value, str):
        return text.marks_html(value)
    if table is None and column in ID_LINKS and isinstance(value, int):
        target = ID_LINKS[column]
        link = Markup('<a href="{}">{}</a>').format(
            datasette.urls.table(database, target) + f"/{value}", value)
        if target == "responses":
            link += Markup(' <a class="raw" href="{}">(text)</a>').format(
                datasette.urls.path(f"/{database}/-/response/{value}"))
        return link
    if table == "related" and column == "url" and isinstance(value, str):
        async def related_link():
            db = datasette.get_database(database)
            hit = (await db.execute("select id from articles where url = ?", [value])).first()
            if not hit:
                return text.external_link(value)
            link = Markup('<a href="{}">{}</a>').format(datasette.urls.table(database, "articles") + f"/{hit[0]}", value)
            if text.safe_href(value):
                link += Markup(" <small>({})</small>").format(text.external_link(value, "on the portal"))
            return link
        return related_link
    return None


# --------------------------------------------------------------------------- pages
async def _rows(db, sql, params=None):
    try:
        return [dict(r) for r in (await db.execute(sql, params or [])).rows]
    except Exception:  # an archive from before a table existed: show what there is
        return []


async def archive_summary(db) -> dict:
    counts = (await _rows(db, """
        select (select count(*) from articles) as articles,
               (select min(published) from articles) as first_published,
               (select max(published) from articles) as last_published,
               (select count(distinct section) from articles) as sections,
               (select count(*) from credits) as credits,
               (select count(distinct agency) from credits) as agencies,
               (select count(*) from related) as related,
               (select count(*) from runs) as runs,
               (select count(*) from failures) as failures""") or [{}])[0]
    more = (await _rows(db, """
        select (select count(*) from versions) as versions,
               (select count(*) from articles where versions > 1) as edited,
               (select count(*) from responses) as responses""") or [{}])[0]
    counts.update(more)
    last = (await _rows(db, "select * from runs order by id desc limit 1") or [None])[0]
    if last:
        last["failures_now"] = (await _rows(
            db, "select count(*) as n from failures where last_run = ?", [last["id"]]) or [{"n": 0}])[0]["n"]
        if last.get("status") == "finished" and not last.get("exit_status"):
            last["health"] = "ok"
        elif last.get("status") == "running":
            last["health"] = "running"
        else:
            last["health"] = "failed"
    return {"counts": counts, "last_run": last, "portals": await portal_summaries(db)}


def _health(run: dict) -> str:
    if run.get("status") == "finished" and not run.get("exit_status"):
        return "ok"
    return "running" if run.get("status") == "running" else "failed"


async def portal_summaries(db) -> list[dict]:
    """Each portal the archive holds: its name, title and address, its articles and its
    last crawl (an archive from before portals: [])."""
    found = await _rows(db, """
        select p.name, p.title, p.base_url, p.timezone,
               (select count(*) from articles a where a.portal = p.name) as articles,
               (select max(published) from articles a where a.portal = p.name) as last_published
        from portals p order by articles desc, p.name""")
    for p in found:
        run = (await _rows(db, "select id, status, exit_status, started, articles_new from runs "
                               "where portal = ? order by id desc limit 1", [p["name"]]) or [None])[0]
        if run:
            run["health"] = _health(run)
        p["last_run"] = run
        p["href"] = text.safe_href(p["base_url"])
    return found


async def article_portal(db, article: dict) -> str | None:
    """The title of the article's own portal (``portals.title``), when the archive says."""
    if not article or not article.get("portal"):
        return None
    row = await _rows(db, "select title from portals where name = ?", [article["portal"]])
    return (row[0]["title"] if row else None) or article["portal"]


def _json_list(value) -> list:
    try:
        data = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return data if isinstance(data, list) else []


def portal_name(datasette) -> str:
    return (datasette.metadata("source") or "the portal").split(" (")[0]


def version_path(datasette, database, article_id, version) -> str:
    """The stable URL of one version of an article: ``/<db>/articles/<id>/v<n>``."""
    return datasette.urls.table(database, "articles") + f"/{article_id}/v{version}"


def reader_view(article: dict) -> dict:
    """The article as its reader saw it: the fields the page shows first."""
    images = []
    for image in _json_list(article.get("images")):
        if isinstance(image, dict):
            images.append({"caption": image.get("caption") or "", "url": image.get("url") or "",
                           "href": text.safe_href(image.get("url"))})
    return {
        "id": article["id"], "headline": article.get("headline") or "", "byline": article.get("byline"),
        "section": article.get("section"), "published": text.times(article.get("published")),
        "updated": text.times(article.get("updated")),
        "tags": [t for t in _json_list(article.get("tags")) if isinstance(t, str)],
        "images": images, "paragraphs": text.paragraphs(article.get("body")),
        "url": article.get("url"), "first_seen": text.times(article.get("first_seen")),
        "last_seen": text.times(article.get("last_seen")),
        "flags": [f for f in _json_list(article.get("flags")) if isinstance(f, str)],
    }


def cite_block(datasette, request, database, article: dict, version: dict | None, portal: str | None = None) -> dict:
    captured = (version or {}).get("fetched_at") or article.get("first_seen")
    number = (version or {}).get("version")
    path = (version_path(datasette, database, article["id"], number) if number
            else datasette.urls.table(database, "articles") + f"/{article['id']}")
    permalink = datasette.absolute_url(request, path) if request is not None else path
    return text.citation(headline=(version or article).get("headline") or article.get("headline"),
                         byline=(version or article).get("byline"), portal=portal or portal_name(datasette),
                         published=(version or article).get("published") or article.get("published"),
                         original_url=article.get("url"), captured=captured, permalink=permalink,
                         key=f"{cite_prefix(article)}-{article['id']}" + (f"-v{number}" if number else ""))


def cite_prefix(article: dict) -> str:
    """The citation key's first part: the article's portal's name, in the characters a
    BibTeX key may hold."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", article.get("portal") or "usbanglanews").strip("-") or "article"


async def article_extras(datasette, database, article_id: str, request=None) -> dict:
    db = datasette.get_database(database)
    article = (await _rows(db, "select * from articles where id = ?", [article_id]) or [None])[0]
    related = await _rows(db, """
        select r.position, r.url, r.title, a.id as article_id, a.headline, a.published
        from related r left join articles a on a.url = r.url
        where r.article_id = ? order by r.position""", [article_id])
    linked_from = await _rows(db, """
        select a.id as article_id, a.headline, a.published
        from related r join articles a on a.id = r.article_id
        where r.url = (select url from articles where id = ?)
        order by a.published desc limit 50""", [article_id])
    credits = await _rows(db, "select agency, position from credits where article_id = ? order by position",
                          [article_id])
    versions = await _rows(db, """
        select id, version, fetched_at, changed, response_id, run_id, headline, byline, published
        from versions where article_id = ? order by version""", [article_id])
    responses = await _rows(db, """
        select id, fetched_at, status, raw_size, stored_size from responses
        where url = (select url from articles where id = ?) order by id""", [article_id])
    for v in versions:
        try:
            v["changed"] = ", ".join(json.loads(v["changed"] or "[]"))
        except ValueError:
            pass
        v["path"] = version_path(datasette, database, article_id, v["version"])
        v["seen"] = text.times(v["fetched_at"])
    for r in related:
        r["href"] = text.safe_href(r["url"])
    for r in responses:
        r["seen"] = text.times(r["fetched_at"])
    portal = await article_portal(db, article)
    out = {"related": related, "linked_from": linked_from, "credits": credits,
           "versions": versions, "responses": responses, "article_id": article_id,
           "portal": portal or portal_name(datasette)}
    if article:
        out["reader"] = reader_view(article)
        out["cite"] = cite_block(datasette, request, database, article, versions[-1] if versions else None,
                                 portal)
        if article.get("url"):
            out["timemap"] = datasette.urls.path("/-/timemap/link/" + article["url"])
    return out


async def query_chart(datasette, database, query_name, request):
    query = await datasette.get_canned_query(database, query_name, request.actor)
    if not query or not query.get("chart"):
        return None
    db = datasette.get_database(database)
    names = await derive_named_parameters(db, query["sql"])
    params = {n: request.args.get(n) or "" for n in names}
    try:
        results = await db.execute(query["sql"], params)
    except Exception:
        return None
    return charts.chart_from_config(results.rows, query["chart"], title=query.get("title", ""))


@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    async def inner():
        out = {}
        sample = await sample_archives(datasette)
        if sample:
            out["newsspider_sample"] = sample
        if view_name == "index":
            for name, db in datasette.databases.items():
                if name != "_internal" and await db.table_exists("articles"):
                    out.setdefault("archive_summaries", []).append(
                        {"database": name, **await archive_summary(db)})
        elif view_name == "row" and table == "articles" and request is not None:
            pks = request.url_vars.get("pks", "")
            if pks.isdigit():
                out["article_extras"] = await article_extras(datasette, database, pks, request)
        elif view_name in ("table", "database") and request is not None and database:
            # Datasette 0.65 renders a canned query through the table view's route
            name = request.url_vars.get("table")
            if name:
                chart = await query_chart(datasette, database, tilde_decode(name), request)
                if chart:
                    out["newsspider_chart"] = chart
            if name and tilde_decode(name) == "search" and not table:
                out["search_problem"] = search_plugin.search_problem(request.args.get("q"))
                out["search_facets"] = await search_plugin.search_facets(
                    datasette.get_database(database), request.args, request.path)
            if view_name == "table" and table and request.args.get("_search"):
                out["search_problem"] = search_plugin.search_problem(request.args.get("_search"))
                out["ranked_search_url"] = (
                    datasette.urls.database(database) + "/search?" +
                    urllib.parse.urlencode({"q": request.args.get("_search")}))
        return out

    return inner


async def sample_archives(datasette) -> list[str]:
    """Names of the attached archives that hold the bundled sample portal (``make demo``;
    ``archive_info.portal_kind``): every page says so, so that nobody cites it."""
    names = []
    for name, db in datasette.databases.items():
        if name == "_internal" or not await db.table_exists("archive_info"):
            continue
        sql = "SELECT value FROM archive_info WHERE key = 'portal_kind'"
        # a look-up by key on every page: here, not through the SQL pool, where wrapped
        if inline.wrapped(db):
            kind = inline.run(db, lambda conn: conn.execute(sql).fetchone())
        else:
            kind = (await db.execute(sql)).first()
        if kind and kind[0] == "sample":
            names.append(name)
    return names


# --------------------------------------------------------------------------- facets
class ThroughFacet(Facet):
    """Facet a table by a column of a table that points at it (many-to-many), e.g.
    ``{through: {table: credits, column: agency}}`` on articles."""

    type = "through"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        db = self.ds.get_database(self.database)
        selected_raw = self.request.args.getlist("_through")
        selected = {}
        for raw in selected_raw:
            try:
                data = json.loads(raw)
                selected[(data["table"], data["column"], str(data["value"]))] = raw
            except (ValueError, KeyError, TypeError):
                continue
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            through, column = config["table"], config["column"]
            fks = [fk for fk in await db.foreign_keys_for_table(through) if fk["other_table"] == self.table]
            if not fks:
                continue
            fk = fks[0]
            # from the table's rows to theirs (cross join: in the order written); left to
            # itself SQLite walked the whole through table by its value index and probed
            # the rows (a search of 14,600 of 50,000 articles: 12 ms more)
            sql = (f"select t.{escape_sqlite(column)} as value, count(*) as count "
                   f"from (select {escape_sqlite(fk['other_column'])} as k from ({self.sql})) m "
                   f"cross join {escape_sqlite(through)} t on t.{escape_sqlite(fk['column'])} = m.k "
                   f"where value is not null group by value order by count desc, value limit {size + 1}")
            try:
                rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                              custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            except Exception:
                timed_out.append(column)
                continue
            values = []
            for row in rows[:size]:
                key = (through, column, str(row["value"]))
                if key in selected:
                    path = path_with_removed_args(self.request, {"_through": selected[key]})
                else:
                    path = path_with_added_args(self.request, {"_through": json.dumps(
                        {"table": through, "column": column, "value": row["value"]}, ensure_ascii=False)})
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                               "selected": key in selected})
            results.append({"name": column, "type": self.type,
                            "hideable": source_and_config["source"] != "metadata",
                            "toggle_url": self.ds.urls.path(self.request.path), "results": values,
                            "truncated": len(rows) > size})
        return results, timed_out


class MonthFacet(Facet):
    """Facet an ISO 8601 date column by month (``YYYY-MM``, the date as written, i.e. in
    the portal's own time zone); a month toggles ``column__startswith=YYYY-MM``."""

    type = "month"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (f"select substr({col}, 1, 7) as value, count(*) as count from ({self.sql}) "
                   f"where {col} is not null group by value order by value desc limit {size + 1}")
            try:
                rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                              custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            except Exception:
                timed_out.append(column)
                continue
            arg = f"{column}__startswith"
            values = []
            for row in rows[:size]:
                chosen = (arg, row["value"]) in pairs
                path = (path_with_removed_args(self.request, {arg: row["value"]}) if chosen
                        else path_with_added_args(self.request, {arg: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                               "selected": chosen})
            results.append({"name": column, "type": self.type,
                            "hideable": source_and_config["source"] != "metadata",
                            "toggle_url": self.ds.urls.path(self.request.path), "results": values,
                            "truncated": len(rows) > size})
        return results, timed_out


@hookimpl
def register_facet_classes():
    return [ThroughFacet, MonthFacet, search_plugin.IndexedFacet]


# --------------------------------------------------------------------------- stored responses
RESPONSE_COLUMNS = ["id", "url", "final_url", "status", "fetched_at", "headers", "content_type",
                    "compression", "raw_size", "stored_size", "sha256", "run_id"]  # all but body


async def _database(datasette, request):
    database = request.url_vars["database"]
    try:
        return database, datasette.get_database(database)
    except KeyError:
        return database, None


async def _stored_body(db, rid: int):
    """(row without body, decompressed body bytes) of stored response ``rid``, or None."""
    def read(conn):
        row = conn.execute("select url, final_url, status, fetched_at, content_type, body, compression "
                           "from responses where id = ?", [rid]).fetchone()
        if row is None:
            return None
        return row, decompress(conn, row[5], row[6])
    return await db.execute_fn(lambda conn: unrestricted(conn, read))


async def response_text(request, datasette):
    database, db = await _database(datasette, request)
    rid = int(request.url_vars["id"])
    if db is None:
        return Response.text("no such database", status=404)
    await datasette.ensure_permissions(request.actor, [("view-table", (database, "responses")),
                                                       ("view-database", database), "view-instance"])
    found = await _stored_body(db, rid)
    if found is None:
        return Response.text(f"no stored response {rid}", status=404)
    (url, final_url, status, fetched_at, content_type, _, _), body = found
    content_type = content_type or ""
    decoded = text.decode_body(body, content_type)
    head = (f"# stored response {rid}: {url}\n# final URL {final_url}, HTTP {status}, "
            f"fetched {fetched_at}, {content_type}\n\n")
    return Response(head + decoded, status=200, headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    }, content_type="text/plain; charset=utf-8")


async def response_row(request, datasette):
    """``/<db>/responses/<id>``: the stored response's fields and headers (never its body:
    Datasette's own row page selects every column), with links to the page as text."""
    database, db = await _database(datasette, request)
    rid = int(request.url_vars["id"])
    if db is None:
        return Response.text("no such database", status=404)
    await datasette.ensure_permissions(request.actor, [("view-table", (database, "responses")),
                                                       ("view-database", database), "view-instance"])
    cols = ", ".join(escape_sqlite(c) for c in RESPONSE_COLUMNS)
    row = (await db.execute(f"select {cols} from responses where id = ?", [rid])).first()
    if row is None:
        return Response.text(f"no stored response {rid}", status=404)
    row = dict(zip(RESPONSE_COLUMNS, row))
    if request.url_vars.get("format") == ".json":
        return Response.json({"database": database, "table": "responses", "columns": RESPONSE_COLUMNS,
                              "primary_keys": ["id"], "primary_key_values": [str(rid)], "rows": [row]})
    try:
        headers = json.loads(row["headers"] or "{}")
        headers = headers.items() if isinstance(headers, dict) else headers
    except ValueError:
        headers = [("(unparsed)", row["headers"])]
    articles = await _rows(db, "select id, headline from articles where url in (?, ?)", [row["url"], row["final_url"]])
    versions = await _rows(db, "select v.id, v.version, v.article_id from versions v where v.response_id = ?", [rid])
    return Response.html(await datasette.render_template(
        "newsspider_response.html",
        {"database": database, "response": row, "headers": list(headers), "articles": articles,
         "versions": versions, "text_url": datasette.urls.path(f"/{database}/-/response/{rid}")},
        request=request))


# --------------------------------------------------------------------------- the feed of edits
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value) -> str:
    return _XML_INVALID.sub("", "" if value is None else str(value))


async def edits_feed(request, datasette):
    """``/<db>/edits_feed.atom``: the canned query ``edits_feed`` as an Atom feed, one entry
    per new version, linking to the archived diff (never to the live portal); a valid feed
    without entries on an archive without edits (datasette-atom fails on one: ``max()`` of
    no rows)."""
    from feedgen.feed import FeedGenerator

    database, db = await _database(datasette, request)
    if db is None:
        return Response.text("no such database", status=404)
    await datasette.ensure_permissions(request.actor, [("view-query", (database, "edits_feed")),
                                                       ("view-database", database), "view-instance"])
    query = await datasette.get_canned_query(database, "edits_feed", request.actor)
    if not query:
        return Response.text("no edits_feed query in the metadata", status=404)
    rows = [dict(r) for r in (await db.execute(query["sql"])).rows]
    absolute = lambda path: datasette.absolute_url(request, datasette.urls.path(path))  # noqa: E731
    fg = FeedGenerator()
    fg.id(f"tag:newsspider,2025:{database}/edits")
    fg.title(_xml_text(query.get("title") or "edits"))
    fg.author({"name": _xml_text(datasette.metadata("title") or "newsspider")})
    fg.link(href=absolute(f"/{database}/edits_feed.atom"), rel="self", type="application/atom+xml")
    fg.link(href=absolute(f"/{database}/changed_articles"), rel="alternate", type="text/html")
    fg.generator("newsspider (Datasette)")
    updated = max((r["atom_updated"] for r in rows if r.get("atom_updated")), default=None)
    if updated is None:
        last = await _rows(db, "select coalesce(finished, started) as t from runs order by id desc limit 1")
        updated = (last[0]["t"] if last and last[0]["t"] else None) or "1970-01-01T00:00:00+00:00"
    fg.updated(updated)
    for r in reversed(rows):  # feedgen prepends
        entry = fg.add_entry()
        entry.id(_xml_text(r["atom_id"]))
        entry.title(_xml_text(r["atom_title"]))
        entry.updated(r["atom_updated"])
        entry.author({"name": _xml_text(r.get("atom_author_name") or "US Bangla News")})
        diff_url = absolute(f"/{database}/compare_versions?" + urllib.parse.urlencode(
            {"article_id": r["article_id"], "from": r["version"] - 1, "to": r["version"]}))
        article_url = absolute(f"/{database}/articles/{r['article_id']}")
        # one link, the entry's alternate (feedgen 1.0 drops a link's rel and type: an Atom
        # link without rel is the alternate); the article's page is linked in the content
        entry.link(href=diff_url)
        content = Markup(
            "<p><strong>Version {v}</strong> of <a href=\"{a}\">{h}</a> (published {p}), first seen {s}. "
            "Changed: {c}. <a href=\"{d}\">The diff in the archive</a>.</p><p>Original URL: {o}</p>"
            "<pre>{diff}</pre>").format(
            v=r["version"], a=article_url, h=r.get("headline") or "", p=r.get("published") or "?",
            s=r["atom_updated"], c=r.get("changed") or "", d=diff_url, o=text.external_link(r.get("url")),
            diff=r.get("diff") or "")
        entry.content(_xml_text(content), type="html")
    return Response(fg.atom_str(pretty=True), status=200,
                    content_type="application/atom+xml; charset=utf-8")


# --------------------------------------------------------------------------- captures
CAPTURE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"


async def capture_html(request, datasette):
    """``/<db>/-/capture/<id>``: a stored HTML page served to a sandboxed frame of the
    capture page, under a policy that lets nothing run and nothing load (no script, no
    request to the portal or anywhere: only inline styles and data: images)."""
    database, db = await _database(datasette, request)
    if db is None:
        return Response.text("no such database", status=404)
    rid = int(request.url_vars["id"])
    await datasette.ensure_permissions(request.actor, [("view-table", (database, "responses")),
                                                       ("view-database", database), "view-instance"])
    found = await _stored_body(db, rid)
    if found is None:
        return Response.text(f"no stored response {rid}", status=404)
    (_, _, _, _, content_type, _, _), body = found
    content_type = (content_type or "").lower()
    headers = {"Content-Security-Policy": CAPTURE_CSP, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer", "Cache-Control": "private, max-age=3600"}
    if "html" not in content_type:
        return Response(body.decode("utf-8", errors="replace"), headers=headers,
                        content_type="text/plain; charset=utf-8")
    page = text.decode_body(body, content_type)
    return Response(_no_navigation(page), headers=headers, content_type="text/html; charset=utf-8")


_HEAD = re.compile(r"<head\b[^>]*>", re.I)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.I)


def _no_navigation(page: str) -> str:
    """The page with ``<base target="_blank">`` first in its head: a click on one of its
    links would open a new window, which the frame's sandbox (no ``allow-popups``)
    refuses, so following a link from a capture never requests the portal either."""
    base = '<base target="_blank">'
    m = _HEAD.search(page, 0, 20000) or _DOCTYPE.match(page)
    return page[:m.end()] + base + page[m.end():] if m else base + page


# --------------------------------------------------------------------------- versions
async def _version_rows(db, article_id) -> list[dict]:
    return await _rows(db, "select * from versions where article_id = ? order by version", [article_id])


def _credits_text(value) -> str:
    items = _json_list(value)
    return ", ".join(str(i) for i in items) if items else (value if value and not str(value).startswith("[") else "")


def memento_links(datasette, request, original: str, first=None, last=None) -> str:
    timegate = datasette.absolute_url(request, datasette.urls.path("/-/timegate/" + original))
    timemap = datasette.absolute_url(request, datasette.urls.path("/-/timemap/link/" + original))
    links = [f'<{original}>; rel="original"', f'<{timegate}>; rel="timegate"',
             f'<{timemap}>; rel="timemap"; type="application/link-format"']
    return ", ".join(links)


async def version_page(request, datasette):
    """``/<db>/articles/<id>/v<n>``: one version of an article, at a stable URL, as
    Memento (``Memento-Datetime``, Link to the original, TimeGate and TimeMap): its text,
    a side-by-side diff with the version before, and a "cite this" block."""
    database, db = await _database(datasette, request)
    if db is None:
        return Response.text("no such database", status=404)
    await datasette.ensure_permissions(request.actor, [("view-table", (database, "versions")),
                                                       ("view-database", database), "view-instance"])
    aid, number = int(request.url_vars["aid"]), int(request.url_vars["version"])
    article = (await _rows(db, "select * from articles where id = ?", [aid]) or [None])[0]
    versions = await _version_rows(db, aid)
    version = next((v for v in versions if v["version"] == number), None)
    if article is None or version is None:
        return Response.text(f"no version {number} of article {aid}", status=404)
    previous = next((v for v in versions if v["version"] == number - 1), None)
    def as_text(v):
        return text.version_text(v["headline"], v.get("byline"), v.get("section"), _credits_text(v.get("credits")),
                                 v.get("body")) + (f"\npublished: {v['published']}" if v.get("published") else "") + \
            (f"\nupdated: {v['updated']}" if v.get("updated") else "")
    diff = text.side_by_side(as_text(previous), as_text(version)) if previous else []
    try:
        changed = ", ".join(json.loads(version.get("changed") or "[]"))
    except ValueError:
        changed = version.get("changed") or ""
    seen = text.times(version["fetched_at"])
    portal = await article_portal(datasette.get_database(database), article)
    x = {"cite": cite_block(datasette, request, database, article, version, portal)}
    context = {
        "database": database, "article": article, "version": version, "versions": versions,
        "portal": portal or portal_name(datasette),
        "previous": previous, "diff": diff, "changed": changed, "seen": seen,
        "reader": {**reader_view({**article, **{k: version.get(k) for k in
                                                ("headline", "body", "byline", "section", "published", "updated")}})},
        "x": x, "paths": {v["version"]: version_path(datasette, database, aid, v["version"]) for v in versions},
        "timemap": datasette.urls.path("/-/timemap/link/" + (article["url"] or "")),
    }
    headers = {"Link": memento_links(datasette, request, article["url"] or "")}
    if seen and seen.get("http"):
        headers["Memento-Datetime"] = seen["http"]
    return Response.html(await datasette.render_template("newsspider_version.html", context, request=request),
                         headers=headers)


# --------------------------------------------------------------------------- Memento (RFC 7089)
def _archive_database(datasette):
    for name, db in datasette.databases.items():
        if name != "_internal":
            return name, db
    return None, None


def _original_from(request) -> str:
    url = request.url_vars["url"]
    if request.query_string:
        url += "?" + request.query_string
    # an ASGI server may fold "http://" into "http:/" in the path
    return re.sub(r"^(https?):/(?!/)", r"\1://", url)


async def _mementos(datasette, original: str):
    """(database, article row, its versions) for the article whose URL folds like
    ``original`` (scheme, ``www.``, trailing slash, tracking parameters), or None."""
    database, db = _archive_database(datasette)
    if db is None:
        return None
    key = fold(original)
    exact = await _rows(db, "select id, url from articles where url = ?", [original])
    hit = exact[0] if exact else None
    if hit is None:
        def scan(conn):
            for aid, url in conn.execute("select id, url from articles"):
                if url and fold(url) == key:
                    return {"id": aid, "url": url}
            return None
        hit = await db.execute_fn(scan)
    if hit is None:
        return None
    versions = await _rows(db, "select version, fetched_at from versions where article_id = ? order by version",
                           [hit["id"]])
    return database, hit, versions


def _memento_time(value):
    t = text.times(value)
    return t.get("datetime") if t else None


async def timemap(request, datasette):
    original = _original_from(request)
    found = await _mementos(datasette, original)
    if not found or not found[2]:
        return Response.text(f"no mementos of {original}", status=404)
    database, article, versions = found
    base = lambda path: datasette.absolute_url(request, datasette.urls.path(path))  # noqa: E731
    lines = [f'<{article["url"]}>; rel="original"',
             f'<{base("/-/timemap/link/" + article["url"])}>; rel="self"; type="application/link-format"'
             f'; from="{text.times(versions[0]["fetched_at"])["http"]}"; until="{text.times(versions[-1]["fetched_at"])["http"]}"',
             f'<{base("/-/timegate/" + article["url"])}>; rel="timegate"']
    for n, v in enumerate(versions):
        rel = "memento"
        if n == 0:
            rel = "first memento" if len(versions) > 1 else "first last memento"
        elif n == len(versions) - 1:
            rel = "last memento"
        lines.append(f'<{base(version_path(datasette, database, article["id"], v["version"]))}>; rel="{rel}"; '
                     f'datetime="{text.times(v["fetched_at"])["http"]}"')
    return Response(",\n".join(lines) + "\n", content_type="application/link-format; charset=utf-8")


async def timegate(request, datasette):
    import email.utils

    original = _original_from(request)
    found = await _mementos(datasette, original)
    if not found or not found[2]:
        return Response.text(f"no mementos of {original}", status=404, headers={"Vary": "accept-datetime"})
    database, article, versions = found
    wanted = request.headers.get("accept-datetime")
    chosen = versions[-1]
    if wanted:
        try:
            when = email.utils.parsedate_to_datetime(wanted)
        except (TypeError, ValueError):
            when = None
        if when is None or when.tzinfo is None:
            return Response.text(f"Accept-Datetime is not an RFC 1123 date: {wanted!r}", status=400,
                                 headers={"Vary": "accept-datetime"})
        before = [v for v in versions if _memento_time(v["fetched_at"]) and _memento_time(v["fetched_at"]) <= when]
        chosen = before[-1] if before else versions[0]
    location = datasette.absolute_url(request, version_path(datasette, database, article["id"], chosen["version"]))
    links = memento_links(datasette, request, article["url"])
    links += f', <{location}>; rel="memento"; datetime="{text.times(chosen["fetched_at"])["http"]}"'
    return Response("", status=302, headers={"Location": location, "Vary": "accept-datetime", "Link": links},
                    content_type="text/plain")


@hookimpl
def register_routes():
    return [
        (r"^/(?P<database>[^/]+)/-/response/(?P<id>\d+)$", response_text),
        (r"^/(?P<database>[^/]+)/-/capture/(?P<id>\d+)$", capture_html),
        (r"^/(?P<database>[^/]+)/responses/(?P<id>\d+)(?P<format>\.json)?$", response_row),
        (r"^/(?P<database>[^/]+)/articles/(?P<aid>\d+)/v(?P<version>\d+)$", version_page),
        (r"^/(?P<database>[^/]+)/edits_feed\.atom$", edits_feed),
        (r"^/-/timemap/link/(?P<url>.+)$", timemap),
        (r"^/-/timegate/(?P<url>.+)$", timegate),
    ]


# --------------------------------------------------------------------------- default columns
def default_columns_location(datasette, scope) -> str | None:
    """Where a GET of a table's HTML page without column choice should go instead."""
    if scope.get("type") != "http" or scope.get("method") != "GET":
        return None
    parts = scope.get("path", "").split("/")
    if len(parts) != 3 or not parts[1] or not parts[2] or "." in parts[2]:
        return None
    database, table = urllib.parse.unquote(parts[1]), urllib.parse.unquote(parts[2])
    if database not in datasette.databases:
        return None
    config = datasette.plugin_config(PLUGIN, database=database, table=table) or {}
    columns = config.get("default_columns")
    if not columns:
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if any(k in ("_col", "_nocol") for k, _ in pairs):
        return None
    pairs += [("_col", c) for c in columns]
    return scope.get("root_path", "") + scope["path"] + "?" + urllib.parse.urlencode(pairs)


# --------------------------------------------------------------------------- response bodies
BODY_ARGS = {"_col", "_sort", "_sort_desc", "_facet", "_facet_array", "_facet_date"}


def responses_table_scope(datasette, scope) -> dict:
    """``scope`` for a request of the ``responses`` table's pages (HTML, JSON, CSV) with
    the ``body`` column taken out: ``_col=body`` (and sorting or faceting by it) dropped,
    ``_nocol=body`` added when no ``_col`` is left. The authorizer would refuse the
    query anyway; this keeps the table browsable."""
    if scope.get("type") != "http":
        return scope
    parts = scope.get("path", "").split("/")
    if len(parts) != 3 or urllib.parse.unquote(parts[1]) not in datasette.databases:
        return scope
    if parts[2].split(".", 1)[0] != "responses":
        return scope
    pairs = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not (k in BODY_ARGS and v == "body")]
    if not any(k == "_col" for k, _ in kept) and ("_nocol", "body") not in kept:
        kept.append(("_nocol", "body"))
    return {**scope, "query_string": urllib.parse.urlencode(kept).encode("latin-1")}


# --------------------------------------------------------------------------- headers
def _inline_scripts() -> list[str]:
    """The inline scripts Datasette 0.65's own templates write (the menus, the SQL editor,
    the table's facet flag), as CSP hashes: the policy allows these and no other."""
    templates = Path(datasette_package.__file__).parent / "templates"
    scripts = []
    for name in ("_close_open_menus.html", "_codemirror_foot.html"):
        source = (templates / name).read_text(encoding="utf-8")
        scripts += re.findall(r"<script>(.*?)</script>", source, re.S)
    scripts += [f"DATASETTE_ALLOW_FACET = {flag};" for flag in ("true", "false")]
    return ["'sha256-{}'".format(base64.b64encode(hashlib.sha256(s.encode()).digest()).decode())
            for s in scripts]


CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' " + " ".join(_inline_scripts()),
    "style-src 'self' 'unsafe-inline'",   # Datasette's templates and CodeMirror use style attributes
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    "form-action 'self'",
])
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def with_security_headers(headers) -> list:
    """``headers`` plus :data:`SECURITY_HEADERS` that a route did not set itself (the
    stored-page routes set a stricter policy)."""
    headers = list(headers or [])
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS if name not in present]


def explain_refusal(body: bytes) -> bytes:
    """A JSON error answer whose ``error`` is an SQLite refusal of the authorizer, with
    the reason said in words."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    error = data.get("error") if isinstance(data, dict) else None
    for start, reason in SQL_REFUSALS.items():
        if isinstance(error, str) and error.startswith(start) and not error.endswith(reason):
            data["error"] = error + reason
            return json.dumps(data).encode()
    return body


def normalized_query_scope(scope) -> dict:
    """``scope`` with every query-string value (but ``sql``) normalised as stored text is
    (``normalize_text``: NFC, nukta forms, ZWSP removed, ZWJ/ZWNJ kept): what a reader
    types into the search box, a canned query's form or a filter finds the text as the
    archive holds it, whatever spelling the keyboard or the copied text used."""
    raw = scope.get("query_string", b"")
    if not raw or raw.isascii() and b"%" not in raw:
        return scope
    pairs = urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    fixed = [(k, v if k == "sql" else normalize_text(v)) for k, v in pairs]
    if fixed == pairs:
        return scope
    return {**scope, "query_string": urllib.parse.urlencode(fixed).encode("ascii")}


def search_json_problem(scope) -> str | None:
    """The message for a ``search.json`` / ``articles.json?_search=`` the syntax cannot take
    (HTML pages show it above their empty results)."""
    path = scope.get("path", "")
    if not path.endswith((".json", ".csv")):
        return None
    args = urllib.parse.parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    stem = path.rsplit(".", 1)[0]
    if stem.endswith("/search") and args.get("q"):
        return search_plugin.search_problem(args["q"][0])
    if stem.endswith("/articles") and args.get("_search"):
        return search_plugin.search_problem(args["_search"][0])
    return None


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            location = default_columns_location(datasette, scope)
            if location:
                await send({"type": "http.response.start", "status": 302,
                            "headers": with_security_headers([(b"location", location.encode("latin-1")),
                                                              (b"content-type", b"text/plain")])})
                await send({"type": "http.response.body", "body": b""})
                return
            scope = responses_table_scope(datasette, scope)
            scope = normalized_query_scope(scope)
            problem = search_json_problem(scope)
            if problem:
                body = json.dumps({"ok": False, "error": problem, "status": 400, "title": "Invalid search"},
                                  ensure_ascii=False).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": with_security_headers([(b"content-type", b"application/json; charset=utf-8"),
                                                              (b"content-length", str(len(body)).encode())])})
                await send({"type": "http.response.body", "body": body})
                return
            args = urllib.parse.parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
            search_plugin.CURRENT_SEARCH.set((args.get("_search") or [None])[0]
                                             if scope.get("path", "").endswith("/articles") else None)
            tablesearch.REQUEST_MATCHES.set({})  # the match's ids, evaluated once a request
            held = {}

            async def secured_send(message):
                if message["type"] == "http.response.start":
                    message = {**message, "headers": with_security_headers(message.get("headers"))}
                    content_type = dict((k.lower(), v) for k, v in message["headers"]).get(b"content-type", b"")
                    if message.get("status") == 400 and content_type.startswith(b"application/json"):
                        held["start"], held["body"] = message, b""  # rewritten once complete
                        return
                elif message["type"] == "http.response.body" and "start" in held:
                    held["body"] += message.get("body", b"")
                    if message.get("more_body"):
                        return
                    body = explain_refusal(held.pop("body"))
                    start = held.pop("start")
                    start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                    start["headers"].append((b"content-length", str(len(body)).encode()))
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                    return
                await send(message)

            await app(scope, receive, secured_send)
        return wrapped
    return wrap
