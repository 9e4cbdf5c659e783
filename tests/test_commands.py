"""Issue 11: every command does exactly what it says, fails fast with one clear line, and
never mixes the sample with the real archive.

Real ``scrapy`` commands in subprocesses, against the sample portal on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import select
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from newsspider.localcrawl import PROJECT_ROOT, crawl_command, crawl_env, run_crawl
from newsspider.sampleportal import SamplePortal, serve
from tests.conftest import free_port, read_only, rows
from tests.hostileportal import HostilePortal
from tests.test_browser import browser  # noqa: F401  (Chromium, launched once)

SMALL = 72


def scrapy(*args, archive=None, timeout=120, env=None):
    cmd = [sys.executable, "-m", "scrapy", *args]
    if archive is not None:
        cmd += ["-s", f"ARCHIVE_PATH={archive}"]
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env or crawl_env(), capture_output=True, timeout=timeout)
    result.elapsed = time.monotonic() - started
    result.err = result.stderr.decode("utf-8", "replace")
    return result


def one_line(result) -> str:
    """The command's own message: exactly one line starting with 'newsspider: ', no traceback."""
    assert "Traceback" not in result.err, result.err[-3000:]
    ours = [line for line in result.err.splitlines() if line.startswith("newsspider: ")]
    assert len(ours) == 1, result.err[-3000:]
    return ours[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def server(portal):
    with HostilePortal(portal) as s:
        yield s


def fetched_articles(server) -> list[int]:
    return [int(m.group(1)) for p in server.log if (m := re.match(r"/news/(\d+)/", p))]


# --------------------------------------------------------------------------- scope

def test_a_section_run_fetches_that_sections_pages_and_articles_only(server, portal, tmp_path):
    result = run_crawl(server.base_url, tmp_path / "a.db", args={"section": "international"})
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    ids = fetched_articles(server)
    assert ids and {portal.section_of(i)[0] for i in ids} == {"international"}, ids
    assert sorted(set(ids)) == sorted(i for i in portal.section_ids("international"))
    listings = [p for p in server.log if p.startswith("/category/")]
    assert all(p.startswith("/category/international/") for p in listings), listings
    with read_only(tmp_path / "a.db") as con:  # related links are kept as data
        assert con.execute("SELECT count(*) FROM related").fetchone()[0] > 0


def test_a_start_url_run_fetches_that_page_and_the_pages_after_it(server, portal, tmp_path):
    start = f"{server.base_url}/category/probash/page/2/"
    result = run_crawl(server.base_url, tmp_path / "a.db", args={"start_url": start})
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    listings = [p for p in server.log if p.startswith("/category/")]
    assert listings[0] == "/category/probash/page/2/"
    assert all(re.fullmatch(r"/category/probash/page/\d+/", p) and int(p.split("/")[-2]) >= 2
               for p in listings), listings
    ids = set(fetched_articles(server))
    assert ids and ids <= set(portal.section_ids("probash")), ids
    assert len(server.log) < 40


def test_follow_related_1_follows_them_in_a_one_off_run(server, portal, tmp_path):
    run_crawl(server.base_url, tmp_path / "a.db", args={"section": "international", "follow_related": "1"})
    assert {portal.section_of(i)[0] for i in fetched_articles(server)} != {"international"}


def test_since_skips_older_articles_before_fetching_them(server, portal, tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    since = "2025-05-13"
    day = datetime.fromisoformat(since).replace(tzinfo=ZoneInfo("America/New_York"))
    result = run_crawl(server.base_url, tmp_path / "a.db", args={"since": since})
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    fetched = set(fetched_articles(server))
    recent = {i for i in portal.expected_ids() if portal.lastmod(i) >= day}
    assert fetched, "nothing fetched"
    assert fetched <= recent | set(portal.broken_ids()["gone"]) | {i for k in portal.broken_ids().values() for i in k}, (
        sorted(fetched - recent))
    assert len(fetched) < len(portal.expected_ids()) / 2
    with read_only(tmp_path / "a.db") as con:
        published = [r[0] for r in con.execute("SELECT published FROM articles")]
    assert published and all(datetime.fromisoformat(p) >= day for p in published)


def test_since_stops_paginating_a_section_once_a_whole_page_is_older(tmp_path):
    portal = SamplePortal(articles=600)
    with HostilePortal(portal) as server:
        run_crawl(server.base_url, tmp_path / "a.db", args={"since": "2025-05-14", "max_articles": "5"})
    pages = [p for p in server.log if "/page/" in p]
    assert len(pages) <= 2 * len(portal.sections()), pages


# --------------------------------------------------------------------------- mistakes: exit 2

@pytest.mark.parametrize("arg, says", [
    ("max_article=5", "unknown argument 'max_article'; valid: base_url, url, section"),
    ("since=yesterday", "since='yesterday' is not a date"),
    ("since=2025-13-45", "since='2025-13-45' is not a valid date"),
    ("max_articles=abc", "max_articles='abc' is not a positive whole number"),
    ("max_articles=-1", "max_articles='-1' is not a positive whole number"),
    ("url=not-a-url", "url='not-a-url' is not a URL"),
    ("url=https://example.com/news/1/", "is not on the portal"),
    ("base_url=usbanglanews.com", "base_url='usbanglanews.com' is not a portal's address"),
    ("follow_related=maybe", "follow_related='maybe'"),
])
def test_a_mistake_is_one_line_and_exit_2_before_any_request(server, tmp_path, arg, says):
    args = ["crawl", "portal", "-a", f"base_url={server.base_url}", "-a", arg]
    if arg.startswith("base_url="):
        args = ["crawl", "portal", "-a", arg]
    result = scrapy(*args, archive=tmp_path / "a.db")
    assert result.returncode == 2, result.err[-2000:]
    assert says in one_line(result), result.err
    assert server.log == []
    assert result.elapsed < 15
    assert not (tmp_path / "a.db").exists()


def test_a_section_the_portal_does_not_have_is_one_line_and_exit_2(server, tmp_path):
    result = scrapy("crawl", "portal", "-a", f"base_url={server.base_url}", "-a", "section=no-such-section",
                    archive=tmp_path / "a.db")
    assert result.returncode == 2, result.err[-2000:]
    assert "the portal has no section 'no-such-section'" in one_line(result)
    assert rows(tmp_path / "a.db", "SELECT * FROM failures") == []


@pytest.mark.parametrize("since", ["notadate", "2025-13-45", "yesterday"])
def test_export_warc_refuses_a_bad_since(crawled, tmp_path, since):
    result = scrapy("export-warc", str(tmp_path / "out"), "--since", since, archive=crawled["archive"])
    assert result.returncode == 2
    assert "is not a date" in one_line(result)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- errors: one line, exit 1, file untouched

_TEMPLATES: dict[str, bytes] = {}


def make_archive(tmp_path, server) -> Path:
    """A small real archive of ``server``'s portal (crawled once per portal address)."""
    archive = tmp_path / "a.db"
    if server.base_url not in _TEMPLATES:
        assert run_crawl(server.base_url, archive, args={"max_articles": "3"}).returncode == 0
        with sqlite3.connect(archive) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for extra in ("-wal", "-shm", ".lock"):
            Path(f"{archive}{extra}").unlink(missing_ok=True)
        _TEMPLATES[server.base_url] = archive.read_bytes()
    archive.write_bytes(_TEMPLATES[server.base_url])
    return archive


@pytest.fixture(scope="module")
def module_server(portal):
    with HostilePortal(portal) as s:
        yield s


def _small_warc(path: Path) -> Path:
    """A WARC file of one response of the portal (import-warc's input)."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        body = b"<html><body><p>x</p></body></html>"
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("http://127.0.0.1/x/", "response", payload=BytesIO(body),
                                            length=len(body), http_headers=http))
    return path


@pytest.mark.parametrize("command, damage", [
    (command, damage) for command in ("crawl", "reparse", "export-warc", "export-wacz", "import-warc")
    for damage in ("zero-bytes", "not-a-database", "truncated", "missing")
    if (command, damage) not in (("crawl", "missing"), ("import-warc", "missing"))])  # those create it
def test_a_bad_archive_is_one_line_exit_1_and_left_as_it_was(module_server, tmp_path, command, damage):
    archive = make_archive(tmp_path, module_server)
    if damage == "zero-bytes":
        archive.write_bytes(b"")
    elif damage == "not-a-database":
        archive.write_bytes(b"<html>this is not an archive</html>" * 200)
    elif damage == "truncated":
        data = archive.read_bytes()
        archive.write_bytes(data[: len(data) // 2])
    elif damage == "missing":
        archive.unlink()
    before = digest(archive) if archive.exists() else None
    module_server.log.clear()
    args = {"crawl": ["crawl", "portal", "-a", f"base_url={module_server.base_url}"], "reparse": ["reparse"],
            "export-warc": ["export-warc", str(tmp_path / "out" / "x")],
            "export-wacz": ["export-wacz", str(tmp_path / "out" / "x.wacz")],
            "import-warc": ["import-warc", str(_small_warc(tmp_path / "in.warc.gz")),
                            "--portal", module_server.base_url]}[command]
    result = scrapy(*args, archive=archive)
    assert result.returncode == 1, result.err[-2000:]
    line = one_line(result)
    assert str(archive) in line, line
    assert (digest(archive) if archive.exists() else None) == before
    assert not Path(f"{archive}-shm").exists() and not Path(f"{archive}-wal").exists()
    assert module_server.log == []


def unprivileged():
    """Root ignores file permissions, and CI is root: the command runs without the
    capabilities that override them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH dropped from
    the bounding set before exec), so a read-only file is read-only to it."""
    if os.geteuid() == 0:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")


@pytest.fixture()
def shared_tmp():
    """A folder an unprivileged user can traverse (pytest's tmp_path is root's, 0700)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="newsspider-ro-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    for p in [path, *path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("what", ["archive", "folder"])
@pytest.mark.parametrize("command", ["crawl", "reparse"])
def test_a_read_only_archive_or_folder_is_one_line_and_leaves_nothing_behind(module_server, tmp_path, shared_tmp,
                                                                             what, command):
    archive = make_archive(tmp_path, module_server)
    folder = shared_tmp / "data"
    folder.mkdir()
    target = folder / "a.db"
    target.write_bytes(archive.read_bytes())
    target.chmod(0o444 if what == "archive" else 0o644)
    folder.chmod(0o555 if what == "folder" else 0o755)
    before = digest(target)
    module_server.log.clear()
    args = ["crawl", "portal", "-a", f"base_url={module_server.base_url}"] if command == "crawl" else ["reparse"]
    result = subprocess.run([sys.executable, "-m", "scrapy", *args, "-s", f"ARCHIVE_PATH={target}"],
                            cwd=PROJECT_ROOT, env=crawl_env(), capture_output=True, timeout=120,
                            preexec_fn=unprivileged)
    result.err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, result.err[-2000:]
    line = one_line(result)
    assert ("is read-only" if what == "archive" else "not writable") in line and str(folder) in line, line
    assert sorted(p.name for p in folder.iterdir()) == ["a.db"], "no -shm, -wal, lock or log left behind"
    assert digest(target) == before
    assert module_server.log == []
    # with the permissions fixed, the same command works at once
    folder.chmod(0o777)
    target.chmod(0o666)
    fixed_cmd = ([*crawl_command(module_server.base_url, target, args={"max_articles": "1"})] if command == "crawl"
                 else [sys.executable, "-m", "scrapy", *args, "-s", f"ARCHIVE_PATH={target}"])
    fixed = subprocess.run(fixed_cmd, cwd=PROJECT_ROOT, env=crawl_env(), capture_output=True, timeout=120,
                           preexec_fn=unprivileged)
    assert fixed.returncode == 0, fixed.stderr.decode()[-2000:]


def test_a_full_disk_is_one_line_naming_the_archive(module_server, tmp_path):
    """RLIMIT_FSIZE stands for a full disk: writes past it fail with EFBIG."""
    archive = make_archive(tmp_path, module_server)
    limit = archive.stat().st_size + 20_000
    cmd = crawl_command(module_server.base_url, archive, settings={"ARCHIVE_BATCH_SIZE": "5"})

    def small_disk():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(cmd, cwd=PROJECT_ROOT, env=crawl_env(), capture_output=True, timeout=120,
                            preexec_fn=small_disk)
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, err[-2000:]
    ours = [l for l in err.splitlines() if l.startswith("newsspider: ")]
    assert ours and str(archive) in ours[-1] and "free disk space" in ours[-1], ours
    with sqlite3.connect(archive) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_archive_of_another_portal_is_refused_unless_forced(module_server, tmp_path, portal):
    archive = make_archive(tmp_path, module_server)
    with HostilePortal(portal) as other:
        refused = scrapy("crawl", "portal", "-a", f"base_url={other.base_url}", archive=archive)
        assert refused.returncode == 1
        line = one_line(refused)
        assert f"holds {module_server.base_url}/" in line and "ARCHIVE_FORCE_PORTAL" in line, line
        assert other.log == []
        forced = scrapy("crawl", "portal", "-a", f"base_url={other.base_url}", "-a", "max_articles=1",
                        "-s", "ARCHIVE_FORCE_PORTAL=1", "-s", "DOWNLOAD_DELAY=0", archive=archive)
        assert forced.returncode == 0, forced.err[-2000:]
    info = dict((r["key"], r["value"]) for r in rows(archive, "SELECT * FROM archive_info"))
    assert info["portal"] == module_server.base_url + "/" and info["portal_kind"] == "real"


# --------------------------------------------------------------------------- the network down

@pytest.mark.parametrize("where, says", [
    ("http://no-such-portal.invalid/", "cannot reach no-such-portal.invalid: DNS lookup failed"),
    ("http://127.0.0.1:{closed}/", "cannot reach 127.0.0.1: connection refused on port {closed}"),
])
def test_an_unreachable_portal_is_one_line_status_unreachable_and_no_failures(tmp_path, where, says):
    closed = free_port()
    base = where.format(closed=closed)
    result = scrapy("crawl", "portal", "-a", f"base_url={base}", archive=tmp_path / "a.db", timeout=60)
    assert result.returncode == 1
    assert result.elapsed < 15
    assert one_line(result).startswith("newsspider: " + says.format(closed=closed))
    assert [r["status"] for r in rows(tmp_path / "a.db", "SELECT status FROM runs")] == ["unreachable"]
    assert rows(tmp_path / "a.db", "SELECT * FROM failures") == []


# --------------------------------------------------------------------------- interrupts

def slow_portal(portal):
    """Articles answer after a pause: a crawl is still going when the test interrupts it."""
    def slow(path):
        time.sleep(0.4)
        return portal.render(path, server.base_url)

    server = HostilePortal(portal, pattern_routes=[(r"/news/\d+/", slow)])
    return server


@pytest.mark.parametrize("signals, code", [([signal.SIGINT], 130), ([signal.SIGTERM], 143),
                                           ([signal.SIGINT, signal.SIGINT], 130)])
def test_a_signal_interrupts_the_run_and_keeps_what_was_fetched(portal, tmp_path, signals, code):
    archive = tmp_path / "a.db"
    with slow_portal(portal) as server:
        proc = subprocess.Popen(crawl_command(server.base_url, archive, settings={"ARCHIVE_BATCH_SIZE": "1000",
                                                                                  "CONCURRENT_REQUESTS": "4"}),
                                cwd=PROJECT_ROOT, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(fetched_articles(server)) < 12 and time.monotonic() < deadline:
            time.sleep(0.1)
        for sig in signals:
            proc.send_signal(sig)
            time.sleep(0.3)
        err = proc.communicate(timeout=60)[1].decode("utf-8", "replace")
    assert proc.returncode == code, err[-3000:]
    assert "Traceback" not in err
    run = rows(archive, "SELECT status, exit_status, articles_new FROM runs")[-1]
    assert run["status"] == "interrupted" and run["exit_status"] == code, run
    stored = rows(archive, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert stored >= 5, "the batch in flight is written"
    assert run["articles_new"] == stored


# --------------------------------------------------------------------------- cron

def cron_line(readme: str) -> str:
    block = readme.split("```cron", 1)[1].split("```", 1)[0]
    return next(line for line in block.splitlines() if line.strip() and not line.startswith("#"))


def test_the_readmes_cron_line_treats_a_held_lock_as_a_skip_and_logs_it(portal, tmp_path):
    line = cron_line((PROJECT_ROOT / "README.md").read_text())
    command = line.split(None, 5)[5]
    archive = tmp_path / "a.db"
    mails = tmp_path / "mails"
    fake_mail = tmp_path / "bin" / "mail"
    fake_mail.parent.mkdir()
    fake_mail.write_text(f"#!/bin/sh\ncat >> {mails}\necho \"(subject: $*)\" >> {mails}\n")
    fake_mail.chmod(0o755)
    command = (command.replace("cd /srv/newsspider", f"cd {PROJECT_ROOT}")
               .replace("/srv/archive/usbangla.db", str(archive)).replace(".venv/bin/scrapy", f"{sys.executable} -m scrapy"))
    env = dict(crawl_env(), PATH=f"{fake_mail.parent}:{os.environ['PATH']}")
    from newsspider.lock import ArchiveLock

    with slow_portal(portal) as server:
        command = command.replace("scrapy crawl portal", f"scrapy crawl portal -a base_url={server.base_url}")
        lock = ArchiveLock(archive)
        assert lock.acquire()
        try:
            held = subprocess.run(["sh", "-c", command], env=env, capture_output=True, timeout=60)
        finally:
            lock.release()
    assert held.returncode == 0
    assert not mails.exists(), mails.read_text()
    log = (tmp_path / "logs" / "crawl.log").read_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d .*skipped: another crawl \(pid \d+\) is writing", log), log


# --------------------------------------------------------------------------- the sample is not the portal

def test_make_demo_writes_the_demo_archive_under_the_sample_portals_own_name(tmp_path):
    demo = tmp_path / "data" / "demo.db"
    env = crawl_env()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        first = subprocess.run([sys.executable, "-m", "newsspider.demo", "--archive", str(demo)], cwd=PROJECT_ROOT,
                               env=env, capture_output=True, timeout=300)
        second = subprocess.run([sys.executable, "-m", "newsspider.demo", "--archive", str(demo)], cwd=PROJECT_ROOT,
                                env=env, capture_output=True, timeout=300)
    finally:
        busy.close()
    assert first.returncode == 0 and second.returncode == 0, first.stderr.decode()[-2000:]
    assert not (tmp_path / "data" / "archive.db").exists()
    # the sample registry's three portals, each under its own .test name
    by_portal = {r["portal"]: r["urls"].split(" ") for r in rows(
        demo, "SELECT a.portal, group_concat(a.url, ' ') AS urls FROM articles a GROUP BY 1")}
    bases = {r["name"]: r["base_url"] for r in rows(demo, "SELECT name, base_url FROM portals")}
    assert set(by_portal) == set(bases) == {"usbanglanews", "londonbangla", "dhakadaily"}
    for name, urls in by_portal.items():
        assert urls and all(u.startswith(bases[name] + "news/") and ".test/" in u for u in urls)
    runs = rows(demo, "SELECT portal, articles_new, pages_fetched FROM runs ORDER BY id")
    assert len(runs) == 6 and [r["portal"] for r in runs[:3]] == [r["portal"] for r in runs[3:]]
    for one, two in zip(runs[:3], runs[3:]):
        assert two["articles_new"] == 0 and two["pages_fetched"] < one["pages_fetched"] / 3
    info = dict((r["key"], r["value"]) for r in rows(demo, "SELECT * FROM archive_info"))
    assert info == {**info, "portal": "http://usbanglanews.test/", "portal_kind": "sample"}
    said = first.stdout.decode()
    assert "Dhaka Daily (sample)" in said and "dates in Asia/Dhaka" in said


def test_make_browse_opens_the_real_archive_when_there_is_one_else_the_demo():
    from newsspider import browse

    source = Path(browse.__file__).read_text()
    assert '"archive.db"' in source and '"demo.db"' in source
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "--archive data/demo.db" in makefile.split("demo:")[1].split("\n\n")[0]


# --------------------------------------------------------------------------- progress and politeness

def test_a_long_run_shows_progress_on_a_terminal_and_in_the_log(portal, tmp_path):
    archive = tmp_path / "a.db"
    with slow_portal(portal) as server:
        cmd = crawl_command(server.base_url, archive, settings={"PROGRESS_INTERVAL": "1", "PROGRESS_LOG_INTERVAL": "3",
                                                                "CONCURRENT_REQUESTS": "2"},
                            args={"max_articles": "20"})
        pid, fd = pty.fork()
        if pid == 0:  # the crawl, on a terminal
            os.chdir(PROJECT_ROOT)
            os.execve(cmd[0], cmd, crawl_env())
        out = b""
        while True:
            ready, _, _ = select.select([fd], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.waitpid(pid, 0)
    text = out.decode("utf-8", "replace")
    lines = re.findall(r"progress: \d+ pages fetched \(\d+ articles: \d+ new, \d+ changed, \d+ unchanged\), "
                       r"\d+ failures, \d+ queued, \d+ pages/min", text)
    assert len(lines) >= 3, text[-3000:]
    logged = (tmp_path / "logs" / "crawl.log").read_text()
    assert "progress: " in logged
    assert logged.count("progress: ") < len(lines), "the log gets fewer lines than the terminal"


def test_the_user_agent_names_the_operator(server, tmp_path):
    run_crawl(server.base_url, tmp_path / "a.db", args={"max_articles": "1"},
              settings={"OPERATOR_CONTACT": "archive@example.org"})
    agents = {h.get("User-Agent") for _, h in server.headers_log}
    assert agents == {"newsspider/0.1 (Bangla news archive; +https://github.com/newsspider-archive/newsspider; "
                      "operator: archive@example.org)"}, agents


def test_a_crawl_of_a_real_portal_without_an_operator_says_so_once(portal, tmp_path):
    """A portal under a public name (the sample portal, through its proxy form)."""
    srv = serve(portal, public_url="http://portal.example.org")
    try:
        result = run_crawl("http://portal.example.org/", tmp_path / "a.db", args={"max_articles": "2"},
                           proxy=srv.address)
    finally:
        srv.shutdown()
    err = (result.stdout + result.stderr).decode()
    assert err.count("the User-Agent names no operator") == 1, err[-2000:]


# --------------------------------------------------------------------------- a demo says so on every page

@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory):
    demo = tmp_path_factory.mktemp("demo") / "demo.db"
    result = subprocess.run([sys.executable, "-m", "newsspider.demo", "--archive", str(demo), "--articles", "24"],
                            cwd=PROJECT_ROOT, env=crawl_env(), capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return demo


BANNER = "the bundled sample portal"


def test_a_demo_archive_says_so_on_every_page(demo_archive, crawled):
    from tests.test_browse_security import fetch, start, stop

    proc, url = start(demo_archive)
    try:
        db = demo_archive.stem
        pages = ["/", f"/{db}", f"/{db}/articles", f"/{db}/articles/1", f"/{db}/failures", f"/{db}/runs/1",
                 f"/{db}/responses/1", f"/{db}/articles/1/v1"]
        for page in pages:
            status, _, body = fetch(url + page)
            assert status == 200 and BANNER in body.decode(), page
        # demo.db is served as the database "demo" with the archive's whole configuration
        for page in [f"/{db}/search.json?q=" + urllib.parse.quote("খবর"), f"/{db}/edits_feed.atom",
                     f"/{db}/articles_per_day"]:
            assert fetch(url + page)[0] == 200, page
        facets = json.loads(fetch(url + f"/{db}/articles.json?_size=1")[2])["facet_results"]
        assert "section" in facets, facets
    finally:
        stop(proc)
    proc, url = start(crawled["archive"])  # a real portal's archive: no banner
    try:
        for page in ["/", f"/{crawled['archive'].stem}/articles"]:
            assert BANNER not in fetch(url + page)[2].decode()
    finally:
        stop(proc)


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_the_demo_banner_is_readable_and_hides_nothing(demo_archive, browser, width, height):
    from tests.conftest import ARTIFACTS
    from tests.test_browse_security import start, stop

    proc, url = start(demo_archive)
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": height})
    try:
        for path, name in [("/", "home"), (f"/{demo_archive.stem}/articles/1", "article")]:
            page.goto(url + path, wait_until="load")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"demo-banner-{name}-{width}.png"))
            banner = page.locator(".ns-sample-banner").bounding_box()
            header = page.locator("header").first.bounding_box()
            assert banner and banner["y"] == 0 and banner["width"] >= width - 20
            assert header["y"] >= banner["y"] + banner["height"] - 1, "the banner covers the header"
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.close()
        stop(proc)
