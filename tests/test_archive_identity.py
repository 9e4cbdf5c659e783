"""Issue 17: the crawl's speed work keeps the archive byte for byte what it was.

A fixed sequence of real crawls of the tests' sample portal (``http://usbanglanews.test/``
through the local server as proxy, so URLs and stored bytes do not depend on the port; one
request at a time, so the fetch order, and with it the order of ids, is the same on every
run): a first crawl, then five articles made due and the portal's edition 1 (edited
articles: new versions with their diffs, unchanged ones: 304 or unchanged fetches). The
archive's canonical dump (``tests/archive_dump.py``: every table and both full-text
indexes, minus the times of the run) must equal ``tests/golden/archive-dump.json``,
recorded from main's code at 57d2907, before that work.

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
from tests.archive_dump import differences, dump

GOLDEN = Path(__file__).parent / "golden" / "archive-dump.json"
# one request at a time: the order of fetches, and of ids, is the same on every run
SERIAL = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "LOG_ROTATING_FILE": ""}


def _crawl(server, archive, log):
    result = run_crawl(SAMPLE_PORTAL_URL, archive, settings=SERIAL, proxy=server.address, log_file=log,
                       timeout=300)
    assert result.returncode == 0, log.read_text(errors="replace")[-3000:]


def test_archive_is_what_main_wrote(tmp_path):
    archive = tmp_path / "archive.db"
    with serve(SamplePortal(articles=72), public_url=SAMPLE_PORTAL_URL) as server:
        _crawl(server, archive, tmp_path / "first.log")
        con = sqlite3.connect(archive)
        due = [r[0] for r in con.execute(
            "SELECT url FROM crawl_state WHERE url LIKE '%/news/%' ORDER BY url LIMIT 5")]
        con.executemany("UPDATE crawl_state SET next_due = '2000-01-01T00:00:00+00:00' WHERE url = ?",
                        [(u,) for u in due])
        con.commit()
        con.close()
        server.portal = SamplePortal(articles=72, edition=1)
        _crawl(server, archive, tmp_path / "second.log")
    got = dump(archive)
    if os.environ.get("NEWSSPIDER_RECORD_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=0, sort_keys=True) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert got["versions"]["count"] > got["articles"]["count"] > 60, "the sequence stored too little to test"
    diff = differences(got, want)
    assert not diff, "the archive differs from main's:\n" + "\n".join(diff)
