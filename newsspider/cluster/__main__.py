"""python -m newsspider.cluster seed|crawl|writer ..."""
from __future__ import annotations

import argparse
import logging
import sys

from newsspider.cluster import DEFAULT_PREFIX, run_crawler, seed


def _settings_pairs(pairs) -> dict:
    out = {}
    for pair in pairs or []:
        name, _, value = pair.partition("=")
        out[name] = value
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m newsspider.cluster", description=__doc__)
    ap.add_argument("--redis", required=True, help="the job's Redis, e.g. redis://10.0.0.5:6379/0")
    ap.add_argument("--prefix", default=DEFAULT_PREFIX, help="the job's key prefix (one per portal or job)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed", help="start a job: the archive's crawl state and due retries into Redis")
    s.add_argument("--archive", default="data/archive.db")
    s.add_argument("--portal", help="portals of the registry: NAME, NAME,NAME or all (as scrapy crawl's -a portal=)")
    s.add_argument("--base-url", help="or a portal by its address")
    s.add_argument("--portals-file", help="the registry (PORTALS_FILE; default newsspider/portals.toml)")
    c = sub.add_parser("crawl", help="one crawler process (run as many as wanted, on any machine)")
    c.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
    w = sub.add_parser("writer", help="the one writer: the Stream into the archive")
    w.add_argument("--archive", default="data/archive.db")
    w.add_argument("--batch", type=int, default=50, help="Stream entries per transaction")
    w.add_argument("--lock-seconds", type=float, default=5.0,
                   help="the writer's Redis lock expires this long after a writer died")
    args = ap.parse_args(argv)
    if args.cmd == "seed":
        from scrapy.utils.project import get_project_settings

        settings = get_project_settings()
        if args.portals_file:
            settings.set("PORTALS_FILE", args.portals_file, priority="cmdline")
        try:
            job = seed(args.redis, args.archive, args.base_url, prefix=args.prefix,
                       args={"portal": args.portal} if args.portal else None, settings=settings)
        except (ValueError, RuntimeError) as exc:
            print(f"newsspider: {exc}", file=sys.stderr)
            return 2
        print(f"job {job} seeded under {args.prefix}", flush=True)
        return 0
    if args.cmd == "crawl":
        return run_crawler(args.redis, args.prefix, _settings_pairs(args.set))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    from newsspider.cluster.writer import run_writer
    from scrapy.utils.project import get_project_settings

    return run_writer(args.redis, args.archive, prefix=args.prefix, settings=get_project_settings(),
                      batch=args.batch, lock_seconds=args.lock_seconds)


if __name__ == "__main__":
    sys.exit(main())
