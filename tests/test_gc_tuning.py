"""Python's cyclic garbage collector, tuned for the crawl and its helper processes
(newsspider/gc_tuning.py, issue 17)."""

from __future__ import annotations

import gc
import os
import pytest
from scrapy.utils.test import get_crawler

from newsspider import gc_tuning
from newsspider.spiders.portal import PortalSpider


@pytest.fixture
def python_gc():
    """The test process's collector as it was, after the test."""
    thresholds, frozen, env = gc.get_threshold(), gc.get_freeze_count(), os.environ.get(gc_tuning.ENVIRONMENT)
    yield
    gc.set_threshold(*thresholds)
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()
    if env is None:
        os.environ.pop(gc_tuning.ENVIRONMENT, None)
    else:
        os.environ[gc_tuning.ENVIRONMENT] = env


@pytest.mark.parametrize("value, expected", [
    ("5000,20,10", (5000, 20, 10)), (" 700, 10 ,10 ", (700, 10, 10)), ((100, 2, 3), (100, 2, 3)),
    ("python", None), ("", None), (None, None),
])
def test_thresholds_are_read_from_a_setting(value, expected):
    assert gc_tuning.thresholds(value) == expected


@pytest.mark.parametrize("value", ["5000", "a,b,c", "1,2,3,4", "0,10,10", "-1,10,10"])
def test_a_wrong_setting_says_so(value):
    with pytest.raises(ValueError, match="GC_THRESHOLDS"):
        gc_tuning.thresholds(value)


def test_the_crawl_sets_the_thresholds_and_freezes_what_it_started_with(python_gc):
    gc.set_threshold(700, 10, 10)
    crawler = get_crawler(PortalSpider, {"ARCHIVE_PATH": "", "PORTAL_URL": "http://x.test/"})
    ext = gc_tuning.GcTuning.from_crawler(crawler)
    assert gc.get_threshold() == gc_tuning.THRESHOLDS == (5000, 20, 10)
    assert os.environ[gc_tuning.ENVIRONMENT] == "5000,20,10"  # for the helper processes
    before = gc.get_freeze_count()
    ext.spider_opened(None)
    assert gc.get_freeze_count() > before


def test_python_s_own_collector_when_asked(python_gc):
    gc.set_threshold(700, 10, 10)
    crawler = get_crawler(PortalSpider, {"ARCHIVE_PATH": "", "PORTAL_URL": "http://x.test/",
                                         "GC_THRESHOLDS": "python"})
    gc_tuning.GcTuning.from_crawler(crawler)
    assert gc.get_threshold() == (700, 10, 10)
    assert os.environ[gc_tuning.ENVIRONMENT] == "python"


def thresholds_here(body, url, content_type=None, tz=None):
    """A "parser" the parse worker runs by name: the collector's thresholds in its process."""
    return gc.get_threshold(), gc.get_freeze_count() > 0


def test_the_helper_processes_take_the_crawls_thresholds(python_gc, tmp_path):
    """The parse worker and the archive's writer apply what the crawl's process was given
    (they inherit it through the environment), and freeze what they imported."""
    from tests.test_parseworker import run

    from newsspider.parseworker import ParseWorker
    from pipelines.writer import ArchiveProcess

    os.environ[gc_tuning.ENVIRONMENT] = "1234,5,6"
    worker = ParseWorker()
    try:
        assert run(worker.parse(b"<p>x</p>", "http://x.test/", None, "UTC", parse=thresholds_here)) == ((1234, 5, 6), True)
    finally:
        worker.close()
    writer = ArchiveProcess(tmp_path / "archive.db")
    try:
        assert writer.call("gc_threshold") == (1234, 5, 6)
        writer.call("close")
    finally:
        writer.close()
