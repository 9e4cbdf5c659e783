"""What a run's exit status tells cron.

0   the run did its job;
1   the run failed: no page could be fetched, the archive could not be written, the
    crawl ended abnormally, robots.txt could not be fetched (RFC 9309: disallow all), an
    exception escaped the spider's code, a page's parse or store raised an exception
    (recorded in ``failures`` as kind ``parse``), or the share of failed article fetches
    is over ``MAX_ERROR_RATE`` (default 0.5). URLs that were already failing and were
    only retried do not count: a page the portal keeps broken would otherwise fail every
    run in which its retry falls due and little else is fetched;
2   a mistake in the command (an unknown argument, a bad value): nothing was done;
3   the run stopped cleanly at its budget (``RUN_MAX_SECONDS`` / ``RUN_MAX_REQUESTS``):
    what it fetched is stored, and the next run goes on from there;
75  another run holds the archive's lock (EX_TEMPFAIL: try again later); nothing done;
130, 143  interrupted by SIGINT (Ctrl-C) or SIGTERM: what was fetched is stored, the run
    is ``interrupted``, and the next run goes on.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUDGET = 3
EXIT_LOCKED = 75

NORMAL_FINISH = {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
BUDGET_FINISH = {"budget_time", "budget_requests"}


def problems(stats: dict, settings) -> list[str]:
    found = []
    if not stats.get("downloader/response_count"):
        found.append("no page could be fetched")
    if stats.get("newsspider/robots_unreachable"):
        found.append(f"robots.txt could not be fetched ({stats['newsspider/robots_unreachable']}), "
                     "so nothing may be fetched (RFC 9309)")
    if stats.get("newsspider/archive_errors"):
        why = stats.get("newsspider/archive_error")
        found.append(f"the archive could not be written ({why}); free disk space or fix the file's "
                     "permissions, then run again: the next run fetches what is missing" if why else
                     f"the archive could not be written ({stats['newsspider/archive_errors']} batches failed)")
    reason = stats.get("finish_reason")
    if reason == "shutdown" and stats.get("newsspider/signal"):
        pass  # an interruption, not a failure: exit 128 + signal
    elif reason and reason not in NORMAL_FINISH | BUDGET_FINISH:
        found.append(f"the crawl ended with {reason!r}")
    exceptions = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/"))
    if exceptions:
        found.append(f"{exceptions} exceptions in the spider's code (see the log)")
    errors = stats.get("newsspider/parse_errors", 0) - stats.get("newsspider/parse_errors_repeated", 0)
    if errors:
        found.append(f"{errors} pages raised an exception while parsing or storing (in failures, kind 'parse')")
    requested = sum(v for k, v in stats.items()
                    if k.startswith("newsspider/requested/") and k != "newsspider/requested/retry")
    failed = stats.get("newsspider/failures", 0) - stats.get("newsspider/failures_repeated", 0)
    threshold = settings.getfloat("MAX_ERROR_RATE", 0.5)
    if requested and failed / requested > threshold:
        found.append(f"{failed} of {requested} article fetches failed (over {threshold:.0%})")
    return found


def budget_spent(stats: dict) -> str | None:
    """Why the run stopped at its budget, or None."""
    if stats.get("finish_reason") in BUDGET_FINISH:
        return stats.get("newsspider/budget") or stats["finish_reason"]
    return None


def exit_status(stats: dict, settings) -> int:
    signum = stats.get("newsspider/signal") or stats.get("newsspider/signal_forced")
    if signum:
        return 128 + int(signum)
    if problems(stats, settings):
        return EXIT_FAILED
    return EXIT_BUDGET if budget_spent(stats) else EXIT_OK
