"""A real `datasette` process over the crawled archive, queried through its JSON API."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode("utf-8"))


def test_bangla_search_finds_the_article(datasette_url, db):
    # Take a word as it appears inflected in one article, search for its stem.
    row = db.execute("SELECT id, headline FROM articles WHERE body LIKE '%রাশিয়ার%' LIMIT 1").fetchone()
    assert row, "the sample portal has an article about Russia"
    q = urllib.parse.quote("রাশিয়া")
    data = get_json(f"{datasette_url}/archive/articles.json?_search={q}&_shape=array&_col=headline")
    assert row["id"] in [r["id"] for r in data]


def test_inflected_form_search(datasette_url, db):
    q = urllib.parse.quote("বাংলাদেশের")
    data = get_json(f"{datasette_url}/archive/articles.json?_search={q}&_shape=array")
    expected = {r[0] for r in db.execute("SELECT id FROM articles WHERE body LIKE '%বাংলাদেশের%' "
                                         "OR headline LIKE '%বাংলাদেশের%'")}
    found = {r["id"] for r in data}
    # every article with the form typed, and (issue 13) those with only another form of it
    assert expected and expected < found


def test_metadata_and_tables(datasette_url):
    data = get_json(f"{datasette_url}/-/metadata.json")
    assert "US Bangla News" in data["title"]
    tables = {t["name"] for t in get_json(f"{datasette_url}/archive.json")["tables"]}
    assert {"articles", "credits", "related", "runs", "failures"} <= tables


def test_no_write_api(datasette_url):
    req = urllib.request.Request(f"{datasette_url}/archive/articles/-/insert", method="POST",
                                 data=b'{"row": {"url": "x"}}', headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("datasette accepted a write")
    except urllib.error.HTTPError as e:
        assert e.code in (403, 404, 405)
