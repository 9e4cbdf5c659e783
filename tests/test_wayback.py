"""Issue 15: backfill from the Wayback Machine (``scrapy crawl wayback``), against a local
CDX API and replay server on 127.0.0.1 serving sample-portal pages with capture times.
The portal itself is not served at all: nothing is fetched from it, and nothing leaves
loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata

import pytest

from newsspider.localcrawl import LOCAL_SETTINGS, PROJECT_ROOT
from newsspider.sampleportal import SamplePortal
from tests.conftest import free_port, query
from tests.waybackserver import WaybackServer

# ids 1073..1080 exist in SamplePortal(articles=80) only: "deleted before our first crawl"
# of a 72-article portal; an edited article has a capture of each edition
EDITED = next(i for i in SamplePortal(articles=80).expected_ids()
              if SamplePortal(articles=80, edition=1).article(i).edits)


def nfc(s):
    return unicodedata.normalize("NFC", s)


def wayback(archive, portal_base, server, **args):
    cmd = [sys.executable, "-m", "scrapy", "crawl", "wayback", "-a", f"base_url={portal_base}",
           "-a", f"cdx={server.base_url}/cdx/search/cdx", "-a", f"replay={server.base_url}/web/",
           "-s", f"ARCHIVE_PATH={archive}"]
    for k, v in LOCAL_SETTINGS.items():
        if not k.startswith("CONCURRENT"):
            cmd += ["-s", f"{k}={v}"]
    for k, v in args.items():
        cmd += ["-a", f"{k}={v}"]
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300)


@pytest.fixture()
def setup(tmp_path):
    portal_base = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    deleted = [i for i in SamplePortal(articles=80).expected_ids() if i > 1072][:3]
    assert not [i for i in deleted if SamplePortal(articles=72).exists(i)]
    captures = [(f"2025051{d}010000", f"/news/{i}/", 0) for d, i in enumerate(deleted, 5)]  # the 15th, 16th, 17th
    captures += [("20250515080000", f"/news/{EDITED}/", 0), ("20250516120000", f"/news/{EDITED}/", 0),
                 ("20250517090000", f"/news/{EDITED}/", 1), ("20250517100000", "/category/sports/", 0)]
    with WaybackServer(portal_base, captures) as server:
        yield {"archive": tmp_path / "a.db", "base": portal_base, "server": server, "deleted": deleted}


def test_wayback_backfill_stores_captures_as_versions_dated_by_capture_time(setup):
    archive, base, server = setup["archive"], setup["base"], setup["server"]
    result = wayback(archive, base, server)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    (q,) = server.queries
    assert q["output"] == ["json"] and "statuscode:200" in q["filter"] and q["collapse"] == ["digest"]
    portal = SamplePortal(articles=80)
    for i in setup["deleted"]:
        rows = query(archive, "SELECT a.headline, v.fetched_at FROM versions v JOIN articles a ON a.id = v.article_id "
                              "WHERE a.url = ?", f"{base}/news/{i}/")
        assert [nfc(h) for h, _ in rows] == [nfc(portal.article(i).headline)]
    # the edited article: two versions in capture order; the unchanged second capture
    # (collapsed by digest in the CDX) is not fetched at all
    versions = query(archive, "SELECT v.version, v.fetched_at, v.headline FROM versions v JOIN articles a "
                              "ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version", f"{base}/news/{EDITED}/")
    assert [(n, t) for n, t, _ in versions] == [(1, "2025-05-15T08:00:00+00:00"), (2, "2025-05-17T09:00:00+00:00")]
    assert nfc(versions[1][2]) == nfc(SamplePortal(articles=80, edition=1).article(EDITED).headline)
    # where they came from: the run, spider wayback
    assert set(query(archive, "SELECT r.spider FROM versions v JOIN runs r ON r.id = v.run_id")) == {("wayback",)}
    assert not [p for p in server.paths if "/category/" in p], "a section page is no article capture"
    assert query(archive, "SELECT count(*) FROM fetches")[0][0] == len(setup["deleted"]) + 2


def test_wayback_backfill_is_resumable_and_takes_from_to(setup):
    archive, base, server = setup["archive"], setup["base"], setup["server"]
    first = wayback(archive, base, server, to="20250516")
    assert first.returncode == 0, first.stderr.decode()[-3000:]
    assert query(archive, "SELECT max(fetched_at) FROM versions")[0][0] < "2025-05-17"
    server.paths.clear()
    again = wayback(archive, base, server)
    assert again.returncode == 0, again.stderr.decode()[-3000:]
    fetched = [p for p in server.paths if p.startswith("/web/")]
    assert fetched == [f"/web/20250517010000id_/{base}/news/{setup['deleted'][2]}/",
                       f"/web/20250517090000id_/{base}/news/{EDITED}/"], fetched  # only the 17th, in order
    server.paths.clear()
    third = wayback(archive, base, server)
    assert third.returncode == 0
    assert not [p for p in server.paths if p.startswith("/web/")], "nothing stored twice"
    assert query(archive, "SELECT count(*) FROM versions")[0][0] == len(setup["deleted"]) + 2


@pytest.mark.parametrize("arg", ["from=yesterday", "limit=many", "cdx=ftp://x/", "colour=red"])
def test_wayback_bad_arguments_are_one_line_and_exit_2(setup, arg):
    name, value = arg.split("=", 1)
    result = wayback(setup["archive"], setup["base"], setup["server"], **{name: value})
    assert result.returncode == 2, result.stderr.decode()[-2000:]
    lines = [l for l in result.stderr.decode().splitlines() if l.startswith("newsspider:")]
    assert len(lines) == 1 and name in lines[0], lines
    assert not setup["server"].paths


def test_a_hostile_cdx_answer_cannot_steer_the_replay_requests(tmp_path):
    """Timestamps go into replay URLs: rows whose timestamp is not the digits of a real
    time (a path, 13th month) are skipped, as are originals off the portal; nothing is
    requested but the CDX query and the replay of the one good row."""
    import json as _json

    from tests.hostileportal import HostilePortal

    portal_base = f"http://127.0.0.1:{free_port()}"
    rows = [["timestamp", "original", "digest", "statuscode", "mimetype"],
            ["../../../etc/passwd?", f"{portal_base}/news/1001/", "A", "200", "text/html"],
            ["20251399000000", f"{portal_base}/news/1002/", "B", "200", "text/html"],
            ["20250515010000", "http://127.0.0.2/news/1003/", "C", "200", "text/html"],
            ["20250515010000", f"{portal_base}/news/1004/", "D", "200", "text/html"]]
    sample = SamplePortal(articles=72)

    def replay(path):
        status, headers, body = sample.render("/news/1004/", portal_base)
        return status, headers, body

    routes = {"/cdx/search/cdx": lambda p: (200, {"Content-Type": "application/json"}, _json.dumps(rows).encode())}
    with HostilePortal(sample, routes=routes, pattern_routes=[(r"/web/20250515010000id_/.*", replay)]) as server:
        result = wayback(tmp_path / "a.db", portal_base, server)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    asked = [p.split("?")[0] for p in server.log]
    assert asked == ["/robots.txt", "/cdx/search/cdx", f"/web/20250515010000id_/{portal_base}/news/1004/"], server.log
    assert query(tmp_path / "a.db", "SELECT count(*) FROM articles")[0][0] == 1
