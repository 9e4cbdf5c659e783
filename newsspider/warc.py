"""Write the archive's fetches as WARC 1.1 files (ISO 28500), and ``scrapy export-warc``.

Every record says ``WARC/1.1``; every file starts with its ``warcinfo`` record. Each
fetch of the ``fetches`` table becomes, in fetch order:

- a ``request`` record (the GET as sent, conditional headers included), and
- a ``response`` record (status line, kept headers, the body as fetched) the first time
  its payload is written, else a ``revisit``: profile ``identical-payload-digest`` for a
  200 whose bytes equal the stored ones, ``server-not-modified`` for a 304; both with
  ``WARC-Refers-To``, ``WARC-Refers-To-Target-URI`` and ``WARC-Refers-To-Date`` naming the
  response record of the payload, which is always in the same export (with ``--since``,
  an older original is written too, at its own date), and
- a ``metadata`` record (``application/warc-fields``) with what only this project knows:
  fetch, response and run ids, the article and version the payload gave.

Request, metadata and revisit records are ``WARC-Concurrent-To`` the response or revisit
record of their fetch. warcio writes the records (one gzip member each) and computes the
digests: ``WARC-Payload-Digest`` is the SHA-1 (base32) of the entity body, as pywb and the
CDX indexers compute it. The body is stored decoded (Scrapy undoes gzip), so
``Content-Encoding`` and ``Transfer-Encoding`` are dropped and ``Content-Length`` is set
to the body's length.

Files are named ``PREFIX-TIMESTAMP-SERIAL-HOST.warc.gz`` (the IIPC convention: export start
time to the millisecond, a 5-digit serial, this machine's name); the next file starts
once one passes ``max_bytes``, and a fetch's records stay in one file. A file is written
as ``NAME.open`` with its first byte spoiled, so no reader takes it for a WARC, and is
given its first byte and renamed only when complete: a killed export leaves no file
that passes ``warcio check``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import sys
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines import schema
from pipelines.store import decompress

DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
WARC_VERSION = "WARC/1.1"
PROFILE = "http://netpreserve.org/warc/1.1/revisit/"
SOFTWARE = "newsspider (https://github.com/newsspider-archive/newsspider)"


def _warc_date(iso: str) -> str:
    dt = datetime.fromisoformat(iso)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class WarcFiles:
    """The export's files: rolled at ``max_bytes``, each begun with its warcinfo record,
    written under a temporary name and renamed when complete."""

    def __init__(self, out_prefix: Path, max_bytes: int, info: dict):
        self.out_prefix = out_prefix
        self.max_bytes = max_bytes
        self.info = info
        self.stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")[:17]
        self.host = re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname()) or "localhost"
        self.files: list[Path] = []
        self.f = None
        self.writer: WARCWriter | None = None
        self.counts: dict[str, int] = {}

    def _open(self) -> None:
        name = f"{self.out_prefix.name}-{self.stamp}-{len(self.files):05d}-{self.host}.warc.gz"
        path = self.out_prefix.with_name(name)
        self.path, self.tmp = path, path.with_name(name + ".open")
        self.f = open(self.tmp, "w+b")
        self.writer = WARCWriter(self.f, gzip=True, warc_version=WARC_VERSION)
        self.writer.write_record(self.writer.create_warcinfo_record(name, self.info))
        self.counts["warcinfo"] = self.counts.get("warcinfo", 0) + 1
        self.f.flush()
        self.f.seek(0)
        self.f.write(b"\0")  # not gzip, not WARC until complete
        self.f.seek(0, os.SEEK_END)

    def _finish(self) -> None:
        self.f.flush()
        self.f.seek(0)
        self.f.write(b"\x1f")  # gzip's first magic byte
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()
        os.replace(self.tmp, self.path)
        self.files.append(self.path)
        self.f = self.writer = None

    def write(self, records: list) -> None:
        """One fetch's records, in one file."""
        if self.f is not None and self.f.tell() >= self.max_bytes:
            self._finish()
        if self.f is None:
            self._open()
        for record in records:
            self.writer.write_record(record)
            key = record.rec_type
            if key == "revisit":
                key += "/" + record.rec_headers.get_header("WARC-Profile").rsplit("/", 1)[-1]
            self.counts[key] = self.counts.get(key, 0) + 1

    def close(self) -> None:
        if self.f is not None:
            self._finish()

    def abandon(self) -> None:
        if self.f is not None:
            self.f.close()
            self.tmp.unlink(missing_ok=True)
            self.f = None


def _fetch_rows(conn, since):
    """Fetches in order, with their payload's response row. An archive never migrated
    (opened read-only, without ``fetches``) has one fetch per stored response."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "fetches" in tables:
        source = ("SELECT id, url, final_url, fetched_at, status, request_headers, headers, response_id, "
                  "run_id FROM fetches")
    else:
        source = ("SELECT id, url, final_url, fetched_at, status, '{}', headers, id, run_id "
                  "FROM responses")
    query = f"SELECT * FROM ({source})" + (" WHERE fetched_at >= ?" if since else "") + " ORDER BY id"
    return conn.execute(query, [since] if since else [])


def export_warc(archive_path, out_prefix, *, since: str | None = None,
                max_bytes: int = 1024 ** 3, stats: dict | None = None) -> list[Path]:
    """Write ``PREFIX-TIMESTAMP-00000-HOST.warc.gz`` etc.; returns the files written.
    ``stats``, when given, receives the count of records by type."""
    db = schema.connect(archive_path, readonly=True)
    conn = db.conn
    out_prefix = Path(out_prefix)
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    files = WarcFiles(out_prefix, max_bytes, {
        "software": SOFTWARE,
        "format": "WARC File Format 1.1",
        "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "news portal archive: every fetch of an article URL (request, response or revisit, "
                       "metadata)" + (f" since {since}" if since else ""),
        "isPartOf": ", ".join(schema.portal_addresses(conn)) or Path(archive_path).name,
        "hostname": socket.gethostname(),
        "robots": "obey",
    })
    versions = {}
    for rid, url, number, digest, parser in conn.execute(
            "SELECT v.response_id, a.url, v.version, v.content_hash, v.parser FROM versions v "
            "JOIN articles a ON a.id = v.article_id WHERE v.response_id IS NOT NULL"):
        versions[rid] = (url, number, digest, parser)
    written: dict[int, tuple[str, str, str, str]] = {}  # response id -> record id, URI, date, digest
    zcache: dict = {}

    def response_row(rid):
        return conn.execute("SELECT url, final_url, status, fetched_at, headers, body, compression "
                            "FROM responses WHERE id = ?", [rid]).fetchone()

    def http_headers(status, headers_json, body_len=None):
        kept = [(k.title(), v) for k, v in json.loads(headers_json or "{}").items() if k.lower() not in DROP_HEADERS]
        if body_len is not None:
            kept.append(("Content-Length", str(body_len)))
        return StatusAndHeaders(f"{status} {_reason(status)}", kept, protocol="HTTP/1.1")

    def request_record(w, uri, date, request_headers, concurrent_to):
        parts = urlsplit(uri)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [("Host", parts.netloc)] + [(k, v) for k, v in json.loads(request_headers or "{}").items()
                                              if k.lower() != "host"]
        http = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
        return w.create_warc_record(uri, "request", payload=BytesIO(b""), length=0, http_headers=http,
                                    warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to})

    def metadata_record(w, uri, date, concurrent_to, fields):
        body = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None).encode("utf-8")
        return w.create_warc_record(uri, "metadata", payload=BytesIO(body), length=len(body),
                                    warc_content_type="application/warc-fields",
                                    warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to})

    def response_record(w, rid, row, status=None, headers_json=None):
        url, final_url, r_status, fetched_at, r_headers, blob, compression = row
        body = decompress(conn, blob, compression, zcache)
        uri, date = final_url or url, _warc_date(fetched_at)
        digest = payload_digest(body)
        record = w.create_warc_record(
            uri, "response", payload=BytesIO(body), length=len(body),
            http_headers=http_headers(status or r_status, headers_json or r_headers, len(body)),
            warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": digest})
        written[rid] = (record.rec_headers.get_header("WARC-Record-ID"), uri, date, digest)
        return record

    def meta_fields(fid, rid, run_id, requested, uri):
        fields = {"newsspider-fetch-id": fid, "newsspider-response-id": rid, "newsspider-run-id": run_id,
                  "requested-url": requested if requested != uri else None}
        if rid in versions:
            a_url, number, digest, parser = versions[rid]
            fields.update({"article-url": a_url, "article-version": number, "content-hash": digest,
                           "parser": parser})
        return fields

    try:
        for fid, url, final_url, fetched_at, status, req_headers, headers, rid, run_id in _fetch_rows(conn, since):
            if rid is None:
                continue  # a 304 with no stored payload to refer to
            row = response_row(rid)
            if row is None or row[5] is None:
                continue  # the response's bytes were not kept (over a storage budget)
            files.write([])  # the file this fetch goes in (a roll-over starts the next one)
            w = files.writer
            group = []
            if rid not in written and (status == 304 or row[3] < fetched_at):
                # the payload's original fetch is older than --since: written too, at its own date
                original = response_record(w, rid, row)
                group += [request_record(w, original.rec_headers.get_header("WARC-Target-URI"),
                                         written[rid][2], "{}", written[rid][0]), original,
                          metadata_record(w, written[rid][1], written[rid][2], written[rid][0],
                                          meta_fields(None, rid, None, row[0], written[rid][1]))]
            uri, date = final_url or url, _warc_date(fetched_at)
            if rid in written:
                record_id, ref_uri, ref_date, digest = written[rid]
                profile = "server-not-modified" if status == 304 else "identical-payload-digest"
                main = w.create_warc_record(uri, "revisit", http_headers=http_headers(status, headers),
                                            warc_headers_dict={"WARC-Date": date})
                main.rec_headers.add_header("WARC-Profile", PROFILE + profile)
                main.rec_headers.add_header("WARC-Refers-To", record_id)
                main.rec_headers.add_header("WARC-Refers-To-Target-URI", ref_uri)
                main.rec_headers.add_header("WARC-Refers-To-Date", ref_date)
                if profile == "identical-payload-digest":
                    main.rec_headers.add_header("WARC-Payload-Digest", digest)
            else:
                main = response_record(w, rid, row, status, headers if headers not in (None, "{}") else None)
            main_id = main.rec_headers.get_header("WARC-Record-ID")
            group += [request_record(w, uri, date, req_headers, main_id), main,
                      metadata_record(w, uri, date, main_id, meta_fields(fid, rid, run_id, url, uri))]
            files.write(group)
        files.close()
    except BaseException:
        files.abandon()
        raise
    finally:
        db.close()
    if stats is not None:
        stats.update(files.counts)
    return files.files


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


def since_option(value: str | None) -> str | None:
    """The ``--since`` option of the export commands, as ``iso_since`` gives it; a
    ValueError says in one line what is wrong."""
    if value is None:
        return None
    try:
        return iso_since(value)
    except ValueError:
        raise ValueError(f"--since {value!r} is not a date: give YYYY-MM-DD (UTC) or an ISO 8601 time, "
                         "e.g. --since 2025-05-01") from None


class ExportWarcCommand(ScrapyCommand):
    """``scrapy export-warc OUT_PREFIX``: registered through the ``scrapy.commands``
    entry point (pyproject.toml), since a command module cannot have a hyphen in its name."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "OUT_PREFIX [--since DATE] [--max-mb N]"

    def short_desc(self) -> str:
        return "Write the archive's fetches as WARC 1.1 files (OUT_PREFIX-TIMESTAMP-00000-HOST.warc.gz, ...)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", help="only fetches on or after this ISO date (UTC)")
        parser.add_argument("--max-mb", type=float, default=1024, help="start a new file after this size (MB)")

    def run(self, args, opts) -> None:
        from newsspider.archivecheck import archive_problem
        from newsspider.runstatus import EXIT_FAILED, EXIT_USAGE

        if len(args) != 1:
            print("newsspider: give one output prefix, e.g. scrapy export-warc data/warc/usbanglanews",
                  file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        try:
            since = since_option(opts.since)
        except ValueError as exc:
            print(f"newsspider: {exc}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        if not opts.max_mb > 0:
            print("newsspider: --max-mb must be more than 0", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        path = self.settings.get("ARCHIVE_PATH")
        problem = archive_problem(path, must_exist=True, write=False)
        if problem:
            print(f"newsspider: {problem}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        try:
            counts: dict = {}
            files = export_warc(path, args[0], since=since, max_bytes=int(opts.max_mb * 1024 * 1024), stats=counts)
        except OSError as exc:
            print(f"newsspider: cannot write {args[0]}-*.warc.gz: {exc.strerror or exc}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        for f in files:
            print(f)
        print(f"newsspider: {len(files)} WARC files, records: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)
