"""``make browse``: Datasette on the archive, read-only, on 127.0.0.1.

Datasette opens the file through read-only connections (never immutable mode: a cron
crawl may be writing, and the archive's WAL mode lets it read committed data meanwhile),
exposes no write API, and listens on the loopback address unless told otherwise.

What makes the archive pleasant to read is configured here and in ``data/metadata.yml``:
the canned queries, facets and default columns (metadata), the project's own plugins,
templates and styles (``newsspider/datasette_plugins``: body paragraphs, diffs, charts,
the home page's summary, the article page's related articles and versions), and the
Atom feed of edits (the ``datasette-atom`` plugin, installed as a dependency).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from newsspider.datasette_plugins import PLUGINS_DIR, STATIC_DIR, STATIC_MOUNT, TEMPLATES_DIR
from newsspider.localcrawl import PROJECT_ROOT

METADATA = PROJECT_ROOT / "data" / "metadata.yml"


def metadata_for(archive: Path) -> Path:
    """The metadata for ``archive``. Datasette names a database after its file, and
    ``data/metadata.yml`` configures the database ``archive`` (canned queries, facets,
    default columns, the feed): for another file name (``demo.db``) the same metadata
    is written under that name to a temporary file."""
    name = Path(archive).stem
    if name == "archive":
        return METADATA
    import hashlib
    import tempfile

    import yaml

    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    meta["databases"] = {name if k == "archive" else k: v for k, v in (meta.get("databases") or {}).items()}
    text = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    text = text.replace('href="/archive/', f'href="/{name}/')  # links in the descriptions
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"newsspider-metadata-{name}-{digest}.yml"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path


def datasette_command(archive: Path, host: str, port: int) -> list[str]:
    """The ``datasette serve`` command line for ``archive`` (opened read-only: no
    ``--immutable``, which would hide what a running crawl commits, and no write API)."""
    return [
        sys.executable, "-m", "datasette", "serve", str(archive),
        "--metadata", str(metadata_for(archive)),
        "--plugins-dir", str(PLUGINS_DIR),
        "--template-dir", str(TEMPLATES_DIR),
        "--static", f"{STATIC_MOUNT}:{STATIC_DIR}",
        "--host", host, "--port", str(port),
        "--setting", "default_page_size", "50",
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "facet_time_limit_ms", "500",
        # Suggested facets try every column (the article body included) on every page and
        # search: 470 ms of a 480 ms search on 10,000 articles, to suggest nothing useful.
        # The useful facets (section, byline, agency, month) are configured in metadata.
        "--setting", "suggest_facets", "off",
        "--setting", "allow_download", "off",
    ]


def sample_note(archive: Path) -> str:
    """", the bundled sample portal" for a demo archive (archive_info.portal_kind)."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM archive_info WHERE key = 'portal_kind'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return ""
    return ", the bundled sample portal" if row and row[0] == "sample" else ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default=None,
                    help="the archive (default: data/archive.db, the real portal's, when it exists, "
                         "else data/demo.db, the sample portal's)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8001)
    args = ap.parse_args(argv)
    if args.archive is None:
        real = PROJECT_ROOT / "data" / "archive.db"
        args.archive = str(real if real.exists() else PROJECT_ROOT / "data" / "demo.db")
    archive = Path(args.archive)
    if not archive.is_absolute():
        archive = PROJECT_ROOT / archive
    if not archive.exists():
        print(f"no archive at {archive}: run `make demo` (or a crawl) first", file=sys.stderr)
        return 2
    shown = archive.relative_to(PROJECT_ROOT) if archive.is_relative_to(PROJECT_ROOT) else archive
    print(f"Datasette on http://{args.host}:{args.port}/ serving {shown}{sample_note(archive)}  "
          "(read-only; Ctrl-C stops it)", flush=True)
    cmd = datasette_command(archive, args.host, args.port)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
