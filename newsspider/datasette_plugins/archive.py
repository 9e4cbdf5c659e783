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
  filter) and ``month`` (a date column by ``YYYY-MM``, toggling ``col__startswith``).
- ``register_routes``: ``/<db>/-/response/<id>``, a stored response decompressed and
  shown as plain text (never as HTML: the archived page's scripts must not run here).
- ``asgi_wrapper``: a table page opened without ``_col``/``_nocol`` is redirected to
  its ``default_columns`` (table plugin config ``newsspider: default_columns: [...]``).
- ``prepare_connection``: SQL functions ``text_diff(old, new)``,
  ``version_text(headline, byline, section, credits, body)`` and ``html_escape(text)``.
"""

from __future__ import annotations

import json
import urllib.parse

from datasette import hookimpl
from datasette.facets import Facet
from datasette.utils import (derive_named_parameters, escape_sqlite, path_with_added_args,
                             path_with_removed_args, tilde_decode)
from datasette.utils.asgi import Response

from pipelines.store import decompress
from markupsafe import Markup

from . import STATIC_MOUNT, charts, text

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
@hookimpl
def prepare_connection(conn):
    conn.create_function("text_diff", 2, text.text_diff, deterministic=True)
    conn.create_function("version_text", 5, text.version_text, deterministic=True)
    conn.create_function("html_escape", 1, text.html_escape, deterministic=True)


@hookimpl
def extra_css_urls():
    return [f"/{STATIC_MOUNT}/archive.css"]


# --------------------------------------------------------------------------- cells
@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None:
        return None
    if column == "body" and table == "responses":
        rid = row["id"]
        return Markup('<a href="{}">stored page as text</a>').format(
            datasette.urls.path(f"/{database}/-/response/{rid}"))
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
                return None
            return Markup('<a href="{}">{}</a> <small>(<a href="{}">on the portal</a>)</small>').format(
                datasette.urls.table(database, "articles") + f"/{hit[0]}", value, value)
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
    return {"counts": counts, "last_run": last}


async def article_extras(datasette, database, article_id: str) -> dict:
    db = datasette.get_database(database)
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
        select id, version, fetched_at, changed, response_id, run_id
        from versions where article_id = ? order by version""", [article_id])
    responses = await _rows(db, """
        select id, fetched_at, status, raw_size, stored_size from responses
        where url = (select url from articles where id = ?) order by id""", [article_id])
    for v in versions:
        try:
            v["changed"] = ", ".join(json.loads(v["changed"] or "[]"))
        except ValueError:
            pass
    return {"related": related, "linked_from": linked_from, "credits": credits,
            "versions": versions, "responses": responses, "article_id": article_id}


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
        if view_name == "index":
            for name, db in datasette.databases.items():
                if name != "_internal" and await db.table_exists("articles"):
                    out.setdefault("archive_summaries", []).append(
                        {"database": name, **await archive_summary(db)})
        elif view_name == "row" and table == "articles" and request is not None:
            pks = request.url_vars.get("pks", "")
            if pks.isdigit():
                out["article_extras"] = await article_extras(datasette, database, pks)
        elif view_name in ("table", "database") and request is not None and database:
            # Datasette 0.65 renders a canned query through the table view's route
            name = request.url_vars.get("table")
            if name:
                chart = await query_chart(datasette, database, tilde_decode(name), request)
                if chart:
                    out["newsspider_chart"] = chart
            if view_name == "table" and table and request.args.get("_search"):
                out["ranked_search_url"] = (
                    datasette.urls.database(database) + "/search?" +
                    urllib.parse.urlencode({"q": request.args.get("_search")}))
        return out

    return inner


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
            sql = (f"select {escape_sqlite(column)} as value, count(*) as count "
                   f"from {escape_sqlite(through)} where {escape_sqlite(fk['column'])} in "
                   f"(select {escape_sqlite(fk['other_column'])} from ({self.sql})) "
                   f"and value is not null group by value order by count desc, value limit {size + 1}")
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
    return [ThroughFacet, MonthFacet]


# --------------------------------------------------------------------------- raw responses
async def response_text(request, datasette):
    database = request.url_vars["database"]
    rid = int(request.url_vars["id"])
    try:
        db = datasette.get_database(database)
    except KeyError:
        return Response.text("no such database", status=404)
    await datasette.ensure_permissions(request.actor, [("view-table", (database, "responses")),
                                                       ("view-database", database), "view-instance"])
    row = (await db.execute("select url, final_url, status, fetched_at, content_type, body, compression "
                            "from responses where id = ?", [rid])).first()
    if row is None:
        return Response.text(f"no stored response {rid}", status=404)

    body = await db.execute_fn(lambda conn: decompress(conn, row["body"], row["compression"]))
    content_type = row["content_type"] or ""
    charset = "utf-8"
    if "charset=" in content_type:
        charset = content_type.split("charset=", 1)[1].split(";")[0].strip() or "utf-8"
    try:
        decoded = body.decode(charset, errors="replace")
    except LookupError:
        decoded = body.decode("utf-8", errors="replace")
    head = (f"# stored response {rid}: {row['url']}\n# final URL {row['final_url']}, HTTP {row['status']}, "
            f"fetched {row['fetched_at']}, {row['content_type']}\n\n")
    return Response(head + decoded, status=200, headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    }, content_type="text/plain; charset=utf-8")


@hookimpl
def register_routes():
    return [(r"^/(?P<database>[^/]+)/-/response/(?P<id>\d+)$", response_text)]


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


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def wrapped(scope, receive, send):
            location = default_columns_location(datasette, scope)
            if location:
                await send({"type": "http.response.start", "status": 302,
                            "headers": [(b"location", location.encode("latin-1")),
                                        (b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b""})
                return
            await app(scope, receive, send)
        return wrapped
    return wrap
