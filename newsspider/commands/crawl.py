"""``scrapy crawl``, made safe for cron: one run at a time, an exit status that means
something, and a rotating log file.

This project command replaces Scrapy's own ``crawl`` (same options). Before the crawl
it takes an exclusive ``flock`` on ``<ARCHIVE_PATH>.lock``: the kernel drops the lock
when the process ends, however it ends, so a crashed or killed run never leaves it
stuck. A second run that finds the lock held prints why and exits with 75 at once.
After the crawl the exit status follows ``newsspider.runstatus`` (0 ok, 1 failed).
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
import os
import shutil
import sys
import tempfile
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from newsspider.lock import ArchiveLock, LockError
from newsspider.runstatus import EXIT_BUDGET, EXIT_FAILED, EXIT_LOCKED, budget_spent, problems


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
        settings = self.settings
        lock = ArchiveLock(settings.get("ARCHIVE_PATH"))
        try:
            taken = lock.acquire()
        except LockError as exc:
            print(f"newsspider: {exc}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        if not taken:
            print(f"newsspider: another crawl ({lock.holder()}) is writing {settings.get('ARCHIVE_PATH')}; "
                  f"not starting a second one (exit {EXIT_LOCKED})", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            return
        jobdir = None
        try:
            if lock.archive_fd is None:  # a new archive: create it, then lock the file too
                from pipelines import schema

                db = schema.connect(settings.get("ARCHIVE_PATH"))
                schema.ensure_schema(db)
                db.close()
                lock.lock_archive_now()
            add_rotating_log(settings)
            if not settings.get("JOBDIR") and settings.getbool("DISK_QUEUE", True):
                jobdir = fresh_jobdir(settings.get("ARCHIVE_PATH"))
                settings.set("JOBDIR", str(jobdir), priority="cmdline")
            crawler = self.crawler_process.create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
            if self.crawler_process.bootstrap_failed:
                self.exitcode = EXIT_FAILED
                return
            stats = crawler.stats.get_stats()
            found = problems(stats, settings)
            if found:
                print("newsspider: run failed: " + "; ".join(found), file=sys.stderr)
                self.exitcode = EXIT_FAILED
            elif budget_spent(stats):
                print(f"newsspider: {budget_spent(stats)}: the run stopped cleanly; the next run goes on "
                      f"(exit {EXIT_BUDGET})", file=sys.stderr)
                self.exitcode = EXIT_BUDGET
        finally:
            if jobdir is not None:
                shutil.rmtree(jobdir, ignore_errors=True)
            lock.release()


def fresh_jobdir(archive_path: str) -> Path:
    """A new, empty request-queue folder beside the archive. Folders left by runs that
    were killed are removed first (the caller holds the archive's lock, so no other run
    is using one)."""
    archive = Path(archive_path).resolve()
    for stale in archive.parent.glob(f"{archive.name}.queue-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{archive.name}.queue-", dir=archive.parent))
