"""Write the archive's stored responses as WARC files (ISO 28500), and ``scrapy export-warc``.

Each stored response becomes a WARC ``response`` record (the HTTP status line and the
kept headers, the body as fetched, its digests), after one ``warcinfo`` record; warcio
writes the records, so its own checker (``warcio check``) and other standard tools read
the files. The body is stored decoded (Scrapy undoes gzip), so ``Content-Encoding`` and
``Transfer-Encoding`` are dropped and ``Content-Length`` is set to the body's length.
A file is closed and the next one started after ``max_bytes``.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

from scrapy.commands import ScrapyCommand
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines import schema
from pipelines.store import decompress

DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def _warc_date(iso: str) -> str:
    dt = datetime.fromisoformat(iso)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_warc(archive_path, out_prefix, *, since: str | None = None,
                max_bytes: int = 1024 ** 3) -> list[Path]:
    """Write ``<out_prefix>-00000.warc.gz`` etc.; returns the files written."""
    db = schema.connect(archive_path, readonly=True)
    conn = db.conn
    out_prefix = Path(out_prefix)
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    # responses whose bytes were not kept (over RESPONSE_STORE_MAX_BYTES) have no body to export
    query = ("SELECT id, url, final_url, status, fetched_at, headers, body, compression FROM responses "
             "WHERE body IS NOT NULL")
    params: list = []
    if since:
        query += " AND fetched_at >= ?"
        params.append(since)
    files: list[Path] = []
    f = writer = None
    try:
        for rid, url, final_url, status, fetched_at, headers, blob, compression in conn.execute(
                query + " ORDER BY id", params):
            if f is None or f.tell() >= max_bytes:
                if f is not None:
                    f.close()
                path = out_prefix.with_name(f"{out_prefix.name}-{len(files):05d}.warc.gz")
                f = open(path, "wb")
                files.append(path)
                writer = WARCWriter(f, gzip=True)
                writer.write_record(writer.create_warcinfo_record(path.name, {
                    "software": "newsspider (https://github.com/newsspider-archive/newsspider)",
                    "format": "WARC File Format 1.1",
                    "description": "US Bangla News archive: stored article responses",
                    "isPartOf": str(Path(archive_path).name),
                }))
            body = decompress(conn, blob, compression)
            kept = [(k.title(), v) for k, v in json.loads(headers or "{}").items() if k.lower() not in DROP_HEADERS]
            kept.append(("Content-Length", str(len(body))))
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = "Unknown"
            http = StatusAndHeaders(f"{status} {reason}", kept, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                final_url or url, "response", payload=BytesIO(body), length=len(body), http_headers=http,
                warc_headers_dict={"WARC-Date": _warc_date(fetched_at),
                                   "WARC-Record-ID-Source": f"responses/{rid}"},
            )
            writer.write_record(record)
    finally:
        if f is not None:
            f.close()
        db.close()
    return files


def iso_since(text: str) -> str:
    """``--since``: a date or an ISO 8601 time, as the UTC ISO text fetch times are
    compared with; ValueError when it is neither (``notadate``, ``2025-13-45``)."""
    from datetime import datetime, timezone

    value = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ].+)?", value):
        raise ValueError(text)
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.isoformat(timespec="seconds") if "T" in value or " " in value else dt.date().isoformat()


class ExportWarcCommand(ScrapyCommand):
    """``scrapy export-warc OUT_PREFIX``: registered through the ``scrapy.commands``
    entry point (pyproject.toml), since a command module cannot have a hyphen in its name."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "OUT_PREFIX [--since DATE] [--max-mb N]"

    def short_desc(self) -> str:
        return "Write the archive's stored responses as WARC files (OUT_PREFIX-00000.warc.gz, ...)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", help="only responses fetched on or after this ISO date")
        parser.add_argument("--max-mb", type=int, default=1024, help="start a new file after this size")

    def run(self, args, opts) -> None:
        from newsspider.archivecheck import archive_problem
        from newsspider.runstatus import EXIT_FAILED, EXIT_USAGE

        if len(args) != 1:
            print("newsspider: give one output prefix, e.g. scrapy export-warc data/warc/usbanglanews",
                  file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        since = None
        if opts.since is not None:
            try:
                since = iso_since(opts.since)
            except ValueError:
                print(f"newsspider: --since {opts.since!r} is not a date: give YYYY-MM-DD (UTC) or an ISO 8601 "
                      "time, e.g. --since 2025-05-01", file=sys.stderr)
                self.exitcode = EXIT_USAGE
                return
        if opts.max_mb < 1:
            print("newsspider: --max-mb must be at least 1", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        path = self.settings.get("ARCHIVE_PATH")
        problem = archive_problem(path, must_exist=True, write=False)
        if problem:
            print(f"newsspider: {problem}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        try:
            files = export_warc(path, args[0], since=since, max_bytes=opts.max_mb * 1024 * 1024)
        except OSError as exc:
            print(f"newsspider: cannot write {args[0]}-*.warc.gz: {exc.strerror or exc}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        for f in files:
            print(f)
