"""The crawlers' side of the distributed mode: scrapy-redis' shared frontier, with leases.

``ClusterScheduler`` is scrapy-redis' ``Scheduler`` (its priority queue and duplicate
filter in Redis, shared by every crawler process on any machine) with one addition: a
request taken from the queue is *leased* to the worker that took it, in the same Lua
step (``ZRANGE``/``ZREM`` + ``HSET <prefix>:leases:<worker>``), and the lease is dropped
only when Scrapy has finished with the request (its response parsed, its items on the
Stream, its follow-up requests in the queue). Each worker refreshes ``<prefix>:alive:<id>``
(it expires after ``CLUSTER_LEASE_SECONDS``); the leases of a worker whose key expired
(``kill -9``, a lost machine) are put back in the queue by any live worker. So a crawler
killed mid-run loses nothing: what it held is fetched again by another, or by itself
restarted. And a request is queued in the same Lua step that claims its key in the
duplicate filter (an article's canonical key, from the spider, or scrapy-redis' request
fingerprint), so a key is never claimed for a request that is nowhere.

``Frontier`` is what ``PortalSpider`` asks in this mode instead of the archive: the crawl
state (validators, ``next_due``) and the failures due, which the seeding step copied into
Redis from the archive; who runs discovery's start; and when the crawl is over (nothing queued, nothing leased, for
``CLUSTER_IDLE_SECONDS``), after the listing pages were started once sitemaps were done,
as a single-process crawl does.

``PushPipeline`` replaces the store in a crawler: each item goes onto the Stream
(``XADD <prefix>:items``) for the one writer; crawlers never open the SQLite archive.

scrapy-redis 0.9.1 predates Scrapy's ``async start()`` (Scrapy 2.16 removed
``start_requests()``): it is used for its scheduler, queue and duplicate filter only, not
for its ``RedisSpider`` (whose start is ``start_requests``); ``PortalSpider``'s own
``async start()`` feeds the queue. That, and the two Lua steps above in place of its
``next_request``/``enqueue_request``, is the whole adapter.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from newsspider.cluster import wire
from newsspider.cluster.keys import keys_of

log = logging.getLogger(__name__)

# Pop the best request and lease it to the worker, in one step (nothing in between can
# lose it). The lease's value is "<score>:<request>" so that it can be put back as it was.
POP_AND_LEASE = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, r[2] .. ':' .. r[1])
return {id, r[1]}
"""
# Claim the request's key in the seen set and queue it, in one step: a worker killed
# between the two would leave a key claimed and its request nowhere (and the parent's
# lease, queued again, would find its child "seen" and never queue it).
CLAIM_AND_QUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
"""
# Put a dead worker's leases back in the queue (only if it is still dead).
RECLAIM = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local v = all[i + 1]
  local p = string.find(v, ':', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(v, 1, p - 1), string.sub(v, p + 1))
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
return #all / 2
"""
# Is the whole crawl idle: nothing queued, nothing leased by any worker? (One step: a
# worker that pushes follow-ups and then drops its lease is never seen between the two.)
GLOBAL_IDLE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. w) > 0 then return 0 end
end
return 1
"""


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class ClusterScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        url = s.get("CLUSTER_REDIS_URL")
        if not url:
            raise ValueError("ClusterScheduler needs CLUSTER_REDIS_URL")
        keys = keys_of(s)
        server = redis_client(url)
        server.ping()
        inst = cls(server=server, persist=True, queue_key=keys.requests,
                   queue_cls="scrapy_redis.queue.PriorityQueue", dupefilter=RFPDupeFilter(server, keys.seen),
                   dupefilter_key=keys.seen, serializer=wire)
        inst.stats = crawler.stats
        inst.crawler = crawler
        inst.keys = keys
        inst.worker = s.get("CLUSTER_WORKER_ID") or worker_id()
        inst.lease_ttl_ms = int(s.getfloat("CLUSTER_LEASE_SECONDS", 5) * 1000)
        inst.leased: dict[int, bytes] = {}
        inst._pop = server.register_script(POP_AND_LEASE)
        inst._queue = server.register_script(CLAIM_AND_QUEUE)
        inst._reclaim = server.register_script(RECLAIM)
        inst._idle = server.register_script(GLOBAL_IDLE)
        inst._loop = None
        inst._last_beat = 0.0
        crawler.newsspider_frontier_scheduler = inst
        return inst

    # -- membership ----------------------------------------------------------------
    def open(self, spider):
        super().open(spider)
        if self.stats:
            self.stats.set_value("newsspider/cluster/worker", self.worker)
        self.server.sadd(self.keys.workers, self.worker)
        self._beat()
        self.reclaim_dead()
        slot = self.crawler.engine._slot  # the engine calls remove_request when it is done with one
        original = slot.remove_request

        def remove_request(request):
            self.release(request)
            original(request)

        slot.remove_request = remove_request
        from twisted.internet import task

        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.crawler.settings.getfloat("CLUSTER_TICK_SECONDS", 0.25), now=False)
        spider.logger.info("cluster worker %s on %s (queue %d)", self.worker, self.keys.prefix, len(self.queue))

    def close(self, reason):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        stats = {k: v for k, v in self.stats.get_stats().items() if isinstance(v, (int, float))} if self.stats else {}
        stats["finish_reason"] = reason
        # the counts first (the writer reads them once no worker is registered), then
        # out of the job: what it still held (stopped early: a budget, a signal) goes back
        self.server.hset(self.keys.stats(self.worker), mapping={k: str(v) for k, v in stats.items()})
        self.server.delete(self.keys.alive(self.worker))
        self._reclaim(keys=[self.keys.leases(self.worker), self.keys.requests, self.keys.alive(self.worker),
                            self.keys.workers], args=[self.worker])

    def _beat(self) -> None:
        self.server.set(self.keys.alive(self.worker), b"1", px=self.lease_ttl_ms)
        self._last_beat = time.monotonic()

    def _tick(self) -> None:
        try:
            if time.monotonic() - self._last_beat >= self.lease_ttl_ms / 4000:
                self._beat()
                self.reclaim_dead()
            engine = self.crawler.engine
            if engine is not None and engine._slot is not None:
                # work may have appeared, or the whole crawl gone idle: do not wait for
                # the engine's 5 s heartbeat to look
                engine._slot.nextcall.schedule()
        except redis.RedisError as exc:
            log.warning("cluster heartbeat: %s", exc)

    def reclaim_dead(self) -> int:
        back = 0
        for member in self.server.smembers(self.keys.workers):
            w = member.decode()
            if w == self.worker or self.server.exists(self.keys.alive(w)):
                continue
            n = self._reclaim(keys=[self.keys.leases(w), self.keys.requests, self.keys.alive(w), self.keys.workers],
                              args=[w])
            if n and n > 0:
                back += n
                log.warning("worker %s is gone: %d requests it held are queued again", w, n)
        if back and self.stats:
            self.stats.inc_value("newsspider/cluster/reclaimed", back)
        return back

    # -- the queue -----------------------------------------------------------------
    def enqueue_request(self, request):
        """scrapy-redis' duplicate filter and queue, as one step; an article request is
        known by its canonical key (``meta["article_key"]``), others by scrapy-redis'
        request fingerprint unless ``dont_filter``. The key is claimed once: taken out of
        the request, so its retries and redirects (copies of it) are queued as they are."""
        key = request.meta.pop("article_key", None)
        if key:
            fingerprint = f"article:{key}"
        elif not request.dont_filter:
            fingerprint = self.df.request_fingerprint(request)
        else:
            fingerprint = ""
        queued = self._queue(keys=[self.keys.requests, self.keys.seen],
                             args=[fingerprint, -request.priority, self.queue._encode_request(request)])
        if not queued:
            self.df.log(request, self.spider)
            if key and self.stats and request.meta.get("source"):
                # another worker asked for it: not a request of this one's
                self.stats.inc_value(f"newsspider/requested/{request.meta['source']}", -1)
                self.stats.inc_value("newsspider/cluster/seen_elsewhere")
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True

    def next_request(self):
        got = self._pop(keys=[self.keys.requests, self.keys.leases(self.worker), self.keys.lease_seq])
        if not got:
            return None
        lease, data = got
        request = self.queue._decode_request(data)
        self.leased[id(request)] = lease
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis", spider=self.spider)
        return request

    def release(self, request) -> None:
        lease = self.leased.pop(id(request), None)
        if lease is not None:
            self.server.hdel(self.keys.leases(self.worker), lease)

    def global_idle(self) -> bool:
        return bool(self._idle(keys=[self.keys.requests, self.keys.workers], args=[f"{self.keys.prefix}:leases:"]))


class Frontier:
    """What ``PortalSpider`` asks in the distributed mode instead of the archive."""

    def __init__(self, crawler, spider):
        self.crawler = crawler
        self.spider = spider
        s = crawler.settings
        self.keys = keys_of(s)
        self.server = redis_client(s.get("CLUSTER_REDIS_URL"))
        self.idle_seconds = s.getfloat("CLUSTER_IDLE_SECONDS", 1.0)
        self.idle_since: float | None = None

    @property
    def scheduler(self) -> ClusterScheduler:
        return self.crawler.newsspider_frontier_scheduler

    # -- the archive's state, as seeded ---------------------------------------------
    def crawl_states(self) -> dict[str, tuple]:
        return {k.decode(): tuple(wire.loads(v)) for k, v in self.server.hscan_iter(self.keys.state, count=1000)}

    def failures_waiting(self) -> set[str]:
        return {m.decode() for m in self.server.sscan_iter(self.keys.waiting, count=1000)}

    def retry_candidates(self) -> list[str]:
        return [u.decode() for u in self.server.lrange(self.keys.retry, 0, -1)]

    # -- who does what -------------------------------------------------------------
    def claim_start(self) -> bool:
        """The one worker that runs discovery's start (robots.txt, sitemaps, due retries);
        taken over when the one that had it died before it was done."""
        me = self.scheduler.worker
        if self.server.set(self.keys.started, me, nx=True):
            return True
        holder = (self.server.get(self.keys.started) or b"").decode()
        if holder != "done" and not self.server.exists(self.keys.alive(holder)):
            # its start requests were not all queued: queue them again (the duplicate filter
            # drops what is already there)
            self.server.set(self.keys.started, me)
            return True
        return False

    def start_done(self) -> None:
        self.server.set(self.keys.started, "done")

    def on_idle(self) -> None:
        """``spider_idle``: wait while any worker has work; once the whole crawl is idle,
        start the listing pages (feed, home, sections) once; then close after
        ``CLUSTER_IDLE_SECONDS`` more of global idleness."""
        spider = self.spider
        started = (self.server.get(self.keys.started) or b"").decode()
        if started != "done" or not self.scheduler.global_idle():
            self.idle_since = None
            if started != "done" and started and not self.server.exists(self.keys.alive(started)):
                self._take_over_start()
            raise DontCloseSpider
        whole_portal = not (spider.url or spider.section or spider.start_url)
        if whole_portal and not self.server.exists(self.keys.listings):
            spider.listings_started = True
            for request in spider.listing_requests():
                self.crawler.engine.crawl(request)  # the duplicate filter keeps one of each
            self.server.set(self.keys.listings, "1")
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider
        self.server.set(self.keys.finished, "1")

    def _take_over_start(self) -> None:
        """The worker that ran the start died before it was done: run it again here."""
        from scrapy import Request

        if not self.claim_start():
            return
        for out in self.spider.start_requests():
            if isinstance(out, Request):
                self.crawler.engine.crawl(out)
            else:  # a Failure of a refused retry: straight onto the Stream
                out.portal = getattr(self.spider, "portal_name", None)
                self.server.xadd(self.keys.items, {b"d": wire.pack_item(out)})
        self.start_done()


class PushPipeline:
    """The crawler's last pipeline: each item onto the Stream for the one writer."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.keys = keys_of(s)
        self.server = redis_client(s.get("CLUSTER_REDIS_URL"))
        self.max_len = s.getint("CLUSTER_STREAM_MAX_ENTRIES", 20_000)

    @classmethod
    def from_crawler(cls, crawler):
        pipe = cls(crawler)
        crawler.signals.connect(pipe.item_error, signal=signals.item_error)
        return pipe

    def push(self, item) -> None:
        # the writer keeps one run per portal of the job: each item names its portal
        portal = getattr(self.crawler.spider, "portal_name", None)
        for part in (item, getattr(item, "raw", None)):
            if part is not None and getattr(part, "portal", None) is None and hasattr(part, "portal"):
                part.portal = portal
        self.server.xadd(self.keys.items, {b"d": wire.pack_item(item)})
        self.crawler.stats.inc_value(f"newsspider/cluster/pushed/{type(item).__name__}")

    async def process_item(self, item, spider=None):
        # back-pressure: a writer far behind must not fill the Redis server's memory (the
        # wait lets the reactor run: heartbeats go on, so no lease expires meanwhile)
        from twisted.internet import reactor
        from twisted.internet.task import deferLater
        from scrapy.utils.defer import maybe_deferred_to_future

        while self.max_len and self.server.xlen(self.keys.items) > self.max_len:
            await maybe_deferred_to_future(deferLater(reactor, 0.2, lambda: None))
        self.push(item)
        return item

    def item_error(self, item, response, spider, failure):
        """A pipeline before this one raised on ``item``: recorded, never lost."""
        from pipelines.store import pipeline_failure

        recorded = pipeline_failure(item, failure)
        if recorded is not None:
            self.push(recorded)
