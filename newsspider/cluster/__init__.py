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


def seed(redis_url: str, archive_path: str | None, base_url: str, *, prefix: str = DEFAULT_PREFIX,
         args: dict | None = None) -> str:
    """Start a new job: clear the prefix's keys and copy the archive's state into Redis.
    Returns the job's id."""
    from newsspider.cluster import wire
    from newsspider.cluster.frontier import redis_client
    from pipelines.store import crawl_states, failures_waiting, retry_candidates

    server = redis_client(redis_url)
    keys = Keys(prefix)
    live = [m.decode() for m in server.smembers(keys.workers) if server.exists(keys.alive(m.decode()))]
    if live or server.exists(keys.writer):
        raise RuntimeError(f"a job is running under {prefix} ({len(live)} live crawlers"
                           f"{', a writer' if server.exists(keys.writer) else ''}); not seeding a new one")
    if server.xlen(keys.items) if server.exists(keys.items) else 0:
        raise RuntimeError(f"the Stream {keys.items} still holds entries for the writer: run the writer first")
    for key in keys.all_job_keys(server):
        server.delete(key)
    job = uuid.uuid4().hex
    states = crawl_states(archive_path) if archive_path else {}
    pipe = server.pipeline(transaction=False)
    for i, (url, state) in enumerate(states.items()):
        pipe.hset(keys.state, url, wire.dumps(list(state)))
        if i % 1000 == 999:
            pipe.execute()
    waiting = failures_waiting(archive_path) if archive_path else set()
    if waiting:
        pipe.sadd(keys.waiting, *waiting)
    due = retry_candidates(archive_path) if archive_path else []
    if due:
        pipe.rpush(keys.retry, *due)
    pipe.set(keys.job_base_url, base_url)
    pipe.set(keys.job_args, json.dumps(args or {}))
    pipe.set(keys.job, job)  # last: a job is there once all of it is
    pipe.execute()
    return job


def crawler_settings(redis_url: str, prefix: str = DEFAULT_PREFIX, extra: dict | None = None):
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("CLUSTER_REDIS_URL", redis_url, priority="cmdline")
    settings.set("CLUSTER_PREFIX", prefix, priority="cmdline")
    for name, value in CLUSTER_SETTINGS.items():
        settings.set(name, value, priority="cmdline")
    settings.set("JOBDIR", None, priority="cmdline")
    for name, value in (extra or {}).items():
        settings.set(name, value, priority="cmdline")
    if settings.getbool("CLUSTER_POLITENESS", True):
        # the portal's delay and concurrency, for all workers together (newsspider.cluster.polite)
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares["newsspider.cluster.polite.SharedPoliteness"] = 990
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    return settings


def run_crawler(redis_url: str, prefix: str = DEFAULT_PREFIX, extra: dict | None = None) -> int:
    """One crawler process of the job: ``scrapy``'s engine with the shared frontier."""
    from scrapy.crawler import CrawlerProcess

    from newsspider.cluster.frontier import redis_client
    from newsspider.spiders.portal import PortalSpider

    server = redis_client(redis_url)
    keys = Keys(prefix)
    if not server.get(keys.job):
        print(f"newsspider: no job under {prefix} on {redis_url}: run the seeding step first", flush=True)
        return 2
    base_url = server.get(keys.job_base_url).decode()
    args = json.loads(server.get(keys.job_args) or b"{}")
    process = CrawlerProcess(crawler_settings(redis_url, prefix, extra))
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, base_url=base_url, **args)
    process.start()
    if process.bootstrap_failed:
        return 1
    stats = crawler.stats.get_stats()
    print(f"crawler {stats.get('newsspider/cluster/worker', '')}: {stats.get('downloader/response_count', 0)} pages, "
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
