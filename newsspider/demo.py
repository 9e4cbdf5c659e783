"""``make demo``: crawl the bundled sample portal into the archive and say how to browse it.

Starts the sample portal on a free port of 127.0.0.1, runs ``scrapy crawl portal``
against it (a real crawl, in its own process), stops the server and prints what the
archive now holds.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

from newsspider.localcrawl import PROJECT_ROOT, run_crawl
from newsspider.sampleportal import SamplePortal, serve

# A fixed port: the archive identifies articles by URL, so a second `make demo` is an
# incremental crawl only if the sample portal is at the same address again.
DEMO_PORT = 8765


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
    ap.add_argument("--archive", default="data/archive.db")
    ap.add_argument("--articles", type=int, default=72, help="size of the sample portal")
    ap.add_argument("--edition", type=int, default=0, help="sample portal edition (edits articles)")
    ap.add_argument("--port", type=int, default=DEMO_PORT,
                    help=f"port of the sample portal (default {DEMO_PORT}; keep it the same between runs: "
                         "the port is part of every archived URL)")
    args = ap.parse_args(argv)
    archive = (PROJECT_ROOT / args.archive).resolve() if not Path(args.archive).is_absolute() else Path(args.archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    log_dir = archive.parent / "logs"
    log_dir.mkdir(exist_ok=True)
    log_file = log_dir / "demo-crawl.log"

    portal = SamplePortal(articles=args.articles, edition=args.edition)
    started = time.monotonic()
    try:
        server = serve(portal, port=args.port)
    except OSError as exc:
        print(f"cannot serve the sample portal on 127.0.0.1:{args.port} ({exc.strerror}); "
              "is another demo running? choose another port with --port", file=sys.stderr)
        return 2
    with server:
        print(f"sample portal: {server.base_url} ({args.articles} articles)")
        print(f"crawling with: scrapy crawl portal -a base_url={server.base_url} "
              f"-s ARCHIVE_PATH={archive}  (log: {log_file})")
        result = run_crawl(server.base_url, archive, log_file=log_file)
    elapsed = time.monotonic() - started
    if result.returncode != 0 or not archive.exists():
        print(f"the crawl failed (exit {result.returncode}); see {log_file}", file=sys.stderr)
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
    print("browse it:  make browse        (Datasette, read-only, on http://127.0.0.1:8001/)")
    print(f"        or: .venv/bin/python -m newsspider.browse --archive {rel} --port 8001")
    return 0


if __name__ == "__main__":
    sys.exit(main())
