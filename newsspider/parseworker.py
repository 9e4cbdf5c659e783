"""The crawl's parser in a process of its own (issue 17).

``parse_article`` is pure Python work on bytes (lxml, then the extraction): in the crawl's
process it held the GIL for a quarter of the crawl's CPU, next to fetching and
scheduling. ``ParseWorker`` runs it in one worker process, as ``scrapy reparse`` does with
its pool: the spider's callback sends the page's bytes, awaits the fields and goes on
with them exactly as before, while the crawl's process keeps fetching.

One process, so pages are parsed, and their articles handed to the pipelines, in the order
they came in. A parser exception comes back as itself (the spider records it as before);
a worker that dies (killed, out of memory, a crash in C) fails the pages it had with
``ParseWorkerDied``, which the spider records as parse failures with their bytes kept,
and the next page starts a new worker.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)


class ParseWorkerDied(RuntimeError):
    """The parser's process ended while it had this page."""


def _parse(parse, body: bytes, url: str, content_type: str | None, tz: str, portal_zone: str | None = None):
    extra = {"portal_zone": portal_zone} if portal_zone else {}
    return parse(body, url, content_type=content_type, tz=tz, **extra)


def _init() -> None:
    # Ctrl-C reaches the whole process group: the crawl stops cleanly and waits for the
    # pages in the worker, which must not die of it first (they would become failures)
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm() -> None:
    import newsspider.parse  # noqa: F401  (the first page should not wait for the imports)


class ParseWorker:
    def __init__(self, context: str = "spawn"):
        # spawn: the worker inherits none of the crawl's threads, sockets and locks, and is
        # the crawl's own child, so its CPU time counts in the crawl's (wait4, time)
        self.context = multiprocessing.get_context(context)
        self.pool: ProcessPoolExecutor | None = None
        self.deaths = 0

    def _start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=self.context, initializer=_init)
            self.pool.submit(_warm)
        return self.pool

    def start(self) -> None:
        self._start()

    async def parse(self, body: bytes, url: str, content_type: str | None, tz: str, parse=None,
                    portal_zone: str | None = None):
        """``parse(body, url, content_type=, tz=)``'s result for the page (or its exception),
        from the worker. ``parse``: ``newsspider.parse.parse_article`` unless given (a
        module-level function: it is sent by name)."""
        if parse is None:
            from newsspider.parse import parse_article as parse
        pool = self._start()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, _parse, parse, body, url, content_type, tz, portal_zone)
        except BrokenProcessPool as exc:
            if self.pool is pool:  # the first page to see it starts the next worker
                self.deaths += 1
                log.error("the parser's process died (%s); starting another", exc)
                pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
            raise ParseWorkerDied(f"the parser's process died while parsing {url}") from exc

    def close(self) -> None:
        """At the end of the crawl (no page is waiting by then): the worker exits and is
        waited for."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
