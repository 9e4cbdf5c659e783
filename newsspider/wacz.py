"""``scrapy export-wacz OUT.wacz [--since DATE]``: the archive as one WACZ file.

The WARC files are ``export-warc``'s (WARC 1.1, requests, revisits, metadata); py-wacz,
the format's reference packager, indexes them (``indexes/index.cdx.gz`` and
``index.idx``, CDXJ by cdxj-indexer), adds ``pages/pages.jsonl`` and writes
``datapackage.json`` (every file with its hash) and ``datapackage-digest.json``.

The page list is ours: one page per article version, at the time of the fetch that
first showed it (``url``, ``ts``, ``title`` = the headline, ``text`` = the body), so
ReplayWeb.page lists and full-text searches the articles as the archive parsed them.
The WACZ is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from scrapy.commands import ScrapyCommand

from newsspider.warc import _warc_date, export_warc, since_option
from pipelines import schema


def page_lines(archive_path, since: str | None = None) -> list[dict]:
    """pages.jsonl's pages: every version whose payload the export holds."""
    db = schema.connect(archive_path, readonly=True)
    try:
        query = ("SELECT r.final_url, r.url, v.fetched_at, v.headline, v.body, a.url, v.version "
                 "FROM versions v JOIN articles a ON a.id = v.article_id JOIN responses r ON r.id = v.response_id "
                 "WHERE r.body IS NOT NULL" + (" AND v.fetched_at >= ?" if since else "") +
                 " ORDER BY v.fetched_at, v.id")
        return [{"url": final_url or url, "ts": _warc_date(fetched_at), "title": headline, "text": body}
                for final_url, url, fetched_at, headline, body, _a, _v in
                db.execute(query, [since] if since else [])]
    finally:
        db.close()


def export_wacz(archive_path, out, *, since: str | None = None, stats: dict | None = None) -> Path:
    """Write ``out`` (a .wacz); returns its path. ``stats`` gets the WARC record counts
    and ``pages``."""
    from wacz.main import main as wacz_main

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    db = schema.connect(archive_path, readonly=True)
    try:
        portals = ", ".join(schema.portal_addresses(db.conn))
    finally:
        db.close()
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=out.parent) as tmp:
        counts: dict = {}
        warcs = export_warc(archive_path, Path(tmp) / out.stem, since=since, stats=counts)
        pages = page_lines(archive_path, since)
        pages_file = Path(tmp) / "pages.jsonl"
        with open(pages_file, "w", encoding="utf-8") as f:
            f.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Article versions",
                                "hasText": True}) + "\n")
            for p in pages:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")
        partial = out.with_name(out.name + ".open")
        args = ["create", "-o", str(partial), "-p", str(pages_file), "--hash-type", "sha256",
                "--title", f"news portal archive: {portals or Path(archive_path).name}",
                "--desc", "every fetch of the portal's articles (WARC 1.1: request, response or revisit, "
                          "metadata)" + (f" since {since}" if since else ""),
                *map(str, warcs)]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):  # py-wacz narrates on stdout
            code = wacz_main(args)
        if code:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"py-wacz failed: {log.getvalue().strip().splitlines()[-1:]}")
        os.replace(partial, out)
    if stats is not None:
        stats.update(counts, pages=len(pages))
    return out


class ExportWaczCommand(ScrapyCommand):
    """``scrapy export-wacz OUT.wacz``: registered through the ``scrapy.commands`` entry point."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "OUT.wacz [--since DATE]"

    def short_desc(self) -> str:
        return "Write the archive as a WACZ file (WARCs, CDXJ index, pages with text, datapackage.json)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", help="only fetches on or after this ISO date (UTC)")

    def run(self, args, opts) -> None:
        from newsspider.archivecheck import archive_problem
        from newsspider.runstatus import EXIT_FAILED, EXIT_USAGE

        if len(args) != 1 or not args[0].endswith(".wacz"):
            print("newsspider: give one output file ending in .wacz, e.g. scrapy export-wacz data/usbn.wacz",
                  file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        try:
            since = since_option(opts.since)
        except ValueError as exc:
            print(f"newsspider: {exc}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        path = self.settings.get("ARCHIVE_PATH")
        problem = archive_problem(path, must_exist=True, write=False)
        if problem:
            print(f"newsspider: {problem}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        counts: dict = {}
        try:
            out = export_wacz(path, args[0], since=since, stats=counts)
        except OSError as exc:
            print(f"newsspider: cannot write {args[0]}: {exc.strerror or exc}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        except RuntimeError as exc:
            print(f"newsspider: {exc}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        print(out)
        print(f"newsspider: {counts.pop('pages')} pages, records: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)
