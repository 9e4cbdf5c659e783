"""The archive's writer process (issue 17, ``pipelines/writer.py``): the same archive as an
inline write, answers in order, the child's log reaching the crawl's, a dead writer
failing what waited for it (and a crawl that stops on it losing nothing), and the
process group's signals left to the crawl."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from newsspider.localcrawl import PROJECT_ROOT, crawl_command, crawl_env
from pipelines.store import Archive
from pipelines.writer import ArchiveProcess, ArchiveWriterDied
from tests.conftest import rows
from tests.hostileportal import HostilePortal
from tests.test_store_batch import article

# columns of the time of the write (the two archives are written a second apart)
CLOCK_COLUMNS = ("_at", "created", "_seen", "due", "retry", "attempt", "failed")


def batches():
    return [[article(i) for i in range(1, 6)], [article(6), article(7, bad=True), article(8)],
            [article(i) for i in range(9, 15)]]


def _stable(path):
    """The archive's rows, its run's clock times aside."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in ("articles", "versions", "responses", "fetches", "failures", "credits", "related",
                      "crawl_state", "zdicts"):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                    if not any(t in r[1] for t in CLOCK_COLUMNS)]
            out[table] = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()
        return out
    finally:
        conn.close()


def test_the_writer_process_writes_what_an_inline_archive_writes(tmp_path, caplog):
    inline = Archive(tmp_path / "inline.db")
    inline.start_run("test", {})
    for batch in batches():
        inline.write(batch)
    inline.close()

    caplog.clear()
    caplog.set_level(logging.INFO)
    proc = ArchiveProcess(tmp_path / "process.db")
    try:
        assert proc.call("start_run", "test", {}) == 1
        futures = [proc.submit("write", batch) for batch in batches()]  # all in flight at once
        counts = [proc.result(f) for f in futures]
        assert proc.call("cpu_seconds") > 0  # the writer's own CPU, for the run's stats
        proc.call("close")
    finally:
        proc.close()
    # the answers in order: each batch's counts after it
    assert [c["articles_new"] for c in counts] == [5, 7, 13]
    assert [c["parse_errors"] for c in counts] == [0, 1, 1]
    assert _stable(tmp_path / "process.db") == _stable(tmp_path / "inline.db")
    # the child's error about the bad item is in the crawl's log, under the store's logger
    logged = [r for r in caplog.records if r.name == "pipelines.store" and r.levelno == logging.ERROR]
    assert len(logged) == 1 and "could not store http://p.test/news/7/" in logged[0].getMessage()
    assert proc.process.exitcode == 0


def test_an_exception_in_the_writer_comes_back_as_itself(tmp_path):
    proc = ArchiveProcess(tmp_path / "a.db")
    try:
        with pytest.raises(AttributeError, match="no_such_method"):
            proc.call("no_such_method")
        assert proc.call("start_run", "test", {}) == 1  # and the writer goes on
        proc.call("close")
    finally:
        proc.close()


def test_an_archive_that_cannot_be_opened_fails_at_once_and_leaves_no_process(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(sqlite3.OperationalError):
        ArchiveProcess(tmp_path / "dir.db")
    time.sleep(0.2)
    children = subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True).stdout.split()
    assert not any("pipelines.writer" in open(f"/proc/{p}/cmdline").read() for p in children
                   if os.path.exists(f"/proc/{p}/cmdline"))


def test_a_writer_that_dies_fails_every_call_waiting_for_it(tmp_path):
    proc = ArchiveProcess(tmp_path / "a.db")
    try:
        proc.call("start_run", "test", {})
        os.kill(proc.process.pid, signal.SIGKILL)
        proc.process.join(10)
        waiting = proc.submit("write", batches()[0])
        with pytest.raises(ArchiveWriterDied, match="exit code -9"):
            proc.result(waiting)
        with pytest.raises(ArchiveWriterDied):  # and every later call
            proc.call("start_run", "test", {})
    finally:
        proc.close()


def test_the_writer_leaves_the_process_groups_signals_to_the_crawl(tmp_path):
    proc = ArchiveProcess(tmp_path / "a.db")
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            os.kill(proc.process.pid, sig)
        time.sleep(0.3)
        assert proc.process.is_alive()
        assert proc.call("start_run", "test", {}) == 1
        proc.call("close")
    finally:
        proc.close()
    assert proc.process.exitcode == 0


def _writer_of(pid: int) -> int | None:
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split():
        try:
            if b"pipelines.writer" in open(f"/proc/{child}/cmdline", "rb").read():
                return int(child)
        except OSError:
            continue
    return None


def test_a_crawl_whose_writer_is_killed_stops_as_an_archive_error_and_the_next_run_completes(portal, tmp_path):
    """kill -9 of the writer in the middle of a crawl: the batches it had were never
    committed, the run fails (archive error, exit status 1), nothing is recorded as
    fetched that is not stored, and the next run stores every article."""
    archive = tmp_path / "a.db"

    def slow(path):
        time.sleep(0.05)
        return portal.render(path, server.base_url)

    server = HostilePortal(portal, pattern_routes=[(r"/news/\d+/", slow)])
    with server:
        proc = subprocess.Popen(crawl_command(server.base_url, archive, settings={"ARCHIVE_BATCH_SIZE": "5",
                                                                                  "CONCURRENT_REQUESTS": "2"}),
                                cwd=PROJECT_ROOT, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        writer = None
        while time.monotonic() < deadline:
            writer = writer or _writer_of(proc.pid)
            if writer and archive.exists() and rows(archive, "SELECT count(*) AS n FROM articles")[0]["n"] >= 10:
                break
            time.sleep(0.1)
        assert writer, "the crawl started no writer process"
        os.kill(writer, signal.SIGKILL)
        err = proc.communicate(timeout=60)[1].decode("utf-8", "replace")
        assert proc.returncode == 1, err[-3000:]
        assert "archive's writer process ended" in err
        stored = rows(archive, "SELECT count(*) AS n FROM articles")[0]["n"]
        assert 10 <= stored < portal.articles
        # what the archive says was fetched is stored: no crawl state without its article
        orphans = rows(archive, "SELECT count(*) AS n FROM crawl_state s WHERE s.url LIKE '%/news/%' AND "
                                "NOT EXISTS (SELECT 1 FROM articles a WHERE a.url = s.url)")[0]["n"]
        assert orphans == 0
        for path in (archive, tmp_path / "uninterrupted.db"):
            again = subprocess.run(crawl_command(server.base_url, path), cwd=PROJECT_ROOT, env=crawl_env(),
                                   capture_output=True, timeout=300)
            assert again.returncode == 0, again.stderr.decode("utf-8", "replace")[-3000:]
    # the next run stored what an uninterrupted crawl stores
    sql = "SELECT url, content_hash FROM articles ORDER BY url"
    assert rows(archive, sql) == rows(tmp_path / "uninterrupted.db", sql)
    assert len(rows(archive, sql)) > 60


def test_an_item_that_cannot_be_pickled_is_stored_as_its_failure_and_the_batch_goes_on(tmp_path):
    """The batch goes to the writer pickled: an item that cannot be (a generator among its
    fields) becomes its failure row, with its bytes, and the rest of the batch is stored."""
    from scrapy.utils.test import get_crawler

    from newsspider.spiders.portal import PortalSpider
    from pipelines.store import StorePipeline

    crawler = get_crawler(PortalSpider, {"ARCHIVE_PATH": str(tmp_path / "a.db"), "PORTAL_URL": "http://p.test/"})
    spider = PortalSpider.from_crawler(crawler)
    crawler.spider = spider
    pipe = StorePipeline.from_crawler(crawler)
    pipe.open_spider(spider)
    bad = article(2)
    bad.tags = (t for t in ())  # not picklable
    for item in (article(1), bad, article(3)):
        pipe.process_item(item, spider)
    pipe.spider_closed(spider, "finished")
    stored = [r["url"] for r in rows(tmp_path / "a.db", "SELECT url FROM articles ORDER BY url")]
    assert stored == ["http://p.test/news/1/", "http://p.test/news/3/"]
    failure = rows(tmp_path / "a.db", "SELECT url, kind, reason FROM failures")
    assert [(f["url"], f["kind"]) for f in failure] == [("http://p.test/news/2/", "parse")]
    assert "store raised TypeError" in failure[0]["reason"]
    assert rows(tmp_path / "a.db", "SELECT count(*) AS n FROM responses WHERE url = 'http://p.test/news/2/'")[0]["n"] == 1
