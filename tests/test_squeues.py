"""The crawl's disk queue (newsspider/squeues.py) stores exactly what Scrapy's stores."""

from __future__ import annotations

import scrapy
from scrapy.squeues import PickleLifoDiskQueue as ScrapyQueue
from scrapy.utils.test import get_crawler

from newsspider.spiders.portal import PortalSpider
from newsspider.squeues import PickleLifoDiskQueue


def test_same_bytes_as_scrapys_queue_and_the_same_requests_back(tmp_path):
    crawler = get_crawler(PortalSpider, {"ARCHIVE_PATH": "", "PORTAL_URL": "http://x.test/"})
    spider = PortalSpider.from_crawler(crawler)
    crawler.spider = spider
    requests = [
        scrapy.Request("http://x.test/news/1/", callback=spider.parse_article, errback=spider.article_failed,
                       priority=10, headers={"If-None-Match": '"e"'}, dont_filter=True, meta={"role": "article"}),
        scrapy.Request("http://x.test/sitemap.xml", callback=spider.parse_sitemap, errback=spider.discovery_failed),
        scrapy.Request("http://x.test/", callback=spider.parse_listing),
        scrapy.Request("http://x.test/x", callback=None),
        scrapy.Request("http://x.test/news/2/", callback=spider.parse_article, cb_kwargs={"a": 1}, flags=["f"],
                       cookies={"c": "1"}, encoding="latin-1", method="HEAD"),
        scrapy.FormRequest("http://x.test/search", formdata={"q": "x"}, callback=spider.parse_listing),
    ]
    stored = {}
    for name, cls in (("scrapy", ScrapyQueue), ("ours", PickleLifoDiskQueue)):
        q = cls.from_crawler(crawler, str(tmp_path / name))
        for r in requests:
            q.push(r)
        q.close()
        stored[name] = (tmp_path / name).read_bytes()
    assert stored["ours"] == stored["scrapy"] and stored["ours"]
    q = PickleLifoDiskQueue.from_crawler(crawler, str(tmp_path / "ours"))
    back = [q.pop() for _ in requests][::-1]
    q.close()
    assert [r.to_dict(spider=spider) for r in back] == [r.to_dict(spider=spider) for r in requests]
