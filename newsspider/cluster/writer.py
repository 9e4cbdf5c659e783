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
import sqlite3
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
        self.archives: dict = {}
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

    # -- the runs ------------------------------------------------------------------
    def open(self) -> None:
        """One ``Archive`` and one run per portal of the job (as a crawl of several
        portals keeps them); a writer restarted for the job goes on with those runs."""
        from newsspider.cluster import job_spec
        from newsspider.settings import SAMPLE_PORTAL_URL
        from newsspider.urls import fold

        job = self.server.get(self.keys.job)
        if not job:
            raise RuntimeError(f"no job in Redis under {self.keys.prefix}: run the seeding step first")
        self.job = job.decode()
        self.spec = {p["name"]: p for p in job_spec(self.server, self.keys)}
        self.archives = {}
        for name, portal in self.spec.items():
            archive = self._Archive(self.archive_path, **self._archive_args)
            self.archives[name] = archive
            conn = archive.conn
            kind = portal.get("kind") or ("sample" if fold(portal["base_url"]) == fold(SAMPLE_PORTAL_URL) else "real")
            archive.claim_portal(portal["base_url"], kind, name, title=portal.get("title"),
                                 timezone=portal.get("timezone"), language=portal.get("language"))
            row = conn.execute("SELECT id, stats FROM runs WHERE portal IS ? AND json_extract(args, '$.cluster_job') = ? "
                               "ORDER BY id DESC LIMIT 1", [name, self.job]).fetchone()
            if row:  # a writer restarted for this job: the same run, its counts so far
                archive.run_id = row[0]
                conn.execute("UPDATE runs SET status = 'running' WHERE id = ?", [row[0]])
                archive.counts.update(json.loads(row[1] or "{}").get("newsspider/cluster/counts", {}))
            else:
                archive.start_run("portal", {**portal["spargs"], "base_url": portal["base_url"], "cluster_job": self.job})
        # a new job: the ids recorded for older jobs are no longer needed
        next(iter(self.archives.values())).conn.execute("DELETE FROM stream_entries WHERE job != ?", [self.job])
        try:
            self.server.xgroup_create(self.keys.items, self.keys.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.reclaim()

    @property
    def archive(self):  # the first portal's (one-portal jobs, the tests)
        return next(iter(self.archives.values())) if self.archives else None

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
        entries. Each portal's items in one transaction with their entries' ids; the
        batch acknowledged once all are committed. Returns how many entries were handled."""
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
        conn = self.archive.conn
        done = {r[0] for r in conn.execute(
            f"SELECT entry_id FROM stream_entries WHERE job = ? AND entry_id IN ({','.join('?' * len(ids))})",
            [self.job, *ids])}
        groups: dict[str, tuple[list, list]] = {}
        refused = []
        for (_, fields), eid in zip(entries, ids):
            if eid in done:
                self.skipped += 1
                continue
            data = fields.get(b"d")
            try:
                item = wire.unpack_item(data)
                portal = getattr(item, "portal", None) or (next(iter(self.spec)) if len(self.spec) == 1 else None)
                if portal not in self.archives:
                    raise wire.WireError(f"an item of portal {portal!r}, which is not in the job")
            except wire.WireError as exc:
                # not one of ours: kept aside with the reason, never guessed at
                log.error("stream entry %s refused: %s", eid, exc)
                refused.append((eid, str(exc), data or b""))
                portal, item = next(iter(self.archives)), None
            items, applied = groups.setdefault(portal, ([], []))
            if item is not None:
                items.append(item)
            applied.append((self.job, eid))
        for eid, reason, data in refused:
            self.server.xadd(self.keys.refused, {b"id": eid, b"reason": reason, b"d": data})
        for portal, (items, applied) in groups.items():
            archive = self.archives[portal]

            def record(conn, applied=applied, archive=archive):
                # in the items' transaction: the entries applied, and the run's counts so far
                # (a writer restarted for this job goes on from them)
                conn.executemany("INSERT INTO stream_entries (job, entry_id) VALUES (?, ?)", applied)
                conn.execute("UPDATE runs SET stats = ? WHERE id = ?",
                             [json.dumps({"newsspider/cluster/counts": archive.counts}), archive.run_id])

            archive.write(items, before_commit=record)
            self.written += len(items)
        self.acknowledge(ids)
        return len(entries)

    def acknowledge(self, ids: list[str]) -> None:
        """After the commit: the entries are done, and leave the Stream (its memory)."""
        pipe = self.server.pipeline()
        pipe.xack(self.keys.items, self.keys.group, *ids)
        pipe.xdel(self.keys.items, *ids)
        pipe.execute()

    def _portal_keys(self):
        return [self.keys.for_portal(name) for name in self.spec]

    def finished(self) -> bool:
        """Every portal's frontier is done (or every crawler left before: budgets, a
        signal), no crawler is alive, and the Stream is empty."""
        if self.server.xlen(self.keys.items):
            return False
        registered = 0
        for pk in self._portal_keys():
            members = self.server.smembers(pk.workers)
            registered += len(members)
            if any(self.server.exists(pk.alive(m.decode())) for m in members):
                return False
        if all(self.server.exists(pk.finished) for pk in self._portal_keys()):
            return True
        # every crawler left before the frontier was done: the runs end there too, as a
        # single-process run does; the next job goes on
        return bool(self.worker_stats()) and not registered

    def worker_stats(self, portal: str | None = None) -> dict:
        out = {}
        for name in ([portal] if portal else self.spec):
            pk = self.keys.for_portal(name)
            for key in self.server.scan_iter(match=f"{pk.prefix}:stats:*"):
                worker = key.decode().rsplit(":", 1)[1]
                out[f"{worker}" if portal else f"{worker} {name}"] = {
                    k.decode(): v.decode() for k, v in self.server.hgetall(key).items()}
        return out

    def finish(self) -> dict:
        """Each portal's run: its crawlers' summed counts, the store's, the finish reason
        and the exit status of ``newsspider.runstatus``. Returns {worker portal: counts}."""
        from newsspider.runstatus import EXIT_BUDGET, EXIT_FAILED, exit_status

        codes = []
        for name, archive in self.archives.items():
            per_worker = self.worker_stats(name)
            stats: dict = {"newsspider/cluster/workers": len(per_worker), "newsspider/cluster/job": self.job}
            for counts in per_worker.values():
                for k, v in counts.items():
                    try:
                        n = float(v)
                    except ValueError:
                        continue
                    if k.startswith(("downloader/", "newsspider/", "item_", "response_", "scheduler/",
                                     "spider_exceptions/", "log_count/")):
                        stats[k] = stats.get(k, 0) + (int(n) if n.is_integer() else n)
            for key, value in archive.counts.items():
                stats[f"newsspider/{key}"] = value
            if self.server.exists(self.keys.for_portal(name).finished):
                reason = "finished"
            else:
                reasons = [c.get("finish_reason", "") for c in per_worker.values()]
                reason = next((r for r in reasons if r and r != "finished"), "interrupted")
            stats["finish_reason"] = reason
            code = exit_status(stats, self.settings) if self.settings is not None else 0
            archive.finish_run(stats, reason, code)
            codes.append(code)
        self.exit_status = (EXIT_FAILED if EXIT_FAILED in codes else EXIT_BUDGET if EXIT_BUDGET in codes
                            else max(codes, default=0))
        return self.worker_stats()

    def close(self) -> None:
        for archive in getattr(self, "archives", {}).values():
            archive.close()
        self.archives = {}
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
    except WriterBusy as exc:  # the lock expired under us (a stall longer than lock_seconds)
        print(f"newsspider: {exc}; stopping: what was not acknowledged stays pending for the next writer",
              file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as exc:
        print(f"newsspider: cannot write the archive {archive_path}: {exc}; the entries stay pending in "
              "Redis for the next writer", file=sys.stderr)
        return 1
    finally:
        writer.close()
        lock.release()
