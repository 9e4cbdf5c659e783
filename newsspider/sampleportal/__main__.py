"""python -m newsspider.sampleportal serve|write ..."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .generator import SamplePortal
from .server import serve, serve_registry


def _portal(args) -> SamplePortal:
    return SamplePortal(articles=args.articles, seed=args.seed, edition=args.edition)


def cmd_serve(args) -> int:
    # the handlers first: whoever reads the "serving" line may stop the server at once
    stop = threading.Event()

    def _stop(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.portals:
        from newsspider.portals import RegistryError, SAMPLE_FILE, load

        try:
            chosen = load(args.registry or SAMPLE_FILE).select(args.portals)
        except RegistryError as exc:
            print(f"sampleportal: {exc}", file=sys.stderr)
            return 2
        srv = serve_registry(chosen, args.host, args.port, scale=args.scale, access_log=args.access_log,
                             edition=args.edition)
        if args.cache_pages:
            srv.keep_pages()
        for p in chosen:
            site, url = srv.site(p.host)
            print(f"serving {url}/ ({site.articles} articles, dates in {p.timezone}) on {srv.address} "
                  f"(as its HTTP proxy)", flush=True)
    else:
        portal = _portal(args)
        srv = serve(portal, args.host, args.port, access_log=args.access_log)
        if args.cache_pages:
            srv.keep_pages()
        print(f"serving {srv.base_url}/ ({portal.articles} articles)", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        srv.shutdown()
    return 0


def _file_for(path: str, ctype: str) -> str:
    p = path.lstrip("/")
    if not p or p.endswith("/"):
        p += "index.xml" if "xml" in ctype else "index.html"
    return p


def cmd_write(args) -> int:
    portal = _portal(args)
    base = args.base_url.rstrip("/")
    index = []
    for path in portal.paths():
        status, headers, body = portal.render(path, base)
        rel = _file_for(path, headers.get("Content-Type", ""))
        dest = os.path.join(args.dir, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(body)
        index.append(f"{status}\t{path}\t{rel}\n")
    with open(os.path.join(args.dir, "_status.tsv"), "w", encoding="utf-8") as f:
        f.write("status\tpath\tfile\n")
        f.writelines(index)
    print(f"wrote {len(index)} paths to {args.dir}", flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m newsspider.sampleportal",
                                 description="Deterministic sample of the usbanglanews.com portal")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--articles", type=int, default=72)
        p.add_argument("--seed", type=int, default=20250514)
        p.add_argument("--edition", type=int, default=0)

    s = sub.add_parser("serve", help="serve the portal over HTTP")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--portals", metavar="NAMES",
                   help="serve portals of the sample registry at once (all, or names separated by commas), "
                        "each under its own name: use the server as the crawl's HTTP proxy")
    s.add_argument("--registry", help="with --portals: another registry file")
    s.add_argument("--scale", type=float, default=1.0, help="with --portals: multiply each portal's size")
    s.add_argument("--access-log", help="append one line per request: time, host, method, path, status")
    s.add_argument("--cache-pages", action="store_true",
                   help="render every page before serving and answer from memory (as a remote portal's cache "
                        "does; what the benchmark serves, so its crawls do not share their cores with the generator)")
    common(s)
    s.set_defaults(func=cmd_serve)
    w = sub.add_parser("write", help="write a static snapshot, one file per path")
    w.add_argument("dir")
    w.add_argument("--base-url", default="http://127.0.0.1:8000")
    common(w)
    w.set_defaults(func=cmd_write)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
