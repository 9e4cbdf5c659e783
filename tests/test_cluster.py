"""Issue 16, distributed mode: crawlers on scrapy-redis, one writer, nothing lost or doubled.

A real ``redis-server`` on a free 127.0.0.1 port (consumer groups and blocking reads: no
fake), the sample portal on 127.0.0.1, real crawler and writer processes. The reference is
a single-process ``scrapy crawl`` of the same portal: a first crawl, then an incremental
one against edition 1 (edited articles) with every article due, so the second run
re-fetches them all with their validators (304 for the unchanged, new versions for the
edited) and the crawl state has to go through Redis.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest
import redis

from newsspider.cluster import RedisServer, redis_server_binary, wire
from newsspider.cluster.keys import Keys
from newsspider.cluster.local import LocalCluster
from newsspider.items import Article, Failure, FrontPage, NotModified, RawResponse
from newsspider.localcrawl import run_crawl
from newsspider.sampleportal import SamplePortal, serve
from tests.conftest import query, read_only

ARTICLES = 40
PUBLIC = "http://usbanglanews.test/"  # the sample portal's own name: URLs do not depend on the port
# the whole crawls: two portals of the sample registry at once (45 articles in all)
PORTALS = "usbanglanews,dhakadaily"
SCALE = 0.4


def portal_server(edition=0):
    from newsspider import portals
    from newsspider.sampleportal.server import serve_registry

    return serve_registry(portals.load(portals.SAMPLE_FILE).select(PORTALS), scale=SCALE, edition=edition)


def sample_registry() -> str:
    from newsspider import portals

    return str(portals.SAMPLE_FILE)


def _need_redis():
    if redis_server_binary() is None:
        message = "redis-server is not installed (make redis installs Debian's package)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    _need_redis()
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture()
def fresh_redis(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield redis_server
    client.flushdb()


def make_all_due(archive) -> None:
    con = sqlite3.connect(archive)
    con.execute("UPDATE crawl_state SET next_due = '2000-01-01T00:00:00+00:00' WHERE url IN (SELECT url FROM articles)")
    con.commit()
    con.close()


def copy_archive(src, dst) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def snapshot(archive) -> dict:
    """What must be equal: articles, their versions and content hashes, the stored
    payloads, the failures, and how many fetches each URL had (nothing doubled)."""
    con = read_only(archive, rows=False)
    try:
        q = lambda sql: sorted(con.execute(sql).fetchall())
        return {
            "articles": q("SELECT portal, url, versions, content_hash, headline FROM articles"),
            "versions": q("SELECT a.url, v.version, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id"),
            "responses": q("SELECT url, sha256 FROM responses"),
            "failures": q("SELECT portal, url, kind, status, attempts FROM failures"),
            "credits": q("SELECT a.url, c.agency FROM credits c JOIN articles a ON a.id = c.article_id"),
            "article_fetches": q("SELECT f.url, f.status, count(*) FROM fetches f JOIN articles a ON a.url = f.url "
                                 "GROUP BY f.url, f.status"),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Single-process crawls: (archive after the first crawl, archive after the second)."""
    tmp = tmp_path_factory.mktemp("reference")
    first, second = tmp / "first.db", tmp / "second.db"
    with portal_server() as server:
        done = run_crawl(None, first, timeout=300, proxy=server.address, args={"portal": PORTALS},
                         settings={"PORTALS_FILE": sample_registry()})
        assert done.returncode == 0, done.stdout.decode(errors="replace")[-2000:]
        copy_archive(first, second)
        make_all_due(second)
    with portal_server(edition=1) as server:
        done = run_crawl(None, second, timeout=300, proxy=server.address, args={"portal": PORTALS},
                         settings={"PORTALS_FILE": sample_registry()})
        assert done.returncode == 0, done.stdout.decode(errors="replace")[-2000:]
    return {"first": first, "second": second}


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def applied(archive) -> int:
    try:
        con = sqlite3.connect(f"file:{archive}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM stream_entries").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


# --------------------------------------------------------------------------- the wire

def test_items_travel_exactly_and_nothing_but_items_is_accepted():
    body = bytes(range(256)) * 3 + "বাংলা".encode("utf-8")
    raw = RawResponse("http://x.test/news/1/", "http://x.test/news/1/", 200, {"etag": '"a"'}, body,
                      "2026-01-01T00:00:00+00:00", request_headers={"User-Agent": "u"})
    items = [Article(url="http://x.test/news/1/", fetched_url="http://x.test/news/1/", headline="শিরোনাম",
                     body="এক\n\nদুই", credits=["AFP"], related=[{"url": "u", "title": "t"}], raw=raw),
             Failure("http://x.test/2", "HTTP 500", kind="http", status=500, raw=raw),
             NotModified("http://x.test/3", "2026-01-01T00:00:00+00:00", {"etag": "x"}, front_page=True),
             FrontPage("http://x.test/", raw, [{"url": "http://x.test/news/1/", "title": "t"}]), raw]
    for item in items:
        back = wire.unpack_item(wire.pack_item(item))
        assert back == item and type(back) is type(item)
    assert wire.unpack_item(wire.pack_item(raw)).body == body
    import pickle

    for hostile in (pickle.dumps(raw), wire.dumps({"t": "os.system", "f": {}}),
                    wire.dumps({"t": "Failure", "f": {"url": "u", "reason": "r", "kind": "k", "evil": 1}}),
                    wire.dumps({"t": "RawResponse", "f": {**raw.__dict__, "body": "text, not bytes"}}), b"\xc1"):
        with pytest.raises(wire.WireError):
            wire.unpack_item(hostile)


# --------------------------------------------------------------------------- the writer

def test_writer_skips_an_entry_committed_before_a_crash_and_takes_over_a_dead_writers_pending(fresh_redis, tmp_path):
    """Commit, then die before XACK: the next writer finds the entries pending for the dead
    one, claims them, and skips them (their ids are in stream_entries), writing nothing twice."""
    from newsspider.cluster import seed
    from newsspider.cluster.keys import Keys
    from newsspider.cluster.writer import Writer

    archive = tmp_path / "a.db"
    seed(fresh_redis.url, None, "http://x.test/")
    keys = Keys()
    server = redis.Redis.from_url(fresh_redis.url)
    for i in range(6):
        server.xadd(keys.items, {b"d": wire.pack_item(Failure(f"http://x.test/{i}", "HTTP 500", kind="http", status=500))})
    first = Writer(fresh_redis.url, str(archive), batch=4, lock_seconds=0.5)
    first.acquire()
    first.open()
    first.consumer = "writer-on-a-dead-machine"
    def killed(ids):
        raise ConnectionError("killed before XACK")

    first.acknowledge = killed
    with pytest.raises(ConnectionError):
        first.step()  # 4 entries committed, never acknowledged
    first.archive.close()
    second = Writer(fresh_redis.url, str(archive), batch=4, lock_seconds=0.5)
    second.acquire(wait=5)  # the dead writer's lock expires
    second.open()  # takes over what the dead one left pending
    while second.step():
        pass
    server.set(keys.for_portal("x.test").finished, "1")  # the crawlers' word: the frontier is done
    assert list(second.spec) == ["x.test"] and second.finished()
    second.finish()
    second.close()
    assert (second.written, second.skipped) == (2, 4)
    con = read_only(archive, rows=False)
    assert con.execute("SELECT count(*), sum(attempts) FROM failures").fetchone() == (6, 6)
    assert con.execute("SELECT count(*) FROM stream_entries").fetchone()[0] == 6
    # one run, continued; its counts are those of both writers
    assert con.execute("SELECT count(*), failures FROM runs").fetchone() == (1, 6)
    con.close()
    assert server.xlen(keys.items) == 0


# --------------------------------------------------------------------------- whole crawls

def cluster_crawl(redis_url, server, archive, tmp, *, workers=2, kill=None, writer_args=("--batch", "5")):
    """A distributed crawl of ``server`` into ``archive``; ``kill``: "crawler" or "writer",
    killed with SIGKILL mid-run and then started again."""
    client = redis.Redis.from_url(redis_url)
    with LocalCluster(redis_url, archive, None, logs=tmp / "logs", proxy=server.address,
                      writer_args=(*writer_args, "--lock-seconds", "1"),
                      settings={"CLUSTER_LEASE_SECONDS": "1", "CONCURRENT_REQUESTS": "4",
                                "CONCURRENT_REQUESTS_PER_DOMAIN": "4"}) as cluster:
        cluster.seed(args={"portal": PORTALS}, portals_file=sample_registry())
        for i in range(workers):
            cluster.start_crawler(f"w{i}")
        cluster.start_writer()
        killed = {}
        if kill == "crawler":
            # the moment it holds requests (leased, not yet done) and items are being written
            leases = [Keys().for_portal(p).leases("w0") for p in PORTALS.split(",")]
            held = lambda: sum(client.hlen(k) for k in leases)
            wait_for(lambda: held() > 0 and applied(archive) >= 3, what="w0 mid-run")
            killed["leases"] = held()
            assert cluster.crawlers["w0"].poll() is None
            cluster.crawlers["w0"].send_signal(signal.SIGKILL)
            cluster.crawlers["w0"].wait()
            cluster.start_crawler("w0-again")
        elif kill == "writer":
            wait_for(lambda: applied(archive) >= 8, what="the writer mid-run")
            assert cluster.writers[0].poll() is None
            cluster.writers[0].send_signal(signal.SIGKILL)
            cluster.writers[0].wait()
            killed["applied"] = applied(archive)
            cluster.start_writer()
        codes = cluster.wait(timeout=240)
        logs = {p.stem: p.read_text(errors="replace") for p in (tmp / "logs").glob("*.log")}
        codes.pop("w0", None) if kill == "crawler" else None
        assert set(codes.values()) == {0}, (codes, {k: v[-2500:] for k, v in logs.items()})
    return killed, logs


@pytest.fixture(scope="module")
def cluster_first(redis_server, reference, tmp_path_factory):
    """The first crawl, distributed (2 crawlers, 1 writer), uninterrupted."""
    tmp = tmp_path_factory.mktemp("cluster-first")
    redis.Redis.from_url(redis_server.url).flushdb()
    archive = tmp / "first.db"
    with portal_server() as server:
        cluster_crawl(redis_server.url, server, archive, tmp)
        access = list(server.access)  # (time, host, method, path, status)
    return {"archive": archive, "access": access}


def test_a_distributed_crawl_archives_what_one_process_does(cluster_first, reference):
    assert snapshot(cluster_first["archive"]) == snapshot(reference["first"])
    # the shared frontier fetched each page once, whichever worker took it (robots.txt
    # once per crawler process for its rules, and once as a capture; a 500 as often as
    # the retry middleware retries it)
    from collections import Counter

    counts = Counter((host, path) for _, host, _, path, status in cluster_first["access"] if status < 500)
    hosts = {"usbanglanews.test", "dhakadaily.test"}
    assert {p for p, n in counts.items() if n > 1} == {(h, "/robots.txt") for h in hosts}
    assert {counts[(h, "/robots.txt")] for h in hosts} == {2 + 1}
    # one run per portal, as a single-process crawl of both keeps
    con = read_only(cluster_first["archive"], rows=False)
    runs = con.execute("SELECT portal, status, articles_new, stats FROM runs ORDER BY portal").fetchall()
    con.close()
    assert [(r[0], r[1]) for r in runs] == [("dhakadaily", "finished"), ("usbanglanews", "finished")]
    assert all(r[2] > 10 and '"newsspider/cluster/workers": 2' in r[3] for r in runs)


@pytest.mark.parametrize("kill", ["crawler", "writer"])
def test_kill_9_mid_run_then_restart_leaves_the_same_archive(kill, redis_server, cluster_first, reference, tmp_path):
    redis.Redis.from_url(redis_server.url).flushdb()
    archive = tmp_path / "second.db"
    copy_archive(cluster_first["archive"], archive)
    make_all_due(archive)
    with portal_server(edition=1) as server:
        server.latency = 0.04  # a run long enough to be caught in the middle, on a loaded machine too
        killed, logs = cluster_crawl(redis_server.url, server, archive, tmp_path, kill=kill)
    got, want = snapshot(archive), snapshot(reference["second"])
    fetches_got, fetches_want = got.pop("article_fetches"), want.pop("article_fetches")
    for table in want:
        assert got[table] == want[table], table
    assert any(r[2] > 1 for r in got["articles"])  # the edits are new versions
    if kill == "crawler":
        assert killed["leases"] > 0
        assert "requests it held are queued again" in "".join(logs.values())
        # a request the killed crawler had finished but not yet handed back is fetched
        # again: one more fetch row (an unchanged re-fetch), never another version
        extra = sum(n for *_, n in fetches_got) - sum(n for *_, n in fetches_want)
        assert 0 <= extra <= killed["leases"]
    else:
        assert killed["applied"] >= 8
        assert fetches_got == fetches_want
        # the run's counts survive the writer's death (kept in its transactions)
        runs = [query(a, "SELECT portal, articles_new, articles_updated, not_modified, failures FROM runs "
                             "ORDER BY id") for a in (archive, reference["second"])]
        assert runs[0] == runs[1]


# --------------------------------------------------------------------------- politeness

def test_three_workers_together_keep_the_portals_delay_and_concurrency(fresh_redis, tmp_path):
    """From the portal's own access log: with DOWNLOAD_DELAY=0.25 and
    CONCURRENT_REQUESTS_PER_DOMAIN=2, three crawlers together never had more than 2
    requests open at once, and requests arrived about 0.25 s apart (each crawler alone
    would keep that, and the three together send three times the rate)."""
    delay = 0.25
    # 30 articles: enough requests (~12 s of them at this delay) that a crawler starting
    # last, on a loaded machine, still finds some left (with 10 one once found none)
    with serve(SamplePortal(articles=30), public_url=PUBLIC) as server:
        server.latency = 0.3  # each request open long enough for overlaps to show
        archive = tmp_path / "polite.db"
        with LocalCluster(fresh_redis.url, archive, server.base_url + "/", logs=tmp_path / "logs",
                          proxy=server.address,
                          settings={"DOWNLOAD_DELAY": str(delay), "RANDOMIZE_DOWNLOAD_DELAY": "False",
                                    "CONCURRENT_REQUESTS_PER_DOMAIN": "2", "CONCURRENT_REQUESTS": "4",
                                    "AUTOTHROTTLE_ENABLED": "False"}) as cluster:
            cluster.seed()
            for i in range(3):
                cluster.start_crawler(f"p{i}")
            cluster.start_writer()
            codes = cluster.wait(timeout=240)
            assert set(codes.values()) == {0}, codes
        access = sorted(server.spans)  # (arrived, answered, host, path)
    assert {host for _, _, host, _ in access} == {"usbanglanews.test"}
    assert len(access) > 20
    # open at once: at most 2 (a request counts from its arrival to its answer)
    events = sorted([(a, 1) for a, *_ in access] + [(b, -1) for _, b, *_ in access])
    open_now = peak = 0
    for _, step in events:
        open_now += step
        peak = max(peak, open_now)
    assert peak <= 2, peak
    # spacing: arrivals on the server's clock, permits on Redis' (the network in between
    # jitters: a margin of 0.1 s of the 0.25)
    gaps = [b[0] - a[0] for a, b in zip(access, access[1:])]
    assert min(gaps) >= delay - 0.1, sorted(gaps)[:5]
    # all three took part
    con = read_only(archive, rows=False)
    stats = con.execute("SELECT stats FROM runs").fetchone()[0]
    con.close()
    assert '"newsspider/cluster/workers": 3' in stats


def test_crawlers_stopped_at_their_budget_end_the_run_as_budget_and_give_back_their_requests(fresh_redis, tmp_path):
    """Every crawler stops at RUN_MAX_REQUESTS before the frontier is done: what they held
    goes back to the queue, and the writer ends the run as a single-process run at its
    budget does (status budget, exit 3), instead of waiting for a frontier nobody crawls."""
    with serve(SamplePortal(articles=30), public_url=PUBLIC) as server:
        archive = tmp_path / "budget.db"
        with LocalCluster(fresh_redis.url, archive, server.base_url + "/", logs=tmp_path / "logs",
                          proxy=server.address, settings={"RUN_MAX_REQUESTS": "12"}) as cluster:
            cluster.seed()
            cluster.start_crawler("b0")
            cluster.start_writer()
            codes = cluster.wait(timeout=120)
    assert codes == {"b0": 0, "writer": 3}, codes
    status = query(archive, "SELECT status, finish_reason, exit_status FROM runs")
    assert status == [("budget", "budget_requests", 3)]
    client = redis.Redis.from_url(fresh_redis.url)
    keys = Keys().for_portal("usbanglanews.test")
    assert client.zcard(keys.requests) > 0 and not client.exists(keys.finished)
    assert not client.hlen(keys.leases("b0"))  # nothing left leased to a crawler that left
