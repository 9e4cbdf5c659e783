"""The crawl's on-disk request queue: Scrapy's, with a cheaper look-up of callback names.

The crawl command queues requests on disk (a fresh ``JOBDIR`` per run: the sitemaps put
every article's request in the queue at once). Scrapy's queue writes each request with
``Request.to_dict(spider=spider)``, which finds the name of the request's callback and
errback by ``inspect.getmembers(spider)``: every attribute of the spider, properties
included, twice per request (0.3 ms, 5% of a local crawl's main thread). Here the names
are found once per function, and the dictionary is built as ``Request.to_dict`` builds it
(Scrapy 2.19): the stored request is the same (tests/test_squeues.py compares the bytes
with Scrapy's queue).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.squeues import PickleLifoDiskQueue as _ScrapyPickleLifoDiskQueue


class PickleLifoDiskQueue(_ScrapyPickleLifoDiskQueue):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._names: dict = {}   # function -> its name on the spider

    def _name(self, method) -> str | None:
        func = getattr(method, "__func__", None)
        if func is None or getattr(method, "__self__", None) is not self.spider:
            return None
        name = self._names.get(func)
        if name is None:
            name = func.__name__
            if getattr(getattr(self.spider, name, None), "__func__", None) is not func:
                return None  # not the spider's own method under its name: Scrapy's search decides
            self._names[func] = name
        return name

    def push(self, request) -> None:
        names = []
        for method in (request.callback, request.errback):
            if callable(method):
                name = self._name(method)
                if name is None:
                    super().push(request)  # Scrapy's own look-up (and its error)
                    return
                names.append(name)
            else:
                names.append(method)
        # what Request.to_dict(spider=...) returns, serialised by Scrapy's queue
        d = {"url": request.url, "callback": names[0], "errback": names[1], "headers": dict(request.headers)}
        for attr in request.attributes:
            d.setdefault(attr, getattr(request, attr))
        if type(request) is not Request:
            d["_class"] = request.__module__ + "." + request.__class__.__name__
        super(_ScrapyPickleLifoDiskQueue, self).push(d)
