"""The parse command's contract: `python -m newsspider.parse FILE [FILE ...] --url URL`."""

from __future__ import annotations

import json
import subprocess
import sys

from newsspider.localcrawl import PROJECT_ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "newsspider.parse", *map(str, args)],
                          cwd=PROJECT_ROOT, capture_output=True, timeout=60)


def write_page(portal, tmp_path, path, name):
    status, headers, body = portal.render(path, "http://portal.test")
    f = tmp_path / name
    f.write_bytes(body)
    return f


def test_one_article(portal, tmp_path):
    spec = portal.expected_articles()[0]
    f = write_page(portal, tmp_path, spec.path, "a.html")
    r = run(f, "--url", f"http://portal.test{spec.path}")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout.decode("utf-8"))
    assert data["headline"] == spec.headline
    assert data["url"] == f"http://portal.test{spec.path}"
    assert set(data) >= {"url", "headline", "body", "byline", "published", "updated", "section",
                         "credits", "related", "images", "tags"}
    assert "\\u09" not in r.stdout.decode("utf-8"), "output must not be ASCII-escaped"


def test_home_page_is_null_and_missing_file_is_an_error(portal, tmp_path):
    home = write_page(portal, tmp_path, "/", "home.html")
    spec = portal.expected_articles()[1]
    art = write_page(portal, tmp_path, spec.path, "b.html")
    r = run(home, tmp_path / "missing.html", art)
    assert r.returncode == 2
    lines = r.stdout.decode("utf-8").splitlines()
    assert lines[0] == "null"
    assert json.loads(lines[1])["headline"] == spec.headline
    err = r.stderr.decode("utf-8").strip().splitlines()
    assert len(err) == 1 and "missing.html" in err[0]
