"""Issue 6: a hostile network and hostile pages; every failure survived, recorded, retried.

A fault-injecting copy of the sample portal (tests/faultportal.py, on 127.0.0.1) answers
chosen article URLs with server errors, resets, hangs, cut bodies, redirect loops,
redirects off the portal, a 10 MB page, a gzip bomb, binary files, wrong charsets, an
empty page, a consent wall and hostile content. One real crawl runs against it, then a
second with the faults gone.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest

from newsspider.bangla import normalize_text
from newsspider.localcrawl import run_crawl
from newsspider.sampleportal import SamplePortal
from tests.faultportal import BIG_WORDS, HOSTILE_HEADLINE, Fault, FaultPortal, gzip_bomb

TRANSIENT = {"500": Fault("500", times=2), "503-retry-after": Fault("503-retry-after", times=1, arg="1"),
             "503": Fault("503", times=1), "429": Fault("429", times=1, arg="1"),
             "reset": Fault("reset", times=1)}
FAULT_SETTINGS = {"DOWNLOAD_TIMEOUT": "3", "RETRY_TIMES": "2", "FAILURE_RETRY_BASE_SECONDS": "0",
                  "CONCURRENT_REQUESTS": "16"}


def permanent_faults(port_placeholder="{port}") -> dict[str, Fault]:
    return {
        "hang": Fault("hang", arg="20"),
        "cut": Fault("cut"),
        "redirect-loop": Fault("redirect-loop"),
        "redirect-other-host": Fault("redirect", arg="http://localhost:{port}/news/1001/"),
        "redirect-internal-address": Fault("redirect", arg="http://127.0.0.2:{port}/latest/meta-data/"),
        "huge": Fault("huge"),
        "gzip-bomb": Fault("gzip-bomb"),
        "pdf": Fault("pdf"),
        "image": Fault("image"),
        "empty": Fault("empty"),
        "consent": Fault("consent"),
    }


DECODING = {"charset-cp1252": Fault("charset", arg="windows-1252"),
            "charset-utf16": Fault("charset", arg="utf-16"),
            "charset-missing": Fault("charset", arg="")}


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory):
    portal = SamplePortal(articles=72)
    ok_ids = [i for i in portal.expected_ids() if portal.kind(i) == "ok"]
    named = {**TRANSIENT, **permanent_faults(), **DECODING, "hostile": Fault("hostile")}
    by_name = {name: f"/news/{ok_ids[k]}/" for k, name in enumerate(named)}
    faults = {by_name[name]: fault for name, fault in named.items()}
    archive = tmp_path_factory.mktemp("faults") / "archive.db"
    robots = "Disallow: /category/sports/"
    gzip_bomb()  # made before the crawl: compressing 1 GiB takes seconds, past DOWNLOAD_TIMEOUT
    with FaultPortal(portal, faults, robots_extra=robots) as server:
        first = run_crawl(server.base_url, archive, settings=FAULT_SETTINGS, timeout=400)
        first_log = list(server.log)
        with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as snap:
            snap.row_factory = sqlite3.Row
            first_failures = {r["url"].split(server.base_url)[1]: dict(r)
                              for r in snap.execute("SELECT * FROM failures")}
        server.faults.clear()
        server.log.clear()
        second = run_crawl(server.base_url, archive, settings=FAULT_SETTINGS, timeout=400)
        second_log = list(server.log)
    con = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    runs = [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY id")]
    yield {"portal": portal, "paths": by_name, "archive": archive, "con": con, "runs": runs,
           "first": first, "second": second, "first_log": first_log, "second_log": second_log,
           "first_failures": first_failures}
    con.close()


def stored(con, path):
    return con.execute("SELECT * FROM articles WHERE url LIKE ?", [f"%{path}"]).fetchone()


def test_crawls_finish(fault_crawl):
    assert fault_crawl["first"].returncode == 0, fault_crawl["first"].stderr.decode()[-2000:]
    assert fault_crawl["second"].returncode == 0


def test_transient_faults_end_up_stored_once(fault_crawl):
    con = fault_crawl["con"]
    for name, fault in TRANSIENT.items():
        path = fault_crawl["paths"][name]
        row = stored(con, path)
        assert row is not None, f"{name}: not stored"
        assert row["versions"] == 1
        assert row["last_run"] == fault_crawl["runs"][0]["id"], f"{name}: stored only by the second run"
        statuses = [s for p, s in fault_crawl["first_log"] if p == path]
        # the fault `times` times (0 = connection broken), then the page: retried, not given up
        assert len(statuses) == {"500": 2}.get(name, 1) + 1 and statuses[-1] == 200, (name, statuses)
        assert path not in fault_crawl["first_failures"]
    first_run = json.loads(fault_crawl["runs"][0]["stats"])
    assert first_run.get("retry/backoff_seconds", 0) > 0, "retries back off"


EXPECTED_REASON = {
    "hang": "timeout",
    "cut": "",  # a body cut mid-stream: data loss, reported by Twisted
    "redirect-loop": "max redirections reached",
    "redirect-other-host": "redirect off the portal",  # localhost: named as loopback too
    "redirect-internal-address": "is a private or loopback address",
    "huge": "DOWNLOAD_MAXSIZE",
    "gzip-bomb": "DOWNLOAD_MAXSIZE",
    "pdf": "not an HTML",
    "image": "not an HTML",
    "empty": "empty document",
    "consent": "not an article page",
}


def test_every_url_given_up_on_was_recorded_with_its_reason(fault_crawl):
    failures = fault_crawl["first_failures"]
    for name, expected in EXPECTED_REASON.items():
        path = fault_crawl["paths"][name]
        assert path in failures, f"{name}: given up on but not recorded"
        assert expected in failures[path]["reason"], (name, failures[path]["reason"])
        assert failures[path]["next_retry"], f"{name}: no retry scheduled"
        assert stored(fault_crawl["con"], path) is None or stored(fault_crawl["con"], path)["last_run"] != \
            fault_crawl["runs"][0]["id"], f"{name}: stored by the run that failed on it"


def test_the_next_run_retries_every_failure_and_stores_what_is_served(fault_crawl):
    con = fault_crawl["con"]
    second_paths = Counter(p for p, _ in fault_crawl["second_log"])
    for path, failure in fault_crawl["first_failures"].items():
        if failure["kind"] == "robots":
            # retried, and refused again by robots.txt before any request left the crawler
            row = con.execute("SELECT attempts, kind FROM failures WHERE url LIKE ?", [f"%{path}"]).fetchone()
            assert tuple(row) == (2, "robots") and second_paths[path] == 0, (path, tuple(row))
            continue
        assert second_paths[path] >= 1, f"{path}: not retried by the next run"
    for name in EXPECTED_REASON:
        path = fault_crawl["paths"][name]
        art = stored(con, path)
        assert art is not None and art["last_run"] == fault_crawl["runs"][1]["id"], name
        assert con.execute("SELECT count(*) FROM failures WHERE url LIKE ?", [f"%{path}"]).fetchone()[0] == 0
    # what the portal still breaks on purpose stays recorded
    still = {r[0].split("127.0.0.1")[1].split("/", 1)[1]: r[1] for r in con.execute("SELECT url, kind FROM failures")}
    broken = fault_crawl["portal"].broken_ids()
    assert {k for k in still if k.startswith("news/")} == {
        f"news/{i}/" for kind in ("gone", "server_error", "no_body") for i in broken[kind]}
    assert still["category/sports/"] == "robots"


def test_first_run_failure_reasons(fault_crawl):
    stats = json.loads(fault_crawl["runs"][0]["stats"])
    failed_kinds = {k.split("/")[-1] for k in stats if k.startswith("newsspider/failed/")}
    assert {"network", "refused", "limit"} <= failed_kinds, failed_kinds
    assert fault_crawl["runs"][0]["failures"] >= len(EXPECTED_REASON)


def test_decoding_gives_bangla_or_a_recorded_failure(fault_crawl):
    con, portal = fault_crawl["con"], fault_crawl["portal"]
    for name in DECODING:
        path = fault_crawl["paths"][name]
        row = stored(con, path)
        spec = portal.article(int(path.strip("/").split("/")[-1]))
        assert row is not None, name
        assert row["headline"] == spec.headline, f"{name}: {row['headline'][:60]!r}"
        assert "à¦" not in row["body"] and "\ufffd" not in row["body"]


def test_hostile_content_stored_as_text(fault_crawl):
    row = stored(fault_crawl["con"], fault_crawl["paths"]["hostile"])
    assert row["headline"] == HOSTILE_HEADLINE
    paras = row["body"].split("\n\n")
    assert paras[0].startswith("<img src=x onerror=")
    assert paras[1] == normalize_text("Robert'); DELETE FROM versions WHERE ('1'='1 নামে এক ব্যক্তি নিয়ে প্রশ্ন ওঠে।")
    assert len(paras[2]) == len(" ".join(["খবর"] * BIG_WORDS) + "।")
    con = fault_crawl["con"]
    assert con.execute("SELECT count(*) FROM versions").fetchone()[0] >= 60  # no table was dropped


def test_robots_forbidden_section_not_fetched(fault_crawl):
    assert not any(p.startswith("/category/sports/") for p, _ in fault_crawl["first_log"])


def test_stats_match_what_the_server_logged(fault_crawl):
    stats = json.loads(fault_crawl["runs"][0]["stats"])
    served = Counter(s for _, s in fault_crawl["first_log"] if s)
    for status, n in served.items():
        assert stats.get(f"downloader/response_status_count/{status}", 0) == n, status


def test_archive_consistent(fault_crawl):
    con = fault_crawl["con"]
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM articles WHERE headline = '' OR body = ''").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                       "(SELECT 1 FROM versions v WHERE v.article_id = a.id)").fetchone()[0] == 0


@pytest.mark.parametrize("host,internal", [
    ("10.0.0.5", True), ("192.168.1.1", True), ("172.16.0.1", True), ("169.254.169.254", True),
    ("127.0.0.2", True), ("[::1]", True), ("localhost", True), ("usbanglanews.com", False),
    ("8.8.8.8", False),
])
def test_internal_addresses_are_named(host, internal):
    """Classification only: no connection is made to any of these."""
    from newsspider.middlewares import is_internal_address

    assert is_internal_address(host) is internal


# --------------------------------------------------------------------------- the archive under faults

def test_full_disk_stops_the_run_with_exit_1_and_leaves_the_archive_consistent(tmp_path):
    """The crawl process may write at most ~700 KB per file (RLIMIT_FSIZE): SQLite's
    writes fail part-way through the crawl, as on a full disk."""
    import os
    import resource
    import signal
    import subprocess

    from newsspider.localcrawl import PROJECT_ROOT, crawl_command
    from newsspider.sampleportal import serve

    limit = 700 * 1024

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    archive = tmp_path / "a.db"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    with serve(SamplePortal(articles=200)) as server:
        cmd = crawl_command(server.base_url, archive, settings={"LOG_ROTATING_FILE": "", "ARCHIVE_BATCH_SIZE": "10"})
        full = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300,
                              preexec_fn=limit_file_size)
        assert full.returncode == 1, full.stderr.decode()[-2000:]
        assert b"the archive could not be written" in full.stderr
        con = sqlite3.connect(archive)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n_full = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert 0 < n_full < 195, "the limit should stop the crawl part-way"
        # no half-written article: each one has its version, its response, its state
        assert con.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM versions v "
                           "WHERE v.article_id = a.id)").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM responses r "
                           "WHERE r.id = v.response_id)").fetchone()[0] == 0
        con.close()
        # space again: the next run completes the archive
        again = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300)
        assert again.returncode == 0, again.stderr.decode()[-2000:]
    con = sqlite3.connect(archive)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == len(SamplePortal(articles=200).expected_ids())
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_datasette_reads_while_a_crawl_writes(tmp_path):
    """WAL: a running Datasette answers during the crawl, sees only committed rows
    (every article it lists has its version), and its count only grows."""
    import subprocess
    import time
    import urllib.request

    from newsspider.browse import datasette_command
    from newsspider.localcrawl import PROJECT_ROOT, crawl_command
    from newsspider.sampleportal import serve
    from tests.conftest import free_port

    archive = tmp_path / "a.db"
    with serve(SamplePortal(articles=150)) as server:
        # create the archive (schema) with a one-article crawl, then start Datasette on it
        run_crawl(server.base_url, archive, args={"url": server.base_url + "/news/1150/"}, timeout=120)
        port = free_port()
        ds = subprocess.Popen(datasette_command(archive, "127.0.0.1", port), cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/{archive.stem}.json?_shape=array&sql="
        sql = urllib.request.quote("select (select count(*) from articles) as a, (select count(*) from articles "
                                   "where not exists (select 1 from versions v where v.article_id = articles.id)) as orphans")
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            crawl = subprocess.Popen(crawl_command(server.base_url, archive, settings={
                "ARCHIVE_BATCH_SIZE": "5", "CONCURRENT_REQUESTS": "4", "DOWNLOAD_DELAY": "0.01"}),
                cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            counts = []
            while crawl.poll() is None:
                with urllib.request.urlopen(base + sql, timeout=10) as r:
                    row = json.loads(r.read())[0]
                assert row["orphans"] == 0, "Datasette saw a half-written article"
                counts.append(row["a"])
                time.sleep(0.05)
            assert crawl.returncode == 0
            with urllib.request.urlopen(base + sql, timeout=10) as r:
                counts.append(json.loads(r.read())[0]["a"])
        finally:
            ds.terminate()
            ds.wait(10)
    assert counts == sorted(counts) and counts[-1] == len(SamplePortal(articles=150).expected_ids())
    assert len(set(counts)) >= 3, f"Datasette should have seen the crawl progress: {counts}"
