"""Scrapy settings: polite defaults for the real portal, and the archive's place.

Every value here can be overridden per run with ``-s NAME=VALUE``; the demo and the
tests do that to crawl the bundled sample portal on 127.0.0.1 at full speed.
"""

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "newsspider"
SPIDER_MODULES = ["newsspider.spiders"]
NEWSPIDER_MODULE = "newsspider.spiders"
# Project commands: crawl (lock + exit status for cron), reparse, export-warc
COMMANDS_MODULE = "newsspider.commands"

# --- The portal -----------------------------------------------------------------
# `scrapy crawl portal` with no arguments crawls this site.
PORTAL_URL = "https://usbanglanews.com/"
# Visible dates on the portal carry no offset; it is run from Brooklyn, New York.
# A machine-readable offset on the page always wins over this.
PORTAL_TIMEZONE = "America/New_York"

# The bundled sample portal's address in the archive (`make demo` serves it under this
# name through a local proxy, so archived URLs do not depend on a port).
SAMPLE_PORTAL_URL = "http://usbanglanews.test/"

# --- The archive ----------------------------------------------------------------
ARCHIVE_PATH = "data/archive.db"
# An archive holds one portal (archive_info.portal): a crawl of another portal into it is
# refused unless this is set.
ARCHIVE_FORCE_PORTAL = False
# A portal that cannot be reached at all (DNS, TCP) within this many seconds ends the
# run at once with status `unreachable`.
REACHABILITY_TIMEOUT = 10
# Rows are written in batches, one transaction each (a crash loses at most one batch,
# never half of one).
ARCHIVE_BATCH_SIZE = 50
# A failed URL is retried by later runs after RETRY_LATER_BASE * 2**(attempts-1)
# seconds; permanent failures (404, 410, parse failures) stop after this many attempts.
FAILURE_RETRY_BASE_SECONDS = 3600
FAILURE_MAX_ATTEMPTS_PERMANENT = 3
# Revisit schedule, as news-diff trackers do: [age below which, interval] in seconds.
# Articles older than the last age are never fetched again (unless the sitemap's
# <lastmod> says they changed).
REVISIT_SCHEDULE = [
    [86400, 3600],            # first day: hourly
    [7 * 86400, 6 * 3600],    # first week: every 6 hours
    [30 * 86400, 86400],      # first month: daily
    [90 * 86400, 7 * 86400],  # first three months: weekly
]
# Section pages are followed back only until a page holds no article that is new or
# due, and never past this many pages of one section in one run (endless pagination).
SECTION_MAX_PAGES = 300
# The run exits non-zero (for cron) when more than this share of article fetches failed.
MAX_ERROR_RATE = 0.5
# Logs go to stderr and to this file, rotated by size (None: logs/crawl.log beside the
# archive; "" turns it off).
LOG_ROTATING_FILE = None
LOG_ROTATING_MAX_BYTES = 10 * 1024 * 1024
LOG_ROTATING_BACKUPS = 5

# --- Politeness -----------------------------------------------------------------
CONTACT_URL = "https://github.com/newsspider-archive/newsspider"
USER_AGENT = f"newsspider/0.1 (Bangla news archive; +{CONTACT_URL})"
# Who runs this crawler: an e-mail address or URL the portal's operators can write to.
# Set it before the first crawl of the real portal (-s OPERATOR_CONTACT=archive@example.org,
# or here); it is added to the User-Agent. Left unset, a crawl of a real portal says so once.
OPERATOR_CONTACT = None
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 3
# Exponential backoff between retries of one request, and Retry-After honoured,
# both capped (newsspider.middlewares.BackoffRetryMiddleware).
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    # one URL policy on every request (newsspider.urls), before anything else sees it
    "newsspider.middlewares.UrlPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsspider.middlewares.RobotsRfc9309Middleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsspider.middlewares.BackoffRetryMiddleware": 550,
    # process_response runs from the highest number down: fix the charset before
    # HttpCompression, redirects (meta refresh) or the spider read the text
    "newsspider.middlewares.CharsetGuardMiddleware": 950,
}
# Only HTTP(S) is ever fetched: Scrapy's file handler reads local files whatever the
# URL's host, ftp waits on servers that never answer past DOWNLOAD_TIMEOUT, s3 and data
# serve nothing a news portal has. The URL policy refuses those schemes first; with
# their handlers gone no code path can reach them.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
COOKIES_ENABLED = False
# Scrapy's cookies middleware imports tldextract even when off: ours imports it only when
# COOKIES_ENABLED is turned on (newsspider.middlewares.CookiesMiddleware), in its place.
_SCRAPY_COOKIES = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
DOWNLOADER_MIDDLEWARES_BASE = {("newsspider.middlewares.CookiesMiddleware" if k == _SCRAPY_COOKIES else k): v
                               for k, v in _scrapy_defaults.DOWNLOADER_MIDDLEWARES_BASE.items()}
# No remote-control endpoint: Scrapy's telnet console (a Python shell into the crawler)
# is not listening during a crawl, on loopback or anywhere.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy's HTTP remote control (a job-execution endpoint)
# Off, and not even imported: Scrapy imports every extension its settings name to compare
# their keys, a disabled one too, and the remote control brought aiohttp into every crawl's
# start-up (138 ms). So they are left out of Scrapy's own list rather than set to None;
# whatever else a later Scrapy adds to that list stays.
_not_loaded = ("scrapy.extensions.telnet.TelnetConsole",
               "scrapy.extensions.remote_control.RemoteControl",
               "scrapy.extensions.logstats.LogStats")   # newsspider.progress says more
EXTENSIONS_BASE = {k: v for k, v in _scrapy_defaults.EXTENSIONS_BASE.items() if k not in _not_loaded}
EXTENSIONS = {"newsspider.progress.Progress": 500,
              "newsspider.budget.RunBudget": 500,
              "newsspider.gc_tuning.GcTuning": 0}
# Python's garbage collector for the crawl and its helper processes (newsspider/gc_tuning.py):
# three thresholds, or "python" for Python's own (700,10,10).
GC_THRESHOLDS = "5000,20,10"
# Progress lines: this often on a terminal, and this often in the log file (seconds).
PROGRESS_INTERVAL = 15
PROGRESS_LOG_INTERVAL = 60

# --- Limits: every one holds by default ---------------------------------------------
# Per run, for an hourly cron run against the real portal: stop cleanly after this wall
# time or this many requests (the run says "budget" in `runs` and exits 3; the next run
# goes on with what is left). 0 turns a limit off.
RUN_MAX_SECONDS = 50 * 60
RUN_MAX_REQUESTS = 20_000
# Depth limits: sitemap indexes nested in sitemap indexes, and chains of "আরও খবর" links
# (an article found only through related links of articles found only through ...).
SITEMAP_MAX_DEPTH = 3
RELATED_MAX_DEPTH = 3
# Query-string variants followed per page (``/news/1/?x=1``, ``?x=2``, ...); parameters
# that name a page (``p``, ``id``, ...) are not variants (newsspider.urls).
QUERY_VARIANTS_PER_PAGE = 3
# Bytes kept per stored response (larger bodies are parsed but not kept) and per run
# (compressed) before bodies stop being kept for the rest of the run.
RESPONSE_STORE_MAX_BYTES = 4 * 1024 * 1024
RUN_STORE_MAX_BYTES = 512 * 1024 * 1024

# --- The pipeline: response -> parse (spider) -> normalize -> validate -> store ---
# The pipelines are synchronous, so a callback's items and requests are processed one at
# a time: Scrapy's default (100) starts 100 asyncio tasks for every response's output,
# 7% of a local crawl's CPU for nothing (issue 17).
CONCURRENT_ITEMS = 1
# Scrapy checks every callback for a generator returning a value on every response, and
# its cache never hits for a bound method: it re-reads and re-parses the callback's
# source each time (6% of a local crawl's CPU). tests/test_spider_callbacks.py makes the
# same check once, on every callback of the project's spiders.
WARN_ON_GENERATOR_RETURN_VALUE = False
# True: article pages are parsed in a worker process (newsspider/parseworker.py, one
# message a page over a socket the crawl's event loop reads) while the crawl's thread
# fetches and schedules. With the archive's writer in a process of its own too, the
# crawl's thread does about what a bare spider does (bench/README.md, issue 17). A forced
# stop (a second signal) leaves the pages still in the worker to the next run.
PARSE_WORKER = True
# Requests queued on disk (the crawl command's JOBDIR) as Scrapy queues them, with a
# cheaper look-up of their callbacks' names (newsspider/squeues.py).
SCHEDULER_DISK_QUEUE = "newsspider.squeues.PickleLifoDiskQueue"
# Where the archive is written (pipelines/store.py, StorePipeline): "process", a child
# process that owns the SQLite connection (pipelines/writer.py), so SQLite's FTS5
# tokenizers and zlib run on another core while the crawl fetches and parses; or
# "inline". Batches in order either way, at most this many waiting.
ARCHIVE_WRITER = "process"
ARCHIVE_MAX_BATCHES_IN_FLIGHT = 4
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
