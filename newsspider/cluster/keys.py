"""The Redis keys of one distributed crawl ("job"), all under one prefix.

``<prefix>:requests``   scrapy-redis' priority queue (the shared frontier)
``<prefix>:seen``       scrapy-redis' duplicate filter, also the articles' canonical keys
``<prefix>:items``      the Stream of items for the one writer (group ``writer``)
``<prefix>:job``        the job's id (made by the seeding step) and its portal in ``:job:*``
``<prefix>:state``      hash: canonical URL -> crawl state (validators, next_due, ...)
``<prefix>:waiting``    set: failed URLs whose retry is not due
``<prefix>:retry``      list: URLs whose failure is due for a retry
``<prefix>:started``    set once by the worker that runs discovery's start
``<prefix>:listings``   set once by the worker that starts the listing pages
``<prefix>:finished``   set when the frontier is empty and nothing is leased
``<prefix>:workers``    set of worker ids; ``:alive:<id>`` (expires), ``:leases:<id>`` (hash)
``<prefix>:stats:<id>`` a worker's final counts (hash)
``<prefix>:polite:<host>`` the shared politeness limiter of one host
``<prefix>:writer``     the writer's lock (expires)
"""

from __future__ import annotations

DEFAULT_PREFIX = "newsspider"


class Keys:
    def __init__(self, prefix: str = DEFAULT_PREFIX):
        self.prefix = prefix
        p = prefix
        self.requests = f"{p}:requests"
        self.seen = f"{p}:seen"
        self.items = f"{p}:items"
        self.job = f"{p}:job"
        self.job_base_url = f"{p}:job:base_url"
        self.job_args = f"{p}:job:args"
        self.state = f"{p}:state"
        self.waiting = f"{p}:waiting"
        self.retry = f"{p}:retry"
        self.started = f"{p}:started"
        self.listings = f"{p}:listings"
        self.finished = f"{p}:finished"
        self.workers = f"{p}:workers"
        self.lease_seq = f"{p}:lease-seq"
        self.writer = f"{p}:writer"
        self.group = "writer"

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def leases(self, worker: str) -> str:
        return f"{self.prefix}:leases:{worker}"

    def stats(self, worker: str) -> str:
        return f"{self.prefix}:stats:{worker}"

    def polite(self, host: str) -> str:
        return f"{self.prefix}:polite:{host}"

    def all_job_keys(self, server) -> list:
        return list(server.scan_iter(match=f"{self.prefix}:*", count=1000))
