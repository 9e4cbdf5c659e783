"""Issue 17: the crawl's speed work keeps the archive byte for byte what it was.

A fixed sequence of real crawls of the tests' sample portal (``http://usbanglanews.test/``
through the local server as proxy, so URLs and stored bytes do not depend on the port; one
request at a time, so the fetch order, and with it the order of ids, is the same on every
run): a first crawl, then five articles made due and the portal's edition 1 (edited
articles: new versions with their diffs, unchanged ones: 304 or unchanged fetches).
``tests/golden/archive-dump.json`` holds the dumps of that sequence recorded from main's
code at 57d2907, before that work (``tests/archive_dump.py``):

- ``strict``: every table row by row in id order and both full-text indexes, minus the
  times of the run. The sequence is crawled with Scrapy's scheduling as it was on main
  (``CONCURRENT_ITEMS`` 100, pages parsed in the callback), so the pages are fetched in
  main's order: the same rows, ids, content hashes, versions and stored (compressed) bytes.
- ``content``: the same without the order, for the sequence crawled with the project's
  settings: with ``CONCURRENT_ITEMS`` 1 and the parser in a worker process, a callback's
  requests reach the scheduler later, so a one-request-at-a-time crawl fetches in another order
  (ids follow it, and the first pages stored make the compression dictionary); every row
  must still be there, with the same contents and the same stored bytes once decompressed.

    NEWSSPIDER_RECORD_GOLDEN=1 python -m pytest tests/test_archive_identity.py   # re-record
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from newsspider.localcrawl import run_crawl
from newsspider.sampleportal import SamplePortal, serve
from newsspider.settings import SAMPLE_PORTAL_URL
from tests.archive_dump import content_dump, differences, dump

GOLDEN = Path(__file__).parent / "golden" / "archive-dump.json"
# one request at a time: the order of fetches, and of ids, is the same on every run
SERIAL = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "LOG_ROTATING_FILE": ""}
# Scrapy's processing of a callback's output as it was on main (the fetch order of a serial crawl)
MAINS_SCHEDULING = {"CONCURRENT_ITEMS": "100", "PARSE_WORKER": "False"}


def _sequence(tmp_path, name, settings) -> Path:
    archive = tmp_path / f"{name}.db"

    def crawl(log):
        result = run_crawl(SAMPLE_PORTAL_URL, archive, settings={**SERIAL, **settings}, proxy=server.address,
                           log_file=log, timeout=300)
        assert result.returncode == 0, log.read_text(errors="replace")[-3000:]

    with serve(SamplePortal(articles=72), public_url=SAMPLE_PORTAL_URL) as server:
        crawl(tmp_path / f"{name}-first.log")
        con = sqlite3.connect(archive)
        due = [r[0] for r in con.execute(
            "SELECT url FROM crawl_state WHERE url LIKE '%/news/%' ORDER BY url LIMIT 5")]
        con.executemany("UPDATE crawl_state SET next_due = '2000-01-01T00:00:00+00:00' WHERE url = ?",
                        [(u,) for u in due])
        con.commit()
        con.close()
        server.portal = SamplePortal(articles=72, edition=1)
        crawl(tmp_path / f"{name}-second.log")
    return archive


def _columns(golden: dict) -> dict:
    return {name: entry["columns"] for name, entry in golden.items() if "columns" in entry}


def test_archive_is_what_main_wrote(tmp_path):
    record = os.environ.get("NEWSSPIDER_RECORD_GOLDEN")
    want = None if record else json.loads(GOLDEN.read_text())
    strict = _sequence(tmp_path, "strict", MAINS_SCHEDULING)
    got_strict = dump(strict, None if record else _columns(want["strict"]))
    # (strict: main's scheduling, parse inline, with the project's writer process: every
    # row as main wrote it.) The project's settings (the parse worker, the writer
    # process, one item at a time): the same contents; and with the archive written inline
    project = _sequence(tmp_path, "project", {})
    inline = _sequence(tmp_path, "inline", {"ARCHIVE_WRITER": "inline"})
    got_content = content_dump(project, None if record else _columns(want["strict"]))
    got_inline = content_dump(inline, None if record else _columns(want["strict"]))
    if record:
        GOLDEN.write_text(json.dumps({"strict": got_strict, "content": got_content}, indent=0, sort_keys=True) + "\n")
        return
    assert got_strict["versions"]["count"] > got_strict["articles"]["count"] > 60, "too little stored to test"
    diff = differences(got_strict, want["strict"])
    assert not diff, "the archive differs from main's:\n" + "\n".join(diff)
    diff = differences(got_content, want["content"])
    assert not diff, "the archive crawled with the project's settings holds other contents than main's:\n" + \
        "\n".join(diff)
    diff = differences(got_inline, want["content"])
    assert not diff, "the archive written inline holds other contents than main's:\n" + "\n".join(diff)
