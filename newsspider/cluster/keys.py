"""The Redis keys of one distributed crawl ("job") of one or more portals, under one prefix.

The job's own keys:
``<prefix>:job``        the job's id (made by the seeding step), ``:job:portals`` its portals
``<prefix>:items``      the Stream of items for the one writer (group ``writer``)
``<prefix>:writer``     the writer's lock (expires)
``<prefix>:refused``    Stream entries the writer refused (not items of ours), with the reason

Each portal's, under ``<prefix>:p:<portal>``:
``:requests``   scrapy-redis' priority queue (the shared frontier)
``:seen``       scrapy-redis' duplicate filter, also the articles' canonical keys
``:state``      hash: canonical URL -> crawl state (validators, next_due, ...), seeded
``:waiting``    set: failed URLs whose retry is not due; ``:retry`` list: those due
``:started``    the worker that runs discovery's start, then ``done``
``:listings``   set once the listing pages were started; ``:finished`` once all is done
``:workers``    set of worker ids; ``:alive:<id>`` (expires), ``:leases:<id>`` (hash),
                ``:stats:<id>`` (a worker's final counts)
and ``<prefix>:polite:<host>``, the shared politeness limiter of one host.
"""

from __future__ import annotations

DEFAULT_PREFIX = "newsspider"


class Keys:
    def __init__(self, prefix: str = DEFAULT_PREFIX, portal: str | None = None):
        """The job's keys, and with ``portal`` that portal's."""
        self.job_prefix = prefix
        self.portal = portal
        self.prefix = p = f"{prefix}:p:{portal}" if portal else prefix
        self.job_portals = f"{prefix}:job:portals"
        self.refused = f"{prefix}:refused"
        self.requests = f"{p}:requests"
        self.seen = f"{p}:seen"
        self.items = f"{prefix}:items"
        self.job = f"{prefix}:job"
        self.state = f"{p}:state"
        self.waiting = f"{p}:waiting"
        self.retry = f"{p}:retry"
        self.started = f"{p}:started"
        self.listings = f"{p}:listings"
        self.finished = f"{p}:finished"
        self.workers = f"{p}:workers"
        self.lease_seq = f"{p}:lease-seq"
        self.writer = f"{prefix}:writer"
        self.group = "writer"

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def leases(self, worker: str) -> str:
        return f"{self.prefix}:leases:{worker}"

    def stats(self, worker: str) -> str:
        return f"{self.prefix}:stats:{worker}"

    def polite(self, host: str) -> str:
        return f"{self.job_prefix}:polite:{host}"  # per host, whichever portal of the job

    def for_portal(self, portal: str) -> "Keys":
        return Keys(self.job_prefix, portal)

    def all_job_keys(self, server) -> list:
        return list(server.scan_iter(match=f"{self.job_prefix}:*", count=1000))


def keys_of(settings) -> Keys:
    """A crawler's keys: its job's prefix and its portal (``CLUSTER_PORTAL``)."""
    return Keys(settings.get("CLUSTER_PREFIX") or DEFAULT_PREFIX, settings.get("CLUSTER_PORTAL") or None)
