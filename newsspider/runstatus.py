"""What a run's exit status tells cron.

0   the run did its job;
1   the run failed: no page could be fetched, the archive could not be written, the
    crawl ended abnormally, or the share of failed article fetches is over
    ``MAX_ERROR_RATE`` (default 0.5). URLs that were already failing and were only
    retried do not count: a page the portal keeps broken would otherwise fail every run
    in which its retry falls due and little else is fetched;
75  another run holds the archive's lock (EX_TEMPFAIL: try again later); nothing done.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOCKED = 75

NORMAL_FINISH = {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}


def problems(stats: dict, settings) -> list[str]:
    found = []
    if not stats.get("downloader/response_count"):
        found.append("no page could be fetched")
    if stats.get("newsspider/archive_errors"):
        found.append(f"the archive could not be written ({stats['newsspider/archive_errors']} batches failed)")
    reason = stats.get("finish_reason")
    if reason and reason not in NORMAL_FINISH:
        found.append(f"the crawl ended with {reason!r}")
    requested = sum(v for k, v in stats.items()
                    if k.startswith("newsspider/requested/") and k != "newsspider/requested/retry")
    failed = stats.get("newsspider/failures", 0) - stats.get("newsspider/failures_repeated", 0)
    threshold = settings.getfloat("MAX_ERROR_RATE", 0.5)
    if requested and failed / requested > threshold:
        found.append(f"{failed} of {requested} article fetches failed (over {threshold:.0%})")
    return found


def exit_status(stats: dict, settings) -> int:
    return EXIT_FAILED if problems(stats, settings) else EXIT_OK
