"""Search that finds what a Bangla reader types (issue 13), over a real `datasette` process.

The archive is written by ``pipelines.store.Archive`` (the crawl's own writer, so the FTS
triggers index it) from hand-made articles whose words are chosen for each finding: the
precomposed য় / ড় (U+09DF / U+09DC) against the stored NFC spelling, Bangla and ASCII
digits, two-letter words, inflected forms, the query syntax, excerpts and filters.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

import pytest

from newsspider.bangla import normalize_body, normalize_text
from newsspider.items import Article, RawResponse
from newsspider.localcrawl import PROJECT_ROOT
from tests.conftest import start_datasette, stop_process
from tests.test_browser import Visit, browser, open_page  # noqa: F401  (browser: the shared Chromium)

YA = "\u09df"      # য় as one code point, as copied from many news sites
RRA = "\u09dc"     # ড় as one code point
FILLER = ("সকালে শহরের মানুষ কাজে বের হন এবং বিকেলে বাজারে ভিড় থাকে বলে স্থানীয়রা জানান "
          "যানবাহনের চাপও ছিল অনেক বেশি ")

# (id, headline, body, section, byline, published, credits)
ARTICLES = [
    (1, "ফুটবলে নতুন রেকর্ড", f"দলটি ২৩৬ পয়েন্ট পেয়েছে। {FILLER}", "খেলা", "সৌম্য রায়", "2025-05-01T10:00:00-04:00", ["BSS"]),
    (2, "দাম বাড়ল আবার", f"চালের দাম বাড়ল কেজিতে পাঁচ টাকা। {FILLER}", "অর্থনীতি", "নিজস্ব প্রতিবেদক", "2025-05-02T10:00:00-04:00", []),
    (3, "বাংলাদেশের জয়", f"বাংলাদেশের ক্রিকেট দল জিতেছে। {FILLER}", "খেলা", "নিজস্ব প্রতিবেদক", "2025-05-03T10:00:00-04:00", ["UNB"]),
    (4, "প্রবাসে উৎসব", f"বাংলাদেশে ফেরার আগে তাঁরা উৎসব করেন। {FILLER}", "প্রবাস", "নিজস্ব প্রতিবেদক", "2025-05-04T10:00:00-04:00", []),
    (5, "সফর শেষ", f"প্রতিনিধিদল বাংলাদেশকে ধন্যবাদ জানায়। {FILLER}", "রাজনীতি", "নিজস্ব প্রতিবেদক", "2025-06-05T10:00:00-04:00", ["BSS"]),
    (6, "স্বাধীন বাংলাদেশ", f"বাংলাদেশ নামের দেশটি ১৯৭১ সালে স্বাধীন হয়। {FILLER}", "রাজনীতি", "নিজস্ব প্রতিবেদক", "2025-06-06T10:00:00-04:00", []),
    (7, "মে মাসের বৃষ্টি", f"এ বছর মে মাসে বৃষ্টি বেশি হয়েছে। {FILLER}", "আবহাওয়া", "নিজস্ব প্রতিবেদক", "2025-05-07T10:00:00-04:00", []),
    (8, "নতুন মেয়র", f"নগরের নতুন মেয়র শপথ নিয়েছেন। {FILLER}", "রাজনীতি", "নিজস্ব প্রতিবেদক", "2025-05-08T10:00:00-04:00", []),
    (9, "ডেঙ্গুর প্রকোপ", f"ঢাকায় ডেঙ্গু রোগী বাড়ছে। {FILLER}", "স্বাস্থ্য", "নিজস্ব প্রতিবেদক", "2025-05-09T10:00:00-04:00", ["UNB"]),
    (10, "ট্রাম্পের ঘোষণা", f"ট্রাম্প নতুন শুল্ক ঘোষণা করেছেন। {FILLER}", "বিশ্ব", "নিজস্ব প্রতিবেদক", "2025-05-10T10:00:00-04:00", ["AFP"]),
    (11, "বন্যা ও ঢাকা শহর", f"ঢাকা শহর এখন বন্যার কবলে। {FILLER}", "দেশ", "নিজস্ব প্রতিবেদক", "2025-05-11T10:00:00-04:00", []),
    (12, "শহর ঢাকা সুন্দর", f"শহর ঢাকা রাতে সুন্দর দেখায়। {FILLER}", "দেশ", "নিজস্ব প্রতিবেদক", "2025-05-12T10:00:00-04:00", []),
    (13, "দীর্ঘ প্রতিবেদন", (FILLER * 6) + "শেষ দিকে নোবেলজয়ী অর্থনীতিবিদ বক্তব্য দেন। " + FILLER * 3 +
     "\n\nদ্বিতীয় অনুচ্ছেদ।", "অর্থনীতি", "নিজস্ব প্রতিবেদক", "2025-05-13T10:00:00-04:00", []),
]


def write_archive(path):
    from pipelines.store import Archive

    archive = Archive(path)
    archive.start_run("test", {})
    items = []
    for i, headline, body, section, byline, published, credits in ARTICLES:
        url = f"http://p.test/news/{i}/"
        raw = RawResponse(url, url, 200, {}, b"<html></html>", "2025-06-10T00:00:00+00:00")
        items.append(Article(url=url, fetched_url=url, headline=normalize_text(headline),
                             body=normalize_body(body), section=section, byline=normalize_text(byline),
                             published=published, credits=credits, fetched_at=raw.fetched_at, raw=raw))
    archive.write(items)
    archive.finish_run({"finish_reason": "finished"}, "finished", 0)
    archive.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "archive.db"
    write_archive(path)
    proc, url = start_datasette(path)
    yield {"url": url, "archive": path, "cmd": proc.args}
    stop_process(proc)


def get(site, path, **params):
    url = site["url"] + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode()


def ranked(site, q, **filters) -> list[dict]:
    data = json.loads(get(site, "/archive/search.json", q=q, _shape="objects", **filters))
    return data["rows"]


def ranked_ids(site, q, **filters) -> list[int]:
    return [r["article_id"] for r in ranked(site, q, **filters)]


def table_ids(site, q, **extra) -> set[int]:
    data = json.loads(get(site, "/archive/articles.json", _search=q, _shape="objects", _col="id", **extra))
    return {r["id"] for r in data["rows"]}


def test_datasette_loads_this_checkouts_plugins(site):
    cmd = site["cmd"]
    plugins = cmd[cmd.index("--plugins-dir") + 1]
    assert plugins.startswith(str(PROJECT_ROOT)), (plugins, PROJECT_ROOT)
    # a function only this checkout's plugin registers
    data = json.loads(get(site, "/archive.json", sql="select search_excerpt('ক খ গ', 'খ') as e", _shape="array"))
    assert data[0]["e"] == "ক «খ» গ"


# ------------------------------------------------------- 1. the same normalisation on both sides
@pytest.mark.parametrize("typed, article", [
    (f"প{YA}েন্ট", 1),             # পয়েন্ট with U+09DF
    ("প\u09af\u09bcেন্ট", 1),       # with য + nukta, as stored
    (f"বা{RRA}ল", 2),               # বাড়ল with U+09DC
    ("বা\u09a1\u09bcল", 2),
    ("প\u200bয়েন্ট", 1),            # a zero-width space inside, as copied text holds it
])
def test_precomposed_and_decomposed_spellings_find_the_same_articles(site, typed, article):
    assert article in ranked_ids(site, typed)
    assert article in table_ids(site, typed)


def test_any_canned_query_text_input_is_normalised(site):
    # the byline filter of `search`, typed with the precomposed য় of রায়
    assert ranked_ids(site, "পয়েন্ট", byline=f"সৌম্য রা{YA}") == [1]
    # a canned query without search: its text input too (the table filter, for the record)
    data = json.loads(get(site, "/archive.json", sql="select :x as x", x=f"রা{YA}", _shape="array"))
    assert data[0]["x"] == unicodedata.normalize("NFC", f"রা{YA}")


@pytest.mark.parametrize("typed", ["236", "২৩৬"])
def test_bangla_and_ascii_digits_match_each_other(site, typed):
    assert ranked_ids(site, typed) == [1]
    assert table_ids(site, typed) == {1}
    assert 6 in ranked_ids(site, "1971")


# ------------------------------------------------------- 2. words of any length, inflection
def test_short_words_are_found_as_words(site):
    assert ranked_ids(site, "মে") == [7]          # not মেয়র (8): a whole word
    assert table_ids(site, "মে") == {7}
    ids = ranked_ids(site, "দল")
    assert 3 in ids and 1 in ids                  # দল, দলটি
    assert 5 not in ids                           # প্রতিনিধিদল is another word


@pytest.mark.parametrize("form", ["বাংলাদেশ", "বাংলাদেশের", "বাংলাদেশে", "বাংলাদেশকে"])
def test_any_inflected_form_finds_the_others(site, form):
    assert {3, 4, 5, 6} <= set(ranked_ids(site, form))
    assert {3, 4, 5, 6} <= table_ids(site, form)


def test_inside_word_matches_come_after_whole_words(site):
    ids = ranked_ids(site, "নিধিদল")   # inside প্রতিনিধিদল only
    assert ids == [5]
    rows = ranked(site, "দেশ")          # the section "দেশ" is not the text; দেশটি (6) is a form
    ids = [r["article_id"] for r in rows]
    assert ids[0] == 6, rows            # a whole word first, then বাংলাদেশ* inside-word matches
    assert {3, 4, 5} <= set(ids)


# ------------------------------------------------------- 3. query syntax people know
def test_phrase_or_exclusion_prefix(site):
    assert set(ranked_ids(site, '"ঢাকা শহর"')) == {11}          # adjacent, in this order
    assert {11, 12} <= set(ranked_ids(site, "ঢাকা শহর"))
    assert set(ranked_ids(site, "ডেঙ্গু OR ট্রাম্প")) == {9, 10}
    assert set(table_ids(site, "ডেঙ্গু OR ট্রাম্প")) == {9, 10}
    assert set(ranked_ids(site, "ঢাকা -বন্যা")) == {9, 12}        # ঢাকায় is a form of ঢাকা
    assert {3, 4, 5, 6} <= set(ranked_ids(site, "বাংলাদেশ*"))
    assert {3, 4, 5, 6} <= table_ids(site, "বাংলাদেশ*")


@pytest.mark.parametrize("bad", ["-বন্যা", "!!!", "OR"])
def test_a_query_the_syntax_cannot_take_says_so(site, bad):
    page = get(site, "/archive/search", q=bad)
    assert "This search cannot be run" in page
    page = get(site, "/archive/articles", _search=bad)
    assert "This search cannot be run" in page
    with pytest.raises(urllib.error.HTTPError) as e:
        get(site, "/archive/search.json", q=bad)
    assert e.value.code == 400
    assert json.loads(e.value.read())["error"]


# ------------------------------------------------------- 4. where it matched
def test_excerpt_is_about_30_words_around_the_first_match(site):
    row = ranked(site, "নোবেলজয়ী")[0]
    ex = row["excerpt"]
    assert "«নোবেলজয়ী»" in ex
    words = ex.replace("…", " ").split()
    assert 25 <= len(words) <= 32, ex
    assert "\n" not in ex
    assert ex.startswith("… ") and ex.endswith(" …")
    body = ARTICLES[12][2]
    for w in ex.replace("«", "").replace("»", "").replace("…", "").split():
        assert w in normalize_body(body).split(), w     # cut at word boundaries
    assert set(row) >= {"article_id", "headline", "published", "excerpt", "relevance"}


def test_inflected_matches_are_highlighted(site):
    ex = ranked(site, "বাংলাদেশ", _sort="article_id")
    by_id = {r["article_id"]: r["excerpt"] for r in ex}
    assert "«বাংলাদেশের»" in by_id[3] and "«বাংলাদেশকে»" in by_id[5]
    assert "«২৩৬»" in ranked(site, "236")[0]["excerpt"]


def test_table_search_shows_the_words_around_the_match(site):
    page = get(site, "/archive/articles", _search="নোবেলজয়ী")
    assert "<mark>নোবেলজয়ী</mark>" in page
    cell = re.search(r'<td class="col-body[^"]*">(.*?)</td>', page, re.S).group(1).strip()
    assert cell.startswith("… ") and "দ্বিতীয় অনুচ্ছেদ" not in cell, cell   # not the start


# ------------------------------------------------------- 5. filters and facets
def test_filters_of_the_search_query(site):
    assert set(ranked_ids(site, "বাংলাদেশ", **{"from": "2025-06-01"})) == {5, 6}
    assert set(ranked_ids(site, "বাংলাদেশ", to="2025-05-03")) == {3}
    assert set(ranked_ids(site, "বাংলাদেশ", section="রাজনীতি")) == {5, 6}
    assert set(ranked_ids(site, "বাংলাদেশ", agency="bss")) == {5}
    assert set(ranked_ids(site, "পয়েন্ট", byline="সৌম্য রায়")) == {1}
    assert ranked_ids(site, "পয়েন্ট", byline="নিজস্ব প্রতিবেদক") == []


def test_search_page_shows_facet_counts(site):
    page = get(site, "/archive/search", q="বাংলাদেশ")
    facets = re.search(r'<div class="facet-results search-facets">(.*?)</div>\s*(?:<figure|</div>|<form|<p|<h|<table|$)',
                       page, re.S)
    assert facets, page[:3000]
    html = page
    assert re.search(r"রাজনীতি</a> 2", html)   # section
    assert re.search(r"BSS</a> 1", html)       # agency
    assert re.search(r"2025-06</a> 2", html)   # month
    assert "4 matching articles" in html
    # a facet link filters
    link = re.search(r'href="([^"]*section=[^"]*)">রাজনীতি</a>', html).group(1).replace("&amp;", "&")
    assert "q=" in link


def test_table_search_keeps_its_facets(site):
    data = json.loads(get(site, "/archive/articles.json", _search="বাংলাদেশ", _shape="objects"))
    names = set(data["facet_results"])
    assert {"section", "reporter"} <= names
    counts = {r["value"]: r["count"] for r in data["facet_results"]["section"]["results"]}
    assert counts == {"রাজনীতি": 2, "খেলা": 1, "প্রবাস": 1}


OWN_FACETS = {"_facet": ["section", "reporter"],
              "_facet_through": json.dumps({"table": "credits", "column": "agency"}),
              "_facet_month": "published"}


@pytest.mark.parametrize("extra", [
    {"_search": "বাংলাদেশ"},
    {"_search": "বাংলাদেশ", "section": "রাজনীতি"},
    {"_search": "নিজস্ব OR মে", "published__startswith": "2025-05"},
    {"_search": "বাংলাদেশ", "_through": json.dumps({"table": "credits", "column": "agency", "value": "BSS"})},
    {},                                              # the table without a filter
    {"section": "খেলা"},
])
def test_indexed_facets_count_what_datasettes_own_facets_count(site, extra):
    """The articles table's facets come from the facet index (search_facets in memory);
    the same request with Datasette's own column facets and the plugin's through and month
    facets added gives the same values, counts, order and links."""
    query = urllib.parse.urlencode({**extra, **OWN_FACETS}, doseq=True)
    data = json.loads(get(site, "/archive/articles.json?" + query))
    facets = data["facet_results"]
    # Datasette's facets come first ("section"); ours, of the metadata, get "section_2"
    for own, name in (("section", "section"), ("reporter", "reporter"), ("agency", "agency"), ("published", "published")):
        ours = facets[f"{own}_2"]
        theirs = facets[own]
        assert ours["type"] == theirs["type"] and ours["name"] == theirs["name"] == name
        assert ours["results"] == theirs["results"], name
        assert ours["truncated"] == theirs["truncated"]
    assert facets["section_2"]["results"], data   # something was counted


def test_the_facet_index_follows_writes(tmp_path):
    """A running Datasette's facet counts follow what a crawl writes meanwhile: a new
    article, a changed section, a new credit (search_facets.seq: only the rows written
    since are read)."""
    from pipelines import schema

    path = tmp_path / "archive.db"
    write_archive(path)
    proc, url = start_datasette(path)
    site = {"url": url}
    try:
        def counts(facet):
            data = json.loads(get(site, "/archive/articles.json", _search="বাংলাদেশ", _shape="objects"))
            page = get(site, "/archive/search", q="বাংলাদেশ")
            return ({r["value"]: r["count"] for r in data["facet_results"][facet]["results"]}, page)

        sections, page = counts("section")
        assert sections == {"রাজনীতি": 2, "খেলা": 1, "প্রবাস": 1}
        assert "4 matching articles" in page
        db = schema.connect(path)
        db.execute("update articles set section = 'খেলা' where id = 5")
        db.execute("insert into credits (article_id, agency, position) values (4, 'Reuters', 1)")
        for _ in range(6):  # on every connection of its pool
            assert 98 not in ranked_ids(site, "বাংলাদেশ") and 98 not in table_ids(site, "বাংলাদেশ")
        db.execute("insert into articles (id, url, headline, body, section, published) values "
                   "(99, 'http://p.test/news/99/', 'নতুন বাংলাদেশ', 'লেখা', 'প্রবাস', '2025-07-01T00:00:00-04:00')")
        # a form of the word the index did not hold before (the query's forms are
        # remembered until the archive changes)
        db.execute("insert into articles (id, url, headline, body, section, published) values "
                   "(98, 'http://p.test/news/98/', 'সফর', 'বাংলাদেশটির মানুষ', 'প্রবাস', '2025-07-02T00:00:00-04:00')")
        db.conn.close()
        assert 98 in ranked_ids(site, "বাংলাদেশ") and 98 in table_ids(site, "বাংলাদেশ")
        sections, page = counts("section")
        assert sections == {"রাজনীতি": 1, "খেলা": 2, "প্রবাস": 3}
        agencies, _ = counts("agency")
        assert agencies == {"UNB": 1, "BSS": 1, "Reuters": 1}
        months, _ = counts("published")
        assert months["2025-07"] == 2
        assert "6 matching articles" in page and re.search(r"Reuters</a> 1", page)
    finally:
        stop_process(proc)


# ------------------------------------------------------- the schema: triggers, migration
def test_facet_table_follows_credits(tmp_path):
    from pipelines import schema

    path = tmp_path / "a.db"
    write_archive(path)
    db = schema.connect(path)
    db.execute("insert into credits (article_id, agency, position) values (1, 'AFP', 2)")
    assert db.execute("select agencies from search_facets where id = 1").fetchone()[0] == "BSS\x1fAFP"
    db.execute("delete from credits where article_id = 1 and agency = 'BSS'")
    db.execute("update articles set section = 'বিশ্ব', published = '2025-07-01T00:00:00-04:00' where id = 1")
    assert db.execute("select section, month, agencies from search_facets where id = 1").fetchone() == (
        "বিশ্ব", "2025-07", "AFP")


def test_search_filters_are_the_same_in_the_query_and_its_facets():
    import yaml

    from newsspider.datasette_plugins.search import FILTER_SQL

    meta = yaml.safe_load((PROJECT_ROOT / "data" / "metadata.yml").read_text(encoding="utf-8"))
    sql = " ".join(meta["databases"]["archive"]["queries"]["search"]["sql"].split())
    assert sql.count(" ".join(FILTER_SQL.split())) == 3   # the three tiers


def test_fold_sql_is_the_python_fold():
    from newsspider.search import fold
    from pipelines.schema import _fold_sql

    con = sqlite3.connect(":memory:")
    text = "০১২৩৪৫৬৭৮৯ র\u200d্যাব ক\u200cষ 12"
    assert con.execute(f"select {_fold_sql('?')}", [text]).fetchone()[0] == fold(text)


def test_writes_keep_the_word_index_right(tmp_path):
    from pipelines import schema

    path = tmp_path / "a.db"
    write_archive(path)
    db = schema.connect(path)
    q = "select rowid from articles_words where articles_words match ?"
    assert [r[0] for r in db.execute(q, ['"236"'])] == [1]
    db.execute("update articles set body = 'নতুন লেখা ৯৯' where id = 1")
    assert [r[0] for r in db.execute(q, ['"236"'])] == []
    assert [r[0] for r in db.execute(q, ['"99"'])] == [1]
    db.execute("update articles set last_seen = 'x' where id = 1")   # no re-index
    assert [r[0] for r in db.execute(q, ['"99"'])] == [1]
    db.execute("pragma foreign_keys = off")
    db.execute("delete from articles where id = 1")
    assert [r[0] for r in db.execute(q, ['"99"'])] == []
    db.execute("insert into articles_words(articles_words) values ('integrity-check')")


def test_an_existing_archive_migrates(tmp_path):
    """An archive made before the search steps (v2 without them; v1 likewise) gets the
    word index, backfilled, at its next open."""
    from pipelines import schema

    path = tmp_path / "old.db"
    write_archive(path)
    db = schema.connect(path)
    for (trigger,) in db.execute("select name from sqlite_master where type = 'trigger' "
                                 "and (name like 'articles_words%' or name like 'search_facets%')").fetchall():
        db.execute(f"drop trigger {trigger}")
    db.execute("drop table articles_words")
    db.execute("drop table search_facets")
    db.execute("drop index articles_facets")
    db.conn.close()
    db = schema.connect(path)
    schema.ensure_schema(db)
    got = [r[0] for r in db.execute(
        "select rowid from articles_words where articles_words match '\"মে\"'")]
    assert got == [7]
    n = db.execute("select count(*) from articles_words_docsize").fetchone()[0]
    assert n == len(ARTICLES)
    assert db.execute("select agencies from search_facets where id = 1").fetchone()[0] == "BSS"
    schema.ensure_schema(db)   # idempotent
    assert db.execute("pragma user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_the_facet_table_takes_a_new_column(tmp_path, monkeypatch):
    """A facet column added to schema.SEARCH_FACET_COLUMNS (a portal column, say) is
    added to an existing archive's search_facets, backfilled, and kept by the triggers;
    an archive of the earlier search_facets (no reporter, no seq) is completed."""
    from pipelines import schema

    path = tmp_path / "a.db"
    write_archive(path)
    db = schema.connect(path)
    for (trigger,) in db.execute("select name from sqlite_master where type = 'trigger' "
                                 "and name like 'search_facets%'").fetchall():
        db.execute(f"drop trigger {trigger}")
    db.execute("drop index search_facets_seq")
    db.execute("alter table search_facets drop column seq")
    db.execute("alter table search_facets drop column reporter")
    monkeypatch.setitem(schema.SEARCH_FACET_COLUMNS, "place", ("{a}.place", ("place",)))
    db.execute("update articles set place = 'ঢাকা' where id = 2")
    schema.ensure_schema(db)
    cols = {r[1] for r in db.execute("pragma table_info(search_facets)")}
    assert {"reporter", "seq", "place"} <= cols
    assert db.execute("select place from search_facets where id = 2").fetchone()[0] == "ঢাকা"
    seq = db.execute("select max(seq) from search_facets").fetchone()[0]
    db.execute("update articles set place = 'সিলেট' where id = 3")
    assert db.execute("select place, seq from search_facets where id = 3").fetchone() == ("সিলেট", seq + 1)
    db.execute("update articles set last_seen = 'x' where id = 3")   # not a facet column: no write
    assert db.execute("select max(seq) from search_facets").fetchone()[0] == seq + 1


# ------------------------------------------------------- the search page in a browser
@pytest.mark.parametrize("width", [1280, 390])
def test_search_page_in_a_browser(site, width, browser):  # noqa: F811
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        v = Visit(page)
        q = urllib.parse.urlencode({"q": "বাংলাদেশের"})
        open_page(v, f"{site['url']}/archive/search?{q}", f"search-{width}")
        assert page.locator(".search-facets").is_visible()
        assert page.locator("td.col-excerpt mark").first.is_visible()
        assert page.locator("td.col-excerpt mark").count() >= 4
        # the page itself does not scroll sideways at a phone's width (the table may, in its box)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, overflow
    finally:
        page.close()
