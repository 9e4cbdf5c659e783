"""The crawl's parser process (newsspider/parseworker.py): the same fields as a parse in
the crawl's process, the parser's exceptions as they were, and a worker that dies fails
only the pages it had, the next page starting another."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from newsspider.parse import NotHTML, parse_article
from newsspider.parseworker import ParseWorker, ParseWorkerDied
from newsspider.sampleportal import SamplePortal

BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def pages():
    portal = SamplePortal(articles=20)
    out = []
    for i in portal.expected_ids()[:5]:
        status, headers, body = portal.render(f"/news/{i}/", BASE)
        out.append((body, f"{BASE}/news/{i}/", headers.get("Content-Type")))
    return out


def run(coro):
    """The coroutine on a loop of its own, in a thread of its own: in the whole suite the
    browser tests' Playwright (sync API) keeps an event loop running in the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_fields_and_exceptions_are_those_of_parse_article(pages):
    worker = ParseWorker()

    async def go():
        got = [await worker.parse(body, url, ctype, "America/New_York") for body, url, ctype in pages]
        with pytest.raises(NotHTML):
            await worker.parse(b"\x00\x01\x02" * 100, f"{BASE}/news/x/", "text/html", "America/New_York")
        return got

    try:
        got = run(go())
    finally:
        worker.close()
    assert got == [parse_article(body, url, content_type=ctype, tz="America/New_York") for body, url, ctype in pages]
    assert all(g is not None for g in got)


def test_a_dead_worker_fails_its_pages_and_the_next_page_gets_a_new_one(pages):
    worker = ParseWorker()
    body, url, ctype = pages[0]

    async def go():
        first = await worker.parse(body, url, ctype, "America/New_York")
        pids = [worker.pid]
        pending = [asyncio.ensure_future(worker.parse(body, url, ctype, "America/New_York")) for _ in range(3)]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        results = await asyncio.gather(*pending, return_exceptions=True)
        again = await worker.parse(body, url, ctype, "America/New_York")
        return first, results, again, pids, [worker.pid]

    try:
        first, results, again, old, new = run(go())
    finally:
        worker.close()
    assert any(isinstance(r, ParseWorkerDied) for r in results), results
    assert all(isinstance(r, ParseWorkerDied) or r == first for r in results), results
    assert again == first and set(new).isdisjoint(old) and worker.deaths == 1
