"""Speed and memory of the pipeline, against the hardware and the tools users would pick.

    make bench                      (or: .venv/bin/python -m bench.perf [--quick])
    python -m bench.perf --quick --only parse     figure 1 alone (CPU time)
    python -m bench.perf --callgrind              figure 1's ratios as instruction counts

Every figure is a ratio of two things measured in this same run, or a count: timings on
shared machines are noisy, ratios much less so. Prints a table (figure, value, goal,
met?) and writes every figure, with the raw measurements behind it, to
bench/out/perf.json. Not part of the test suite.

 1. parse cost      parse_article() / bare lxml.html.fromstring() of the same bytes
                    (sample portal pages; the real pages in ../shared/real-pages/), and
                    trafilatura.extract(with_metadata=True) / fromstring on the same pages;
                    the floor (the bare parse plus the parser's text-rule calls replayed
                    alone) and Lexbor's parse / fromstring, for the record
 2. throughput      `scrapy crawl portal` (storage included) pages/s / a bare Scrapy
                    spider's pages/s (bench/bare_spider.py): same portal, same settings
 3. memory          peak RSS of the crawl process (wait4 rusage) at N and 4N articles
 4. incremental     second crawl of the unchanged portal: requests and time / the first's
 5. storage         archive bytes per article; stored raw HTML / its raw size
 6. search          median latency of 50 Datasette full-text queries (JSON API) over an
                    archive of 50,000 generated articles
 7. re-parse        `scrapy reparse` articles/s / parse-only articles/s from (1)

The sample portal is served by its own process (python -m newsspider.sampleportal
serve), so its CPU is not the crawler's; on a 2-core machine the two share the CPUs,
and the table notes the server's CPU use during each crawl.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from newsspider.localcrawl import LOCAL_SETTINGS, crawl_command  # noqa: E402
from newsspider.parse import PARSER_VERSION, parse_article  # noqa: E402
from newsspider.sampleportal import SamplePortal  # noqa: E402

OUT = ROOT / "bench" / "out"
WORK = OUT / "work"
REAL_PAGES = ROOT.parent / "shared" / "real-pages"
PY = sys.executable
ENV = dict(os.environ, PYTHONPATH=str(ROOT))

GOALS = {
    "parse_ratio_sample": ("<=", 2.0),
    "parse_ratio_real": ("<=", 4.0),
    "crawl_throughput_ratio": (">=", 0.70),
    "memory_growth_ratio": ("<=", 1.2),
    "memory_peak_large_mb": ("<", 300),
    "incremental_requests_ratio": ("<=", 0.05),
    "incremental_time_ratio": ("<=", 0.10),
    "stored_html_ratio": ("<=", 0.25),
    "search_median_ms": ("<", 50),
    "reparse_ratio": (">=", 0.80),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ processes

def _machine_ticks() -> tuple[int, int]:
    """(all, stolen) clock ticks of the machine's CPUs so far (/proc/stat): time the
    hypervisor gave to other guests while this one had work to run."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(values[:8]), values[7] if len(values) > 7 else 0


class Measured:
    """A child process whose own peak RSS and CPU time come from wait4(), and the host's
    steal during it."""

    def __init__(self, cmd, *, cwd=ROOT, log_file=None, timeout=900, env=None):
        self.cmd = cmd
        self.log = open(log_file, "wb") if log_file else subprocess.DEVNULL
        self.ticks = _machine_ticks()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env or ENV, stdout=self.log, stderr=subprocess.STDOUT)
        self.timer = threading.Timer(timeout, self.proc.kill)
        self.timer.start()

    def wait(self) -> dict:
        _pid, status, ru = os.wait4(self.proc.pid, 0)
        wall = time.monotonic() - self.t0
        self.timer.cancel()
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if self.log is not subprocess.DEVNULL:
            self.log.close()
        ticks = [b - a for a, b in zip(self.ticks, _machine_ticks())]
        return {"returncode": self.proc.returncode, "wall_s": wall,
                "peak_rss_mb": ru.ru_maxrss / 1024, "cpu_s": ru.ru_utime + ru.ru_stime,
                "steal": ticks[1] / ticks[0] if ticks[0] else 0.0}


def run_measured(cmd, **kw) -> dict:
    return Measured(cmd, **kw).wait()


class Portal:
    """The sample portal in its own process on 127.0.0.1 (a free port)."""

    def __init__(self, articles: int):
        self.articles = articles
        self.proc = subprocess.Popen(
            [PY, "-m", "newsspider.sampleportal", "serve", "--port", "0", "--articles", str(articles), "--cache-pages"],
            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError(f"sample portal did not start: {line!r}")
        self.base_url = m.group(1)

    def cpu_s(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ 1. parse cost

def forget_page_texts() -> None:
    """Empty the parser's caches keyed by a page's own text (``agencies._lookup``: words
    and phrases looked up as agency names). The figure repeats every page, and a repeat
    would find its own sentences there: cleared before each timed parse, every page is
    parsed as if its texts were new (the cautious side: a crawl's pages share many)."""
    from newsspider.bangla import agencies

    agencies._lookup.cache_clear()


def _cpu_medians(fns, pages, repeats: int, before=None) -> list[list[float]]:
    """CPU time (``time.process_time``: other users of a shared machine do not count) of
    each of ``fns`` on each page, the median of ``repeats`` runs. The methods alternate
    page by page, the order swapped on every other repeat, so a slow spell of the machine
    falls on all of them alike. ``before``: {index of a fn: what to call, untimed, before
    each of its runs}."""
    clock = time.process_time
    times = [[[] for _ in pages] for _ in fns]
    order = list(range(len(fns)))
    before = before or {}
    for r in range(repeats):
        seq = order if r % 2 == 0 else order[::-1]
        for i, (body, url) in enumerate(pages):
            for k in seq:
                fn = fns[k]
                if k in before:
                    before[k]()
                t0 = clock()
                fn(body, url)
                times[k][i].append(clock() - t0)
    return [[statistics.median(t) for t in per_page] for per_page in times]


def bare_parse():
    """The bare libxml2 parse of a page, with the page's right encoding: the one the
    parser itself detects (BOM, HTTP header, <meta charset> anywhere, then UTF-8/cp1252),
    found once per page outside the timing. A plain ``lxml.html.fromstring(bytes)`` of
    the real page decodes it as Latin-1, a cheaper and wrong parse."""
    from newsspider.parse.document import decode_html

    parsers: dict[str, lxml.html.HTMLParser] = {}
    encodings: dict[int, lxml.html.HTMLParser] = {}

    def prepare(pages):
        for body, _url in pages:
            enc = decode_html(body, None)[0]
            encodings[id(body)] = parsers.setdefault(enc, lxml.html.HTMLParser(encoding=enc))

    def bare(body, url):
        return lxml.html.fromstring(body, parser=encodings[id(body)])

    return prepare, bare


def sample_pages(n: int, articles: int = 5000) -> list[tuple[bytes, str]]:
    portal = SamplePortal(articles=articles)
    base = "http://127.0.0.1:8765"
    ids = portal.expected_ids()
    step = max(1, len(ids) // n)
    pages = []
    for i in ids[::step][:n]:
        status, _headers, body = portal.render(f"/news/{i}/", base)
        if status == 200:
            pages.append((body, f"{base}/news/{i}/"))
    return pages


def real_pages() -> list[tuple[bytes, str]]:
    if not REAL_PAGES.is_dir():
        return []
    pages = []
    for html in sorted(REAL_PAGES.glob("*.html")):
        url = ""
        expected = html.with_suffix(".json")
        if expected.exists():
            url = json.loads(expected.read_text(encoding="utf-8")).get("url") or ""
        pages.append((html.read_bytes(), url or f"https://{html.name.split('.')[0]}.com/{html.stem}"))
    return pages


def trafilatura_extract():
    try:
        import trafilatura
    except ImportError:
        return None
    return lambda body, url: trafilatura.extract(body, url=url, with_metadata=True, output_format="json")


def text_rule_calls(pages) -> dict[int, list]:
    """{id(page bytes): [(function, args, kwargs), ...]}: every call the parser makes, in
    one parse of the page, into the text rules (``newsspider.bangla``: normalisation,
    match keys, credits, dates, script checks) from its own modules, outermost calls only
    (a rule's own inner calls are part of it). Replayed alone they give what the text
    rules cost, whatever tree library found the texts: with the bare parse, the floor
    under any parser that keeps today's text rules."""
    import importlib

    import newsspider.bangla as bangla

    callers = [importlib.import_module(m) for m in ("newsspider.parse.extract", "newsspider.parse.generic")]
    calls: dict[int, list] = {}
    current: list = []
    depth = [0]
    patched = []

    def wrapper(fn):
        def recorded(*args, **kwargs):
            if not depth[0]:
                current.append((fn, args, kwargs))
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
        return recorded

    for module in callers:
        for name in bangla.__all__:
            fn = getattr(bangla, name)
            if callable(fn) and getattr(module, name, None) is fn:
                patched.append((module, name, fn))
                setattr(module, name, wrapper(fn))
    try:
        for body, url in pages:
            current.clear()
            forget_page_texts()
            parse_article(body, url)
            calls[id(body)] = list(current)
    finally:
        for module, name, fn in patched:
            setattr(module, name, fn)
    return calls


def lexbor_parse():
    """Lexbor's parse of the bytes (selectolax, ``make bench`` installs it), for the
    record: what a second HTML parser would cost in place of libxml2; None without it."""
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        return None
    return lambda body, url: LexborHTMLParser(body)


def measure_parse(quick: bool) -> dict:
    """Template pages (the sample portal's, which its site profile knows) and generic
    pages (the real page of ../shared/real-pages/, no profile), each against the bare
    parse of the same bytes with the right encoding; CPU time, methods alternated."""
    sample = sample_pages(60 if quick else 200)
    real = real_pages()
    repeats = 5 if quick else 9
    prepare, bare = bare_parse()
    naive = lambda body, url: lxml.html.fromstring(body)  # noqa: E731  (the old, wrong baseline)
    ours = lambda body, url: parse_article(body, url)  # noqa: E731
    traf = trafilatura_extract()
    lexbor = lexbor_parse()
    out = {"pages_sample": len(sample), "pages_real": len(real), "repeats": repeats,
           "clock": "time.process_time, median of the repeats per page, methods alternated, "
                    "the parser's per-text caches emptied before each timed parse"}
    gc.collect()
    for name, pages in (("sample", sample), ("real", real)):
        if not pages:
            out[f"parse_ratio_{name}"] = None
            continue
        prepare(pages)
        for body, url in pages[:5]:  # warm caches, compiled XPaths, imports
            bare(body, url)
            ours(body, url)
            if lexbor is not None:
                lexbor(body, url)
        calls = text_rule_calls(pages)

        def text_rules(body, url):
            for fn, args, kwargs in calls[id(body)]:
                fn(*args, **kwargs)

        fns = [bare, ours, naive, text_rules, *([lexbor] if lexbor is not None else [])]
        t_bare, t_ours, t_naive, t_text, *t_lexbor = (
            sum(t) for t in _cpu_medians(fns, pages, repeats if name == "sample" else 3 * repeats,
                                         before={1: forget_page_texts, 3: forget_page_texts}))
        out[f"fromstring_ms_{name}"] = t_bare / len(pages) * 1e3
        out[f"naive_fromstring_ms_{name}"] = t_naive / len(pages) * 1e3
        out[f"parse_ms_{name}"] = t_ours / len(pages) * 1e3
        out[f"parse_ratio_{name}"] = t_ours / t_bare
        out[f"text_rules_ms_{name}"] = t_text / len(pages) * 1e3
        out[f"text_rule_calls_{name}"] = sum(map(len, calls.values())) / len(pages)
        out[f"text_rules_ratio_{name}"] = t_text / t_bare
        if t_lexbor:
            out[f"lexbor_ms_{name}"] = t_lexbor[0] / len(pages) * 1e3
            out[f"lexbor_ratio_{name}"] = t_lexbor[0] / t_bare
        if traf is not None:
            tpages = pages[: (30 if quick else 60)]
            for body, url in tpages[:3]:
                traf(body, url)
            t_bare_sub, t_traf = (sum(t) for t in _cpu_medians([bare, traf], tpages, 3))
            out[f"trafilatura_ratio_{name}"] = t_traf / t_bare_sub
            out[f"trafilatura_ms_{name}"] = t_traf / len(tpages) * 1e3
    out["parse_rate_per_s"] = 1e3 / out["parse_ms_sample"]
    # for the record: one pass over the pages, as reparse does (no repeats)
    t0 = time.process_time()
    for body, url in sample:
        ours(body, url)
    out["parse_rate_single_pass_per_s"] = len(sample) / (time.process_time() - t0)
    if traf is None:
        out["trafilatura"] = "not installed (pip install trafilatura, or make bench)"
    if lexbor is None:
        out["lexbor"] = "not installed (pip install selectolax, or make bench)"
    return out


def parse_loop(which: str, mode: str, n: int) -> None:
    """One process of ``callgrind_parse``: parse the pages ``n`` times with ``mode``
    (``none`` does everything else: imports, page rendering, warm-up)."""
    pages = sample_pages(60)[:20] if which == "sample" else real_pages()
    prepare, bare = bare_parse()
    prepare(pages)
    for body, url in pages[:3]:  # imports, compiled patterns, caches: in every mode
        parse_article(body, url)
        bare(body, url)
    gc.collect()
    gc.disable()  # a collection falls where allocation counts say: not the same in each mode
    fn = {"bare": bare, "ours": lambda body, url: parse_article(body, url),
          "none": lambda body, url: None}[mode]
    for _ in range(n):
        for body, url in pages:
            forget_page_texts()  # in every mode, as in the CPU figure: repeats find no page's own texts
            fn(body, url)


def callgrind_parse(runs=(("sample", 3), ("real", 10))) -> dict:
    """Instruction counts (valgrind's callgrind: deterministic, unlike time on a shared
    machine) of parse_article and of the bare parse, per page: a process that parses the
    pages N times minus one that does not (``parse_loop``), PYTHONHASHSEED fixed."""
    import tempfile

    out: dict = {}
    env = dict(ENV, PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as tmp:
        for which, n in runs:
            counts = {}
            for mode in ("none", "bare", "ours"):
                proc = subprocess.run(
                    ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out", PY, "-m", "bench.perf",
                     "--parse-loop", which, mode, str(n)],
                    cwd=ROOT, env=env, capture_output=True, text=True, check=True)
                counts[mode] = int(re.search(r"Collected : (\d+)", proc.stderr).group(1))
            pages = 20 if which == "sample" else len(real_pages())
            bare = (counts["bare"] - counts["none"]) / n / pages
            ours = (counts["ours"] - counts["none"]) / n / pages
            out[which] = {"bare_instructions": bare, "parse_instructions": ours, "ratio": ours / bare}
            log(f"callgrind {which}: parse_article {ours / 1e6:.2f} M instructions a page, "
                f"bare parse {bare / 1e6:.2f} M: {ours / bare:.2f}x")
    return out


def profile_parse(pages, path: Path, top: int = 25) -> str:
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(3):
        for body, url in pages:
            parse_article(body, url)
    prof.disable()
    prof.dump_stats(str(path.with_suffix(".prof")))
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(top)
    text = s.getvalue()
    path.write_text(text)
    return text


# ------------------------------------------------------------------ 2-4. crawls

def crawl_stats(archive: Path) -> dict:
    conn = sqlite3.connect(archive)
    try:
        row = conn.execute("SELECT stats FROM runs WHERE spider = 'portal' ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row and row[0] else {}
    finally:
        conn.close()


CRAWL_SETTINGS: dict = {}  # --set

# Retries at once, as the bare spider's (Scrapy's RetryMiddleware): the crawl's backoff
# (LOCAL_SETTINGS: 0.2 s doubling to 1 s) left it idle ~0.9 s at its end, waiting to retry
# the sample portal's two failing pages after everything else was fetched (19% of a
# 1,000-article crawl, ~4% of a 5,000-article one): the portal's faults, not the crawler.
# Every crawl of the benchmark, so the incremental figure compares like with like.
NO_BACKOFF = {"RETRY_BACKOFF_BASE": "0", "RETRY_BACKOFF_MAX": "0"}


def full_crawl(portal: Portal, archive: Path, tag: str, profile: bool = False) -> dict:
    # no run budget: the benchmark crawls 20,000 articles in one run (22,146 requests)
    cmd = crawl_command(portal.base_url, archive.resolve(),
                        settings={"LOG_ROTATING_FILE": "", "RUN_MAX_REQUESTS": "0", "RUN_MAX_SECONDS": "0",
                                  **NO_BACKOFF, **CRAWL_SETTINGS})
    if profile:
        cmd = [shutil.which("py-spy", path=str(Path(PY).parent)) or "py-spy", "record", "--subprocesses",
               "-r", "100", "-f", "raw", "-o", str(OUT / f"crawl-{tag}.pyspy.txt"), "--", *cmd]
    cpu0 = portal.cpu_s()
    r = run_measured(cmd, log_file=WORK / f"crawl-{tag}.log")
    r["server_cpu_s"] = portal.cpu_s() - cpu0
    stats = crawl_stats(archive)
    r["requests"] = stats.get("downloader/request_count", 0)
    r["pages"] = stats.get("downloader/response_count", 0)
    r["elapsed_s"] = stats.get("elapsed_time_seconds") or r["wall_s"]
    r["items"] = stats.get("item_scraped_count", 0)
    # the crawl's thread alone (Scrapy's reactor), recorded by the store at the end
    r["thread_cpu_s"] = stats.get("newsspider/cpu_thread_s")
    r["thread_cpu_run_s"] = _run_cpu(stats)
    r["writer_cpu_s"] = stats.get("newsspider/cpu_writer_s")
    r["pages_per_s"] = r["pages"] / r["elapsed_s"] if r["elapsed_s"] else 0
    r["backoff_s"] = stats.get("retry/backoff_seconds", 0)
    if r["backoff_s"]:
        log(f"   WARNING: crawl {tag} waited {r['backoff_s']:.1f} s to retry (backoff set with --set?)")
    if r["returncode"] != 0:
        log(f"crawl {tag} exited {r['returncode']}: see {WORK / f'crawl-{tag}.log'}")
    return r


def bare_crawl(portal: Portal, tag: str) -> dict:
    stats_file = WORK / f"bare-{tag}.json"
    cmd = [PY, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"),
           "-a", f"base_url={portal.base_url}", "-a", f"stats_out={stats_file}"]
    # The same settings as the full crawl, where they apply to a spider with no project.
    # Scrapy's own switches that the project turns off for speed are off for the bare
    # spider too (issue 17): the baseline is as fast as bare Scrapy gets.
    from newsspider import settings as project

    settings = {**LOCAL_SETTINGS, "ROBOTSTXT_OBEY": "True", "COOKIES_ENABLED": "False",
                "TELNETCONSOLE_ENABLED": "False", "DOWNLOAD_TIMEOUT": "30",
                "CONCURRENT_ITEMS": str(getattr(project, "CONCURRENT_ITEMS", 100)),
                "GC_THRESHOLDS": CRAWL_SETTINGS.get("GC_THRESHOLDS", str(getattr(project, "GC_THRESHOLDS", "python"))),
                "WARN_ON_GENERATOR_RETURN_VALUE": str(getattr(project, "WARN_ON_GENERATOR_RETURN_VALUE", True))}
    for k, v in settings.items():
        cmd += ["-s", f"{k}={v}"]
    # Outside the project tree: Scrapy looks for scrapy.cfg in every parent folder, and
    # from bench/out/work/ it found the project's and ran the bare spider with the
    # project's middlewares (which refused its requests: 0 pages).
    import tempfile
    bare_dir = Path(tempfile.mkdtemp(prefix="newsspider-bare-"))
    env = {k: v for k, v in ENV.items() if k != "SCRAPY_SETTINGS_MODULE"}
    cpu0 = portal.cpu_s()
    r = Measured(cmd, cwd=bare_dir, log_file=WORK / f"bare-{tag}.log", env=env).wait()
    r["server_cpu_s"] = portal.cpu_s() - cpu0
    shutil.rmtree(bare_dir, ignore_errors=True)
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    if "newsspider/run_id" in stats or not stats.get("downloader/response_count"):
        raise RuntimeError(f"the bare spider did not run bare (project settings loaded, or no page "
                           f"fetched): see {WORK / f'bare-{tag}.log'}")
    r["requests"] = stats.get("downloader/request_count", 0)
    r["pages"] = stats.get("downloader/response_count", 0)
    r["elapsed_s"] = stats.get("elapsed_time_seconds") or r["wall_s"]
    r["pages_per_s"] = r["pages"] / r["elapsed_s"] if r["elapsed_s"] else 0
    r["thread_cpu_run_s"] = _run_cpu(stats)
    return r


def _run_cpu(stats: dict) -> float | None:
    """CPU seconds of the reactor thread from the spider's opening to its closing: what
    its pages/s is made of, start-up left out."""
    a, b = stats.get("newsspider/cpu_thread_open_s"), stats.get("newsspider/cpu_thread_s")
    return b - a if a is not None and b is not None else None


def _cpu_bound(r: dict) -> None:
    """The bare spider must be busy all the time it runs, or the ratio measures the
    portal (the ~40 ms Nagle/delayed-ACK stall of issue 17 had it idle a quarter of it)."""
    r["cpu_per_wall"] = r["cpu_s"] / r["wall_s"] if r["wall_s"] else 0
    log(f"   bare spider CPU/elapsed {r['cpu_per_wall']:.2f} ({r['cpu_s']:.1f} s CPU in {r['wall_s']:.1f} s; "
        f"{r.get('steal', 0):.1%} of the machine's CPU time stolen by the host)")
    if r["cpu_per_wall"] < 0.9:
        log("   WARNING: the bare spider is not CPU-bound (< 0.9): it waits on the portal or the "
            "machine is busy, and the crawl ratio overstates the crawler")
    if r.get("steal", 0) > 0.05:
        log("   WARNING: the host took more than 5% of this machine's CPU time for other guests "
            "while the bare spider ran: its pages/s is the host's, and the crawl ratio is not "
            "to be trusted (run again)")


def _pooled(runs: list[dict]) -> dict:
    """Runs of one kind taken together: their sums, averaged over the runs (pages/s is
    all the pages over all the time)."""
    m = dict(runs[0])
    for k in ("wall_s", "cpu_s", "elapsed_s", "server_cpu_s", "pages", "requests", "thread_cpu_run_s", "writer_cpu_s"):
        values = [r.get(k) for r in runs]
        m[k] = sum(values) / len(runs) if all(v is not None for v in values) else None
    m["pages_per_s"] = m["pages"] / m["elapsed_s"] if m["elapsed_s"] else 0
    m["cpu_per_wall"] = m["cpu_s"] / m["wall_s"] if m["wall_s"] else 0
    return m


def storage(archive: Path) -> dict:
    conn = sqlite3.connect(archive)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        raw, stored, n = conn.execute(
            "SELECT sum(raw_size), sum(stored_size), count(*) FROM responses").fetchone()
        tables = {}
        try:
            for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name "
                                           "ORDER BY 2 DESC LIMIT 8"):
                tables[name] = size
        except sqlite3.OperationalError:
            pass
    finally:
        conn.close()
    size = archive.stat().st_size + sum(p.stat().st_size for p in archive.parent.glob(archive.name + "-*"))
    return {"archive_bytes": size, "articles": articles, "responses": n,
            "bytes_per_article": size / articles if articles else None,
            "raw_html_bytes": raw, "stored_html_bytes": stored,
            "stored_html_ratio": stored / raw if raw else None, "largest_tables_bytes": tables}


def reparse(archive: Path) -> dict:
    cmd = [PY, "-m", "scrapy", "reparse", "-s", f"ARCHIVE_PATH={archive.resolve()}"]
    r = run_measured(cmd, log_file=WORK / "reparse.log")
    conn = sqlite3.connect(archive)
    try:
        row = conn.execute("SELECT stats FROM runs WHERE spider = 'reparse' ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    stats = json.loads(row[0]) if row and row[0] else {}
    r["articles"] = stats.get("reparse/articles", 0)
    r["responses_parsed"] = stats.get("reparse/responses_parsed", 0)
    r["seconds"] = stats.get("reparse/seconds") or r["wall_s"]
    r["articles_per_s"] = r["articles"] / r["seconds"] if r["seconds"] else 0
    return r


# ------------------------------------------------------------------ 6. search

def _fill_worker_init(articles: int):
    global _PORTAL
    _PORTAL = SamplePortal(articles=articles)


def _fill_worker(ids):
    from newsspider.parse import NotHTML
    out = []
    base = "http://127.0.0.1:8765"
    for i in ids:
        status, headers, body = _PORTAL.render(f"/news/{i}/", base)
        if status != 200:
            continue
        try:
            fields = parse_article(body, f"{base}/news/{i}/", content_type=headers.get("Content-Type"))
        except NotHTML:
            continue
        if fields is not None:
            out.append((i, {k.lower(): v for k, v in headers.items()}, body, fields))
    return out


def search_key(n: int) -> str:
    """The cache key of the search archive of ``n`` articles: the generator, its corpus and
    the parser's version. The schema is not part of it: a cached archive is migrated by
    ensure_schema, as a user's archive is (the migration's time is reported as migrate_s)."""
    key_src = b"".join((ROOT / p).read_bytes() for p in (
        "newsspider/sampleportal/generator.py", "newsspider/sampleportal/corpus.py"))
    return hashlib.sha256(key_src + f"{n}/{PARSER_VERSION}/content".encode()).hexdigest()[:16]


def search_archive(n: int, rebuild: bool, resume_only: bool = False) -> tuple[Path, dict]:
    """An archive of ``n`` sample-portal articles, filled directly (not crawled): each page
    rendered by the generator, parsed by parse_article in worker processes, then
    normalize -> validate -> Archive.write in this one (the one writer), exactly as the
    crawl's pipelines do (responses stored too).

    A build that was stopped (``building.json`` beside the archive, same key) is resumed:
    the articles already written are skipped, as a crawl resumed after an interruption
    skips what it stored (500,000 articles take ~45 CPU-minutes, more than one sitting on
    a busy machine). ``resume_only``: return a partial archive as it is."""
    from multiprocessing import Pool

    from newsspider.items import Article, RawResponse
    from pipelines.normalize import normalize_article
    from pipelines.store import KEPT_HEADERS, Archive
    from pipelines.validate import problems

    key = search_key(n)
    folder = OUT / f"search-{n}"
    archive = folder / "archive.db"   # named archive.db: data/metadata.yml configures "archive"
    stamp = folder / "stamp.json"
    building = folder / "building.json"
    if not rebuild and archive.exists() and stamp.exists() and json.loads(stamp.read_text()).get("key") == key:
        from pipelines import schema

        info = json.loads(stamp.read_text())
        t0 = time.monotonic()
        db = schema.connect(archive)
        schema.ensure_schema(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()
        info["migrate_s"] = round(time.monotonic() - t0, 1)
        info["reused"] = True
        return archive, info
    done: set[int] = set()
    resumed = (not rebuild and archive.exists() and building.exists()
               and json.loads(building.read_text()).get("key") == key)
    if resumed:
        con = sqlite3.connect(archive)
        done = {int(u.rstrip("/").rsplit("/", 1)[1]) for (u,) in con.execute("SELECT url FROM articles")}
        con.close()
        log(f"  resuming the build of {n}: {len(done)} articles already written")
        if resume_only:
            from pipelines import schema

            t0 = time.monotonic()
            db = schema.connect(archive)
            schema.ensure_schema(db)
            db.conn.close()
            return archive, {"key": key, "articles": len(done), "partial": True, "of": n, "reused": True,
                             "migrate_s": round(time.monotonic() - t0, 1)}
    else:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        building.write_text(json.dumps({"key": key, "articles": n}))
    t0 = time.monotonic()
    portal = SamplePortal(articles=n)
    ids = [i for i in portal.article_ids() if i not in done]
    chunks = [ids[i:i + 250] for i in range(0, len(ids), 250)]
    store = Archive(str(archive))
    store.start_run("bench-fill", {"articles": n, "resumed_after": len(done)})
    fetched_at = "2025-05-15T00:00:00+00:00"
    written = 0
    # at most 2 chunks a worker ahead of the writer: imap would queue every rendered page
    # the writer has not reached (the workers are faster: 3 GB at 90,000 of 500,000)
    workers = max(1, (os.cpu_count() or 2))
    ahead = threading.Semaphore(2 * workers)

    def paced(chunks):
        for chunk in chunks:
            ahead.acquire()
            yield chunk

    with Pool(workers, initializer=_fill_worker_init, initargs=(n,)) as pool:
        for done_chunks, results in enumerate(pool.imap(_fill_worker, paced(chunks)), 1):
            ahead.release()
            batch = []
            for i, headers, body, fields in results:
                kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
                url = f"http://127.0.0.1:8765/news/{i}/"
                raw = RawResponse(url, url, 200, kept, body, fetched_at)
                a = normalize_article(Article.from_fields(fields, raw, revisit=False), "America/New_York")
                if not problems(a):
                    batch.append(a)
            store.write(batch)
            written += len(batch)
            if done_chunks % 40 == 0:
                log(f"  search archive: {written + len(done)} articles written")
    store.finish_run({"finish_reason": "finished"}, "finished", 0)
    store.close()
    info = {"key": key, "articles": written + len(done), "build_s": round(time.monotonic() - t0, 1),
            "resumed_after": len(done),
            "how": "sample portal pages rendered by the generator, parsed by parse_article, "
                   "normalize -> validate -> pipelines.store.Archive.write (not crawled)"}
    stamp.write_text(json.dumps(info))
    building.unlink(missing_ok=True)
    info["reused"] = False
    return archive, info


def search_words(n: int = 50) -> list[str]:
    """n Bangla words of the sample corpus (3+ letters), spread over the sorted vocabulary
    so the queries range from rare to very common words."""
    from newsspider.sampleportal import corpus

    vocab = set()

    def walk(v):
        if isinstance(v, str):
            for w in re.findall(r"[\u0980-\u09FF]+", v):
                w = unicodedata.normalize("NFC", w)
                if len(w) >= 4 and not any(c in w for c in "০১২৩৪৫৬৭৮৯"):
                    vocab.add(w)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    for name in dir(corpus):
        if name.isupper():
            walk(getattr(corpus, name))
    words = sorted(vocab)
    step = len(words) / n
    return [words[int(k * step)] for k in range(n)]


def measure_search(archive: Path, queries: int = 50) -> dict:
    from newsspider.browse import datasette_command

    port = free_port()
    cmd = datasette_command(archive.resolve(), "127.0.0.1", port)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=open(WORK / "datasette.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("datasette exited: see bench/out/work/datasette.log")
                time.sleep(0.1)
        words = search_words(queries)
        # what the search box of `articles` asks: ?_search=, a page of 50 rows with the count
        url = lambda w: f"{base}/archive/articles.json?_search={urllib.parse.quote(w)}&_shape=objects"  # noqa: E731
        urllib.request.urlopen(url("নিউইয়র্ক"), timeout=30).read()  # warm-up, not counted
        times, hits = [], []
        for w in words:
            t0 = time.perf_counter()
            data = json.loads(urllib.request.urlopen(url(w), timeout=30).read())
            times.append((time.perf_counter() - t0) * 1e3)
            hits.append(data.get("filtered_table_rows_count"))
        # the same search without the table's facets, for the record (not a goal)
        nofacet = []
        for w in words:
            t0 = time.perf_counter()
            urllib.request.urlopen(url(w) + "&_nofacet=1", timeout=30).read()
            nofacet.append((time.perf_counter() - t0) * 1e3)
        # the canned query ranked by relevance, for the record (not a goal)
        ranked = []
        for w in words[:20]:
            t0 = time.perf_counter()
            urllib.request.urlopen(f"{base}/archive/search.json?q={urllib.parse.quote(w)}", timeout=30).read()
            ranked.append((time.perf_counter() - t0) * 1e3)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {"queries": len(times), "search_median_ms": statistics.median(times),
            "search_p90_ms": sorted(times)[int(0.9 * len(times)) - 1], "search_max_ms": max(times),
            "hits_median": statistics.median(h or 0 for h in hits), "hits_max": max(h or 0 for h in hits),
            "ranked_search_median_ms": statistics.median(ranked),
            "nofacet_search_median_ms": statistics.median(nofacet),
            "words": words, "per_query_ms": [round(t, 1) for t in times], "hits": hits}


# ------------------------------------------------------------------ the run

def met(name, value):
    if value is None:
        return None
    op, goal = GOALS[name]
    return {"<=": value <= goal, ">=": value >= goal, "<": value < goal}[op]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller run (1,000 / 4,000 / 10,000 articles)")
    ap.add_argument("--articles", type=int, help="articles of the crawl portal (default 5000)")
    ap.add_argument("--search-articles", type=int, help="articles of the search archive (default 50000)")
    ap.add_argument("--rebuild-search", action="store_true", help="rebuild the search archive even if cached")
    ap.add_argument("--profile", action="store_true",
                    help="also record py-spy/cProfile profiles in bench/out/ for goals not met")
    ap.add_argument("--only", default="parse,crawl,search", help="parts to run (parse,crawl,search; throughput: figure 2 alone)")
    ap.add_argument("--callgrind", action="store_true",
                    help="only the parse ratios as callgrind instruction counts (template: 20 pages x 3, "
                         "real page x 10; needs valgrind; a few minutes)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="full crawls of figure 2, each between two bare-spider runs (default 3)")
    ap.add_argument("--set", action="append", default=[], metavar="SETTING=VALUE",
                    help="a Scrapy setting for the full crawls (e.g. ARCHIVE_WRITER=inline), repeatable")
    ap.add_argument("--parse-loop", nargs=3, metavar=("PAGES", "MODE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    CRAWL_SETTINGS.update(dict(kv.split("=", 1) for kv in args.set))
    if args.parse_loop:
        which, mode, count = args.parse_loop
        parse_loop(which, mode, int(count))
        return 0
    if args.callgrind:
        print(json.dumps(callgrind_parse(), indent=2))
        return 0
    n = args.articles or (1000 if args.quick else 5000)
    n_large = 4 * n
    n_search = args.search_articles or (10000 if args.quick else 50000)
    only = set(args.only.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    started = time.monotonic()
    res: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "platform": platform.platform()},
                 "settings": {"articles": n, "articles_large": n_large, "search_articles": n_search,
                              "quick": args.quick, "crawl_settings": LOCAL_SETTINGS}}
    figures: dict = {}

    if "parse" in only:
        log("1. parse cost ...")
        p = measure_parse(args.quick)
        res["parse"] = p
        figures["parse_ratio_sample"] = p["parse_ratio_sample"]
        figures["parse_ratio_real"] = p["parse_ratio_real"]
        if args.profile:
            profile_parse(sample_pages(60), OUT / "parse-profile.txt")

    def throughput(portal, archive) -> dict:
        """Figure 2: the bare spider and the full crawl alternated, ``--rounds`` full
        crawls each between two bare runs (bare, full, bare, full, ..., bare): on two
        shared cores one pair moves by 15 points from run to run, and a slow spell
        counts on both sides. The figure pools the rounds: all the full crawls' pages
        over their time, against all the bare runs'. The first full crawl's archive is
        the one the later figures use."""
        bares, fulls, rounds = [], [], max(1, args.rounds)
        for i in range(rounds + 1):
            log(f"2. bare spider, {n} articles ..." if i == 0 else
                f"2. bare spider again, {n} articles (round {i} of {rounds}) ...")
            bares.append(bare_crawl(portal, f"b{i}"))
            _cpu_bound(bares[-1])
            if i == rounds:
                break
            log(f"2. full crawl, {n} articles (round {i + 1} of {rounds}) ...")
            where = archive if i == 0 else archive.parent / f"round-{i + 1}" / archive.name
            where.parent.mkdir(parents=True, exist_ok=True)
            fulls.append(full_crawl(portal, where, "first" if i == 0 else f"round-{i + 1}"))
            if i:
                shutil.rmtree(where.parent, ignore_errors=True)
        bare, full = _pooled(bares), _pooled(fulls)
        rounds = [f["pages_per_s"] / _pooled(bares[i:i + 2])["pages_per_s"] for i, f in enumerate(fulls)]
        figures["bare_cpu_per_elapsed"] = bare["cpu_per_wall"]
        figures["crawl_throughput_ratio"] = full["pages_per_s"] / bare["pages_per_s"] if bare["pages_per_s"] else None
        figures["crawl_throughput_rounds"] = rounds
        figures["crawl_cpu_per_page_ratio"] = ((full["cpu_s"] / max(full["pages"], 1)) /
                                               (bare["cpu_s"] / max(bare["pages"], 1)))
        if full.get("thread_cpu_run_s") and bare.get("thread_cpu_run_s"):
            figures["crawl_thread_cpu_per_page_ratio"] = ((full["thread_cpu_run_s"] / max(full["pages"], 1)) /
                                                          (bare["thread_cpu_run_s"] / max(bare["pages"], 1)))
        return {"bare": bare, "bare_runs": bares, "full": fulls[0], "full_pooled": full, "full_runs": fulls}

    def profile_crawl(portal) -> None:
        if args.profile:
            log("   profiling a full crawl with py-spy ...")
            full_crawl(portal, WORK / "profile" / "archive.db", "profile", profile=True)

    if "throughput" in only and "crawl" not in only:
        # figure 2 alone, a minute with --quick
        a = WORK / "crawl" / "archive.db"
        a.parent.mkdir(parents=True)
        with Portal(n) as portal:
            res["crawl"] = throughput(portal, a)
            profile_crawl(portal)
        shutil.rmtree(WORK / "crawl", ignore_errors=True)

    if "crawl" in only:
        a = WORK / "crawl" / "archive.db"
        a.parent.mkdir(parents=True)
        with Portal(n) as portal:
            res["crawl"] = throughput(portal, a)
            log("4. incremental crawl ...")
            inc = full_crawl(portal, a, "second")
            profile_crawl(portal)
        res["crawl"]["incremental"] = inc
        full = res["crawl"]["full"]
        figures["incremental_requests_ratio"] = inc["requests"] / full["requests"] if full["requests"] else None
        figures["incremental_time_ratio"] = inc["wall_s"] / full["wall_s"]
        log("5. storage ...")
        st = storage(a)
        res["storage"] = st
        figures["bytes_per_article"] = st["bytes_per_article"]
        figures["stored_html_ratio"] = st["stored_html_ratio"]
        log("7. reparse ...")
        rp = reparse(a)
        res["reparse"] = rp
        if "parse" in res:
            figures["reparse_ratio"] = rp["articles_per_s"] / res["parse"]["parse_rate_per_s"]
        (WORK / "crawl").exists() and shutil.rmtree(WORK / "crawl")
        log(f"3. memory: full crawl, {n_large} articles ...")
        big = WORK / "large" / "archive.db"
        big.parent.mkdir(parents=True)
        with Portal(n_large) as portal:
            large = full_crawl(portal, big, "large")
        res["crawl"]["large"] = large
        shutil.rmtree(big.parent, ignore_errors=True)
        figures["memory_peak_mb"] = full["peak_rss_mb"]
        figures["memory_peak_large_mb"] = large["peak_rss_mb"]
        figures["memory_growth_ratio"] = large["peak_rss_mb"] / full["peak_rss_mb"]

    if "search" in only:
        log(f"6. search: archive of {n_search} articles ...")
        archive, info = search_archive(n_search, args.rebuild_search)
        s = measure_search(archive)
        res["search"] = {"archive": info, **s}
        figures["search_median_ms"] = s["search_median_ms"]

    res["figures"] = figures
    res["met"] = {k: met(k, v) for k, v in figures.items() if k in GOALS}
    res["bench_seconds"] = round(time.monotonic() - started, 1)
    (OUT / "perf.json").write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str))
    print(table(res))
    print(f"\nfigures: {OUT / 'perf.json'}  ({res['bench_seconds']} s)")
    return 0


def table(res: dict) -> str:
    f, n = res["figures"], res["settings"]
    p, c, st, s = res.get("parse", {}), res.get("crawl", {}), res.get("storage", {}), res.get("search", {})
    rows = []

    def row(label, key, value, fmt, note=""):
        goal = GOALS.get(key)
        ok = met(key, value) if goal else None
        rows.append((label, "n/a" if value is None else fmt.format(value),
                     f"{goal[0]} {goal[1]:g}" if goal else "", {True: "yes", False: "NO", None: ""}[ok], note))

    if p:
        row("1. parse / bare parse, template pages", "parse_ratio_sample", f.get("parse_ratio_sample"), "{:.2f}x",
            f"{p['parse_ms_sample']:.2f} ms vs {p['fromstring_ms_sample']:.2f} ms CPU, {p['pages_sample']} sample-portal pages")
        if p.get("parse_ms_real") is not None:
            row("1. parse / bare parse, generic pages", "parse_ratio_real", f.get("parse_ratio_real"), "{:.2f}x",
                f"{p['parse_ms_real']:.2f} ms vs {p['fromstring_ms_real']:.2f} ms CPU (as Latin-1: "
                f"{p['naive_fromstring_ms_real']:.2f} ms), {p['pages_real']} real page(s)")
        for name, pages in (("sample", "template"), ("real", "generic")):
            if p.get(f"text_rules_ratio_{name}") is None:
                continue
            # what no tree library can save: the parse, and the text rules the fields go through
            row(f"1. floor: bare parse + text rules alone, {pages}", "", 1 + p[f"text_rules_ratio_{name}"],
                "{:.2f}x", f"the parser's {p[f'text_rule_calls_{name}']:.0f} calls a page into newsspider.bangla, "
                f"replayed: {p[f'text_rules_ms_{name}']:.2f} ms; the rest is tree and glue")
            if p.get(f"lexbor_ratio_{name}") is not None:
                row(f"1. Lexbor parse / bare parse, {pages}", "", p[f"lexbor_ratio_{name}"], "{:.2f}x",
                    f"{p[f'lexbor_ms_{name}']:.2f} ms (selectolax): a second parser's saving, at most")
        for name in ("sample", "real"):
            if p.get(f"trafilatura_ratio_{name}") is not None:
                row(f"1. trafilatura.extract / fromstring, {name}", "", p[f"trafilatura_ratio_{name}"], "{:.1f}x",
                    f"{p[f'trafilatura_ms_{name}']:.2f} ms a page (with metadata)")
    if c:
        b, inc, lg = c["bare"], c.get("incremental"), c.get("large")
        fu, first = c.get("full_pooled") or c["full"], c["full"]
        rounds = f.get("crawl_throughput_rounds") or []
        row("2. full crawl / bare spider, pages/s", "crawl_throughput_ratio", f.get("crawl_throughput_ratio"),
            "{:.0%}", f"{fu['pages_per_s']:.0f} vs {b['pages_per_s']:.0f} pages/s ({fu['pages']:.0f} / "
            f"{b['pages']:.0f} pages); {len(rounds)} rounds: " + ", ".join(f"{r:.0%}" for r in rounds))
        row("2. bare spider CPU / elapsed (>= 0.9: CPU-bound)", "", b.get("cpu_per_wall"), "{:.2f}",
            " / ".join(f"{r['cpu_per_wall']:.2f}" for r in c.get("bare_runs", [])) + " (each bare run)")
        runs = [*c.get("bare_runs", []), *c.get("full_runs", [])]
        if runs and all("steal" in r for r in runs):
            row("2. CPU time stolen by the host (> 5%: a noisy neighbour)", "", max(r["steal"] for r in runs),
                "{:.1%}", "bare " + " / ".join(f"{r['steal']:.1%}" for r in c["bare_runs"]) + ", full "
                + " / ".join(f"{r['steal']:.1%}" for r in c["full_runs"]))
        if len(c.get("bare_runs", [])) > 1 and len(c.get("full_runs", [])) > 1:
            # The same work each time: how far this machine's CPU time moves between runs
            # (steal does not show it); what a single round's ratio can be off by.
            spread = {k: [r["cpu_s"] for r in c[f"{k}_runs"]] for k in ("bare", "full")}
            row("2. the same work's CPU time, slowest / fastest run", "",
                max(max(v) / min(v) for v in spread.values()), "{:.2f}x",
                ", ".join(f"{k} {min(v):.1f}-{max(v):.1f} s ({max(v) / min(v):.2f}x)" for k, v in spread.items()))
        row("2. crawler CPU per page, full / bare", "", f.get("crawl_cpu_per_page_ratio"), "{:.2f}x",
            f"{fu['cpu_s'] / max(fu['pages'], 1) * 1e3:.1f} vs {b['cpu_s'] / max(b['pages'], 1) * 1e3:.1f} ms; "
            f"server CPU {fu['server_cpu_s'] / fu['elapsed_s']:.0%} / {b['server_cpu_s'] / b['elapsed_s']:.0%} of a core")
        if f.get("crawl_thread_cpu_per_page_ratio"):
            row("2. reactor thread's CPU per page, full / bare", "", f.get("crawl_thread_cpu_per_page_ratio"),
                "{:.2f}x", f"{fu['thread_cpu_run_s'] / max(fu['pages'], 1) * 1e3:.2f} vs "
                f"{b['thread_cpu_run_s'] / max(b['pages'], 1) * 1e3:.2f} ms, spider open to close (what bounds "
                f"pages/s while the rest has a core)" + (
                    f"; writer process {fu['writer_cpu_s'] / max(fu['pages'], 1) * 1e3:.2f} ms"
                    if fu.get("writer_cpu_s") else ""))
    if c and lg:
        row(f"3. peak RSS, {n['articles']} articles", "", f.get("memory_peak_mb"), "{:.0f} MB")
        row(f"3. peak RSS, {n['articles_large']} articles", "memory_peak_large_mb", f.get("memory_peak_large_mb"),
            "{:.0f} MB", f"{lg['pages']} pages in {lg['wall_s']:.0f} s")
        row(f"3. peak RSS {n['articles_large']} / {n['articles']}", "memory_growth_ratio",
            f.get("memory_growth_ratio"), "{:.2f}x")
        row("4. incremental requests / first run's", "incremental_requests_ratio",
            f.get("incremental_requests_ratio"), "{:.1%}", f"{inc['requests']} / {first['requests']} requests")
        row("4. incremental time / first run's", "incremental_time_ratio", f.get("incremental_time_ratio"),
            "{:.1%}", f"{inc['wall_s']:.1f} s / {first['wall_s']:.1f} s (process wall time)")
        row("5. archive bytes per article", "", f.get("bytes_per_article"), "{:,.0f} B",
            f"{st['archive_bytes'] / 1e6:.1f} MB for {st['articles']} articles")
        row("5. stored raw HTML / raw size", "stored_html_ratio", f.get("stored_html_ratio"), "{:.1%}",
            f"{st['stored_html_bytes'] / 1e6:.1f} MB of {st['raw_html_bytes'] / 1e6:.1f} MB")
    if s:
        row(f"6. Datasette ?_search= on articles, median of {s['queries']}", "search_median_ms", f.get("search_median_ms"),
            "{:.1f} ms", f"{s['archive']['articles']} articles; p90 {s['search_p90_ms']:.0f} ms, "
            f"without facets {s['nofacet_search_median_ms']:.0f} ms, "
            f"ranked canned query {s['ranked_search_median_ms']:.0f} ms")
    if c and "reparse" in res:
        r = res["reparse"]
        row("7. reparse / parse-only, articles/s", "reparse_ratio", f.get("reparse_ratio"), "{:.0%}",
            f"{r['articles_per_s']:.0f} vs {p.get('parse_rate_per_s', 0):.0f} articles/s "
            f"(one pass, no best-of-N: {p.get('parse_rate_single_pass_per_s', 0):.0f}/s)")
    widths = [max(len(r[i]) for r in rows + [("figure", "value", "goal", "met?", "")]) for i in range(4)]
    head = ("figure", "value", "goal", "met?")
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)) + "  notes",
             "  ".join("-" * w for w in widths) + "  -----"]
    for r in rows:
        lines.append("  ".join(x.ljust(w) for x, w in zip(r[:4], widths)) + "  " + r[4])
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
