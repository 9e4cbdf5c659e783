"""A distributed crawl on this machine, in real processes: the seeding step, N crawler
processes and the writer, each exactly the command a user runs on their own machines
(``python -m newsspider.cluster ...``). Used by ``make cluster-demo``, the tests and the
benchmark; politeness is off unless asked for (the portal is the project's sample portal).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from newsspider.cluster import seed
from newsspider.localcrawl import LOCAL_SETTINGS, PROJECT_ROOT, crawl_env


class LocalCluster:
    def __init__(self, redis_url: str, archive: str | Path, base_url: str | None, *, logs: str | Path,
                 settings: dict | None = None, proxy: str | None = None, prefix: str = "newsspider",
                 writer_args: tuple = ()):
        self.redis_url = redis_url
        self.archive = Path(archive).resolve()
        self.base_url = base_url
        self.logs = Path(logs)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.settings = {**LOCAL_SETTINGS, "LOG_ROTATING_FILE": "", **(settings or {})}
        self.env = crawl_env(proxy)
        self.prefix = prefix
        self.writer_args = list(writer_args)
        self.crawlers: dict[str, subprocess.Popen] = {}
        self.writers: list[subprocess.Popen] = []

    def _cmd(self, *args) -> list[str]:
        return [sys.executable, "-m", "newsspider.cluster", "--redis", self.redis_url, "--prefix", self.prefix, *args]

    def seed(self, args: dict | None = None, portals_file: str | None = None) -> str:
        """A new job: ``base_url`` (the constructor's), or the portals ``args`` name
        (``{"portal": "all"}``) in the registry ``portals_file``."""
        from scrapy.utils.project import get_project_settings

        settings = get_project_settings()
        if portals_file:
            settings.set("PORTALS_FILE", str(portals_file), priority="cmdline")
        return seed(self.redis_url, str(self.archive), None if args else self.base_url, prefix=self.prefix,
                    args=args, settings=settings)

    def start_crawler(self, name: str, **settings) -> subprocess.Popen:
        sets = {**self.settings, "CLUSTER_WORKER_ID": name, **settings}
        cmd = self._cmd("crawl", *sum((["-s", f"{k}={v}"] for k, v in sets.items()), []))
        log = open(self.logs / f"crawler-{name}.log", "ab")
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.crawlers[name] = proc
        return proc

    def start_writer(self) -> subprocess.Popen:
        log = open(self.logs / f"writer-{len(self.writers)}.log", "ab")
        proc = subprocess.Popen(self._cmd("writer", "--archive", str(self.archive), *self.writer_args),
                                cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.writers.append(proc)
        return proc

    def wait(self, timeout: float = 300) -> dict:
        """Wait for every crawler and the last writer; their exit statuses."""
        deadline = time.monotonic() + timeout
        codes = {}
        for name, proc in list(self.crawlers.items()) + [("writer", self.writers[-1])]:
            codes[name] = proc.wait(max(1, deadline - time.monotonic()))
        return codes

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in [*self.crawlers.values(), *self.writers]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
