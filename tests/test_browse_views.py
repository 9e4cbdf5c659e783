"""Issue 12, the smaller view fixes: views that read well on any archive.

A real ``datasette`` on 127.0.0.1 over the archive of two real crawls (``test_browse.edited``)
and over small archives built here; headless Chromium for what must fit the screen.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
import yaml

from tests.conftest import ARTIFACTS
from newsspider.browse import METADATA
from pipelines import schema
from tests.test_browse import edited, fetch, query  # noqa: F401
from tests.test_browse_security import start, stop
from tests.test_browser import browser  # noqa: F401


def test_table_descriptions_show_no_markdown(edited):
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    for table, conf in meta["databases"]["archive"]["tables"].items():
        description = conf.get("description") or ""
        assert not re.search(r"`|\*\*|\[[^\]]+\]\(", description), (table, description)
        if description:
            html = fetch(f"{edited['url']}/archive/{table}?_size=1").decode("utf-8")
            assert "`" not in re.sub(r"<script.*?</script>|<pre.*?</pre>|<textarea.*?</textarea>", "", html, flags=re.S), table


def test_runs_page_folds_the_stats(edited):
    html = fetch(f"{edited['url']}/archive/runs/1").decode("utf-8")
    m = re.search(r'<details class="json-folded"><summary>Scrapy(?:&#39;|\')s final stats: (\d+) values</summary><pre>', html)
    assert m and int(m.group(1)) > 5
    table = fetch(f"{edited['url']}/archive/runs").decode("utf-8")
    assert table.count('class="json-folded"') >= 2


def test_facet_titles_in_words(edited):
    html = fetch(f"{edited['url']}/archive/articles").decode("utf-8")
    names = re.findall(r'<p class="facet-info-name">\s*<strong>([^<]*)<span', html)
    names = [n.strip() for n in names]
    assert "agency" in names and "published, by month" in names, names
    assert not any("(" in n for n in names), names


def test_agency_share_chart_shows_shares_in_distinct_colours(edited):
    html = fetch(f"{edited['url']}/archive/agency_share").decode("utf-8")
    rows = [r for r in query(edited, "agency_share") if r["agency"]]
    shares = {(r["period"], r["agency"]): r["share_percent"] for r in rows}
    bars = re.findall(r'<rect class="bar"[^>]* fill="(#[0-9a-f]+)" data-x="([^"]+)" data-series="([^"]+)" '
                      r'data-value="([^"]+)"', html)
    assert bars
    for colour, period, agency, value in bars:
        if agency != "other":
            assert float(value) == pytest.approx(shares[(period, agency)]), (period, agency)
    assert all(float(v) <= 100 for *_, v in bars)
    by_series = {}
    for colour, _, agency, _ in bars:
        by_series.setdefault(agency, set()).add(colour)
    assert all(len(c) == 1 for c in by_series.values())
    assert len({next(iter(c)) for c in by_series.values()}) == len(by_series)  # one colour per series
    assert "%" in html[html.index('<svg class="newsspider-chart"'):html.index("</svg>")]


def test_home_page_never_says_failed_finished(tmp_path):
    archive = tmp_path / "archive.db"
    db = schema.connect(archive)
    schema.ensure_schema(db)
    db.conn.execute("INSERT INTO runs (id, started, finished, status, finish_reason, exit_status, pages_fetched) "
                    "VALUES (1, '2025-05-01T10:00:00+00:00', '2025-05-01T10:05:00+00:00', 'finished', "
                    "'finished', 1, 0)")
    db.conn.close()
    proc, url = start(archive)
    try:
        html = fetch(url + "/").decode("utf-8")
    finally:
        stop(proc)
    assert "health-failed" in html
    assert "finished (finished)" not in html and "✘ finished with errors" in html and "exit status 1" in html


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_latest_runs_fits_the_screen(browser, edited, width, height):  # noqa: F811
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(edited["url"]) else r.abort())
    try:
        page.set_viewport_size({"width": width, "height": height})
        assert page.goto(edited["url"] + "/archive/latest_runs", wait_until="load").ok
        sizes = page.evaluate("""() => { const w = document.querySelector('.table-wrapper') || document.documentElement;
          return [w.scrollWidth, w.clientWidth, document.documentElement.scrollWidth, document.documentElement.clientWidth]; }""")
        assert sizes[0] <= sizes[1] + 1 and sizes[2] <= sizes[3], sizes
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"views-latest-runs-{width}.png"), full_page=True)
        page.goto(edited["url"] + "/archive/runs/1", wait_until="load")
        page.screenshot(path=str(ARTIFACTS / f"views-run-{width}.png"), full_page=True)
        page.goto(edited["url"] + "/archive/agency_share", wait_until="load")
        page.screenshot(path=str(ARTIFACTS / f"views-agency-share-{width}.png"), full_page=True)
    finally:
        page.close()
