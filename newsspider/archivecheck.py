"""Before a command touches an archive: is it there, is it an archive, may we write it,
and does it hold the portal we are about to crawl?

Every answer is one line naming the file and what to do; the command prints it and exits
1 without opening the file for writing, so the file is left exactly as it was (opening
a read-only WAL archive for writing would leave a ``-shm`` file behind that keeps failing
after the permissions are fixed, and a 0-byte file would silently become a new archive).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from newsspider.urls import fold

SQLITE_MAGIC = b"SQLite format 3\x00"


def archive_problem(path: str | os.PathLike, *, must_exist: bool, write: bool) -> str | None:
    """Why ``path`` cannot be used as an archive, or None."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not path.exists():
        if must_exist:
            return f"no archive at {path}: crawl first (make demo, or scrapy crawl portal -s ARCHIVE_PATH={path})"
        existing = folder
        while not existing.exists():
            existing = existing.parent
        if write and not os.access(existing, os.W_OK | os.X_OK):
            return f"cannot create the archive {path}: the folder {existing} is not writable; fix its permissions or choose another -s ARCHIVE_PATH"
        return None
    if path.is_dir():
        return f"{path} is a folder, not an archive file: give the archive's file, e.g. -s ARCHIVE_PATH={path / 'archive.db'}"
    size = path.stat().st_size
    if size == 0:
        return (f"{path} is empty (0 bytes), not an archive: remove it to start a new archive there, "
                "or give the right -s ARCHIVE_PATH")
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        return f"cannot read the archive {path}: {exc.strerror}; fix its permissions"
    if not header.startswith(SQLITE_MAGIC):
        return f"{path} is not an archive (file is not a database); give the right -s ARCHIVE_PATH, or restore it from a backup"
    if len(header) == 100:
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        pages = int.from_bytes(header[28:32], "big")
        valid = header[24:28] == header[92:96]  # the page count is valid only then
        if valid and pages and size < page_size * pages:
            return (f"{path} is truncated ({size:,} of {page_size * pages:,} bytes): restore it from a backup, "
                    "or move it away to start a new archive")
    if write:
        if not os.access(path, os.W_OK):
            return f"the archive {path} is read-only: fix its permissions (chmod u+w) or choose another -s ARCHIVE_PATH"
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            if extra.exists() and not os.access(extra, os.W_OK):
                return f"{extra} is read-only: fix its permissions (chmod u+w {extra})"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"the folder {folder} of the archive is not writable (SQLite writes its journal beside the archive); fix its permissions"
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return f"{path} is not a readable archive ({exc}); restore it from a backup, or move it away to start a new archive"
    return None


def portal_problem(path: str | os.PathLike, base_url: str, *, force: bool = False, entry=None,
                   sample_url: str | None = None) -> str | None:
    """What a crawl of the portal at ``base_url`` into the archive must not do (unless
    forced): mix the bundled sample portal and real portals in one archive; give a
    portal's name to another address; or bring a portal no registry names into an
    archive of other portals (one archive holds the registry's portals side by side,
    newsspider/portals.toml)."""
    path = Path(path)
    if not path.exists() or force:
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = dict(con.execute("SELECT key, value FROM archive_info").fetchall())
            try:
                held = con.execute("SELECT name, base_url FROM portals ORDER BY first_crawl, name").fetchall()
            except sqlite3.Error:
                held = []  # an archive from before portals: its one portal is archive_info's
        finally:
            con.close()
    except sqlite3.Error:
        return None  # an archive from before archive_info: it is recorded by this crawl
    recorded = rows.get("portal")
    if not recorded:
        return None
    if not held:
        held = [(None, recorded)]
    if any(fold(url) == fold(base_url) for _, url in held):
        return None
    archive_kind = rows.get("portal_kind", "real")
    if entry is not None:
        kind = entry.kind
    else:
        kind = "sample" if sample_url and fold(base_url) == fold(sample_url) else "real"
    names = ", ".join(url for _, url in held)
    what = " (the bundled sample portal)" if archive_kind == "sample" else ""
    if kind != archive_kind:
        return (f"{path} holds {names}{what}, not {base_url}: the sample portal and real portals are never "
                "mixed in one archive; give another -s ARCHIVE_PATH")
    if entry is not None:
        same_name = [url for name, url in held if name == entry.name]
        if same_name:
            return (f"{path} holds the portal {entry.name!r} at {same_name[0]}, not {base_url}: "
                    "a name stays with its address; give another -s ARCHIVE_PATH")
        return None
    return (f"{path} holds {names}{what}, not {base_url}: add the portal to the registry (PORTALS_FILE, "
            "newsspider/portals.toml) to keep several portals in one archive, give another -s ARCHIVE_PATH, "
            "or -s ARCHIVE_FORCE_PORTAL=1 to mix them")
