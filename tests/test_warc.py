"""Issue 15: WARC 1.1 export, WACZ, replay in pywb, import of other tools' WARCs.

One module-scoped archive made by two real crawls of the sample portal on 127.0.0.1:
the first crawl, then a re-crawl against edition 1 (edited articles: new payloads) with
five old articles made due with their validators (the portal answers 304) and three
made due without them (the portal answers 200 with the same bytes: identical payload).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsspider.localcrawl import PROJECT_ROOT, run_crawl
from newsspider.sampleportal import SamplePortal, serve
from tests.conftest import query

N_304 = 5
N_SAME = 3


def scrapy(*args, archive, cwd=PROJECT_ROOT, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "scrapy", *args, "-s", f"ARCHIVE_PATH={archive}"],
                          cwd=cwd, env=env, capture_output=True, timeout=timeout)


def crawl(server, archive):
    result = run_crawl(server.base_url, archive, timeout=300)
    assert result.returncode == 0, result.stdout.decode(errors="replace")[-3000:]


def make_due(archive, urls, *, keep_validators: bool):
    con = sqlite3.connect(archive)
    for u in urls:
        con.execute("UPDATE crawl_state SET next_due = '2000-01-01T00:00:00+00:00' WHERE url = ?", [u])
        if not keep_validators:
            con.execute("UPDATE crawl_state SET etag = NULL, last_modified = NULL WHERE url = ?", [u])
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    """(archive, server, due-with-validators, due-without): two crawls, re-fetches and 304s."""
    tmp = tmp_path_factory.mktemp("warc")
    archive = tmp / "a.db"
    with serve(SamplePortal(articles=72)) as server:
        crawl(server, archive)
        before, after = SamplePortal(articles=72), SamplePortal(articles=72, edition=1)
        base = server.base_url.rstrip("/")
        # pages whose bytes edition 1 leaves alone (an edit also changes the pages linking to it)
        plain = [u for (u,) in query(archive, "SELECT url FROM articles ORDER BY url")
                 if before.render(u[len(base):], server.base_url) == after.render(u[len(base):], server.base_url)]
        edited = {server.base_url + a.path for a in (after.article(i) for i in after.expected_ids()) if a.edits}
        with_304, same = plain[:N_304], plain[N_304:N_304 + N_SAME]
        make_due(archive, with_304, keep_validators=True)
        make_due(archive, same, keep_validators=False)
        server.portal = SamplePortal(articles=72, edition=1)
        crawl(server, archive)
        yield {"archive": archive, "server": server, "with_304": with_304, "same": same,
               "edited": edited, "tmp": tmp}


def export(archive, prefix, *extra):
    result = scrapy("export-warc", str(prefix), *extra, archive=archive)
    assert result.returncode == 0, result.stderr.decode()
    return [Path(p) for p in result.stdout.decode().split()]


def warcio_check(files):
    return subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", *map(str, files)],
                          capture_output=True)


def records(files):
    out = []
    for path in files:
        with open(path, "rb") as f:
            for i, r in enumerate(ArchiveIterator(f)):
                out.append({"file": Path(path).name, "index": i, "type": r.rec_type,
                            "version": r.rec_headers.protocol, "headers": dict(r.rec_headers.headers),
                            "http": r.http_headers, "body": r.content_stream().read()})
    return out


@pytest.fixture(scope="module")
def exported(recrawled):
    files = export(recrawled["archive"], recrawled["tmp"] / "warc" / "usbn")
    return {"files": files, "records": records(files)}


def test_warc_fetches_recorded_for_every_fetch_and_304(recrawled):
    archive = recrawled["archive"]
    statuses = Counter(s for (s,) in query(archive, "SELECT status FROM fetches WHERE url LIKE '%/news/%'"))
    assert statuses[304] == N_304  # (unchanged section front pages answer 304 too)
    # every fetch of the second run with a stored response points at it; the three
    # unconditional re-fetches of unchanged pages point at the first run's response
    same = query(archive, "SELECT f.url, f.response_id, r.run_id FROM fetches f JOIN responses r "
                          "ON r.id = f.response_id WHERE f.run_id = 2 AND f.status = 200 AND f.url LIKE '%/news/%'")
    reused = {u for u, _, run in same if run == 1}
    assert reused == set(recrawled["same"])
    conditional = query(archive, "SELECT request_headers FROM fetches WHERE status = 304")
    assert all("If-None-Match" in json.loads(h) or "If-Modified-Since" in json.loads(h) for (h,) in conditional)


def test_warc_export_is_warc_1_1_with_requests_revisits_and_metadata(recrawled, exported):
    files, recs = exported["files"], exported["records"]
    check = warcio_check(files)
    assert check.returncode == 0, check.stdout.decode()[-2000:]
    assert "fail" not in check.stdout.decode()
    for f in files:
        assert re.fullmatch(r"usbn-\d{17}-\d{5}-[A-Za-z0-9_.-]+\.warc\.gz", f.name), f.name
    assert {r["version"] for r in recs} == {"WARC/1.1"}
    assert all(not any(k.startswith("WARC-Record-ID-Source") for k in r["headers"]) for r in recs)
    by_file = {}
    for r in recs:
        by_file.setdefault(r["file"], []).append(r)
    assert all(rs[0]["type"] == "warcinfo" and [x["type"] for x in rs].count("warcinfo") == 1
               for rs in by_file.values())

    archive = recrawled["archive"]
    n_responses = query(archive, "SELECT count(*) FROM responses WHERE body IS NOT NULL")[0][0]
    types = Counter(r["type"] for r in recs)
    # (the front pages, fetched every run, are revisits too when unchanged: articles counted here)
    profiles = Counter(r["headers"].get("WARC-Profile", "").rsplit("/", 1)[-1]
                       for r in recs if r["type"] == "revisit" and "/news/" in r["headers"]["WARC-Target-URI"])
    assert types["response"] == n_responses
    assert profiles == {"identical-payload-digest": N_SAME, "server-not-modified": N_304}
    assert types["request"] == types["response"] + types["revisit"]
    assert types["metadata"] == types["response"] + types["revisit"]

    ids = {r["headers"]["WARC-Record-ID"]: r for r in recs}
    for r in recs:
        if r["type"] in ("request", "metadata"):
            target = ids[r["headers"]["WARC-Concurrent-To"]]
            assert target["type"] in ("response", "revisit")
            assert target["headers"]["WARC-Target-URI"] == r["headers"]["WARC-Target-URI"]
            assert target["headers"]["WARC-Date"] == r["headers"]["WARC-Date"]
        if r["type"] == "revisit":
            original = ids[r["headers"]["WARC-Refers-To"]]
            assert original["type"] == "response"
            assert r["headers"]["WARC-Refers-To-Target-URI"] == original["headers"]["WARC-Target-URI"]
            assert r["headers"]["WARC-Refers-To-Date"] == original["headers"]["WARC-Date"]
            assert r["headers"]["WARC-Date"] > original["headers"]["WARC-Date"]
            if r["headers"]["WARC-Profile"].endswith("identical-payload-digest"):
                assert r["headers"]["WARC-Payload-Digest"] == original["headers"]["WARC-Payload-Digest"]
                assert r["http"].get_statuscode() == "200"
            else:
                assert r["http"].get_statuscode() == "304"
    requests = [r for r in recs if r["type"] == "request"]
    assert all(r["http"].protocol == "GET" for r in requests)
    conditional = [r for r in requests if r["http"].get_header("If-None-Match")]
    assert len(conditional) >= N_304
    # payload digests: sha1 of the entity body in base32, as pywb and the CDX indexers compute
    import base64
    import hashlib

    for r in recs:
        if r["type"] == "response":
            assert r["headers"]["WARC-Payload-Digest"] == \
                "sha1:" + base64.b32encode(hashlib.sha1(r["body"]).digest()).decode()
    meta = next(r for r in recs if r["type"] == "metadata")
    assert meta["headers"]["Content-Type"] == "application/warc-fields"
    fields = dict(line.split(": ", 1) for line in meta["body"].decode().splitlines())
    assert {"newsspider-fetch-id", "newsspider-run-id"} <= set(fields)


def test_robots_sitemaps_and_feeds_are_captures_in_the_warc_export(recrawled, exported):
    """What discovery fetched is kept as captures too: robots.txt, the sitemap index and
    its sitemaps, the feed; stored once while unchanged, each fetch a record."""
    archive = recrawled["archive"]
    stored = {r[0].split("/", 3)[3] for r in query(archive, "SELECT url FROM responses")}
    assert {"robots.txt", "sitemap.xml", "post-sitemap1.xml", "category-sitemap.xml", "feed/"} <= stored, stored
    once = query(archive, "SELECT count(*) FROM responses WHERE url LIKE '%/robots.txt'")[0][0]
    fetched = query(archive, "SELECT count(*) FROM fetches WHERE url LIKE '%/robots.txt'")[0][0]
    assert once == 1 and fetched >= 2  # two runs, unchanged bytes
    targets = {r["headers"].get("WARC-Target-URI", "").split("/", 3)[-1] for r in exported["records"]
               if r["type"] in ("response", "revisit")}
    assert {"robots.txt", "sitemap.xml", "feed/"} <= targets


def test_warc_export_rolls_files_at_max_size_each_with_warcinfo(recrawled, tmp_path):
    files = export(recrawled["archive"], tmp_path / "small", "--max-mb", "0.1")
    assert len(files) >= 3
    assert [f.name.rsplit("-", 2)[1] for f in files] == [f"{i:05d}" for i in range(len(files))]
    recs = records(files)
    assert all(r["type"] == "warcinfo" for r in recs if r["index"] == 0)
    assert warcio_check(files).returncode == 0
    for f in files[:-1]:
        assert f.stat().st_size < 0.1 * 1024 * 1024 + 100_000
    with gzip.open(files[0]) as g:  # one gzip member per record: each member starts a record
        assert g.read(9) == b"WARC/1.1\r"
    assert not list(tmp_path.glob("*.open"))


def test_warc_since_exports_later_fetches_self_contained(recrawled, tmp_path):
    second = query(recrawled["archive"], "SELECT min(fetched_at) FROM fetches WHERE run_id = 2")[0][0]
    files = export(recrawled["archive"], tmp_path / "since", "--since", second)
    recs = records(files)
    ids = {r["headers"]["WARC-Record-ID"] for r in recs}
    # a revisit whose original is older than --since is written as a full response instead
    assert all(r["headers"]["WARC-Refers-To"] in ids for r in recs if r["type"] == "revisit")
    assert warcio_check(files).returncode == 0


def test_warc_killed_export_leaves_no_file_that_passes_check(recrawled, tmp_path):
    code = (
        "import os, sys\n"
        "from warcio.warcwriter import WARCWriter\n"
        "n = [0]\n"
        "orig = WARCWriter.write_record\n"
        "def write_record(self, record, params=None):\n"
        "    n[0] += 1\n"
        "    if n[0] == 40:\n"
        "        os._exit(9)\n"
        "    return orig(self, record, params)\n"
        "WARCWriter.write_record = write_record\n"
        "from newsspider.warc import export_warc\n"
        "export_warc(sys.argv[1], sys.argv[2])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    out = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", code, str(recrawled["archive"]), str(out / "usbn")],
                          cwd=PROJECT_ROOT, env=env, capture_output=True)
    assert proc.returncode == 9, proc.stderr.decode()
    left = list(out.iterdir())
    assert left, "the export had started a file"
    assert not [p for p in left if p.name.endswith(".warc.gz")]
    for p in left:
        assert warcio_check([p]).returncode != 0, p


def test_warc_existing_archive_migrates(recrawled, tmp_path):
    """An archive from before the fetches table (v1, and v2 as made earlier this cycle)
    gains it on the next write, one fetch per stored response, and exports."""
    from pipelines import schema

    for version in (1, 2):
        archive = tmp_path / f"v{version}.db"
        shutil.copy(recrawled["archive"], archive)
        con = sqlite3.connect(archive)
        con.execute("DROP TABLE fetches")
        con.execute(f"PRAGMA user_version = {version}")
        con.commit()
        con.close()
        db = schema.connect(archive)
        schema.ensure_schema(db)
        schema.ensure_schema(db)  # idempotent
        db.close()
        n = query(archive, "SELECT count(*) FROM responses")[0][0]
        assert query(archive, "SELECT count(*), count(DISTINCT response_id) FROM fetches")[0] == (n, n)
        assert query(archive, "PRAGMA user_version")[0][0] == schema.SCHEMA_VERSION
        files = export(archive, tmp_path / f"m{version}" / "usbn")
        assert warcio_check(files).returncode == 0


# --------------------------------------------------------------------------- WACZ

def test_warc_export_wacz_validates_with_pages_of_every_version(recrawled, tmp_path):
    import zipfile

    out = tmp_path / "usbn.wacz"
    result = scrapy("export-wacz", str(out), archive=recrawled["archive"])
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == [str(out)]
    validate = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)], capture_output=True)
    assert validate.returncode == 0, validate.stdout.decode()[-2000:]
    assert b"is valid" in validate.stdout
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx.gz",
                "pages/pages.jsonl"} <= names
        warcs = [n for n in names if n.startswith("archive/") and n.endswith(".warc.gz")]
        assert warcs
        package = json.loads(z.read("datapackage.json"))
        assert {r["path"] for r in package["resources"]} == names - {"datapackage.json", "datapackage-digest.json"}
        assert all(r["hash"].startswith("sha256:") for r in package["resources"])
        lines = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines() if x.strip()]
        index = gzip.decompress(z.read("indexes/index.cdx.gz")).decode()
    header, pages = lines[0], lines[1:]
    assert header["format"] == "json-pages-1.0"
    archive = recrawled["archive"]
    versions = query(archive, "SELECT a.url, v.headline, v.body FROM versions v JOIN articles a ON a.id = v.article_id")
    assert len(pages) == len(versions)
    assert {(p["url"], p["title"], p["text"]) for p in pages} == set(versions)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["ts"]) for p in pages)
    # the CDXJ index has the revisits too
    revisits = [line for line in index.splitlines() if '"mime": "warc/revisit"' in line]
    assert len([line for line in revisits if "/news/" in line.split(" ")[0]]) == N_304 + N_SAME


def test_warc_export_wacz_since_holds_only_later_versions(recrawled, tmp_path):
    import zipfile

    second = query(recrawled["archive"], "SELECT min(fetched_at) FROM fetches WHERE run_id = 2")[0][0]
    out = tmp_path / "since.wacz"
    result = scrapy("export-wacz", str(out), "--since", second, archive=recrawled["archive"])
    assert result.returncode == 0, result.stderr.decode()
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()[1:] if x.strip()]
    n = query(recrawled["archive"], "SELECT count(*) FROM versions WHERE fetched_at >= ?", second)[0][0]
    assert len(pages) == n > 0
    assert subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                          capture_output=True).returncode == 0
    bad = scrapy("export-wacz", str(tmp_path / "x.zip"), archive=recrawled["archive"])
    assert bad.returncode != 0 and len(bad.stderr.decode().strip().splitlines()) == 1


# --------------------------------------------------------------------------- replay in pywb

def _ts(iso: str) -> str:
    from newsspider.warc import _warc_date

    return re.sub(r"\D", "", _warc_date(iso))


def pywb_bin() -> Path:
    """The folder of pywb's ``wayback`` and ``wb-manager``: its own venv, made by ``make
    test`` (pywb pins redis 2.10.6, which the distributed mode cannot use), or
    $NEWSSPIDER_PYWB_BIN. Absent: the replay tests skip with a reason (a failure under CI=true)."""
    candidates = [Path(os.environ["NEWSSPIDER_PYWB_BIN"])] if os.environ.get("NEWSSPIDER_PYWB_BIN") else []
    candidates += [PROJECT_ROOT / ".venv" / "pywb" / "bin", Path(sys.executable).parent]
    for folder in candidates:
        if (folder / "wayback").exists() and (folder / "wb-manager").exists():
            return folder
    message = ("pywb is not installed: `make test` puts it in .venv/pywb "
               "(or set NEWSSPIDER_PYWB_BIN to a folder holding wayback and wb-manager)")
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true requires it)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def wayback(recrawled, exported, tmp_path_factory):
    """A real pywb ``wayback`` on 127.0.0.1: collection ``warcs`` of the exported WARC
    files, collection ``wacz`` of the unpacked WACZ export."""
    import time
    import urllib.request

    from tests.conftest import free_port

    bin_dir = pywb_bin()
    root = tmp_path_factory.mktemp("pywb")
    wacz_file = root / "usbn.wacz"
    assert scrapy("export-wacz", str(wacz_file), archive=recrawled["archive"]).returncode == 0
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    for args in (["init", "warcs"], ["add", "warcs", *map(str, exported["files"])],
                 ["init", "wacz"], ["add", "--unpack-wacz", "wacz", str(wacz_file)]):
        done = subprocess.run([str(bin_dir / "wb-manager"), *args], cwd=root, env=env, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
    port = free_port()
    proc = subprocess.Popen([str(bin_dir / "wayback"), "-p", str(port), "-b", "127.0.0.1", "-d", str(root)],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/warcs/", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("wayback did not start: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _headline(page: str) -> str:
    import unicodedata

    m = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert m, page[:500]
    return unicodedata.normalize("NFC", re.sub(r"<[^>]+>", "", m.group(1)).strip())


def _get(url):
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")


@pytest.mark.parametrize("coll", ["warcs", "wacz"])
def test_warc_replay_in_pywb_shows_each_version_at_its_time(recrawled, wayback, coll):
    rows = query(recrawled["archive"],
                 "SELECT a.url, v.version, v.fetched_at, v.headline FROM versions v JOIN articles a "
                 "ON a.id = v.article_id WHERE a.versions > 1 AND v.headline != "
                 "(SELECT headline FROM versions w WHERE w.article_id = v.article_id AND w.version != v.version "
                 "LIMIT 1) ORDER BY a.url, v.version")
    assert rows, "edition 1 changed some headline"
    url = rows[0][0]
    (_, _, first_at, first), (_, _, second_at, second) = [r for r in rows if r[0] == url][:2]
    for at, shown, hidden in ((first_at, first, second), (second_at, second, first)):
        status, headers, page = _get(f"{wayback}/{coll}/{_ts(at)}mp_/{url}")  # the page, rewritten
        assert status == 200, page[-500:]
        assert _headline(page) == shown != hidden
        status, headers, raw = _get(f"{wayback}/{coll}/{_ts(at)}id_/{url}")
        assert status == 200 and _headline(raw) == shown
        assert headers.get("Memento-Datetime"), headers


def test_warc_replay_in_pywb_resolves_revisits_of_304s_and_unchanged_refetches(recrawled, wayback):
    """An unchanged re-fetch (identical-payload-digest) replays the original's bytes at
    its own time; a 304 (server-not-modified) is indexed as a revisit capture
    beside the original, and pywb replays it as what the server said: not modified."""
    from email.utils import parsedate_to_datetime

    archive = recrawled["archive"]
    for url in recrawled["same"]:
        (headline,) = query(archive, "SELECT headline FROM articles WHERE url = ?", url)[0]
        (later,) = query(archive, "SELECT max(fetched_at) FROM fetches WHERE url = ?", url)[0]
        status, headers, raw = _get(f"{wayback}/warcs/{_ts(later)}id_/{url}")
        assert status == 200 and headline in raw, (url, status, raw[-300:])
        assert parsedate_to_datetime(headers["Memento-Datetime"]).strftime("%Y%m%d%H%M%S") == _ts(later)
    for url in recrawled["with_304"]:
        status, _, cdx = _get(f"{wayback}/warcs/cdx?url={url}&output=json")
        captures = [json.loads(line) for line in cdx.splitlines() if line.strip()]
        times = [_ts(t) for (t,) in query(archive, "SELECT fetched_at FROM fetches WHERE url = ? ORDER BY id", url)]
        assert [c["timestamp"] for c in captures] == times and len(times) == 2, captures
        assert captures[0]["status"] == "200" and captures[1]["mime"] == "warc/revisit"
        later = query(archive, "SELECT max(fetched_at) FROM fetches WHERE url = ?", url)[0][0]
        status, _, _ = _get(f"{wayback}/warcs/{_ts(later)}id_/{url}")
        assert status == 304


# --------------------------------------------------------------------------- import-warc

Q_ARTICLES = "SELECT url, content_hash, versions, headline, published FROM articles ORDER BY url"
Q_VERSIONS = ("SELECT a.url, v.version, v.fetched_at, v.content_hash FROM versions v "
              "JOIN articles a ON a.id = v.article_id ORDER BY a.url, v.version")
Q_FETCHES = "SELECT url, fetched_at, status FROM fetches ORDER BY url, fetched_at, status"


def import_warc(archive, *files, portal=None):
    extra = ["--portal", portal] if portal else []
    return scrapy("import-warc", *map(str, files), *extra, archive=archive)


def test_warc_import_round_trip_gives_the_same_articles_versions_and_hashes(recrawled, exported, tmp_path):
    archive = tmp_path / "copy.db"
    result = import_warc(archive, *exported["files"], portal=recrawled["server"].base_url)
    assert result.returncode == 0, result.stderr.decode()
    original = recrawled["archive"]
    assert query(archive, Q_ARTICLES) == query(original, Q_ARTICLES)
    assert query(archive, Q_VERSIONS) == query(original, Q_VERSIONS)
    # every fetch came back, the 304s and the unchanged re-fetches as such
    assert query(archive, Q_FETCHES) == query(original, Q_FETCHES)
    assert query(archive, "SELECT count(*) FROM responses WHERE body IS NOT NULL") == \
        query(original, "SELECT count(*) FROM responses WHERE body IS NOT NULL")
    runs = query(archive, "SELECT spider, status FROM runs")
    assert runs == [("import-warc", "finished")]
    # the same files again: duplicates, recognised by payload digest, change nothing
    again = import_warc(archive, *exported["files"])
    assert again.returncode == 0, again.stderr.decode()
    assert b"duplicate" in again.stdout
    assert query(archive, Q_VERSIONS) == query(original, Q_VERSIONS)
    assert query(archive, Q_FETCHES) == query(original, Q_FETCHES)


def test_warc_import_of_wget_and_warcio_recordings(tmp_path):
    """WARCs made by wget --warc-file and by warcio's capture_http (what pywb's recorder
    writes): the portal's HTML pages become stored responses and, when articles,
    versions dated by WARC-Date; another host's pages are left out."""
    portal = SamplePortal(articles=72)
    specs = portal.expected_articles()[:4]
    with serve(portal) as server, serve(SamplePortal(articles=72, seed=7)) as other:
        base = server.base_url
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
        done = subprocess.run(["wget", "-q", "--no-proxy", "--warc-file", str(tmp_path / "wget"), "-O", "/dev/null",
                               *[base + s.path for s in specs[:2]], base], cwd=tmp_path, env=env,
                              capture_output=True, timeout=120)
        assert (tmp_path / "wget.warc.gz").exists(), done.stderr.decode()
        code = (
            "import sys\n"
            "from warcio.capture_http import capture_http\n"
            "import urllib.request\n"
            "opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
            "with capture_http(sys.argv[1]):\n"
            "    for u in sys.argv[2:]:\n"
            "        opener.open(u).read()\n"
        )
        urls = [base + s.path for s in specs[2:]] + [other.base_url + specs[0].path]
        rec = subprocess.run([sys.executable, "-c", code, str(tmp_path / "warcio.warc.gz"), *urls],
                             cwd=tmp_path, env=env, capture_output=True, timeout=120)
        assert rec.returncode == 0, rec.stderr.decode()
    archive = tmp_path / "a.db"
    result = import_warc(archive, tmp_path / "wget.warc.gz", tmp_path / "warcio.warc.gz", portal=base)
    assert result.returncode == 0, result.stderr.decode()
    import unicodedata

    rows = dict(query(archive, "SELECT url, headline FROM articles"))
    assert rows == {base.rstrip("/") + s.path: unicodedata.normalize("NFC", s.headline) for s in specs}
    stored = {u for (u,) in query(archive, "SELECT url FROM responses")}
    assert any(u.rstrip("/") == base.rstrip("/") for u in stored), "the home page is a stored response too"
    assert not [u for u in stored if not u.startswith(base)]
    dates = query(archive, "SELECT v.fetched_at, f.fetched_at FROM versions v JOIN fetches f "
                           "ON f.response_id = v.response_id")
    assert dates and all(a == b for a, b in dates)


def test_warc_import_refuses_non_warc_and_truncated_files_whole(recrawled, exported, tmp_path):
    archive = tmp_path / "a.db"
    text = tmp_path / "notes.warc.gz"
    text.write_text("not a WARC file\n")
    whole = exported["files"][0]
    cut = tmp_path / "cut.warc.gz"
    data = whole.read_bytes()
    # cut inside a record (half way through the middle one), never on a record boundary:
    # a WARC cut between two records is a shorter valid WARC
    from warcio.archiveiterator import ArchiveIterator

    with open(whole, "rb") as f:
        it = ArchiveIterator(f)
        offsets = []
        for _ in it:
            offsets.append(it.get_record_offset())
    offsets.append(len(data))
    middle = len(offsets) // 2
    cut.write_bytes(data[: (offsets[middle - 1] + offsets[middle]) // 2])
    for bad in (text, cut):
        result = import_warc(archive, whole, bad, portal=recrawled["server"].base_url)
        assert result.returncode != 0
        lines = result.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and bad.name in lines[0], lines
        assert not archive.exists() or query(archive, "SELECT count(*) FROM responses") == [(0,)]
