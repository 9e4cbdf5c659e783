"""``make cluster-demo``: a distributed crawl on this machine into ``data/cluster-demo.db``.

Starts a Redis server on a free 127.0.0.1 port, the bundled sample portal served as its
three portals (``newsspider/sampleportal/portals.toml``: New York, London and Dhaka time
zones; 2,000 articles in all, archived under their own ``.test`` names), the seeding step
for ``portal=all``, three crawler processes (each crawls every portal of the job) and the
one writer, each the command a user runs on their own machines; then prints what each
crawler did and what the archive holds. A second run is an incremental crawl of the same
archive (the seeding step copies each portal's state to Redis).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import redis

from newsspider.cluster import RedisServer, redis_server_binary
from newsspider.cluster.keys import Keys
from newsspider.cluster.local import LocalCluster
from newsspider.localcrawl import PROJECT_ROOT
from newsspider import portals
from newsspider.sampleportal.server import serve_registry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default="data/cluster-demo.db")
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=3)
    args = ap.parse_args(argv)
    if redis_server_binary() is None:
        print("redis-server is not installed: `make redis` installs Debian's package (as root), "
              "or install one and put it on PATH", file=sys.stderr)
        return 1
    archive = Path(args.archive)
    archive = archive if archive.is_absolute() else (PROJECT_ROOT / archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    logs = archive.parent / "logs" / "cluster-demo"
    started = time.monotonic()
    chosen = portals.load(portals.SAMPLE_FILE).select("all")
    scale = args.articles / sum(p.articles or 72 for p in chosen)
    with tempfile.TemporaryDirectory(prefix="newsspider-redis-") as redis_dir, RedisServer(redis_dir) as rs, \
            serve_registry(chosen, scale=scale) as portal:
        print(f"redis: {rs.url} (redis-server on 127.0.0.1, nothing kept on disk)")
        for p in chosen:
            site, url = portal.site(p.host)
            print(f"sample portal {p.name}: {url}/ ({site.articles} articles, dates in {p.timezone}), "
                  f"served on {portal.address}")
        with LocalCluster(rs.url, archive, None, logs=logs, proxy=portal.address) as cluster:
            job = cluster.seed(args={"portal": "all"}, portals_file=str(portals.SAMPLE_FILE))
            print(f"seeded job {job} from {archive.name}; starting {args.workers} crawlers and the writer "
                  f"(logs: {logs})")
            for i in range(args.workers):
                cluster.start_crawler(f"crawler-{i + 1}")
            cluster.start_writer()
            codes = cluster.wait(timeout=1800)
            server = redis.Redis.from_url(rs.url)
            per_worker = {}
            for i in range(args.workers):
                name = f"crawler-{i + 1}"
                counts: dict = {}
                for p in chosen:  # a crawler's counts, all portals of the job together
                    for k, v in server.hgetall(Keys().for_portal(p.name).stats(name)).items():
                        try:
                            counts[k.decode()] = counts.get(k.decode(), 0) + int(float(v))
                        except ValueError:
                            pass
                per_worker[name] = counts
    elapsed = time.monotonic() - started
    failed = {k: v for k, v in codes.items() if v != 0}
    if failed:
        print(f"the distributed crawl failed: exit statuses {failed}; see {logs}", file=sys.stderr)
        return 1
    print(f"\ndistributed crawl finished in {elapsed:.1f} s")
    total_pages = total_items = 0
    for name, counts in per_worker.items():
        pages = int(counts.get("downloader/response_count", 0))
        pushed = {k.rsplit("/", 1)[1]: int(v) for k, v in counts.items() if k.startswith("newsspider/cluster/pushed/")}
        total_pages += pages
        total_items += sum(pushed.values())
        print(f"  {name}: {pages} pages fetched, {pushed.get('Article', 0)} articles, "
              f"{sum(pushed.values())} items onto the stream, "
              f"{counts.get('newsspider/cluster/reclaimed', '0')} requests taken over from dead crawlers")
    con = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    q = lambda sql: con.execute(sql).fetchone()[0]
    print(f"  all crawlers: {total_pages} pages, {total_items} items; the writer stored one run per portal:")
    for run in con.execute(f"SELECT id, portal, status, articles_new, articles_updated, articles_unchanged, "
                           f"not_modified, failures FROM runs ORDER BY id DESC LIMIT {len(chosen)}").fetchall()[::-1]:
        print(f"    run {run[0]} {run[1]} ({run[2]}): {run[3]} new, {run[4]} changed, {run[5]} unchanged, "
              f"{run[6]} not modified, {run[7]} failures")
    print(f"  archive: {q('SELECT count(*) FROM articles')} articles, {q('SELECT count(*) FROM versions')} versions, "
          f"{q('SELECT count(*) FROM failures')} failures")
    con.close()
    rel = archive.relative_to(PROJECT_ROOT) if archive.is_relative_to(PROJECT_ROOT) else archive
    print(f"\narchive: {rel}\nbrowse it: make browse ARCHIVE={rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
