"""Search speed and quality (issue 13), on archives built from the sample portal's generator.

    python -m bench.search                    # 50,000 articles (built once, then cached)
    python -m bench.search --sizes 50000,500000   # also half a million (slow to build)
    python -m bench.search --quick            # 10,000 articles

Speed: 50 queries of mixed kinds and lengths (one word rare to very common, short words,
inflected forms, two and three words, phrases, OR, prefix*, exclusions), each timed
through a real Datasette (``newsspider.browse.datasette_command``) and, in the same run, as
a bare FTS5 MATCH of the same query (``select rowid from articles_words where
articles_words match ?``, the compiled expression, every rowid fetched, in-process).
Each query's time is the best of 3 (after one warm-up request): the machine's 2 cores are
shared. Figures are medians over the 50 queries; ratios are to the bare MATCH's median.

- ranked search with its facet counts: ``GET /archive/search?q=`` (the HTML page: the 50 best
  rows with excerpts, and the section/agency/byline/month counts of every match)
- ``/archive/search.json?q=`` (the rows only)
- the table page: ``/archive/articles.json?_search=`` with its four facets and the count,
  and the HTML page ``/archive/articles?_search=``

Quality (no HTTP: the ``search`` query's own SQL from data/metadata.yml, on a connection
with the plugin's SQL functions):

- known-item: two or three consecutive words of a headline -> the rank of the first
  article with that headline (the generator reuses headlines: articles with the same
  headline cannot be told apart by it, so any of them is the known item); MRR over 200.
- inflected-form recall: word groups of the index's vocabulary (a stem and its forms under
  the documented suffix list, 2+ forms present); for every form, the share of the articles
  holding any form of the group that the search for that form finds.
- equivalence: words with য়/ড় typed precomposed (U+09DF/U+09DC) or decomposed, numbers
  typed in Bangla or ASCII digits: the share of queries whose two spellings return the
  same articles (goal 100%).

The same quality figures are computed for the search before issue 13 (the trigram index
with Datasette's escape_fts and no normalisation) on the same archive, for the record.
Prints tables; writes bench/out/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench import perf  # noqa: E402
from newsspider import search as S  # noqa: E402
from newsspider.datasette_plugins import search as plugin  # noqa: E402

OUT = ROOT / "bench" / "out" / "search.json"
REPEATS = 3
GOALS = {"ranked_facets_ms_50k": 30, "ranked_facets_ms_500k": 100, "mrr": 0.95, "recall": 0.95,
         "equivalence": 1.0}
OLD_SQL = """select a.id as article_id from articles_fts join articles a on a.id = articles_fts.rowid
where articles_fts match escape_fts(coalesce(nullif(trim(:q), ''), '-'))
order by bm25(articles_fts, 5.0, 1.0), a.published desc limit 200"""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def search_sql() -> str:
    meta = yaml.safe_load((ROOT / "data" / "metadata.yml").read_text(encoding="utf-8"))
    return meta["databases"]["archive"]["queries"]["search"]["sql"]


def connect(path: Path) -> sqlite3.Connection:
    from datasette.utils import escape_fts

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.execute("PRAGMA mmap_size = 4294967296")  # as the plugin's connections read
    con.create_function("datasette_escape_fts", 1, escape_fts)
    plugin.register_functions(con)
    return con


def run_new(con, sql, q, **filters) -> list[int]:
    params = {"q": q, **{k: filters.get(k, "") for k in plugin.FILTERS}}
    return [r[0] for r in con.execute(sql, params)]


def run_old(con, q) -> list[int]:
    # the search before issue 13: the query as typed, Datasette's escape_fts, trigrams
    return [r[0] for r in con.execute(OLD_SQL.replace("escape_fts(", "datasette_escape_fts("), {"q": q})]


# ------------------------------------------------------------------ queries
def mixed_queries(vocab: list[tuple[str, int]], headlines: list[str], n: int = 50, seed: int = 13) -> list[str]:
    rnd = random.Random(seed)
    bangla = sorted((t, d) for t, d in vocab if any("\u0980" <= c <= "\u09ff" for c in t) and not t.isdigit())
    by_freq = sorted(bangla, key=lambda x: x[1])
    step = max(1, len(by_freq) // 16)
    singles = [by_freq[min(len(by_freq) - 1, k * step)][0] for k in range(16)]
    short = [t for t, d in bangla if len(t) <= 2][:4]
    inflected = [t for t, _ in bangla if t.endswith(("ের", "কে", "তে", "রা"))]
    inflected = rnd.sample(inflected, min(6, len(inflected)))
    multi = []
    for h in rnd.sample(headlines, 16):
        w = S.words_of(h)
        if len(w) >= 3:
            k = 2 if len(multi) % 2 == 0 else 3
            i = rnd.randrange(0, len(w) - k + 1)
            multi.append(" ".join(w[i:i + k]))
    phrases = ['"' + m + '"' for m in multi[:4]]
    ors = [f"{a} OR {b}" for a, b in zip(singles[::4], singles[2::4])][:4]
    prefixes = [t[: max(3, len(t) - 2)] + "*" for t in singles[1::4]][:3]
    excl = [f"{multi[i].split()[0]} -{singles[-1 - i]}" for i in range(3)]
    qs = singles + short + inflected + multi[:12] + phrases + ors + prefixes + excl
    return qs[:n]


# ------------------------------------------------------------------ speed
def bare_times(con, queries, repeats=REPEATS) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) of the bare MATCH of each query, each the best of ``repeats``."""
    out, cpu = [], []
    for q in queries:
        expr = S.compile_query(q)
        best = best_cpu = None
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            con.execute("select rowid from articles_words where articles_words match ?", [expr]).fetchall()
            t, c = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
            best = t if best is None else min(best, t)
            best_cpu = c if best_cpu is None else min(best_cpu, c)
        out.append(best)
        cpu.append(best_cpu)
    return out, cpu


def cpu_ms(pid: int) -> float:
    """CPU time of every thread of process ``pid`` so far (ns-resolution scheduler
    statistics; /proc/<pid>/stat counts in 10 ms ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e6


def http_times(servers, queries, path_of) -> list[tuple[list[float], list[float], int]]:
    """For each server (base URL, pid): (wall ms, server CPU ms, failed requests) of each
    query's request, each the best of REPEATS after a warm-up. With two servers (this
    checkout's and ``--compare-with``'s) every repetition alternates between them, so the
    machine's load falls on both alike. The CPU time is the Datasette process's (all its
    threads), the figure that the other engineers' load on the 2 shared cores changes least."""
    out = [([], [], 0) for _ in servers]
    errors = [[] for _ in servers]

    def fetch(k, url):
        try:
            urllib.request.urlopen(url, timeout=120).read()
        except urllib.error.HTTPError as e:  # e.g. 500 when a query passes the time limit
            errors[k].append((url, e.code))

    for q in queries:
        for k, (base, _pid) in enumerate(servers):
            fetch(k, base + path_of(q))  # once to warm the page cache
        best = [None] * len(servers)
        best_cpu = [None] * len(servers)
        for _ in range(REPEATS):  # the best of REPEATS: the 2 cores are shared with others
            for k, (base, pid) in enumerate(servers):
                c0 = cpu_ms(pid)
                t0 = time.perf_counter()
                fetch(k, base + path_of(q))
                t = (time.perf_counter() - t0) * 1e3
                c = cpu_ms(pid) - c0
                best[k] = t if best[k] is None else min(best[k], t)
                best_cpu[k] = c if best_cpu[k] is None else min(best_cpu[k], c)
        for k in range(len(servers)):
            out[k][0].append(best[k])
            out[k][1].append(best_cpu[k])
    for k, errs in enumerate(errors):
        if errs:
            log(f"  server {k}: {len(errs)} requests failed (time counted until the error), e.g. {errs[0]}")
    return [(w, c, len(errors[k])) for k, (w, c, _) in enumerate(out)]


def start_datasette(archive: Path, root: Path, tag: str):
    """A Datasette of the checkout at ``root`` (its plugins, templates and metadata) on
    ``archive``: (process, base URL)."""
    port = perf.free_port()
    env = {**perf.ENV, "PYTHONPATH": str(root)}
    cmd = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sys; from pathlib import Path; "
         "from newsspider.browse import datasette_command; "
         "print(json.dumps(datasette_command(Path(sys.argv[1]), '127.0.0.1', int(sys.argv[2]))))",
         str(archive.resolve()), str(port)], cwd=root, env=env, check=True, capture_output=True, text=True).stdout)
    perf.WORK.mkdir(parents=True, exist_ok=True)
    log_path = perf.WORK / f"datasette-search-{tag}.log"
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"datasette exited: see {log_path}")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"datasette did not start: see {log_path}")


def measure_speed(archive: Path, queries: list[str], compare_with: Path | None = None) -> dict:
    con = connect(archive)
    bare, bare_cpu = bare_times(con, queries)
    procs = []
    quote = urllib.parse.quote
    try:
        roots = [("this", ROOT)] + ([("compared", compare_with)] if compare_with else [])
        for tag, root in roots:
            procs.append(start_datasette(archive, root, tag))
        kinds = {
            "ranked_page": lambda q: f"/archive/search?q={quote(q)}",
            "ranked_json": lambda q: f"/archive/search.json?q={quote(q)}",
            "table_json": lambda q: f"/archive/articles.json?_search={quote(q)}&_shape=objects",
            "table_page": lambda q: f"/archive/articles?_search={quote(q)}",
        }
        servers = [(base, proc.pid) for proc, base in procs]
        times = {k: http_times(servers, queries, f) for k, f in kinds.items()}
    finally:
        for proc, _ in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    hits = [len(con.execute("select rowid from articles_words where articles_words match ?",
                            [S.compile_query(q)]).fetchall()) for q in queries]
    bare_med, bare_cpu_med = statistics.median(bare), statistics.median(bare_cpu)
    out = {"queries": queries, "bare_ms": [round(t, 2) for t in bare], "bare_median_ms": bare_med,
           "bare_cpu_ms": [round(t, 2) for t in bare_cpu], "bare_cpu_median_ms": bare_cpu_med,
           "hits": hits, "hits_median": statistics.median(hits), "hits_max": max(hits),
           "load_average": os.getloadavg()}

    def figures(ts, cs, errs):
        med, cmed = statistics.median(ts), statistics.median(cs)
        return {"median_ms": med, "p90_ms": sorted(ts)[int(0.9 * len(ts)) - 1],
                "ratio_to_bare": med / bare_med if bare_med else None, "per_query_ms": [round(t, 1) for t in ts],
                "cpu_median_ms": cmed, "cpu_ratio_to_bare": cmed / bare_cpu_med if bare_cpu_med else None,
                "per_query_cpu_ms": [round(t, 1) for t in cs], "failed_requests": errs}

    for k, per_server in times.items():
        out[k] = figures(*per_server[0])
        if compare_with:
            other = figures(*per_server[1])
            # the median of the per-query ratios (this / compared), measured alternately
            other["cpu_this_over_compared"] = statistics.median(
                a / b for a, b in zip(per_server[0][1], per_server[1][1]) if b)
            other["wall_this_over_compared"] = statistics.median(
                a / b for a, b in zip(per_server[0][0], per_server[1][0]) if b)
            out.setdefault("compared", {"root": str(compare_with)})[k] = other
    return out


# ------------------------------------------------------------------ write cost
def measure_write_cost(n: int = 2000) -> dict:
    """The crawl side: ``Archive.write`` of the same ``n`` parsed sample articles (in
    batches of 50, as the crawl's pipeline does) into a fresh archive with this schema and
    into one without the search steps (the word index: its triggers and its part of the
    batch's deferred indexing; the facet table's triggers): the seconds of each, best of 3,
    alternated."""
    import tempfile

    from newsspider.items import Article, RawResponse
    from pipelines.normalize import normalize_article
    from pipelines.store import KEPT_HEADERS, Archive

    perf._fill_worker_init(n)
    items = []
    for i, headers, body, fields in perf._fill_worker(perf._PORTAL.article_ids()[:n]):
        kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
        url = f"http://127.0.0.1:8765/news/{i}/"
        raw = RawResponse(url, url, 200, kept, body, "2025-05-15T00:00:00+00:00")
        items.append(normalize_article(Article.from_fields(fields, raw, revisit=False), "America/New_York"))

    from pipelines import schema

    index_values = schema._index_values

    def trigram_only(row: str) -> dict:  # a batch's deferred indexing without the word index
        return {k: v for k, v in index_values(row).items() if k != schema.WORDS_TABLE}

    def write(strip: bool) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            store = Archive(str(Path(tmp) / "a.db"))
            if strip:
                for (name,) in store.conn.execute(
                        "select name from sqlite_master where type = 'trigger' and "
                        "(name like 'articles_words%' or name like 'search_facets%')").fetchall():
                    store.conn.execute(f"drop trigger {name}")
                schema._index_values = trigram_only
            try:
                store.start_run("bench-write", {})
                t0 = time.perf_counter()
                for k in range(0, len(items), 50):
                    store.write(items[k:k + 50])
                t = time.perf_counter() - t0
            finally:
                schema._index_values = index_values
            words = store.conn.execute(f"SELECT count(*) FROM {schema.WORDS_TABLE}_docsize").fetchone()[0]
            assert words == (0 if strip else len(items)), (strip, words)  # the baseline is what it says
            store.close()
            return t

    runs = {True: [], False: []}
    for _ in range(3):  # alternated: the machine's load changes between runs
        for strip in (False, True):
            runs[strip].append(write(strip))
    with_search, without = min(runs[False]), min(runs[True])
    return {"articles": len(items), "with_search_s": with_search, "without_search_s": without,
            "ratio": with_search / without}


# ------------------------------------------------------------------ quality
def known_item(con, sql, runner, df=None, n=200, seed=7) -> dict:
    """``df`` None: two or three consecutive words of the headline, at random; else
    (term -> headlines) the two or three words of the headline that the fewest headlines
    hold, in headline order (how a reader recalls an item: by what sets it apart)."""
    rnd = random.Random(seed)
    rows = con.execute("select id, headline from articles").fetchall()
    sample = rnd.sample(rows, min(n, len(rows)))
    rr = []
    for _aid, headline in sample:
        w = S.words_of(headline)
        k = min(len(w), rnd.choice((2, 3)))
        if df is None:
            i = rnd.randrange(0, len(w) - k + 1)
            q = " ".join(w[i:i + k])
        else:
            rare = sorted(range(len(w)), key=lambda j: (df.get(S.fold(w[j]).lower(), 0), j))[:k]
            q = " ".join(w[j] for j in sorted(rare))
        ids = runner(q)
        if not ids:
            rr.append(0.0)
            continue
        heads = dict(con.execute(f"select id, headline from articles where id in ({','.join(map(str, ids))})"))
        rank = next((r for r, x in enumerate(ids, 1) if heads.get(x) == headline), None)
        rr.append(1.0 / rank if rank else 0.0)
    return {"queries": len(rr), "mrr": statistics.mean(rr), "found_first": sum(r == 1.0 for r in rr) / len(rr)}


def word_groups(vocab, limit=60, seed=5) -> list[list[str]]:
    terms = {t for t, _ in vocab}
    groups = []
    for t in sorted(terms):
        if not any("\u0980" <= c <= "\u09ff" for c in t) or len(t) < 2:
            continue
        fs = [t] + [t + s for s in S.SUFFIXES if t + s in terms]
        if len(fs) >= 2:
            groups.append(fs)
    rnd = random.Random(seed)
    return rnd.sample(groups, min(limit, len(groups)))


def all_matches(con, expr) -> set[int]:
    return {r[0] for r in con.execute("select rowid from articles_words where articles_words match ?", [expr])}


def old_all_matches(con, q) -> set[int]:
    from datasette.utils import escape_fts
    return {r[0] for r in con.execute("select rowid from articles_fts where articles_fts match ?", [escape_fts(q)])}


def inflection_recall(con, groups, engine="new") -> dict:
    recalls = []
    for fs in groups:
        truth = all_matches(con, " OR ".join(S._quote(f) for f in fs))
        for f in fs:
            got = all_matches(con, S.compile_query(f)) if engine == "new" else old_all_matches(con, f)
            recalls.append(len(got & truth) / len(truth))
    return {"groups": len(groups), "forms": len(recalls), "recall": statistics.mean(recalls),
            "complete": sum(r == 1.0 for r in recalls) / len(recalls)}


def inflection_alternatives(con, groups) -> dict:
    """The rule chosen against two others, on the same word groups: each form alone
    (no inflection), and its shortest stem as a prefix (stem*). recall as above; extra:
    the share of the matches that hold no form of the group (a prefix finds দলীয় for দল)."""
    out = {}
    rules = {
        "exact word": lambda f: S._quote(f),
        "stem* prefix": lambda f: S._quote(min(S._stems(f), key=len)) + " *",
        "suffix rule": lambda f: S.compile_query(f),
    }
    for name, expr_of in rules.items():
        recalls, extras = [], []
        for fs in groups:
            truth = all_matches(con, " OR ".join(S._quote(f) for f in fs))
            for f in fs:
                got = all_matches(con, expr_of(f))
                recalls.append(len(got & truth) / len(truth))
                extras.append(len(got - truth) / len(got) if got else 0.0)
        out[name] = {"recall": statistics.mean(recalls), "extra": statistics.mean(extras)}
    return out


def equivalence(con, vocab, sql, runner_new, runner_old) -> dict:
    nukta = [t for t, _ in vocab if "\u09bc" in t][:40]
    digits = [t for t, _ in vocab if t.isdigit() and t.isascii()][:20]
    pairs = []
    for t in nukta:
        pre = t.replace("\u09af\u09bc", "\u09df").replace("\u09a1\u09bc", "\u09dc").replace("\u09a2\u09bc", "\u09dd")
        pairs.append((pre, t))
    tr = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
    for t in digits:
        pairs.append((t, t.translate(tr)))
    out = {}
    for name, runner in (("new", runner_new), ("old", runner_old)):
        same = [set(runner(a)) == set(runner(b)) and bool(runner(b) or runner(a)) for a, b in pairs]
        out[name] = sum(same) / len(same) if same else None
    out["pairs"] = len(pairs)
    out["nukta_pairs"], out["digit_pairs"] = len(nukta), len(digits)
    return out


def vocabulary(con):
    # (a temporary fts5vocab table on the bench's own read-only connection)
    con.execute("create virtual table if not exists temp.articles_words_vocab using fts5vocab(main, articles_words, row)")
    vocab = con.execute("select term, doc from temp.articles_words_vocab").fetchall()
    return vocab, [h for (h,) in con.execute("select headline from articles limit 5000")]


def measure_quality(archive: Path) -> dict:
    con = connect(archive)
    vocab, _ = vocabulary(con)
    sql = search_sql()
    new = lambda q: run_new(con, sql, q)  # noqa: E731
    old = lambda q: run_old(con, q)  # noqa: E731
    groups = word_groups(vocab)
    from collections import Counter
    hdf = Counter()
    for (h,) in con.execute("select headline from articles"):
        hdf.update({S.fold(w).lower() for w in S.words_of(h)})
    res = {
        "known_item": {"new": known_item(con, sql, new), "old": known_item(con, sql, old)},
        "known_item_rare": {"new": known_item(con, sql, new, hdf), "old": known_item(con, sql, old, hdf)},
        "recall": {"new": inflection_recall(con, groups), "old": inflection_recall(con, groups, "old")},
        "inflection_rules": inflection_alternatives(con, groups),
        "equivalence": equivalence(con, vocab, sql, new, old),
    }
    return res


def table(res: dict) -> str:
    lines = ["figure                                              now        before     goal    met?",
             "--------------------------------------------------  ---------  ---------  ------  ----"]
    for size, r in res["sizes"].items():
        q = r.get("quality")
        if q:
            ki, rc, eq = q["known_item"], q["recall"], q["equivalence"]
            kr = q["known_item_rare"]
            lines.append(f"{'known-item MRR, 2-3 consecutive headline words, ' + size:50}  {ki['new']['mrr']:<9.3f}  {ki['old']['mrr']:<9.3f}  >= 0.95  {'yes' if ki['new']['mrr'] >= 0.95 else 'NO'}")
            lines.append(f"{'known-item MRR, its 2-3 rarest headline words, ' + size:50}  {kr['new']['mrr']:<9.3f}  {kr['old']['mrr']:<9.3f}  >= 0.95  {'yes' if kr['new']['mrr'] >= 0.95 else 'NO'}")
            lines.append(f"{'inflected-form recall, ' + size:50}  {rc['new']['recall']:<9.3f}  {rc['old']['recall']:<9.3f}  >= 0.95  {'yes' if rc['new']['recall'] >= 0.95 else 'NO'}")
            lines.append(f"{'য়/ড় and digit equivalence, ' + str(eq['pairs']) + ' pairs, ' + size:50}  {eq['new']:<9.0%}  {eq['old']:<9.0%}  100%    {'yes' if eq['new'] == 1 else 'NO'}")
        if q and q.get("inflection_rules"):
            for name, v in q["inflection_rules"].items():
                lines.append(f"{'  rule ' + name + ': recall / matches outside the word':50}  {v['recall']:<9.3f}  {v['extra']:<9.3f}")
        s = r.get("speed")
        if s:
            goal = 30 if int(size) <= 50000 else 100
            for k, label in (("ranked_page", "ranked search page with facet counts"),
                             ("ranked_json", "search.json (rows only)"),
                             ("table_json", "table ?_search= .json, its facets + count"),
                             ("table_page", "table ?_search= page, its facets")):
                v = s[k]
                g = f"<= {goal}" if k in ("ranked_page", "table_json", "table_page") else ""
                met = ("yes" if v["median_ms"] <= goal else "NO") if g else ""
                cmet = ("yes" if v.get("cpu_median_ms", 1e9) <= goal else "NO") if g else ""
                lines.append(f"{label + ', ' + size:50}  {v['median_ms']:<6.1f} ms  {v['ratio_to_bare']:<6.1f} x   {g:6}  {met}"
                             + (f"  ({v['failed_requests']} requests failed)" if v.get("failed_requests") else ""))
                if "cpu_median_ms" in v:
                    lines.append(f"{'  server CPU time':50}  {v['cpu_median_ms']:<6.1f} ms  {v['cpu_ratio_to_bare']:<6.1f} x   {g:6}  {cmet}")
            for k, v in (s.get("compared") or {}).items():
                if k == "root":
                    continue
                lines.append(f"{'  compared checkout: ' + k:50}  {v['median_ms']:<6.1f} ms  CPU {v['cpu_median_ms']:<6.1f} ms  "
                             f"this/compared: CPU {v['cpu_this_over_compared']:.2f}, wall {v['wall_this_over_compared']:.2f}")
            lines.append(f"{'bare FTS5 MATCH of the same queries, ' + size:50}  {s['bare_median_ms']:<6.2f} ms  (median hits {s['hits_median']}, max {s['hits_max']})")
            if "bare_cpu_median_ms" in s:
                lines.append(f"{'  its CPU time':50}  {s['bare_cpu_median_ms']:<6.2f} ms  (load average {s['load_average'][0]:.1f})")
    w = res.get("write")
    if w:
        lines.append(f"{'store writes with / without the search triggers':50}  {w['ratio']:<6.2f} x   "
                     f"{w['with_search_s']:.2f} vs {w['without_search_s']:.2f} s for {w['articles']} articles")
    lines.append("(speed: 'before' column = ratio to the bare MATCH; quality: 'before' = the trigram search of main)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50000", help="archive sizes, comma-separated (500000 is slow to build)")
    ap.add_argument("--quick", action="store_true", help="one archive of 10,000 articles")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--partial", action="store_true",
                    help="a size whose build was stopped is measured as it is (its article count is reported)")
    ap.add_argument("--archive", help="measure this archive instead (e.g. data/archive.db, a real crawl's)")
    ap.add_argument("--compare-with", type=Path, help="another checkout (e.g. `git archive` of the commit before): "
                    "its Datasette serves the same archive, timed alternately with this one's")
    ap.add_argument("--only", default="quality,speed,write")
    ap.add_argument("--out", default=str(OUT), help="where the JSON goes (default bench/out/search.json)")
    args = ap.parse_args(argv)
    sizes = [10000] if args.quick else [int(x) for x in args.sizes.split(",")]
    res = {"sizes": {}}
    if "write" in args.only:
        log("write cost of the search steps ...")
        res["write"] = measure_write_cost()
    targets = [(None, Path(args.archive))] if args.archive else [(n, None) for n in sizes]
    for n, path in targets:
        if path is None:
            log(f"search archive of {n} articles ...")
            archive, info = perf.search_archive(n, args.rebuild, resume_only=args.partial)
        else:
            archive = path
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            n = con.execute("select count(*) from articles").fetchone()[0]
            con.close()
            info = {"archive": str(path), "articles": n}
        log(f"  {info}")
        r = {"archive": info}
        vocab, headlines = vocabulary(connect(archive))
        if "quality" in args.only:
            r["quality"] = measure_quality(archive)
        if "speed" in args.only:
            queries = mixed_queries(vocab, headlines)
            r["speed"] = measure_speed(archive, queries, args.compare_with)
        res["sizes"][str(info.get("articles") if info.get("partial") or path else n)] = r
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1))
    print(table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
