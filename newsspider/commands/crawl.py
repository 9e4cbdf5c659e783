"""``scrapy crawl``, made safe for cron: it does what it says or says in one line why not,
one run at a time, an exit status that means something, and a rotating log file.

This project command replaces Scrapy's own ``crawl`` (same options). In order:

1. the spider's ``-a`` arguments are checked (``PortalSpider.argument_error``): an
   unknown name or a bad value is one line and exit 2, before anything starts;
2. the archive is checked (``newsspider.archivecheck``): a read-only, corrupt, truncated
   or 0-byte file, a folder that cannot be written, or an archive of another portal is
   one line and exit 1, and the file is left as it was;
3. an exclusive lock (``newsspider.lock``); a second run finds it held, says who holds
   it (also in the log file: overlapping cron runs are normal) and exits 75;
4. the portal must be reachable at all (DNS, TCP, within ``REACHABILITY_TIMEOUT``):
   otherwise one line (``cannot reach usbanglanews.com: DNS lookup failed``), a run row
   with status ``unreachable``, no failure rows, exit 1;
5. the crawl; then the exit status of ``newsspider.runstatus`` (0, 1, 3 at the budget),
   or 130/143 when SIGINT/SIGTERM interrupted it (the batch in flight is written and the
   run is ``interrupted``, also when a second signal forced the stop).

Logs go to stderr as usual and also to ``LOG_ROTATING_FILE`` (rotated by size).

Unless ``JOBDIR`` is set, each run queues its requests on disk in a fresh folder beside
the archive, removed when the run ends: a sitemap lists every article of the portal at
once, and held in memory those requests made the crawl's memory grow with the portal
(peak RSS at 20,000 articles 1.36x that at 5,000; on disk 1.02x, bench/README.md).
Nothing carries over between runs: what is due is decided from the archive.
"""

from __future__ import annotations

import logging
import logging.handlers
import shutil
import signal
import sqlite3
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from newsspider import portals
from newsspider.archivecheck import archive_problem, portal_problem
from newsspider.lock import ArchiveLock
from newsspider.runstatus import (EXIT_BUDGET, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, budget_spent,
                                  problems)

log = logging.getLogger("newsspider.crawl")


def add_rotating_log(settings) -> None:
    path = settings.get("LOG_ROTATING_FILE")
    if path is None:
        path = Path(settings.get("ARCHIVE_PATH")).resolve().parent / "logs" / "crawl.log"
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=settings.getint("LOG_ROTATING_MAX_BYTES", 10 * 1024 * 1024),
        backupCount=settings.getint("LOG_ROTATING_BACKUPS", 5), encoding="utf-8")
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL", "INFO"))
    logging.getLogger().addHandler(handler)


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider (one run per archive at a time; exit status for cron)"

    def run(self, args: list[str], opts) -> None:
        if len(args) < 1:
            raise UsageError
        try:
            self.exitcode = self._run(args[0], opts)
        except (sqlite3.Error, OSError) as exc:  # never a traceback for the archive's file
            path = self.settings.get("ARCHIVE_PATH")
            print(f"newsspider: cannot use the archive {path}: {exc}; "
                  "check the file, its folder and the free disk space", file=sys.stderr)
            self.exitcode = EXIT_FAILED

    def _run(self, name: str, opts) -> int:
        settings = self.settings
        path = settings.get("ARCHIVE_PATH")
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            names = ", ".join(sorted(self.crawler_process.spider_loader.list()))
            return usage(f"no spider named {name!r}; spiders: {names}")
        check = getattr(spidercls, "argument_error", None)
        error = check(opts.spargs, settings) if check else None
        if error:
            return usage(error)
        try:
            targets = crawl_targets(spidercls, opts.spargs, settings)
        except portals.RegistryError as exc:
            return usage(str(exc))
        problem = archive_problem(path, must_exist=False, write=True)
        for target in targets:
            problem = problem or portal_problem(path, target.base_url, force=settings.getbool("ARCHIVE_FORCE_PORTAL"),
                                                entry=target.entry, sample_url=settings.get("SAMPLE_PORTAL_URL"))
        if problem:
            print(f"newsspider: {problem}", file=sys.stderr)
            return EXIT_FAILED
        add_rotating_log(settings)
        lock = ArchiveLock(path)
        refused = lock.refusal("another crawl")
        if refused:
            message, code = refused
            if code == EXIT_LOCKED:
                # cron runs overlap when a crawl takes longer than the hour: that is
                # normal, so it goes to the log file too, where the runs are read later
                log.warning("skipped: %s", message)
            print(f"newsspider: {message}", file=sys.stderr)
            return code
        jobdir = None
        try:
            from pipelines import schema

            # create a new archive, or bring an older one to this code's schema, before
            # the spiders read their state from it (under the lock: nobody else writes)
            db = schema.connect(path)
            schema.ensure_schema(db)
            db.close()
            if lock.archive_fd is None:  # a new archive: lock the file too
                lock.lock_archive_now()
            several = len(targets) > 1
            if not settings.get("JOBDIR") and settings.getbool("DISK_QUEUE", True):
                jobdir = fresh_jobdir(path)
            crawlers, unreachable_seen = [], []
            for target in targets:
                # what must answer: the portal, or what the spider fetches from (wayback: the archive's CDX)
                probe = (spidercls.reachability_url(target.spargs, settings)
                         if hasattr(spidercls, "reachability_url") else target.base_url)
                unreachable = reachability(probe, timeout=settings.getfloat("REACHABILITY_TIMEOUT", 10))
                if unreachable:
                    record_unreachable(path, name, target.spargs, unreachable, target)
                    print(f"newsspider: {unreachable}" + (f" (portal {target.name}: not crawled)" if several else ""),
                          file=sys.stderr)
                    unreachable_seen.append(target)
                    continue
                crawler_settings = settings.copy()
                for key, value in target.settings.items():
                    crawler_settings.set(key, value, priority="spider")  # -s still wins
                if jobdir is not None:
                    crawler_settings.set("JOBDIR", str(jobdir / target.name if several else jobdir),
                                         priority="cmdline")
                crawlers.append((target, Crawler(spidercls, crawler_settings)))
            if not crawlers:
                return EXIT_FAILED
            signals_seen: list[int] = []
            watch_signals(self.crawler_process, [c for _, c in crawlers], signals_seen)
            for target, crawler in crawlers:
                self.crawler_process.crawl(crawler, **target.spargs)
            self.crawler_process.start()
            if signals_seen:
                for _, crawler in crawlers:
                    store = getattr(crawler, "newsspider_store", None)
                    if store is not None:
                        store.abort(signals_seen[0])  # forced: spider_closed never ran
                print(f"newsspider: interrupted by {signal.Signals(signals_seen[0]).name}; what was fetched "
                      f"is stored, and the next run goes on (exit {128 + signals_seen[0]})", file=sys.stderr)
                return 128 + signals_seen[0]
            if self.crawler_process.bootstrap_failed:
                return EXIT_FAILED
            codes = [EXIT_FAILED] if unreachable_seen else []
            for target, crawler in crawlers:
                codes.append(self._outcome(crawler.stats.get_stats(), settings, target.name if several else None))
            if EXIT_USAGE in codes:
                return EXIT_USAGE
            return EXIT_FAILED if EXIT_FAILED in codes else EXIT_BUDGET if EXIT_BUDGET in codes else EXIT_OK
        finally:
            if jobdir is not None:
                shutil.rmtree(jobdir, ignore_errors=True)
            lock.release()

    @staticmethod
    def _outcome(stats: dict, settings, portal: str | None) -> int:
        """One crawler's exit status, said in one line when it is not 0."""
        said = f"portal {portal}: " if portal else ""
        if stats.get("newsspider/bad_argument"):
            return usage(stats["newsspider/bad_argument"])
        found = problems(stats, settings)
        if found:
            print(f"newsspider: {said}run failed: " + "; ".join(found), file=sys.stderr)
            return EXIT_FAILED
        if budget_spent(stats):
            print(f"newsspider: {said}{budget_spent(stats)}: the run stopped cleanly; the next run goes on "
                  f"(exit {EXIT_BUDGET})", file=sys.stderr)
            return EXIT_BUDGET
        return EXIT_OK


@dataclass
class Target:
    """One crawler of a run: its spider arguments, its portal and that portal's settings."""
    spargs: dict
    base_url: str
    name: str
    entry: object = None                      # newsspider.portals.Portal, or None
    settings: dict = field(default_factory=dict)


def crawl_targets(spidercls, spargs: dict, settings) -> list[Target]:
    """The crawlers a run starts: one per portal of ``-a portal=all`` / ``a,b``; else one,
    for ``-a portal=NAME``, ``-a base_url`` or PORTAL_URL (with that address's registry
    entry, when it has one, so ``-a base_url=https://www.prothomalo.com/`` crawls it at
    its own politeness and zone)."""
    registry = portals.for_settings(settings)
    if spidercls.name == "portal" and spargs.get("portal") is not None:
        chosen = registry.select(str(spargs["portal"]))
        return [Target({**spargs, "portal": p.name}, p.base_url, p.name, p, p.settings()) for p in chosen]
    base = spargs.get("base_url") or settings.get("PORTAL_URL")
    entry = registry.for_url(base)
    if entry is not None:
        return [Target(dict(spargs), base, entry.name, entry, entry.settings())]
    return [Target(dict(spargs), base, portals.name_for_url(base))]


def usage(message: str) -> int:
    print(f"newsspider: {message}", file=sys.stderr)
    return EXIT_USAGE


def watch_signals(process, crawlers, seen: list[int]) -> None:
    """Remember SIGINT/SIGTERM (Scrapy handles them: the first stops the crawl
    gracefully, a second at once); the runs are then ``interrupted``, exit 128+signal."""
    graceful, forced = process._signal_shutdown, process._signal_kill

    def on_shutdown(signum, frame):
        seen.append(signum)
        for crawler in crawlers:
            crawler.stats.set_value("newsspider/signal", signum)
        graceful(signum, frame)

    def on_kill(signum, frame):
        seen.append(signum)
        for crawler in crawlers:
            crawler.stats.set_value("newsspider/signal_forced", signum)
        forced(signum, frame)

    process._signal_shutdown, process._signal_kill = on_shutdown, on_kill


def reachability(base_url: str, timeout: float = 10) -> str | None:
    """None when a TCP connection to the portal (or the HTTP proxy in the environment)
    can be opened, else one line with the reason: a crawl of a portal that cannot be
    reached at all ends at once instead of failing every request and blaming pages."""
    import socket
    import threading
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        target, target_port, what = p.hostname or "", p.port or 80, f"the proxy {p.hostname}:{p.port or 80} for {host}"
    else:
        target, target_port, what = host, port, host
    found: dict = {}

    def resolve():
        try:
            found["addrs"] = socket.getaddrinfo(target, target_port, type=socket.SOCK_STREAM)
        except OSError as exc:
            found["error"] = exc

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return f"cannot reach {what}: DNS lookup timed out after {timeout:g} s"
    if "error" in found:
        return f"cannot reach {what}: DNS lookup failed ({found['error'].strerror or found['error']})"
    last = None
    for family, kind, proto, _, address in found["addrs"][:4]:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
            return None
        except socket.timeout:
            last = f"connection timed out after {timeout:g} s"
        except ConnectionRefusedError:
            last = f"connection refused on port {target_port}"
        except ConnectionResetError:
            return None  # something answered: the crawl's own requests tell what is wrong
        except OSError as exc:
            last = exc.strerror or str(exc)
    return f"cannot reach {what}: {last or 'no address'}"


def record_unreachable(path, spider: str, args: dict, reason: str, target=None) -> None:
    """A run row with status ``unreachable``: nothing was wrong with any page, so no
    failure rows."""
    from pipelines.store import Archive

    archive = Archive(path)
    try:
        if target is not None:
            archive.portal = target.name
        archive.start_run(spider, args)
        archive.finish_run({"finish_reason": "unreachable", "newsspider/unreachable": reason},
                           "unreachable", EXIT_FAILED)
    finally:
        archive.close()


def fresh_jobdir(archive_path: str) -> Path:
    """A new, empty request-queue folder beside the archive. Folders left by runs that
    were killed are removed first (the caller holds the archive's lock, so no other run
    is using one)."""
    archive = Path(archive_path).resolve()
    for stale in archive.parent.glob(f"{archive.name}.queue-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{archive.name}.queue-", dir=archive.parent))
