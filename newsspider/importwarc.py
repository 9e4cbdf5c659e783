"""``scrapy import-warc FILE …``: bring other crawls' WARC files into the archive.

Any tool's WARCs (wget ``--warc-file``, pywb and warcio recordings, Browsertrix, Heritrix,
the project's own ``export-warc``): every ``response`` record of an HTML page on the
portal's host and port (the crawl's own URL policy, ``UrlPolicy``) becomes a stored
response and a fetch dated by its ``WARC-Date``, and, when it parses as an article
(the crawl's parser, normalize and validate steps, and its canonical-URL rule), a
version of that article — or no new version when its content is the latest's.

- ``revisit`` records resolve to their originals (``WARC-Refers-To``, else
  ``WARC-Refers-To-Target-URI`` + ``-Date``, else the same URI's payload digest): an
  identical-payload revisit is a re-fetch of the original's bytes at the revisit's time,
  a ``server-not-modified`` one (or any 304) a 304 fetch.
- Request records give the fetch its request headers; our own ``metadata`` records the
  URL requested before redirects.
- Duplicates are recognised by payload digest: a capture of a URL at a time whose
  payload the archive already has for that URL and time (a file imported again, two
  tools' copies of one capture) is skipped.
- Every file is read whole and checked (format, gzip members, record lengths and
  digests) before anything is written; a file that is not WARC or is truncated gives
  one line and nothing is imported; then all captures, in WARC-Date order, are written
  in one transaction, as a run ``import-warc``.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path

from scrapy.commands import ScrapyCommand

from newsspider.items import Article, NotModified, RawResponse
from newsspider.urls import UrlPolicy, clean_url, fold
from pipelines.store import KEPT_HEADERS

HTML_TYPES = ("text/html", "application/xhtml+xml")


class ImportProblem(Exception):
    """A file that cannot be imported: one line, nothing written."""


def _iso(warc_date: str) -> str:
    """WARC-Date (``2025-05-14T09:10:11Z``, maybe with fractions) as the archive's ISO text."""
    dt = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat(timespec="seconds")


def _sha1(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def read_captures(path: Path) -> list[dict]:
    """The HTTP captures of one WARC file (response, revisit, request, metadata records
    as dicts), after reading it whole; ImportProblem when it is not WARC or is damaged."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    out: list[dict] = []
    try:
        with open(path, "rb") as f:
            it = ArchiveIterator(f, check_digests=True)
            n = 0
            for record in it:
                n += 1
                h = record.rec_headers
                if record.format not in ("warc",):
                    raise ImportProblem(f"{path.name}: not a WARC file ({record.format} record)")
                raw = record.content_stream().read()  # to its end: the digests are checked there
                if record.digest_checker.passed is False:
                    raise ImportProblem(f"{path.name}: record {n} ({record.rec_type}) is damaged or truncated "
                                        f"({'; '.join(map(str, record.digest_checker.problems))[:200]})")
                expected = int(h.get_header("Content-Length") or -1)
                if expected >= 0 and getattr(record.raw_stream, "limit", 0) > 0:
                    raise ImportProblem(f"{path.name}: record {n} ({record.rec_type}) is truncated")
                http = record.http_headers
                out.append({
                    "type": record.rec_type,
                    "id": h.get_header("WARC-Record-ID"),
                    "uri": h.get_header("WARC-Target-URI"),
                    "date": h.get_header("WARC-Date"),
                    "concurrent": h.get_header("WARC-Concurrent-To"),
                    "refers_to": h.get_header("WARC-Refers-To"),
                    "refers_uri": h.get_header("WARC-Refers-To-Target-URI"),
                    "refers_date": h.get_header("WARC-Refers-To-Date"),
                    "profile": h.get_header("WARC-Profile") or "",
                    "digest": h.get_header("WARC-Payload-Digest"),
                    "status": int(http.get_statuscode() or 0) if http and record.rec_type != "request" else None,
                    "headers": {k.lower(): v for k, v in http.headers} if http else {},
                    "body": raw if record.rec_type == "response" else None,
                    "meta": (dict(line.split(": ", 1) for line in raw.decode("utf-8", "replace").splitlines()
                                  if ": " in line) if record.rec_type == "metadata" else {}),
                })
            if n == 0:
                raise ImportProblem(f"{path.name}: no WARC records")
            # warcio stops without a word at a gzip member cut short after a whole record:
            # the records read must reach the end of the file
            end = it.get_record_offset() + (it.get_record_length() or 0)
            size = path.stat().st_size
            if end < size:
                raise ImportProblem(f"{path.name}: truncated or damaged after record {n} "
                                    f"({size - end} bytes at its end are no whole record)")
    except ImportProblem:
        raise
    except ArchiveLoadFailed as exc:
        raise ImportProblem(f"{path.name}: not a WARC file ({str(exc).strip().splitlines()[0][:120]})") from None
    except (EOFError, OSError, ValueError) as exc:
        raise ImportProblem(f"{path.name}: truncated or damaged ({type(exc).__name__}: {str(exc)[:120]})") from None
    except Exception as exc:  # zlib.error, brotli errors, parser errors of a damaged file
        raise ImportProblem(f"{path.name}: truncated or damaged ({type(exc).__name__}: {str(exc)[:120]})") from None
    return out


def _is_html(headers: dict) -> bool:
    return (headers.get("content-type") or "").split(";")[0].strip().lower() in HTML_TYPES


def article_of(raw: RawResponse, policy: UrlPolicy, tz: str) -> Article | None:
    """The article a response shows, as the crawl would store it, or None."""
    from newsspider.parse import parse_article
    from pipelines.normalize import normalize_article
    from pipelines.validate import problems

    try:
        fields = parse_article(raw.body, raw.final_url, content_type=raw.headers.get("content-type"), tz=tz)
    except Exception:  # not HTML after all, or a parser error on this page: kept as a response
        return None
    if fields is None:
        return None
    # the crawl's rule (spiders/portal.py): a canonical link is obeyed when it folds to the URL fetched
    fetched = clean_url(raw.final_url)
    declared = fields.get("url")
    if declared and declared != fetched:
        if fold(declared) == fold(fetched) and policy.allows(declared):
            fetched = clean_url(declared)
        else:
            fields["sources"] = {**fields.get("sources", {}), "canonical_elsewhere": declared}
            fields["flags"] = [*fields.get("flags", []), "canonical-elsewhere"]
    fields["url"] = fetched
    article = normalize_article(Article.from_fields(fields, raw, revisit=False), tz)
    return None if problems(article) else article


def plan_import(records: list[dict], policy: UrlPolicy, known: set, tz: str) -> tuple[list, dict]:
    """The items to store, in WARC-Date order, and the counts."""
    counts = {"records": len(records), "responses": 0, "revisits": 0, "articles": 0, "pages": 0,
              "duplicates": 0, "other_hosts": 0, "not_html": 0, "unresolved_revisits": 0}
    by_id = {r["id"]: r for r in records if r["id"]}
    requests = {r["concurrent"]: r for r in records if r["type"] == "request" and r["concurrent"]}
    meta = {r["concurrent"]: r["meta"] for r in records if r["type"] == "metadata" and r["concurrent"]}
    originals: dict[tuple, dict] = {}
    by_digest: dict[tuple, dict] = {}
    for r in records:
        if r["type"] == "response":
            originals[(r["uri"], r["date"])] = r
            if r["digest"]:
                by_digest.setdefault((r["uri"], r["digest"]), r)

    captures = [r for r in records if r["type"] in ("response", "revisit") and r["uri"]]
    captures.sort(key=lambda r: _iso(r["date"]))  # stable: file order within one second
    items, seen = [], set(known)
    for r in captures:
        uri = r["uri"]
        if not policy.allows(uri):
            counts["other_hosts"] += 1
            continue
        request = requests.get(r["id"])
        request_headers = {}
        if request:
            request_headers = {k.title(): v for k, v in request["headers"].items()}
        requested = meta.get(r["id"], {}).get("requested-url") or uri
        fetched_at = _iso(r["date"])
        headers = {k: v for k, v in r["headers"].items() if k in KEPT_HEADERS}
        if r["type"] == "response":
            original = r
        else:
            original = (by_id.get(r["refers_to"]) if r["refers_to"] else None) \
                or originals.get((r["refers_uri"], r["refers_date"])) \
                or by_digest.get((r["refers_uri"] or uri, r["digest"]))
            if original is None or original["type"] != "response":
                counts["unresolved_revisits"] += 1
                continue
        if r["status"] == 304 or r["profile"].endswith("server-not-modified"):
            key = (requested, fetched_at, 304)
            if key in seen:
                counts["duplicates"] += 1
                continue
            seen.add(key)
            counts["revisits"] += 1
            items.append(NotModified(requested, fetched_at, headers, revisit=False,
                                     request_headers=request_headers, final_url=uri))
            continue
        if r["status"] != 200:
            counts["not_html"] += 1
            continue
        body = original["body"]
        key = (requested, fetched_at, _sha1(body))
        if key in seen:
            counts["duplicates"] += 1
            continue
        seen.add(key)
        counts["revisits" if r["type"] == "revisit" else "responses"] += 1
        if r["type"] == "revisit":
            headers = {**{k: v for k, v in original["headers"].items() if k in KEPT_HEADERS}, **headers}
        raw = RawResponse(requested, uri, 200, headers, body, fetched_at, request_headers=request_headers)
        # robots.txt, sitemaps and feeds are captures too (kept, never parsed as articles)
        article = article_of(raw, policy, tz) if _is_html(original["headers"]) else None
        if article is not None:
            counts["articles"] += 1
            items.append(article)
        else:
            counts["pages"] += 1
            items.append(raw)
    return items, counts


def known_captures(archive) -> set:
    """(url, fetched_at, sha1 digest or 304) of the fetches the archive has: duplicates."""
    from pipelines.store import decompress

    known = set()
    conn = archive.conn
    cache: dict = {}
    digests: dict = {}
    for url, fetched_at, status, rid in conn.execute("SELECT url, fetched_at, status, response_id FROM fetches"):
        if status == 304:
            known.add((url, fetched_at, 304))
            continue
        if rid is None:
            continue
        if rid not in digests:
            row = conn.execute("SELECT body, compression FROM responses WHERE id = ?", [rid]).fetchone()
            digests[rid] = _sha1(decompress(conn, row[0], row[1], cache)) if row and row[0] is not None else None
        if digests[rid]:
            known.add((url, fetched_at, digests[rid]))
    return known


def import_warc(archive_path, files: list[Path], portal: str, tz: str = "America/New_York") -> dict:
    from pipelines.store import Archive

    policy = UrlPolicy(portal if portal.endswith("/") else portal + "/")
    # read and check every file before the archive is opened (or created)
    records: list[dict] = []
    for path in files:
        records += read_captures(path)
    archive = Archive(archive_path)
    try:
        items, counts = plan_import(records, policy, known_captures(archive), tz)
        archive.claim_portal(portal, "real")
        archive.start_run("import-warc", {"files": [p.name for p in files]})
        archive.write(items)
        stats = {"finish_reason": "finished", **{f"import/{k}": v for k, v in counts.items()}}
        archive.finish_run(stats, "finished", 0)
    finally:
        archive.close()
    return counts


class ImportWarcCommand(ScrapyCommand):
    """``scrapy import-warc FILE …``: registered through the ``scrapy.commands`` entry point."""

    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "FILE.warc[.gz] ... [--portal URL]"

    def short_desc(self) -> str:
        return "Import other crawls' WARC files: the portal's pages as responses, its articles as versions"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--portal", help="the portal's base URL (default: the archive's, else PORTAL_URL)")

    def run(self, args, opts) -> None:
        from newsspider.archivecheck import archive_problem
        from newsspider.lock import ArchiveLock
        from newsspider.runstatus import EXIT_FAILED, EXIT_USAGE
        from pipelines import schema

        if not args:
            print("newsspider: give one or more WARC files, e.g. scrapy import-warc crawl.warc.gz", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        files = [Path(a) for a in args]
        missing = [f for f in files if not f.is_file()]
        if missing:
            print(f"newsspider: no such file {missing[0]}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        path = self.settings.get("ARCHIVE_PATH")
        problem = archive_problem(path, must_exist=False, write=True)
        if problem:
            print(f"newsspider: {problem}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        portal = opts.portal
        if not portal and Path(path).exists():
            db = schema.connect(path, readonly=True)
            try:
                portal = schema.archive_info(db.conn).get("portal")
            finally:
                db.close()
        portal = portal or self.settings.get("PORTAL_URL")
        try:
            UrlPolicy(portal if portal.endswith("/") else portal + "/")
        except ValueError:
            print(f"newsspider: --portal {portal!r} is not a portal's address: give http(s)://host/", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        lock = ArchiveLock(path)
        refused = lock.refusal()
        if refused:
            print(f"newsspider: {refused[0]}", file=sys.stderr)
            self.exitcode = refused[1]
            return
        try:
            counts = import_warc(path, files, portal, self.settings.get("PORTAL_TIMEZONE") or "America/New_York")
        except ImportProblem as exc:
            print(f"newsspider: nothing imported: {exc}", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        finally:
            lock.release()
        print(f"import-warc: {counts['records']} records; {counts['responses']} responses and "
              f"{counts['revisits']} revisits imported ({counts['articles']} as articles, {counts['pages']} other "
              f"pages); {counts['duplicates']} duplicates, {counts['other_hosts']} of other hosts, "
              f"{counts['not_html']} not 200, {counts['unresolved_revisits']} revisits without original")
