"""``scrapy reparse``: re-run the current parsers over the stored responses (no network)."""

from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand

from newsspider.lock import ArchiveLock
from newsspider.runstatus import EXIT_FAILED


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Re-parse the archive's stored responses with the current parsers (no network)"

    def long_desc(self) -> str:
        from newsspider import reparse

        return reparse.__doc__

    def run(self, args, opts) -> None:
        from newsspider.reparse import reparse_archive

        from newsspider.archivecheck import archive_problem

        path = self.settings.get("ARCHIVE_PATH")
        problem = archive_problem(path, must_exist=True, write=True)
        if problem:
            print(f"newsspider: {problem}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        lock = ArchiveLock(path)
        refused = lock.refusal()
        if refused:
            print(f"newsspider: {refused[0]}", file=sys.stderr)
            self.exitcode = refused[1]
            return
        try:
            reparse_archive(path, self.settings.get("PORTAL_TIMEZONE"))
        finally:
            lock.release()
