"""Scrapy settings: polite defaults for the real portal, and the archive's place.

Every value here can be overridden per run with ``-s NAME=VALUE``; the demo and the
tests do that to crawl the bundled sample portal on 127.0.0.1 at full speed.
"""

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

# --- The archive ----------------------------------------------------------------
ARCHIVE_PATH = "data/archive.db"
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
# due; 0 = no further limit on pages per section.
SECTION_MAX_PAGES = 0
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
    "newsspider.middlewares.PortalRedirectGuard": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsspider.middlewares.BackoffRetryMiddleware": 550,
}
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- The pipeline: response -> parse (spider) -> normalize -> validate -> store ---
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
