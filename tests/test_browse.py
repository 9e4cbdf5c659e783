"""Browsing the archive: a real ``datasette`` process (``newsspider.browse.datasette_command``)
on 127.0.0.1 over an archive made by two real crawls of the sample portal, edition 0 and then
edition 1 (which edits a few articles), queried through its JSON, CSV and Atom outputs.

Expected rows are computed from the archive file itself (sqlite3, read-only) and from the
sample portal's own truth, so the tests check the canned queries' SQL, not a copy of it.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conftest import free_port, read_only
from newsspider.browse import METADATA, datasette_command, main as browse_main
from newsspider.datasette_plugins import charts, text
from newsspider.localcrawl import PROJECT_ROOT, run_crawl
from newsspider.sampleportal import SamplePortal, serve

ARTICLES = 72
_STATE: dict = {}  # the edited archive and its datasette, shared with test_browser.py


def _start_datasette(archive: Path):
    port = free_port()
    proc = subprocess.Popen(datasette_command(archive, "127.0.0.1", port), cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/-/versions.json", timeout=1).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode())
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("datasette did not start")


@pytest.fixture(scope="session")
def edited(request, tmp_path_factory):
    """Two real crawls into one archive: the portal as first published (edition 0), then
    the same URLs after edits (edition 1); and datasette serving that archive."""
    if "edited" in _STATE:
        return _STATE["edited"]
    tmp = tmp_path_factory.mktemp("edited")
    archive = tmp / "archive.db"   # Datasette names the database "archive"
    server = serve(SamplePortal(articles=ARTICLES, edition=0))
    logs = []
    try:
        for edition in (0, 1):
            server.portal = SamplePortal(articles=ARTICLES, edition=edition)
            log = tmp / f"crawl-{edition}.log"
            result = run_crawl(server.base_url, archive, log_file=log, timeout=300)
            logs.append(log.read_text(encoding="utf-8", errors="replace"))
            assert result.returncode == 0, logs[-1][-3000:]
    finally:
        server.shutdown()
    proc, url = _start_datasette(archive)

    def stop():
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    request.config.add_cleanup(stop)
    edited_ids = [spec_id for spec_id in range(1001, 1001 + ARTICLES)
                  if SamplePortal(articles=ARTICLES, edition=1).article(spec_id).edits]
    _STATE["edited"] = {"archive": archive, "url": url, "base_url": server.base_url,
                        "edited_portal_ids": edited_ids, "logs": logs}
    return _STATE["edited"]


@pytest.fixture()
def adb(edited):
    con = read_only(edited["archive"])
    yield con
    con.close()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=15) as r:
        return r.read()


def get_json(url: str):
    return json.loads(fetch(url).decode("utf-8"))


def query(edited, name: str, **params):
    qs = urllib.parse.urlencode({"_shape": "array", **params})
    return get_json(f"{edited['url']}/archive/{name}.json?{qs}")


def _versions_present(adb) -> bool:
    return adb.execute("SELECT count(*) FROM versions WHERE version > 1").fetchone()[0] > 0


def needs_versions(adb):
    if not _versions_present(adb):
        pytest.xfail("the crawl stored no second versions (versions are the lead's issue 4)")


# --------------------------------------------------------------------------- metadata
def test_metadata_names_every_canned_query_in_bangla_and_english():
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    queries = meta["databases"]["archive"]["queries"]
    assert {"search", "agency_articles", "articles_per_day", "agency_share", "most_linked",
            "changed_articles", "compare_versions", "edits_feed", "latest_runs",
            "run_failures"} <= set(queries)
    for name, q in queries.items():
        title = q["title"]
        assert any("\u0980" <= ch <= "\u09ff" for ch in title), f"{name}: no Bangla in {title!r}"
        assert any("a" <= ch.lower() <= "z" for ch in title), f"{name}: no English in {title!r}"
        assert "write" not in q, f"{name}: the archive is read-only"


def test_command_is_loopback_read_only_with_project_plugins(tmp_path):
    cmd = datasette_command(tmp_path / "archive.db", "127.0.0.1", 8001)
    assert "--immutable" not in cmd and "-i" not in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    for flag in ("--metadata", "--plugins-dir", "--template-dir", "--static"):
        assert flag in cmd


def test_browse_without_archive_says_what_to_do(tmp_path, capsys):
    assert browse_main(["--archive", str(tmp_path / "none.db")]) == 2
    assert "make demo" in capsys.readouterr().err


def test_plugins_are_loaded(edited):
    names = {p["name"] for p in get_json(edited["url"] + "/-/plugins.json")}
    assert {"datasette-atom", "newsspider_archive.py"} <= names


# --------------------------------------------------------------------------- canned queries
def test_search_ranks_headline_matches_first(edited, adb):
    word = "নির্বাচন"
    rows = query(edited, "search", q=word)
    expected = {r[0] for r in adb.execute(
        "SELECT id FROM articles WHERE headline LIKE ? OR body LIKE ?", [f"%{word}%"] * 2)}
    assert expected and {r["article_id"] for r in rows} == expected
    in_headline = [word in r["headline"] for r in rows]
    # relevance: every headline match is ranked before every body-only match
    assert in_headline == sorted(in_headline, reverse=True) and in_headline[0]
    assert all("«" in r["excerpt"] for r in rows if word not in r["headline"])
    assert [r["relevance"] for r in rows] == sorted((r["relevance"] for r in rows), reverse=True)


def test_search_finds_inflected_forms_and_handles_empty(edited, adb):
    rows = query(edited, "search", q="বাংলাদেশ")
    bodies = {r["article_id"]: adb.execute("SELECT headline || body FROM articles WHERE id = ?",
                                            [r["article_id"]]).fetchone()[0] for r in rows}
    assert any("বাংলাদেশের" in b for b in bodies.values())
    assert any("বাংলাদেশে " in b or "বাংলাদেশি" in b for b in bodies.values())
    assert query(edited, "search", q="") == []


def test_agency_articles(edited, adb):
    agency = adb.execute("SELECT agency FROM credits GROUP BY agency ORDER BY count(*) DESC, agency LIMIT 1").fetchone()[0]
    rows = query(edited, "agency_articles", agency=agency)
    expected = [r[0] for r in adb.execute(
        "SELECT a.id FROM credits c JOIN articles a ON a.id = c.article_id WHERE c.agency = ? "
        "ORDER BY a.published DESC", [agency])]
    assert [r["article_id"] for r in rows] == expected
    assert all(agency in r["all_credits"] for r in rows)
    assert [r["article_id"] for r in query(edited, "agency_articles", agency=agency.lower())] == expected
    every = query(edited, "agency_articles", agency="")
    assert len(every) == adb.execute("SELECT count(*) FROM credits").fetchone()[0]


def test_articles_per_day(edited, adb):
    rows = query(edited, "articles_per_day")
    per_day = Counter(r[0][:10] for r in adb.execute("SELECT published FROM articles WHERE published IS NOT NULL"))
    by_day = {r["day"]: r["articles"] for r in rows}
    assert {d: n for d, n in by_day.items() if n} == dict(per_day)
    days = sorted(by_day)
    assert days[0] == min(per_day) and days[-1] == max(per_day)
    assert len(days) == len(set(days))  # one row per day, gaps filled with zero
    assert [r["day"] for r in rows] == sorted(days, reverse=True)


def test_agency_share(edited, adb):
    rows = query(edited, "agency_share")
    # a period without credits is one row without agency, so the chart shows the gap
    assert {r["period"] for r in rows} == {r[0][:10] for r in adb.execute("SELECT published FROM articles")}
    assert all(r["articles"] == 0 for r in rows if r["agency"] is None)
    rows = [r for r in rows if r["agency"] is not None]
    pairs = Counter()
    totals = Counter()
    for published, agency in adb.execute(
            "SELECT a.published, c.agency FROM credits c JOIN articles a ON a.id = c.article_id"):
        pairs[(published[:10], agency)] += 1
    for (published,) in adb.execute("SELECT published FROM articles"):
        totals[published[:10]] += 1
    assert {(r["period"], r["agency"]): r["articles"] for r in rows} == dict(pairs)
    for r in rows:
        assert r["all_articles"] == totals[r["period"]]
        assert r["share_percent"] == round(100 * r["articles"] / totals[r["period"]], 1)


def test_most_linked(edited, adb):
    rows = query(edited, "most_linked")
    links = Counter(r[0] for r in adb.execute("SELECT url FROM related"))
    top = links.most_common(1)[0][1]
    assert rows[0]["links_in"] == top
    assert [r["links_in"] for r in rows] == sorted((r["links_in"] for r in rows), reverse=True)
    for r in rows[:10]:
        assert r["links_in"] == links[r["url"]]
        if r["article_id"] is not None:
            assert adb.execute("SELECT url FROM articles WHERE id = ?", [r["article_id"]]).fetchone()[0] == r["url"]


def test_latest_runs_and_failures(edited, adb):
    runs = query(edited, "latest_runs")
    assert [r["run_id"] for r in runs] == [2, 1]
    assert all(r["status"] == "finished · exit 0" for r in runs)
    failures = {r["url"]: r for r in query(edited, "run_failures")}
    expected = {r["url"]: r for r in adb.execute("SELECT url, reason, last_run FROM failures")}
    assert failures.keys() == expected.keys() and failures
    assert any(r["status"] == 404 for r in failures.values())
    by_run = {r["run_id"]: r["failing_urls"] or "" for r in runs}
    for url, f in expected.items():
        assert url in by_run[f["last_run"]]
        assert [r["url"] for r in query(edited, "run_failures", run_id=f["last_run"])].count(url) == 1


def test_changed_articles_with_diffs(edited, adb):
    needs_versions(adb)
    rows = query(edited, "changed_articles")
    changed_urls = {r["url"] for r in rows}
    expected = {f"{edited['base_url']}/news/{i}/" for i in edited["edited_portal_ids"]}
    assert expected and changed_urls == expected
    for r in rows:
        assert r["version"] == 2 and r["previous_version_id"] and r["diff"]
        assert "+" in r["diff"] and json.loads(r["changed"])


def test_compare_versions(edited, adb):
    needs_versions(adb)
    article_id = adb.execute("SELECT article_id FROM versions WHERE version = 2 AND changed LIKE '%headline%' "
                             "LIMIT 1").fetchone()[0]
    old, new = adb.execute("SELECT headline FROM versions WHERE article_id = ? ORDER BY version",
                           [article_id]).fetchall()
    rows = query(edited, "compare_versions", article_id=article_id)
    assert len(rows) == 1 and (rows[0]["from_version"], rows[0]["to_version"]) == (1, 2)
    assert f"-# {old[0]}" in rows[0]["diff"] and f"+# {new[0]}" in rows[0]["diff"]
    same = query(edited, "compare_versions", article_id=article_id, **{"from": 2, "to": 2})
    assert same[0]["diff"] == ""


def test_atom_feed_of_edits(edited, adb):
    needs_versions(adb)
    feed = ET.fromstring(fetch(edited["url"] + "/archive/edits_feed.atom"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    n = adb.execute("SELECT count(*) FROM versions WHERE version > 1").fetchone()[0]
    assert len(entries) == n
    for e in entries:
        assert e.find("a:title", ns).text.startswith("সংশোধিত · Edited: ")
        content = e.find("a:content", ns).text
        assert "Changed:" in content and "<pre>" in content
        # each entry links to the diff in the archive, not to the live portal
        link = e.find("a:link", ns).get("href")  # no rel: the alternate
        assert link.startswith(edited["url"] + "/archive/compare_versions?article_id="), link
        assert not link.startswith(edited["base_url"])
    assert "সংশোধিত" in feed.find("a:title", ns).text
    first = feed.find("a:entry/a:link", ns).get("href")
    rows = get_json(first.replace("/compare_versions?", "/compare_versions.json?") + "&_shape=array")
    assert len(rows) == 1 and rows[0]["diff"]


# --------------------------------------------------------------------------- exports, links
def test_json_and_csv_for_every_table_and_query(edited, adb):
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    tables = [r[0] for r in adb.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                        "AND name NOT LIKE 'articles_fts%' AND name NOT LIKE 'sqlite_%'")]
    names = tables + list(meta["databases"]["archive"]["queries"])
    params = {"q": "বাংলাদেশ", "agency": "BSS", "article_id": 1}
    for name in names:
        qs = urllib.parse.urlencode(params)
        data = get_json(f"{edited['url']}/archive/{name}.json?{qs}&_shape=objects")
        assert "rows" in data, name
        body = fetch(f"{edited['url']}/archive/{name}.csv?{qs}").decode("utf-8")
        header = next(csv.reader(io.StringIO(body)))
        assert header, name


def test_article_page_links_related_versions_credits_and_response(edited, adb):
    needs_versions(adb)
    aid = adb.execute("SELECT a.id FROM articles a WHERE a.versions > 1 AND EXISTS "
                      "(SELECT 1 FROM credits c WHERE c.article_id = a.id) LIMIT 1").fetchone()
    aid = aid[0] if aid else adb.execute("SELECT id FROM articles WHERE versions > 1").fetchone()[0]
    html = fetch(f"{edited['url']}/archive/articles/{aid}").decode("utf-8")
    related = adb.execute("SELECT a.id FROM related r JOIN articles a ON a.url = r.url "
                          "WHERE r.article_id = ? ORDER BY r.position", [aid]).fetchall()
    assert related
    for (rid,) in related:
        assert f'href="/archive/articles/{rid}"' in html
    for (number,) in adb.execute("SELECT version FROM versions WHERE article_id = ?", [aid]):
        assert f'href="/archive/articles/{aid}/v{number}"' in html   # the version's stable URL
    assert f'href="/archive/articles/{aid}/v2#diff"' in html          # its side-by-side diff
    for (agency,) in adb.execute("SELECT agency FROM credits WHERE article_id = ?", [aid]):
        assert f"agency_articles?agency={urllib.parse.quote(agency)}" in html
    (resp,) = adb.execute("SELECT max(response_id) FROM versions WHERE article_id = ?", [aid]).fetchone()
    assert f'href="/archive/-/response/{resp}"' in html
    raw = fetch(f"{edited['url']}/archive/-/response/{resp}").decode("utf-8")
    headline = adb.execute("SELECT headline FROM versions WHERE response_id = ?", [resp]).fetchone()[0]
    assert "<html" in raw.lower() and headline in raw
    # the body reads as paragraphs
    assert html.count("<p>") >= 3 and 'class="article-body"' in html


def test_raw_response_is_text_not_html(edited, adb):
    (rid,) = adb.execute("SELECT min(id) FROM responses").fetchone()
    with urllib.request.urlopen(f"{edited['url']}/archive/-/response/{rid}", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    with pytest.raises(urllib.error.HTTPError) as e:
        fetch(f"{edited['url']}/archive/-/response/99999999")
    assert e.value.code == 404


def test_articles_table_defaults_and_facets(edited, adb):
    html = fetch(edited["url"] + "/archive/articles").decode("utf-8")  # redirected to default columns
    assert 'class="col-headline' in html and 'class="col-sources' not in html
    data = get_json(edited["url"] + "/archive/articles.json?_shape=objects&_size=5")
    published = [r["published"] for r in data["rows"]]
    assert published == sorted(published, reverse=True)
    newest = adb.execute("SELECT max(published) FROM articles").fetchone()[0]
    assert published[0] == newest
    facets = data["facet_results"]
    assert {"section", "byline", "agency", "published"} <= set(facets)
    agency_counts = {r["value"]: r["count"] for r in facets["agency"]["results"]}
    expected = dict(adb.execute("SELECT agency, count(*) FROM credits GROUP BY agency").fetchall())
    assert agency_counts == {k: v for k, v in expected.items() if k in agency_counts}
    # following an agency facet filters the table through credits
    top = facets["agency"]["results"][0]
    filtered = get_json(top["toggle_url"].replace("/archive/articles?", "/archive/articles.json?")
                        + "&_shape=objects")
    assert filtered["filtered_table_rows_count"] == top["count"]
    month = facets["published"]["results"][0]
    assert month["count"] == adb.execute("SELECT count(*) FROM articles WHERE published LIKE ?",
                                         [month["value"] + "%"]).fetchone()[0]


def test_home_page_summary(edited, adb):
    html = fetch(edited["url"] + "/").decode("utf-8")
    n = adb.execute("SELECT count(*) FROM articles").fetchone()[0]
    first, last = adb.execute("SELECT min(published), max(published) FROM articles").fetchone()
    assert "archive-summary" in html and "usbanglanews.com" in html
    assert f">{n}</a>" in html and f"{first[:10]} – {last[:10]}" in html
    assert "run 2" in html and "✔ finished" in html


def test_chart_pages_are_svg(edited, adb):
    html = fetch(edited["url"] + "/archive/articles_per_day").decode("utf-8")
    assert '<svg class="newsspider-chart"' in html
    days = {r[0][:10] for r in adb.execute("SELECT published FROM articles")}
    for day in days:
        assert f'data-x="{day}"' in html
    html = fetch(edited["url"] + "/archive/agency_share").decode("utf-8")
    rows = [r for r in query(edited, "agency_share") if r["agency"]]
    # one bar per (period, agency) among the ten largest agencies, the rest summed as "other"
    totals = Counter()
    for r in rows:
        totals[r["agency"]] += r["share_percent"]
    top = {a for a, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:10]}
    stacks = {(r["period"], r["agency"] if r["agency"] in top else "other") for r in rows if r["share_percent"] > 0}
    assert html.count('class="bar"') == len(stacks)


# --------------------------------------------------------------------------- pure helpers
def test_body_html_paragraphs_and_escaping():
    html = str(text.body_html("প্রথম অনুচ্ছেদ।\n\n<b>দ্বিতীয়</b> & শেষ।"))
    assert html.count("<p>") == 2 and "&lt;b&gt;" in html and "&amp;" in html


def test_diff_html_marks_changed_words():
    diff = text.text_diff("# পুরনো শিরোনাম\nএকই", "# নতুন শিরোনাম\nএকই")
    html = str(text.diff_html(diff))
    assert "<del>পুরনো</del>" in html and "<ins>নতুন</ins>" in html and "diff-ctx" in html


def test_marks_html_highlights_and_escapes():
    assert str(text.marks_html("ক «খগ» <x> «ঘ")) == "ক <mark>খগ</mark> &lt;x&gt; «ঘ"
    # a match ending inside a word is extended to the word's end (Bangla inflects by suffix),
    # and a snippet starting inside a grapheme cluster drops its stray vowel sign
    assert str(text.marks_html("…ি ক «বাংলাদেশ»ের")) == "… ক <mark>বাংলাদেশের</mark>"


def test_bar_chart_stacks_and_titles():
    svg = str(charts.bar_chart([{"d": "2025-05-02", "a": "BSS", "n": 2}, {"d": "2025-05-01", "a": "UNB", "n": 1},
                                {"d": "2025-05-02", "a": "UNB", "n": 3}], x="d", y="n", series="a", title="t<"))
    assert svg.count('class="bar"') == 3 and "t&lt;" in svg
    assert svg.index('data-x="2025-05-01"') < svg.index('data-x="2025-05-02"')
    assert "<title>2025-05-02 · UNB: 3</title>" in svg
