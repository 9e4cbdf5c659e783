"""Distributed mode: the same ``portal`` spider in N crawler processes on any machines,
one writer, one Redis.

- ``seed``: a new job. Reads the archive (read-only) and copies into Redis what the
  crawlers need to crawl incrementally: each URL's crawl state (validators for
  conditional requests, ``next_due``, the sitemap's last ``<lastmod>``), the failures
  whose retry is due and those that must wait. The portal and the job's arguments too.
- ``crawl``: a crawler (``newsspider.cluster.frontier``): scrapy-redis' scheduler and
  duplicate filter shared through Redis, leases that a dead crawler's requests come back
  from, items onto a Redis Stream. It never opens the archive.
- ``writer``: the one process that writes the archive (``newsspider.cluster.writer``).

``python -m newsspider.cluster --help`` says how to run each.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

from newsspider.cluster.keys import DEFAULT_PREFIX, Keys

CLUSTER_SETTINGS = {
    "SCHEDULER": "newsspider.cluster.frontier.ClusterScheduler",
    "ITEM_PIPELINES": {
        "pipelines.normalize.NormalizePipeline": 100,
        "pipelines.validate.ValidatePipeline": 200,
        "newsspider.cluster.frontier.PushPipeline": 300,
    },
}


def job_targets(spargs: dict, settings=None) -> list:
    """The portals of a job, as ``scrapy crawl portal`` picks them: ``portal=NAME``,
    ``a,b`` or ``all`` from the registry (``PORTALS_FILE``), else ``base_url``."""
    from scrapy.utils.project import get_project_settings

    from newsspider.commands.crawl import crawl_targets
    from newsspider.spiders.portal import PortalSpider

    return crawl_targets(PortalSpider, spargs, settings or get_project_settings())


def seed(redis_url: str, archive_path: str | None, base_url: str | None = None, *, prefix: str = DEFAULT_PREFIX,
         args: dict | None = None, settings=None) -> str:
    """Start a new job: clear the prefix's keys and copy each portal's state from the
    archive (read-only) into Redis. ``args``: the spider's arguments (``portal=all``, ...);
    ``base_url``: a portal by its address. Returns the job's id."""
    from newsspider.cluster import wire
    from newsspider.cluster.frontier import redis_client
    from newsspider.spiders.portal import PortalSpider
    from pipelines.store import crawl_states, failures_waiting, portal_named, retry_candidates
    from scrapy.utils.project import get_project_settings

    settings = settings or get_project_settings()
    spargs = dict(args or {})
    if base_url:
        spargs["base_url"] = base_url
    error = PortalSpider.argument_error(spargs, settings)
    if error:
        raise ValueError(error)
    targets = job_targets(spargs, settings)
    server = redis_client(redis_url)
    keys = Keys(prefix)
    old = [m.decode() for m in server.smembers(keys.job_portals)]
    live = [w for p in old for w in map(bytes.decode, server.smembers(keys.for_portal(p).workers))
            if server.exists(keys.for_portal(p).alive(w))]
    if live or server.exists(keys.writer):
        raise RuntimeError(f"a job is running under {prefix} ({len(live)} live crawlers"
                           f"{', a writer' if server.exists(keys.writer) else ''}); not seeding a new one")
    if server.exists(keys.items) and server.xlen(keys.items):
        raise RuntimeError(f"the Stream {keys.items} still holds entries for the writer: run the writer first")
    for key in keys.all_job_keys(server):
        server.delete(key)
    job = uuid.uuid4().hex
    portals = []
    pipe = server.pipeline(transaction=False)
    for target in targets:
        # the archive's name for this portal (an archive made before the registry named it
        # by its host), as the spider of a single-process crawl finds it
        name = (target.entry.name if target.entry else None) or \
            (archive_path and portal_named(archive_path, target.base_url)) or target.name
        pk = keys.for_portal(name)
        for i, (url, state) in enumerate((crawl_states(archive_path, name) if archive_path else {}).items()):
            pipe.hset(pk.state, url, wire.dumps(list(state)))
            if i % 1000 == 999:
                pipe.execute()
        waiting = failures_waiting(archive_path, portal=name) if archive_path else set()
        if waiting:
            pipe.sadd(pk.waiting, *waiting)
        due = retry_candidates(archive_path, portal=name) if archive_path else []
        if due:
            pipe.rpush(pk.retry, *due)
        entry = target.entry
        portal_settings = dict(target.settings)
        if entry is not None and settings.get("PORTALS_FILE"):
            # the crawlers read the same registry (a path inside the project, which every
            # machine has at the same version)
            registry = Path(settings.get("PORTALS_FILE")).resolve()
            root = Path(__file__).resolve().parents[2]
            portal_settings["PORTALS_FILE"] = str(registry.relative_to(root) if registry.is_relative_to(root) else registry)
        portals.append({"name": name, "base_url": target.base_url, "spargs": target.spargs,
                        "settings": portal_settings, "kind": getattr(entry, "kind", None),
                        "title": getattr(entry, "title", None), "timezone": getattr(entry, "timezone", None),
                        "language": getattr(entry, "language", None)})
        pipe.sadd(keys.job_portals, name)
    pipe.set(f"{keys.job}:spec", json.dumps(portals, default=list))
    pipe.set(keys.job, job)  # last: a job is there once all of it is
    pipe.execute()
    return job


def job_spec(server, keys: Keys) -> list[dict]:
    return json.loads(server.get(f"{keys.job}:spec") or b"[]")


def crawler_settings(redis_url: str, prefix: str = DEFAULT_PREFIX, extra: dict | None = None, portal: dict | None = None):
    """A crawler's settings: the project's, its portal's (at 'spider' priority, as
    ``scrapy crawl`` applies them), the distributed mode's, and ``-s`` last."""
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in ((portal or {}).get("settings") or {}).items():
        settings.set(name, value, priority="spider")
    settings.set("CLUSTER_REDIS_URL", redis_url, priority="cmdline")
    settings.set("CLUSTER_PREFIX", prefix, priority="cmdline")
    if portal:
        settings.set("CLUSTER_PORTAL", portal["name"], priority="cmdline")
    for name, value in CLUSTER_SETTINGS.items():
        settings.set(name, value, priority="cmdline")
    settings.set("JOBDIR", None, priority="cmdline")
    settings.set("ARCHIVE_PATH", "", priority="cmdline")  # a crawler never opens the archive
    for name, value in (extra or {}).items():
        settings.set(name, value, priority="cmdline")
    if settings.getbool("CLUSTER_POLITENESS", True):
        # the portal's delay and concurrency, for all workers together (newsspider.cluster.polite)
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares["newsspider.cluster.polite.SharedPoliteness"] = 990
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    return settings


def run_crawler(redis_url: str, prefix: str = DEFAULT_PREFIX, extra: dict | None = None) -> int:
    """One crawler process of the job: a Scrapy engine per portal of the job (at that
    portal's own settings), each on the portal's shared frontier."""
    from scrapy.crawler import Crawler, CrawlerProcess

    from newsspider.cluster.frontier import redis_client
    from newsspider.spiders.portal import PortalSpider

    server = redis_client(redis_url)
    keys = Keys(prefix)
    if not server.get(keys.job):
        print(f"newsspider: no job under {prefix} on {redis_url}: run the seeding step first", flush=True)
        return 2
    spec = job_spec(server, keys)
    base = crawler_settings(redis_url, prefix, extra)
    process = CrawlerProcess(base)
    crawlers = []
    worker = (extra or {}).get("CLUSTER_WORKER_ID") or None
    for portal in spec:
        settings = crawler_settings(redis_url, prefix, extra, portal)
        if worker is None:
            from newsspider.cluster.frontier import worker_id

            worker = worker_id()
        settings.set("CLUSTER_WORKER_ID", worker, priority="cmdline")  # one id for the process, per portal's keys
        # the first crawler installs the reactor (as CrawlerProcess.create_crawler does)
        crawler = Crawler(PortalSpider, settings, init_reactor=not crawlers)
        process._initialized_reactor = True
        process.crawl(crawler, **portal["spargs"])
        crawlers.append((portal["name"], crawler))
    process.start()
    if process.bootstrap_failed:
        return 1
    for name, crawler in crawlers:
        stats = crawler.stats.get_stats()
        print(f"crawler {worker} portal {name}: {stats.get('downloader/response_count', 0)} pages, "
              f"{stats.get('newsspider/cluster/pushed/Article', 0)} articles pushed", flush=True)
    return 0


# --------------------------------------------------------------------------- a local Redis

def redis_server_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A real ``redis-server`` on 127.0.0.1 (tests, ``make cluster-demo``, the bench): no
    persistence, protected mode on, stopped on exit."""

    def __init__(self, workdir: str | Path, port: int | None = None):
        binary = redis_server_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (make redis installs Debian's)")
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir), "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                break
            except redis.RedisError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not start: " + self.proc.stderr.read().decode()[-500:])
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
