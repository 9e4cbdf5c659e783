"""``python -m newsspider.parse FILE [FILE ...] [--url URL] [--tz ZONE]``

Prints one JSON object per file (UTF-8, not ASCII-escaped; one per line with several
files), or ``null`` for a page that is not an article. A missing or unreadable file
gives a one-line error on stderr and exit status 2; the other files are still parsed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newsspider.parse import NotHTML, parse_article
from newsspider.parse.extract import DEFAULT_TZ


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m newsspider.parse", description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--url", default="", help="the page's URL (for relative links; optional)")
    ap.add_argument("--tz", default=DEFAULT_TZ, help=f"the crawl's time zone, for dates without an offset when neither a profile nor the "
                         f"page names one (default {DEFAULT_TZ})")
    args = ap.parse_args(argv)
    status = 0
    out = sys.stdout
    for name in args.files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            print(f"newsspider.parse: {name}: {exc.strerror or exc}", file=sys.stderr)
            status = 2
            continue
        url = args.url or Path(name).resolve().as_uri()
        try:
            result = parse_article(data, url, tz=args.tz)
        except NotHTML as exc:
            print(f"newsspider.parse: {name}: not an HTML document ({exc})", file=sys.stderr)
            status = 2
            continue
        out.write(json.dumps(result, ensure_ascii=False, indent=None if len(args.files) > 1 else 1))
        out.write("\n")
    out.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
