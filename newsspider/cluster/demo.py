"""``make cluster-demo``: a distributed crawl on this machine into ``data/cluster-demo.db``.

Starts a Redis server on a free 127.0.0.1 port, the bundled sample portal (2,000
articles, archived under its own name ``http://usbanglanews.test/``), the seeding step,
three crawler processes and the one writer, each the command a user runs on their own
machines; then prints what each crawler did and what the archive holds. A second run is
an incremental crawl of the same archive (the seeding step copies its state to Redis).
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
from newsspider.sampleportal import SamplePortal, serve
from newsspider.settings import SAMPLE_PORTAL_URL


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
    with tempfile.TemporaryDirectory(prefix="newsspider-redis-") as redis_dir, RedisServer(redis_dir) as rs, \
            serve(SamplePortal(articles=args.articles), public_url=SAMPLE_PORTAL_URL) as portal:
        print(f"redis: {rs.url} (redis-server on 127.0.0.1, nothing kept on disk)")
        print(f"sample portal: {portal.base_url}/ ({args.articles} articles), served on {portal.address}")
        with LocalCluster(rs.url, archive, portal.base_url + "/", logs=logs, proxy=portal.address) as cluster:
            job = cluster.seed()
            print(f"seeded job {job} from {archive.name}; starting {args.workers} crawlers and the writer "
                  f"(logs: {logs})")
            for i in range(args.workers):
                cluster.start_crawler(f"crawler-{i + 1}")
            cluster.start_writer()
            codes = cluster.wait(timeout=1800)
            server = redis.Redis.from_url(rs.url)
            keys = Keys()
            per_worker = {}
            for i in range(args.workers):
                name = f"crawler-{i + 1}"
                counts = {k.decode(): v.decode() for k, v in server.hgetall(keys.stats(name)).items()}
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
    run = con.execute("SELECT id, status, articles_new, articles_updated, articles_unchanged, not_modified, failures "
                      "FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    print(f"  all crawlers: {total_pages} pages, {total_items} items; the writer stored run {run[0]} ({run[1]}): "
          f"{run[2]} new, {run[3]} changed, {run[4]} unchanged, {run[5]} not modified, {run[6]} failures")
    print(f"  archive: {q('SELECT count(*) FROM articles')} articles, {q('SELECT count(*) FROM versions')} versions, "
          f"{q('SELECT count(*) FROM failures')} failures")
    con.close()
    rel = archive.relative_to(PROJECT_ROOT) if archive.is_relative_to(PROJECT_ROOT) else archive
    print(f"\narchive: {rel}\nbrowse it: make browse ARCHIVE={rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
