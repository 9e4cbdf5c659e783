"""The one writer: the Redis Stream of items into the SQLite archive.

Exactly one writer per job (a lock in Redis, ``<prefix>:writer``, that expires unless
refreshed, plus the archive's own lock, as a cron crawl takes it). It reads the Stream
through the consumer group ``writer``; a batch of entries is written with
``pipelines.store.Archive.write`` in one transaction that also records each entry's id in
``stream_entries``; only after ``COMMIT`` are the entries acknowledged (``XACK``) and
deleted from the Stream. On start it first takes over what a dead writer left pending
(``XPENDING`` + ``XCLAIM``, which Redis 5 and 6 have too), and skips an entry whose id is
already in ``stream_entries`` (it was committed, then the writer died before ``XACK``).
So a ``kill -9`` of the writer at any point loses nothing and doubles nothing.

The run row: the first writer of a job starts a run (its args name the job); a writer
restarted for the same job goes on with that row. It finishes the run when the crawlers
say the frontier is done (``<prefix>:finished``) and the Stream is empty.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import time
import uuid

import redis

from newsspider.cluster import wire
from newsspider.cluster.frontier import redis_client
from newsspider.cluster.keys import Keys

log = logging.getLogger("newsspider.cluster.writer")

# refresh the lock only if we still hold it
REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class WriterBusy(Exception):
    pass


class Writer:
    def __init__(self, redis_url: str, archive_path: str, *, prefix: str = "newsspider", batch: int = 50,
                 lock_seconds: float = 5.0, block_ms: int = 500, settings=None):
        from pipelines.store import Archive, DEFAULT_REVISIT_SCHEDULE

        self.server = redis_client(redis_url)
        self.keys = Keys(prefix)
        self.archive_path = archive_path
        self.batch = batch
        self.block_ms = block_ms
        self.lock_ms = int(lock_seconds * 1000)
        self.token = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.consumer = "writer"
        self._refresh = self.server.register_script(REFRESH)
        self.written = 0
        self.skipped = 0
        s = settings or {}
        self.settings = settings
        self.exit_status = 0
        self.archive = None
        self._archive_args = dict(
            retry_base=float(s.get("FAILURE_RETRY_BASE_SECONDS", 3600)),
            max_permanent_attempts=int(s.get("FAILURE_MAX_ATTEMPTS_PERMANENT", 3)),
            schedule=tuple(tuple(x) for x in (s.get("REVISIT_SCHEDULE") or DEFAULT_REVISIT_SCHEDULE)),
            max_response_bytes=int(s.get("RESPONSE_STORE_MAX_BYTES", 0) or 0),
            max_run_bytes=int(s.get("RUN_STORE_MAX_BYTES", 0) or 0))
        self._Archive = Archive

    # -- the lock ------------------------------------------------------------------
    def acquire(self, wait: float = 0) -> None:
        """Take the job's writer lock; a dead writer's expires after ``lock_seconds``."""
        deadline = time.monotonic() + wait
        while not self.server.set(self.keys.writer, self.token, nx=True, px=self.lock_ms):
            if time.monotonic() >= deadline:
                holder = self.server.get(self.keys.writer)
                raise WriterBusy(f"another writer holds {self.keys.writer} ({(holder or b'?').decode()})")
            time.sleep(0.2)

    def _keep_lock(self) -> None:
        if not self._refresh(keys=[self.keys.writer], args=[self.token, self.lock_ms]):
            raise WriterBusy("the writer's lock was lost (expired and taken by another writer)")

    def release(self) -> None:
        if self.server.get(self.keys.writer) == self.token.encode():
            self.server.delete(self.keys.writer)

    # -- the run -------------------------------------------------------------------
    def open(self) -> None:
        job = self.server.get(self.keys.job)
        if not job:
            raise RuntimeError(f"no job in Redis under {self.keys.prefix}: run the seeding step first")
        self.job = job.decode()
        base_url = (self.server.get(self.keys.job_base_url) or b"").decode()
        self.archive = self._Archive(self.archive_path, **self._archive_args)
        conn = self.archive.conn
        # a new job: the ids recorded for older jobs are no longer needed
        conn.execute("DELETE FROM stream_entries WHERE job != ?", [self.job])
        row = conn.execute("SELECT id FROM runs WHERE json_extract(args, '$.cluster_job') = ? ORDER BY id DESC LIMIT 1",
                           [self.job]).fetchone()
        if row:  # a writer restarted for this job: the same run, its counts so far
            self.archive.run_id = row[0]
            conn.execute("UPDATE runs SET status = 'running' WHERE id = ?", [row[0]])
            stats = json.loads(conn.execute("SELECT stats FROM runs WHERE id = ?", [row[0]]).fetchone()[0] or "{}")
            self.archive.counts.update(stats.get("newsspider/cluster/counts", {}))
        else:
            if base_url:
                from newsspider.settings import SAMPLE_PORTAL_URL
                from newsspider.urls import fold

                self.archive.claim_portal(base_url, "sample" if fold(base_url) == fold(SAMPLE_PORTAL_URL) else "real")
            args = json.loads(self.server.get(self.keys.job_args) or b"{}")
            self.archive.start_run("portal", {**args, "base_url": base_url, "cluster_job": self.job})
        try:
            self.server.xgroup_create(self.keys.items, self.keys.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.reclaim()

    def reclaim(self) -> int:
        """Take over every entry pending for another consumer (a dead writer's)."""
        taken = 0
        while True:
            pending = self.server.xpending_range(self.keys.items, self.keys.group, min="-", max="+", count=500)
            others = [p["message_id"] for p in pending if p["consumer"].decode() != self.consumer]
            if not others:
                return taken
            self.server.xclaim(self.keys.items, self.keys.group, self.consumer, min_idle_time=0,
                               message_ids=others, justid=True)
            taken += len(others)

    # -- the loop ------------------------------------------------------------------
    def step(self) -> int:
        """One batch: first what is pending for us (read but not acknowledged), then new
        entries. Returns how many entries were handled."""
        self._keep_lock()
        got = self.server.xreadgroup(self.keys.group, self.consumer, {self.keys.items: "0"}, count=self.batch)
        entries = got[0][1] if got else []
        if not entries:
            got = self.server.xreadgroup(self.keys.group, self.consumer, {self.keys.items: ">"},
                                         count=self.batch, block=self.block_ms)
            entries = got[0][1] if got else []
        if not entries:
            return 0
        ids = [e[0].decode() for e in entries]
        done = {r[0] for r in self.archive.conn.execute(
            f"SELECT entry_id FROM stream_entries WHERE job = ? AND entry_id IN ({','.join('?' * len(ids))})",
            [self.job, *ids])}
        items, applied = [], []
        for (entry_id, fields), eid in zip(entries, ids):
            if eid in done:
                self.skipped += 1
                continue
            applied.append((self.job, eid))
            data = fields.get(b"d")
            try:
                items.append(wire.unpack_item(data))
            except wire.WireError as exc:
                # not one of ours: kept aside with the reason, never guessed at
                log.error("stream entry %s refused: %s", eid, exc)
                self.server.xadd(f"{self.keys.prefix}:refused", {b"id": eid, b"reason": str(exc), b"d": data or b""})
        def record(conn):
            # in the items' transaction: the entries applied, and the run's counts so far
            # (a writer restarted for this job goes on from them)
            conn.executemany("INSERT INTO stream_entries (job, entry_id) VALUES (?, ?)", applied)
            conn.execute("UPDATE runs SET stats = ? WHERE id = ?",
                         [json.dumps({"newsspider/cluster/counts": self.archive.counts}), self.archive.run_id])

        self.archive.write(items, before_commit=record)
        self.written += len(items)
        self.acknowledge(ids)
        return len(entries)

    def acknowledge(self, ids: list[str]) -> None:
        """After the commit: the entries are done, and leave the Stream (its memory)."""
        pipe = self.server.pipeline()
        pipe.xack(self.keys.items, self.keys.group, *ids)
        pipe.xdel(self.keys.items, *ids)
        pipe.execute()

    def finished(self) -> bool:
        """The frontier is done, every crawler has left (its counts are in) or died, and
        the Stream is empty."""
        live = [m for m in self.server.smembers(self.keys.workers) if self.server.exists(self.keys.alive(m.decode()))]
        if live or self.server.xlen(self.keys.items):
            return False
        if self.server.exists(self.keys.finished):
            return True
        # every crawler left before the frontier was done (their budgets, a signal): the
        # run ends there too, as a single-process run does; the next job goes on
        return bool(self.worker_stats()) and not self.server.scard(self.keys.workers)

    def worker_stats(self) -> dict:
        out = {}
        for key in self.server.scan_iter(match=f"{self.keys.prefix}:stats:*"):
            worker = key.decode().rsplit(":", 1)[1]
            out[worker] = {k.decode(): v.decode() for k, v in self.server.hgetall(key).items()}
        return out

    def finish(self) -> dict:
        per_worker = self.worker_stats()
        stats: dict = {"newsspider/cluster/workers": len(per_worker), "newsspider/cluster/job": self.job}
        for counts in per_worker.values():
            for k, v in counts.items():
                try:
                    n = float(v)
                except ValueError:
                    continue
                if k.startswith(("downloader/", "newsspider/", "item_", "response_", "scheduler/", "spider_exceptions/",
                                 "log_count/")):
                    stats[k] = stats.get(k, 0) + (int(n) if n.is_integer() else n)
        stats["newsspider/cluster/written"] = self.written
        for key, value in self.archive.counts.items():
            stats[f"newsspider/{key}"] = value
        if self.server.exists(self.keys.finished):
            reason = "finished"
        else:
            reasons = [c.get("finish_reason", "") for c in per_worker.values()]
            reason = next((r for r in reasons if r and r != "finished"), "interrupted")
        stats["finish_reason"] = reason
        from newsspider.runstatus import exit_status

        self.exit_status = exit_status(stats, self.settings) if self.settings is not None else 0
        self.archive.finish_run(stats, reason, self.exit_status)
        return per_worker

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None
        self.release()


def run_writer(redis_url: str, archive_path: str, *, prefix: str = "newsspider", until_done: bool = True,
               wait_lock: float = 15.0, settings=None, batch: int = 50, lock_seconds: float = 5.0) -> int:
    """The writer's process: 0 when the job was written whole, 75 when another writer
    holds the job, 1 on an archive error (the entries stay pending for the next writer)."""
    from newsspider.lock import ArchiveLock

    writer = Writer(redis_url, archive_path, prefix=prefix, settings=settings, batch=batch,
                    lock_seconds=lock_seconds)
    try:
        writer.acquire(wait=wait_lock)
    except WriterBusy as exc:
        print(f"newsspider: {exc}", file=sys.stderr)
        return 75
    from pathlib import Path

    Path(archive_path).parent.mkdir(parents=True, exist_ok=True)
    lock = ArchiveLock(archive_path)
    refused = lock.refusal("another writer or crawl")
    if refused:
        writer.release()
        print(f"newsspider: {refused[0]}", file=sys.stderr)
        return refused[1]
    try:
        writer.open()
        lock.lock_archive_now()  # a new archive: its own file's lock too
        while True:
            n = writer.step()
            if not n and until_done and writer.finished():
                break
        per_worker = writer.finish()
        print(f"writer: {writer.written} items written, {writer.skipped} entries already applied; "
              f"run exit status {writer.exit_status}", flush=True)
        for worker, counts in sorted(per_worker.items()):
            print(f"  worker {worker}: {counts.get('downloader/response_count', '0')} pages, "
                  f"{counts.get('newsspider/cluster/pushed/Article', '0')} articles", flush=True)
        return writer.exit_status  # what the run's status tells cron, as `scrapy crawl` exits
    finally:
        writer.close()
        lock.release()
