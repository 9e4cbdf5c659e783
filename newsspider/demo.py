"""``make demo``: crawl the bundled sample portal into ``data/demo.db`` and say how to browse it.

Starts the sample portal on a free port of 127.0.0.1, as the three portals of its
registry (``newsspider/sampleportal/portals.toml``: US Bangla News, a London and a Dhaka
portal, each with its size and time zone), runs ``scrapy crawl portal -a portal=all``
against them (a real crawl, in its own process), stops the server and prints what the
archive now holds. The portals are archived under their own names,
``http://usbanglanews.test/`` and so on (``.test`` is reserved for testing, RFC 2606):
the crawl uses the local server as its HTTP proxy for those names, so archived URLs do
not depend on the port and a second ``make demo`` is an incremental crawl whatever port
is free. The demo never writes the real archive (``data/archive.db``), and an archive
records what it holds, so the sample and real portals cannot be mixed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

from newsspider import portals
from newsspider.localcrawl import PROJECT_ROOT, run_crawl
from newsspider.sampleportal.server import serve_registry

from newsspider.settings import SAMPLE_PORTAL_URL


def summary(archive: Path, runs_last: int = 1) -> dict:
    """What the archive holds; ``run``: the last ``runs_last`` runs (one per portal) added up."""
    con = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        q = lambda sql, *a: con.execute(sql, a).fetchone()[0]
        run = con.execute("SELECT max(id), group_concat(DISTINCT status), sum(articles_new), sum(articles_updated), "
                          "sum(articles_unchanged), sum(failures), sum(pages_fetched) "
                          "FROM (SELECT * FROM runs ORDER BY id DESC LIMIT ?)", [runs_last]).fetchone()
        return {
            "portals": con.execute("SELECT p.title, p.base_url, p.timezone, count(a.id) FROM portals p "
                                   "LEFT JOIN articles a ON a.portal = p.name GROUP BY p.name "
                                   "ORDER BY p.first_crawl, p.rowid").fetchall(),
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
    ap.add_argument("--articles", type=int, default=72,
                    help="size of the sample US Bangla News (the other sample portals in proportion)")
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

    chosen = portals.load(portals.SAMPLE_FILE).select("all")
    scale = args.articles / (chosen[0].articles or 72)
    started = time.monotonic()
    try:
        server = serve_registry(chosen, port=args.port, scale=scale, edition=args.edition)
    except OSError as exc:
        print(f"cannot serve the sample portal on 127.0.0.1:{args.port} ({exc.strerror}); "
              "choose another port: make demo DEMO_PORT=N (or leave it out for any free port)", file=sys.stderr)
        return 2
    with server:
        for p in chosen:
            site, url = server.site(p.host)
            print(f"sample portal: {url}/ ({site.articles} articles, dates in {p.timezone}), served on {server.address}")
        rel_registry = portals.SAMPLE_FILE.relative_to(PROJECT_ROOT)
        print(f"crawling with: http_proxy={server.address} scrapy crawl portal -a portal=all "
              f"-s PORTALS_FILE={rel_registry} -s ARCHIVE_PATH={archive}  (log: {log_file})")
        result = run_crawl(None, archive, log_file=log_file, proxy=server.address, args={"portal": "all"},
                           settings={"PORTALS_FILE": str(portals.SAMPLE_FILE)})
    elapsed = time.monotonic() - started
    if result.returncode != 0 or not archive.exists():
        said = [l for l in log_file.read_text(errors="replace").splitlines() if l.startswith("newsspider: ")]
        print(f"the crawl failed (exit {result.returncode}): {said[-1][12:] if said else 'see ' + str(log_file)}",
              file=sys.stderr)
        return result.returncode or 1
    s = summary(archive, len(chosen))
    run = s["run"]
    print(f"\ncrawl finished in {elapsed:.1f} s: {len(chosen)} runs (one per portal) {run['status']}, "
          f"{run['pages']} pages fetched")
    print(f"  articles in the archive: {s['articles']} "
          f"(this crawl: {run['new']} new, {run['updated']} changed, {run['unchanged']} unchanged)")
    for title, base_url, tz, n in s["portals"]:
        print(f"    {n:5d}  {title}  {base_url}  (dates in {tz})")
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
