"""Run a real ``scrapy crawl portal`` against a portal on this machine.

Used by ``make demo``, the tests and the benchmark: the crawl is a separate process,
exactly the command a user runs, with politeness switched off because the server is
the project's own sample portal on 127.0.0.1 (the real portal keeps the polite
defaults of ``newsspider.settings``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Settings for crawling the local sample portal: no delay, no throttle, more parallel.
LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_BACKOFF_BASE": "0.2",
    "RETRY_BACKOFF_MAX": "1",
    "LOG_LEVEL": "INFO",
}


def crawl_command(base_url: str | None, archive: str | Path, *, args: dict | None = None,
                  settings: dict | None = None) -> list[str]:
    """``base_url`` None: the portal is named by ``args`` (``portal=...``)."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "portal", "-s", f"ARCHIVE_PATH={archive}"]
    if base_url is not None:
        cmd[4:4] = ["-a", f"base_url={base_url}"]
    for name, value in {**LOCAL_SETTINGS, **(settings or {})}.items():
        cmd += ["-s", f"{name}={value}"]
    for name, value in (args or {}).items():
        cmd += ["-a", f"{name}={value}"]
    return cmd


def crawl_env(proxy: str | None = None) -> dict:
    """The environment of a local crawl: this project first on the path, and ``proxy``
    (the sample portal's address when it stands for a public name) as the HTTP proxy."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    if proxy:
        env["http_proxy"] = proxy
    return env


def run_crawl(base_url: str | None, archive: str | Path, *, args: dict | None = None,
              settings: dict | None = None, log_file: str | Path | None = None,
              timeout: float = 600, proxy: str | None = None) -> subprocess.CompletedProcess:
    """Run the crawl in a subprocess from the project root (where scrapy.cfg is)."""
    env = crawl_env(proxy)
    cmd = crawl_command(base_url, Path(archive).resolve(), args=args, settings=settings)
    if log_file:
        with open(log_file, "wb") as log:
            return subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=timeout)
    return subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=timeout)
