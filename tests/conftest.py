"""Shared fixtures: a real sample-portal server on 127.0.0.1, a real crawl, a real archive.

The crawl runs once per test session (``scrapy crawl portal`` in a subprocess) and the
tests that check the archive read its SQLite file. Nothing here reaches past loopback.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import time
import unicodedata
import urllib.request
from pathlib import Path

import pytest

from newsspider.localcrawl import PROJECT_ROOT, run_crawl
from newsspider.sampleportal import SamplePortal, serve

SHARED = PROJECT_ROOT.parent / "shared"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def shared_dir(*parts: str) -> Path:
    """A folder of ../shared; skipped with a reason when absent, a failure under CI=true."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is absent: the shared reference pages are not beside this checkout"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true requires them)")
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def portal() -> SamplePortal:
    return SamplePortal(articles=72)


@pytest.fixture(scope="session")
def portal_server(portal):
    with serve(portal) as server:
        yield server


@pytest.fixture(scope="session")
def crawled(portal_server, tmp_path_factory):
    """One real crawl of the sample portal: (archive path, completed process, log text)."""
    tmp = tmp_path_factory.mktemp("crawl")
    archive = tmp / "archive.db"
    log = tmp / "crawl.log"
    started = time.monotonic()
    result = run_crawl(portal_server.base_url, archive, log_file=log, timeout=300)
    elapsed = time.monotonic() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "crawl.log").write_text(text, encoding="utf-8")
    assert result.returncode == 0, text[-3000:]
    return {"archive": archive, "log": text, "elapsed": elapsed,
            "requests": list(portal_server.requests)}


def read_only(path, rows: bool = True) -> sqlite3.Connection:
    """A read-only connection to an archive, as Datasette opens it; ``rows``: results as
    ``sqlite3.Row`` (by name and by index), else plain tuples."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    if rows:
        con.row_factory = sqlite3.Row
    return con


def query(archive, sql, *args) -> list[tuple]:
    """The rows of one read-only query on an archive, as tuples (the connection closed)."""
    con = read_only(archive, rows=False)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def rows(archive, sql, *args) -> list[dict]:
    """The rows of one read-only query on an archive, as dicts (the connection closed)."""
    con = read_only(archive)
    try:
        return [dict(r) for r in con.execute(sql, args)]
    finally:
        con.close()


def nfc_deep(value):
    """``value`` with every string in NFC: expected JSON may keep the precomposed nukta
    letters (ড় ঢ় য়) that the parser stores in NFC, and the contract compares them equal."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc_deep(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc_deep(v) for k, v in value.items()}
    return value


@pytest.fixture()
def db(crawled):
    con = read_only(crawled["archive"])
    yield con
    con.close()


def start_datasette(archive: Path, metadata: Path | None = None, extra: list[str] = ()):
    """A real ``datasette`` process on ``archive`` (the project's command line, or another
    metadata file; ``extra`` arguments added, e.g. a setting), on a free loopback port:
    (process, base URL)."""
    from newsspider.browse import datasette_command

    port = free_port()
    cmd = datasette_command(archive, "127.0.0.1", port) + list(extra)
    if metadata is not None:
        cmd[cmd.index("--metadata") + 1] = str(metadata)
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/-/versions.json", timeout=1).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode())
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("datasette did not start")


def stop_process(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def datasette_url(crawled):
    """A real `datasette` process on the crawled archive, on a free loopback port."""
    proc, url = start_datasette(crawled["archive"])
    yield url
    stop_process(proc)
