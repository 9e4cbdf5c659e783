"""The crawl's on-disk request queue: Scrapy's, with a cheaper look-up of callback names.

The crawl command queues requests on disk (a fresh ``JOBDIR`` per run: the sitemaps put
every article's request in the queue at once). Scrapy's queue writes each request with
``Request.to_dict(spider=spider)``, which finds the name of the request's callback and
errback by ``inspect.getmembers(spider)``: every attribute of the spider, properties
included, twice per request (0.3 ms, 5% of a local crawl's main thread). Here it looks them
up on an object that holds just the request's own two bound methods, found by name once
per function; the stored request is the same dictionary.
"""

from __future__ import annotations

from scrapy.squeues import PickleLifoDiskQueue as _ScrapyPickleLifoDiskQueue


class _Methods:
    """The bound methods a request names, as attributes, for ``Request.to_dict``."""


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
        methods = _Methods()
        for method in (request.callback, request.errback):
            if callable(method):
                name = self._name(method)
                if name is None:
                    super().push(request)  # Scrapy's own look-up (and its error)
                    return
                setattr(methods, name, method)
        # what Scrapy's queue stores, serialised by its parent class
        super(_ScrapyPickleLifoDiskQueue, self).push(request.to_dict(spider=methods))
