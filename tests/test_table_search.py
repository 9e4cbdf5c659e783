"""The articles table's search box at scale (issue 13), over a real `datasette` process.

Datasette runs a table page with ``?_search=`` as three statements that each evaluate the
match and look up every match's row: the rows (``where id in (match) order by published
desc limit 51``), the count (``select count(*) ... where id in (match)``) and the ids for
the facets. The archive's plugin (:mod:`newsspider.datasette_plugins.tablesearch`)
evaluates the match once per page, counts it without a row lookup and picks the page's
rows from the facet index's ``published`` keys. These tests hold it to Datasette's own
answer: the same rows in the same order (ties included), the same count and facets, on
every page size, after writes, and when a published value is not ISO 8601 (then
Datasette's own statements run).
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
import urllib.request

import pytest

from tests.conftest import start_datasette, stop_process
from tests.test_search import ARTICLES, write_archive

# published values with ties: the same minute, the same second, other offsets, NULL
PUBLISHED = ["2025-07-01T10:00:00-04:00", "2025-07-01T10:00:30-04:00", "2025-07-01T10:00:00-04:00",
             "2025-07-01T10:00:00+06:00", "2025-06-30T23:59:59-04:00", None, "2025-07-01T10:01:00-04:00",
             "2025-07-01T10:00:00-04:00", "2025-07-01T10:00:00.5-04:00", "2025-07-01"]
WORDS = ["বাংলাদেশ দল", "ঢাকা শহর", "বাংলাদেশের মানুষ", "মে মাসে বৃষ্টি", "নতুন বাংলাদেশ"]
SECTIONS = ["দেশ", "খেলা", "বিশ্ব"]

QUERIES = ["বাংলাদেশ", "শহর", "নিজস্ব OR মে", '"ঢাকা শহর"', "বাংলাদেশ -দল", "বাংলা*", "নেই"]
ORIGINAL_ROWS = ("select id, published from articles where id in (select rowid from articles_words "
                 "where articles_words match escape_fts(:search)) order by published desc limit {n}")
ORIGINAL_COUNT = ("select count(*) from articles where id in (select rowid from articles_words "
                  "where articles_words match escape_fts(:search))")


def add_articles(path, first: int = 100, n: int = 140) -> None:
    from pipelines import schema

    db = schema.connect(path)
    for k in range(n):
        i = first + k
        db.execute("insert into articles (id, url, headline, body, section, published) values (?, ?, ?, ?, ?, ?)",
                   [i, f"http://p.test/news/{i}/", f"{WORDS[k % 5]} {k}", f"{WORDS[(k * 7) % 5]} খবর",
                    SECTIONS[k % 3], PUBLISHED[(k * 3) % len(PUBLISHED)]])
    db.conn.close()


def in_a_loop_of_its_own(coro):
    """``asyncio.run(coro)`` in a thread of its own: another test of the suite may leave
    this thread's event loop running, and asyncio.run refuses to start inside it."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def counted_datasette(path):
    """An in-process Datasette with the archive's plugins on ``path``, started, and the
    list its SQL thread pool's hand-offs are appended to: (ds, db, submitted)."""
    from datasette.app import Datasette

    from newsspider.datasette_plugins import PLUGINS_DIR, TEMPLATES_DIR

    ds = Datasette([str(path)], plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR))
    await ds.invoke_startup()
    submitted = []
    submit = ds.executor.submit
    ds.executor.submit = lambda *a, **k: submitted.append(a) or submit(*a, **k)
    return ds, ds.get_database("archive"), submitted


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("tablesearch") / "archive.db"
    write_archive(path)
    add_articles(path)
    proc, url = start_datasette(path, extra=["--setting", "trace_debug", "1"])
    yield {"url": url, "archive": path}
    stop_process(proc)


def get_json(site, **params) -> dict:
    url = site["url"] + "/archive/articles.json?" + urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read().decode())


def original(site, q: str, size: int) -> tuple[list, int]:
    """What Datasette's own statements answer: the page's (id, published) and the count."""
    from newsspider.datasette_plugins import search as search_plugin

    con = sqlite3.connect(f"file:{site['archive']}?mode=ro", uri=True)
    search_plugin.register_functions(con)
    rows = con.execute(ORIGINAL_ROWS.format(n=size + 1), {"search": q}).fetchall()[:size]
    count = con.execute(ORIGINAL_COUNT, {"search": q}).fetchone()[0]
    con.close()
    return [list(r) for r in rows], count


def page(site, q: str, size: int, **extra) -> tuple[list, int, dict]:
    data = get_json(site, _search=q, _size=size, _col="published", _shape="arrays", **extra)
    return data["rows"], data["filtered_table_rows_count"], data


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("size", [1, 3, 7, 50])
def test_table_search_gives_datasettes_own_rows_and_count(site, q, size):
    rows, count, _ = page(site, q, size)
    assert (rows, count) == original(site, q, size)


def test_a_page_evaluates_the_match_once_and_looks_up_only_its_rows(site):
    """The trace of one table page: the match is evaluated by one statement; no statement
    looks up every match's row (the count and the rows' order come from the facet index)."""
    _, count, data = page(site, "বাংলাদেশ", 5, _trace="1")
    assert count > 50
    statements = [t["sql"] for t in data["_trace"]["traces"] if t.get("type") == "sql"]
    matching = [s for s in statements if "match" in s]
    assert len(matching) == 1, matching
    assert not [s for s in statements if "from articles where id in (select rowid" in s], statements


def test_sorts_and_filters_other_than_the_search_box_run_as_datasette_wrote_them(site):
    for extra, reference in (
            ({"_sort": "headline"}, "where articles_words match escape_fts(:search)) order by headline limit 6"),
            ({"section": "দেশ"}, "where \"section\" = :p0 and id in (select rowid from articles_words"),
    ):
        _, _, data = page(site, "বাংলাদেশ", 5, _trace="1", **extra)
        statements = [t["sql"] for t in data["_trace"]["traces"] if t.get("type") == "sql"]
        assert any(reference in s for s in statements), statements
    con = sqlite3.connect(site["archive"])
    want = [r[0] for r in con.execute(
        "select id from articles where id in (select rowid from articles_words where "
        "articles_words match 'শহর') and section = 'দেশ'")]
    rows, count, _ = page(site, "শহর", 50, section="দেশ")
    assert count == len(want) and sorted(r[0] for r in rows) == sorted(want)


def test_the_page_follows_writes_and_falls_back_on_a_date_it_cannot_order(tmp_path):
    """Rows written while Datasette runs are on the next page; a ``published`` value that is
    not ISO 8601 (the facet index cannot order it by its digits) makes the page run
    Datasette's own statements, with the same answer."""
    from pipelines import schema

    path = tmp_path / "archive.db"
    write_archive(path)
    add_articles(path, n=60)
    proc, url = start_datasette(path, extra=["--setting", "trace_debug", "1"])
    site = {"url": url, "archive": path}
    try:
        for size in (3, 50):
            assert page(site, "বাংলাদেশ", size)[:2] == original(site, "বাংলাদেশ", size)
        add_articles(path, first=500, n=20)
        db = schema.connect(path)
        db.execute("update articles set published = '2031-01-01T00:00:00+00:00' where id = 101")
        db.conn.close()
        rows, count, _ = page(site, "বাংলাদেশ", 3)
        assert (rows, count) == original(site, "বাংলাদেশ", 3)
        assert rows[0][0] == 101
        db = schema.connect(path)
        db.execute("update articles set published = 'সোমবার' where id = 102")
        db.conn.close()
        rows, count, data = page(site, "বাংলাদেশ", 3, _trace="1")
        assert (rows, count) == original(site, "বাংলাদেশ", 3)
        assert rows[0][0] == 102  # 'স…' sorts after every digit
        statements = [t["sql"] for t in data["_trace"]["traces"] if t.get("type") == "sql"]
        assert any("from articles where id in (select rowid" in s for s in statements)
    finally:
        stop_process(proc)


def test_published_key_orders_as_sqlite_orders_the_text():
    """For any two values a, b: SQLite's a < b implies key(a) <= key(b) (values of one
    minute tie), and a value the key cannot order has none."""
    import random

    from newsspider.datasette_plugins.facetindex import published_key

    rng = random.Random(7)
    tails = ["", "T", "T10:00", "T10:00:30", "T10:00-04:00", "T09:59:59+06:00", "T10:01Z", " 23:00", "x", ".5"]
    values = [None, "2025-07-01", "2025-07-01T00:00", "2025-06-30T23:59:59-04:00", "2025-07-01 23:00"]
    for _ in range(3000):
        date = f"{rng.choice(['2024', '2025', '৳025'])}-{rng.choice(['06', '07', '7'])}-{rng.choice(['01', '30', '3'])}"
        values.append((date + rng.choice(tails))[: rng.choice([99, 99, 99, 12, 15])])
    con = sqlite3.connect(":memory:")
    con.execute("create table t (v text)")
    con.executemany("insert into t values (?)", [(v,) for v in values])
    ordered = [v for (v,) in con.execute("select v from t order by v")]
    keyed = [(published_key(v), v) for v in ordered]
    keys = [k for k, _ in keyed if k is not None]
    assert len(keys) > 100 and keys == sorted(keys)
    assert published_key("2025-07-01 23:00") is None and published_key("২০২৫-07-01") is None
    assert published_key(None) == -1 < published_key("0000-01-01")


def test_newest_keeps_every_tie_and_gives_up_on_too_many():
    from newsspider.datasette_plugins.facetindex import FacetIndex

    index = FacetIndex()
    index.size = 10
    index.published.extend([-1, 5, 7, 7, 7, 3, 9, -1, 7, 1])
    assert index.newest([1, 2, 3, 4, 5, 6, 8], 2, 100) == [2, 3, 4, 6, 8]  # 9, then every 7
    assert index.newest([1, 2, 3, 4, 5, 6, 8], 2, 4) is None
    assert index.newest([1, 5, 9], 5, 100) == [1, 5, 9]
    index.unorderable.add(5)
    assert index.newest([1, 2, 3, 6, 9], 2, 100) == [2, 3, 6]  # 5 is not among them
    assert index.newest([1, 5, 9, 2], 2, 100) is None


def test_the_rows_template_writes_what_datasettes_writes():
    """``templates/_table.html`` writes its rows in Python (text.table_body_html): the same
    markup as Datasette's own ``_table.html``, whitespace between tags aside."""

    from datasette.app import Datasette
    from datasette.utils import path_with_replaced_args
    from datasette.utils.asgi import Request
    from markupsafe import Markup

    from newsspider.datasette_plugins import PLUGINS_DIR, TEMPLATES_DIR

    run = in_a_loop_of_its_own
    ds = Datasette([], plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR))
    run(ds.invoke_startup())  # the plugins' prepare_jinja2_environment
    columns = [{"name": n, "sortable": n != "body", "is_pk": n == "id", "type": "TEXT", "notnull": 0,
                "description": "a <b> column" if n == "url" else None}
               for n in ("id", "headline", "body", "url", "_odd col")]
    rows = [[{"column": "id", "value_type": "pk", "value": Markup('<a href="/archive/articles/1">1</a>')},
             {"column": "headline", "value_type": "text", "value": "<script>x</script> & বাংলা"},
             {"column": "body", "value_type": "text", "value": Markup("<mark>মে</mark> মাসে")},
             {"column": "url", "value_type": "text", "value": "http://p.test/?a=1&b=\"2\""},
             {"column": "_odd col", "value_type": "integer", "value": 7}],
            [{"column": "id", "value_type": "pk", "value": 2}, {"column": "headline", "value_type": "none",
                                                                 "value": Markup("&nbsp;")}]]
    request = Request.fake("/archive/articles?_search=x&_sort=headline")
    context = {"display_columns": columns, "display_rows": rows, "sort": "headline", "sort_desc": None,
               "request": request, "fix_path": ds.urls.path,
               "path_with_replaced_args": path_with_replaced_args}

    def render(name):
        html = run(ds.jinja_env.get_template(name).render_async(context))
        return re.sub(r">\s+<", "><", html.strip())

    ours, theirs = render("_table.html"), render("default:_table.html")
    assert "&lt;script&gt;" in ours and "<mark>মে</mark>" in ours and "type-integer\">7</td>" in ours
    assert ours == theirs
    empty = {**context, "display_rows": []}
    assert (run(ds.jinja_env.get_template("_table.html").render_async(empty)).strip()
            == run(ds.jinja_env.get_template("default:_table.html").render_async(empty)).strip())


def test_an_archive_not_migrated_yet_still_has_its_facets(tmp_path):
    """Datasette opens an archive read-only, so one made before the facet index's latest
    columns (schema 2: no ``portal``) is browsed as it is until the next crawl migrates
    it: its facets are counted in SQL meanwhile (the same counts), a facet on a column the
    archive does not have yet is left out, none is reported as timed out."""
    import gzip

    from newsspider.localcrawl import PROJECT_ROOT

    path = tmp_path / "archive.db"
    con = sqlite3.connect(path)
    con.executescript(gzip.decompress((PROJECT_ROOT / "tests/golden/archive-v2-demo12.sql.gz").read_bytes()).decode())
    sections = dict(con.execute("select section, count(*) from articles group by section"))
    months = dict(con.execute("select substr(published, 1, 7), count(*) from articles group by 1"))
    agencies = dict(con.execute("select agency, count(*) from credits group by agency"))
    con.close()
    proc, url = start_datasette(path)
    try:
        with urllib.request.urlopen(url + "/archive/articles.json?_shape=objects", timeout=30) as r:
            data = json.loads(r.read().decode())
        facets = {name: {v["value"]: v["count"] for v in f["results"]} for name, f in data["facet_results"].items()}
        assert "portal" not in facets
        assert facets["section"] == sections and facets["published"] == months and facets["agency"] == agencies
        word = "নিউইয়র্ক"
        with urllib.request.urlopen(url + "/archive/articles.json?" + urllib.parse.urlencode(
                {"_search": word, "_shape": "objects"}), timeout=30) as r:
            data = json.loads(r.read().decode())
        assert data["filtered_table_rows_count"] > 0
        assert sum(v["count"] for v in data["facet_results"]["section"]["results"]) == data["filtered_table_rows_count"]
        with urllib.request.urlopen(url + "/archive/articles?" + urllib.parse.urlencode(
                {"_search": word, "_col": "headline"}), timeout=30) as r:
            html = r.read().decode()
        assert "timed out" not in html and 'id="facet-section"' in html
    finally:
        stop_process(proc)


@pytest.mark.parametrize("q", QUERIES + ["বাংলাদেশ দল", "মানুষ"])
def test_the_ranked_search_joins_only_what_can_be_on_its_page(site, q):
    """The ``search`` query joins a tier's matches to their dates only up to the 50th best
    score when there is no filter (``head_cut``, ``body_cut``): the same page as joining
    and ordering every match, ties included; with a filter every match is joined."""
    import yaml

    from newsspider.datasette_plugins import search as search_plugin
    from newsspider.localcrawl import PROJECT_ROOT

    sql = yaml.safe_load((PROJECT_ROOT / "data/metadata.yml").read_text())["databases"]["archive"]["queries"]["search"]["sql"]
    cut = re.compile(r"\(not \(coalesce\(:from.*?\)\s+or [hb]\.score <= \(select s from (head|body)_cut\)\)", re.S)
    assert len(cut.findall(sql)) == 2
    every = cut.sub("1", sql)
    con = sqlite3.connect(f"file:{site['archive']}?mode=ro", uri=True)
    search_plugin.register_functions(con)
    base = {"q": q, "from": "", "to": "", "section": "", "agency": "", "byline": ""}
    for filters in ({}, {"section": "দেশ"}, {"from": "2025-07-01"}):
        params = {**base, **filters}
        assert con.execute(sql, params).fetchall() == con.execute(every, params).fetchall(), filters
    if q == "বাংলাদেশ":  # more headline matches than a page: the cut leaves some out
        heads = con.execute("select count(*) from articles_words where articles_words "
                            "match search_match_headline(?)", [q]).fetchone()[0]
        assert heads > 50 and len(con.execute(sql, base).fetchall()) == 50
    con.close()


def test_facet_counts_of_many_matches_are_the_counters():
    """FacetIndex.count over many ids (bytes per code while a column has at most 256
    values, a Counter past that) gives what counting every id's value gives."""
    import random
    from collections import Counter

    from newsspider.datasette_plugins.facetindex import FacetIndex, _Column

    rng = random.Random(3)
    index = FacetIndex()
    index.columns = {"section": _Column(), "byline": _Column()}
    n = 5000
    for col in index.columns.values():
        col.grow(n)
    index.published.extend([-1] * n)
    index.size = n
    truth = {}
    for i in range(1, n):
        values = {"section": rng.choice(["দেশ", "খেলা", None, "বিশ্ব"]), "byline": f"লেখক {rng.randrange(400)}"}
        for name, v in values.items():
            index.columns[name].set(i, v)
        truth[i] = values
    assert index.columns["section"].small is not None and index.columns["byline"].small is None
    for ids in (sorted(rng.sample(range(1, n), 3000)), [7, 9], list(range(1, 40))):
        got = index.count(ids, ["section", "byline"])
        for name in ("section", "byline"):
            want = Counter(truth[i][name] for i in ids)
            want.pop(None, None)
            assert got[name] == dict(want), name


def test_the_facet_index_reads_dates_without_the_covering_index(tmp_path):
    """The dates come from the covering index articles_facets (reading the table's rows
    was 15 s at 500,000 articles); an archive without that index still loads them."""
    from newsspider.datasette_plugins.facetindex import FacetIndex, published_key

    path = tmp_path / "archive.db"
    write_archive(path)
    add_articles(path, n=20)
    con = sqlite3.connect(path)
    want = {i: published_key(p) for i, p in con.execute("select id, published from articles")}
    assert want[105] == -1 and want[100] == 202507011000
    with_index = FacetIndex()
    with_index.refresh(con)
    con.execute("drop index articles_facets")
    without = FacetIndex()
    without.refresh(con)
    con.close()
    for index in (with_index, without):
        assert {i: index.published[i] for i in want} == want


def test_schema_look_ups_run_inline_and_queries_in_the_pool(tmp_path):
    """newsspider.datasette_plugins.inline: Datasette's schema look-ups on the archive run
    on the event loop's thread (each hand-off to the SQL threads cost ~0.4 ms of CPU, 25 of
    them a table page); every query, the searches and counts included, still goes to the
    pool, so a slow one holds no other request."""
    path = tmp_path / "archive.db"
    write_archive(path)

    async def main():
        ds, db, submitted = await counted_datasette(path)
        columns = await db.table_columns("articles")
        assert "headline" in columns and await db.primary_keys("articles") == ["id"]
        assert await db.fts_table("articles") == "articles_fts"
        assert (await db.execute("PRAGMA schema_version")).first()[0] > 0
        assert (await db.execute("select sql from sqlite_master where name = :n and type=:t",
                                 {"n": "articles", "t": "table"})).first()
        assert submitted == []
        assert (await db.execute("select count(*) from articles")).first()[0] == len(ARTICLES)
        assert len(submitted) == 1
        r = await ds.client.get("/archive/articles.json?_search=" + urllib.parse.quote("বাংলাদেশ"))
        assert r.status_code == 200 and r.json()["filtered_table_rows_count"] == 4
        assert len(submitted) >= 2  # the match: in the pool

    in_a_loop_of_its_own(main())


def test_a_readers_sql_on_sqlite_master_runs_in_the_pool(tmp_path):
    """Only Datasette's own schema statements run inline: a reader's query that reads
    sqlite_master (?sql=) goes to the pool under the time limit, like any other."""
    path = tmp_path / "archive.db"
    write_archive(path)

    async def main():
        ds, db, submitted = await counted_datasette(path)
        assert (await db.execute("select  sql from sqlite_master\n where name = :n and type=:t",
                                 {"n": "articles", "t": "table"})).first()
        assert submitted == []
        await db.execute("select count(*) from sqlite_master where name like '%a%'")
        assert len(submitted) == 1

    in_a_loop_of_its_own(main())
