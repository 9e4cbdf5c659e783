"""Politeness for all workers together: one portal's delay and concurrency, in Redis.

Scrapy enforces ``DOWNLOAD_DELAY`` and ``CONCURRENT_REQUESTS_PER_DOMAIN`` per process;
three crawlers would send three times the rate a portal's operators agreed to. This
downloader middleware takes a permit from a limiter shared through Redis before each
request of a host leaves, and gives it back when the response (or the error) is in:

- at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` permits of a host are out at once, whichever
  workers hold them (a permit expires after ``DOWNLOAD_TIMEOUT`` + 10 s, so a killed
  worker's permits come back);
- two permits of a host are at least ``DOWNLOAD_DELAY`` seconds apart, on the Redis
  server's clock (one clock for all machines).

The process's own delay is then 0 (the spider's ``download_delay``): the shared one
replaces it, it is not added to it. It is last in the chain (just before the download
handler), so a request that waits for its permit is one about to be sent.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from newsspider.cluster.frontier import redis_client
from newsspider.cluster.keys import keys_of

# -> 0 when the permit is granted, else how many ms to wait before asking again
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 10 end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
local delay = tonumber(ARGV[2])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000) end
return 0
"""
TOKEN = "newsspider_polite"


class SharedPoliteness:
    def __init__(self, crawler):
        s = crawler.settings
        self.keys = keys_of(s)
        self.server = redis_client(s.get("CLUSTER_REDIS_URL"))
        spider = crawler.spider
        self.delay_ms = int(1000 * float(getattr(spider, "download_delay", s.getfloat("DOWNLOAD_DELAY"))))
        self.concurrency = max(1, s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        self.ttl_ms = int(1000 * (s.getfloat("DOWNLOAD_TIMEOUT", 180) + 10))
        self._acquire = self.server.register_script(ACQUIRE)
        self.stats = crawler.stats
        # the shared delay replaces the process's own one
        spider.download_delay = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _keys(self, request):
        host = (urlsplit(request.url).hostname or "").lower()
        base = self.keys.polite(host)
        return [f"{base}:active", f"{base}:next"]

    async def process_request(self, request, spider=None):
        from twisted.internet import reactor
        from twisted.internet.task import deferLater
        from scrapy.utils.defer import maybe_deferred_to_future

        token = uuid.uuid4().hex
        keys = self._keys(request)
        waited = 0
        while True:
            wait = self._acquire(keys=keys, args=[token, self.delay_ms, self.concurrency, self.ttl_ms])
            if not wait:
                break
            waited += wait
            await maybe_deferred_to_future(deferLater(reactor, wait / 1000, lambda: None))
        if waited:
            self.stats.inc_value("newsspider/cluster/polite_wait_ms", waited)
        request.meta[TOKEN] = (token, keys[0])
        return None

    def _release(self, request) -> None:
        held = request.meta.pop(TOKEN, None)
        if held:
            self.server.zrem(held[1], held[0])

    def process_response(self, request, response, spider=None):
        self._release(request)
        return response

    def process_exception(self, request, exception, spider=None):
        self._release(request)
        return None
