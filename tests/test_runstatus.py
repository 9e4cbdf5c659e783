"""The exit status cron sees (newsspider.runstatus), on Scrapy stats dictionaries."""

from scrapy.settings import Settings

from newsspider.runstatus import EXIT_FAILED, EXIT_OK, exit_status, problems

SETTINGS = Settings({"MAX_ERROR_RATE": 0.5})
OK = {"downloader/response_count": 20, "finish_reason": "finished"}


def test_a_healthy_run_is_0():
    stats = {**OK, "newsspider/requested/sitemap": 10, "newsspider/failures": 2}
    assert exit_status(stats, SETTINGS) == EXIT_OK


def test_new_failures_over_the_threshold_fail_the_run():
    stats = {**OK, "newsspider/requested/sitemap": 10, "newsspider/failures": 6}
    assert exit_status(stats, SETTINGS) == EXIT_FAILED
    assert problems(stats, SETTINGS) == ["6 of 10 article fetches failed (over 50%)"]


def test_known_failures_retried_again_do_not_count():
    stats = {**OK, "newsspider/requested/retry": 3, "newsspider/failures": 3,
             "newsspider/failures_repeated": 3}
    assert exit_status(stats, SETTINGS) == EXIT_OK
    # ... but new ones among fresh requests still do
    stats.update({"newsspider/requested/sitemap": 4, "newsspider/failures": 6})
    assert problems(stats, SETTINGS) == ["3 of 4 article fetches failed (over 50%)"]


def test_no_page_archive_errors_and_abnormal_ends_fail_the_run():
    assert problems({"finish_reason": "finished"}, SETTINGS) == ["no page could be fetched"]
    assert exit_status({**OK, "newsspider/archive_errors": 1}, SETTINGS) == EXIT_FAILED
    assert exit_status({**OK, "finish_reason": "shutdown"}, SETTINGS) == EXIT_FAILED
