"""``make demo``: crawl the bundled sample portal into ``data/demo.db`` and say how to browse it.

Starts the sample portal on a free port of 127.0.0.1, runs ``scrapy crawl portal``
against it (a real crawl, in its own process), stops the server and prints what the
archive now holds. The sample portal is archived under its own name,
``http://usbanglanews.test/`` (``.test`` is reserved for testing, RFC 2606): the crawl
uses the local server as its HTTP proxy for that name, so archived URLs do not depend on
the port and a second ``make demo`` is an incremental crawl whatever port is free. The
demo never writes the real archive (``data/archive.db``), and an archive records which
portal it holds, so the two cannot be mixed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

from newsspider.localcrawl import PROJECT_ROOT, run_crawl
from newsspider.sampleportal import SamplePortal, serve

from newsspider.settings import SAMPLE_PORTAL_URL


def summary(archive: Path, run_id: int | None = None) -> dict:
    con = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        q = lambda sql, *a: con.execute(sql, a).fetchone()[0]
        run = con.execute("SELECT id, status, articles_new, articles_updated, articles_unchanged, failures, "
                          "pages_fetched FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return {
            "articles": q("SELECT count(*) FROM articles"),
            "credits": q("SELECT count(*) FROM credits"),
            "related": q("SELECT count(*) FROM related"),
            "failures": q("SELECT count(*) FROM failures"),
            "run": dict(zip(("id", "status", "new", "updated", "unchanged", "failures", "pages"), run)),
            "failure_rows": con.execute("SELECT url, reason, coalesce(next_retry, 'never (given up)') "
                                        "FROM failures ORDER BY url").fetchall(),
        }
    finally:
        con.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default="data/demo.db")
    ap.add_argument("--articles", type=int, default=72, help="size of the sample portal")
    ap.add_argument("--edition", type=int, default=0, help="sample portal edition (edits articles)")
    ap.add_argument("--port", type=int, default=0,
                    help="port of the sample portal on 127.0.0.1 (default: any free one; archived URLs "
                         f"are {SAMPLE_PORTAL_URL}... whatever the port)")
    args = ap.parse_args(argv)
    archive = (PROJECT_ROOT / args.archive).resolve() if not Path(args.archive).is_absolute() else Path(args.archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    log_dir = archive.parent / "logs"
    log_dir.mkdir(exist_ok=True)
    log_file = log_dir / "demo-crawl.log"

    portal = SamplePortal(articles=args.articles, edition=args.edition)
    started = time.monotonic()
    try:
        server = serve(portal, port=args.port, public_url=SAMPLE_PORTAL_URL)
    except OSError as exc:
        print(f"cannot serve the sample portal on 127.0.0.1:{args.port} ({exc.strerror}); "
              "choose another port: make demo DEMO_PORT=N (or leave it out for any free port)", file=sys.stderr)
        return 2
    with server:
        print(f"sample portal: {server.base_url}/ ({args.articles} articles), served on {server.address}")
        print(f"crawling with: http_proxy={server.address} scrapy crawl portal -a base_url={server.base_url}/ "
              f"-s ARCHIVE_PATH={archive}  (log: {log_file})")
        result = run_crawl(server.base_url + "/", archive, log_file=log_file, proxy=server.address)
    elapsed = time.monotonic() - started
    if result.returncode != 0 or not archive.exists():
        said = [l for l in log_file.read_text(errors="replace").splitlines() if l.startswith("newsspider: ")]
        print(f"the crawl failed (exit {result.returncode}): {said[-1][12:] if said else 'see ' + str(log_file)}",
              file=sys.stderr)
        return result.returncode or 1
    s = summary(archive)
    run = s["run"]
    print(f"\ncrawl finished in {elapsed:.1f} s: run {run['id']} {run['status']}, "
          f"{run['pages']} pages fetched")
    print(f"  articles in the archive: {s['articles']} "
          f"(this run: {run['new']} new, {run['updated']} changed, {run['unchanged']} unchanged)")
    print(f"  credits: {s['credits']}, related links: {s['related']}")
    print(f"  failures recorded: {s['failures']} (a later run retries each at its next retry time)")
    for url, reason, next_retry in s["failure_rows"]:
        print(f"    {url}  {reason}  (next retry: {next_retry})")
    rel = archive.relative_to(PROJECT_ROOT) if archive.is_relative_to(PROJECT_ROOT) else archive
    print(f"\narchive: {rel}")
    print(f"browse it:  make browse ARCHIVE={rel}   (Datasette, read-only, on http://127.0.0.1:8001/;"
          " plain `make browse` opens it too while there is no real archive)")
    print(f"        or: .venv/bin/python -m newsspider.browse --archive {rel} --port 8001")
    return 0


if __name__ == "__main__":
    sys.exit(main())
