"""Distributed mode (issue 16): crawler scaling, the writer against the store, Redis memory.

    make bench                     (or: .venv/bin/python -m bench.cluster [--quick])

Every figure is a ratio of two things measured in this same run, alternated, or a count.

 1. crawlers        pages/s of 1, 2 and 3 crawler processes (and the writer) against the
                    sample portal, no politeness delay; the ratios n/1, per repeat (the
                    order of n rotated each repeat), median and spread
 2. writer          items/s of the writer (Redis Stream -> consumer group -> Archive.write ->
                    XACK/XDEL) / items/s of the single-process store (Archive.write of the
                    same items in batches of 50), alternated, on the items of one real crawl
 3. Redis memory    INFO memory used_memory per 10,000 queued requests (scrapy-redis'
                    priority queue, article requests as the spider makes them), per 10,000
                    seen fingerprints (scrapy-redis' duplicate filter) and per 10,000
                    article keys (the spider's shared seen set), per 10,000 URLs of seeded
                    crawl state, and per item waiting in the Stream

The portal runs in its own process (python -m newsspider.sampleportal serve); Redis is a
real redis-server on 127.0.0.1. Writes bench/out/cluster.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from newsspider.cluster import RedisServer, seed, wire  # noqa: E402
from newsspider.cluster.keys import Keys  # noqa: E402
from newsspider.cluster.local import LocalCluster  # noqa: E402
from newsspider.portals import name_for_url  # noqa: E402

OUT = ROOT / "bench" / "out"
WORK = OUT / "cluster-work"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal:
    def __init__(self, articles: int):
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen([sys.executable, "-m", "newsspider.sampleportal", "serve", "--port", str(self.port),
                                      "--articles", str(articles)], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        self.proc.stdout.readline()  # "serving ..."
        self.base_url = f"http://127.0.0.1:{self.port}/"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def crawl(rs, portal, n: int, tag: str, *, writer: bool = True) -> dict:
    client = redis.Redis.from_url(rs.url)
    client.flushdb()
    archive = WORK / f"{tag}.db"
    for p in WORK.glob(f"{tag}.db*"):
        p.unlink()
    settings = {"CLUSTER_STREAM_MAX_ENTRIES": "0"} if not writer else {}
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if n == 0:  # the single-process crawl, `scrapy crawl portal` with the store, for comparison
        from newsspider.localcrawl import run_crawl

        started = time.monotonic()
        done = run_crawl(portal.base_url, archive, settings={"LOG_ROTATING_FILE": ""}, timeout=1800)
        crawl_s = time.monotonic() - started
        assert done.returncode == 0, done.stdout[-2000:]
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        import sqlite3

        con = sqlite3.connect(archive)
        pages = json.loads(con.execute("SELECT stats FROM runs").fetchone()[0])["downloader/response_count"]
        con.close()
        cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
        return {"crawlers": 0, "pages": pages, "crawl_seconds": round(crawl_s, 2), "pages_per_s": round(pages / crawl_s, 1),
                "cpu_ms_per_page": round(1000 * cpu / pages, 2), "archive": str(archive)}
    with LocalCluster(rs.url, archive, portal.base_url, logs=WORK / "logs" / tag, settings=settings) as cluster:
        cluster.seed()
        started = time.monotonic()
        for i in range(n):
            cluster.start_crawler(f"c{i}")
        if writer:
            cluster.start_writer()
        for proc in cluster.crawlers.values():
            assert proc.wait(1800) == 0
        crawl_s = time.monotonic() - started
        if writer:
            assert cluster.writers[-1].wait(1800) == 0
        total_s = time.monotonic() - started
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime  # crawlers and writer
    keys = Keys().for_portal(name_for_url(portal.base_url))
    pages = sum(int(client.hget(keys.stats(f"c{i}"), "downloader/response_count") or 0) for i in range(n))
    return {"crawlers": n, "pages": pages, "crawl_seconds": round(crawl_s, 2), "with_writer_seconds": round(total_s, 2),
            "pages_per_s": round(pages / crawl_s, 1), "cpu_ms_per_page": round(1000 * cpu / pages, 2),
            "archive": str(archive)}


def writer_vs_store(rs, entries: list[bytes], repeats: int, base_url: str) -> dict:
    from newsspider.cluster.writer import Writer
    from pipelines.store import Archive

    client = redis.Redis.from_url(rs.url)
    keys = Keys()
    runs = {"store": [], "writer": []}

    def store_once():
        path = WORK / "store.db"
        for p in WORK.glob("store.db*"):
            p.unlink()
        items = [wire.unpack_item(e) for e in entries]  # the crawler's objects, as in one process
        t0, c0 = time.perf_counter(), time.process_time()
        archive = Archive(path)
        archive.claim_portal(base_url, "real", name_for_url(base_url))
        archive.start_run("portal", {})
        for i in range(0, len(items), 50):
            archive.write(items[i:i + 50])
        archive.finish_run({}, "finished", 0)
        archive.close()
        return time.perf_counter() - t0, time.process_time() - c0

    def writer_once():
        path = WORK / "writer.db"
        for p in WORK.glob("writer.db*"):
            p.unlink()
        client.flushdb()
        seed(rs.url, None, base_url)
        pipe = client.pipeline(transaction=False)
        for e in entries:
            pipe.xadd(keys.items, {b"d": e})
        pipe.set(keys.for_portal(name_for_url(base_url)).finished, "1")
        pipe.execute()
        t0, c0 = time.perf_counter(), time.process_time()
        w = Writer(rs.url, str(path))
        w.acquire()
        w.open()
        while w.step():
            pass
        assert w.finished()
        w.finish()
        w.close()
        assert w.written == len(entries)
        return time.perf_counter() - t0, time.process_time() - c0

    for r in range(repeats):
        order = [("store", store_once), ("writer", writer_once)]
        for name, fn in (order if r % 2 == 0 else order[::-1]):
            wall, cpu = fn()
            runs[name].append({"wall": wall, "cpu": cpu})
    n = len(entries)
    ratios = [(n / w["wall"]) / (n / s["wall"]) for w, s in zip(runs["writer"], runs["store"])]
    cpu_ratios = [(n / w["cpu"]) / (n / s["cpu"]) for w, s in zip(runs["writer"], runs["store"])]
    return {"items": n,
            "store_items_per_s": round(statistics.median(n / x["wall"] for x in runs["store"]), 1),
            "writer_items_per_s": round(statistics.median(n / x["wall"] for x in runs["writer"]), 1),
            "ratio_wall": [round(x, 3) for x in ratios], "ratio_cpu": [round(x, 3) for x in cpu_ratios],
            "runs": runs}


def used(client) -> int:
    return int(client.info("memory")["used_memory"])


def memory(rs, n: int = 10_000) -> dict:
    import scrapy
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    from newsspider.spiders.portal import PortalSpider

    client = redis.Redis.from_url(rs.url)
    spider = PortalSpider()
    out = {}

    def measure(name, fill):
        client.flushdb()
        time.sleep(0.2)
        before = used(client)
        fill()
        after = used(client)
        out[name] = after - before

    def requests():
        q = PriorityQueue(client, spider, "bench:requests", serializer=wire)
        for i in range(n):
            q.push(scrapy.Request(f"http://usbanglanews.test/news/{100000 + i}/", callback=spider.parse_article,
                                  errback=spider.article_failed, priority=10, dont_filter=True,
                                  headers={"If-None-Match": f'"{i:08x}-5f3a"',
                                           "If-Modified-Since": "Mon, 01 Dec 2026 10:00:00 GMT"},
                                  meta={"role": "article", "source": "sitemap", "lastmod": "2026-12-01T10:00:00+06:00",
                                        "related_depth": 0, "handle_httpstatus_list": [304]}))

    def fingerprints():
        df = RFPDupeFilter(client, "bench:seen")
        for i in range(n):
            df.request_seen(scrapy.Request(f"http://usbanglanews.test/category/news/page/{i}/"))

    def article_keys():
        pipe = client.pipeline(transaction=False)
        for i in range(n):
            pipe.sadd("bench:seen", f"article:usbanglanews.test/news/{100000 + i}")
        pipe.execute()

    def state():
        pipe = client.pipeline(transaction=False)
        for i in range(n):
            pipe.hset("bench:state", f"http://usbanglanews.test/news/{100000 + i}/",
                      wire.dumps([f'"{i:08x}-5f3a"', "Mon, 01 Dec 2026 10:00:00 GMT", "2026-12-01T11:00:00+00:00",
                                  "2026-12-01T10:00:00+06:00", "2026-12-01T10:00:00+00:00"]))
        pipe.execute()

    measure("queued_requests", requests)
    measure("seen_fingerprints", fingerprints)
    measure("seen_article_keys", article_keys)
    measure("seeded_state_urls", state)
    client.flushdb()
    return {f"{k}_bytes_per_{n}": v for k, v in out.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="300 articles, 1 repeat")
    ap.add_argument("--articles", type=int)
    ap.add_argument("--repeats", type=int)
    args = ap.parse_args(argv)
    articles = args.articles or (300 if args.quick else 1000)
    repeats = args.repeats or (1 if args.quick else 3)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    started = time.monotonic()
    res: dict = {"articles": articles, "repeats": repeats, "cpus": os.cpu_count()}
    with RedisServer(WORK / "redis") as rs:
        portal = Portal(articles)
        try:
            runs = []
            for r in range(repeats):
                order = [0, 1, 2, 3][r % 4:] + [0, 1, 2, 3][:r % 4]
                for n in order:
                    runs.append({"repeat": r, **crawl(rs, portal, n, f"crawl-{n}")})
                    print(f"  repeat {r}: {n or 'single-process'} crawler(s): {runs[-1]['pages']} pages in "
                          f"{runs[-1]['crawl_seconds']} s = {runs[-1]['pages_per_s']} pages/s, "
                          f"{runs[-1]['cpu_ms_per_page']} ms CPU a page", flush=True)
            res["crawl_runs"] = runs
            ratio = {n: [next(x for x in runs if x["repeat"] == r and x["crawlers"] == n)["pages_per_s"] /
                         next(x for x in runs if x["repeat"] == r and x["crawlers"] == 1)["pages_per_s"]
                         for r in range(repeats)] for n in (2, 3)}
            res["throughput_ratio"] = {f"{n}/1": [round(x, 2) for x in v] for n, v in ratio.items()}
            res["throughput_ratio"]["1/single-process"] = [round(
                next(x for x in runs if x["repeat"] == r and x["crawlers"] == 1)["pages_per_s"] /
                next(x for x in runs if x["repeat"] == r and x["crawlers"] == 0)["pages_per_s"], 2) for r in range(repeats)]
            res["load_average"] = os.getloadavg()
            # the items of one crawl, kept in the Stream (no writer), for figure 2
            crawl(rs, portal, 1, "capture", writer=False)
            client = redis.Redis.from_url(rs.url)
            entries = [fields[b"d"] for _, fields in client.xrange(Keys().items)]
            res["stream_bytes_per_item"] = round(client.memory_usage(Keys().items) / len(entries))
            res["writer"] = writer_vs_store(rs, entries, repeats=max(3, repeats), base_url=portal.base_url)
        finally:
            portal.stop()
        res["redis_memory"] = memory(rs)
        res["redis_version"] = redis.Redis.from_url(rs.url).info("server")["redis_version"]
    res["bench_seconds"] = round(time.monotonic() - started, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cluster.json").write_text(json.dumps(res, indent=2, default=str))
    print("\n| figure | value |\n| --- | --- |")
    for n in (0, 1, 2, 3):
        pps = [x["pages_per_s"] for x in res["crawl_runs"] if x["crawlers"] == n]
        cpu = [x["cpu_ms_per_page"] for x in res["crawl_runs"] if x["crawlers"] == n]
        print(f"| {n or 'single-process `scrapy crawl`, no'} crawler(s), pages/s; CPU ms a page | median "
              f"{statistics.median(pps)} ({min(pps)}–{max(pps)}); {statistics.median(cpu)} ({min(cpu)}–{max(cpu)}) |")
    for k, v in res["throughput_ratio"].items():
        print(f"| throughput {k} | median {statistics.median(v):.2f} ({min(v):.2f}–{max(v):.2f}) |")
    w = res["writer"]
    print(f"| writer items/s / store items/s ({w['items']} items) | median {statistics.median(w['ratio_wall']):.2f} "
          f"({min(w['ratio_wall']):.2f}–{max(w['ratio_wall']):.2f}); writer {w['writer_items_per_s']}/s, "
          f"store {w['store_items_per_s']}/s |")
    print(f"| same, in the process's CPU time | median {statistics.median(w['ratio_cpu']):.2f} |")
    for k, v in res["redis_memory"].items():
        print(f"| Redis {k.replace('_', ' ')} | {v / 1e6:.2f} MB |")
    print(f"| Redis Stream, bytes per waiting item | {res['stream_bytes_per_item']} |")
    print(f"\nfigures: {OUT / 'cluster.json'}  ({res['bench_seconds']} s, Redis {res['redis_version']}, "
          f"load average {res['load_average'][0]:.1f} on {res['cpus']} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
