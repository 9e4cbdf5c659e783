"""The archive's writer in a process of its own (issue 17).

``StorePipeline`` hands each batch of items to ``Archive.write``. Most of a write's time is
SQLite (the two FTS5 indexes' tokenizers, the inserts) and zlib: 2.4 ms an article, about
a third of the crawl's CPU. Run in the crawl's thread it holds up the fetching; run in a
thread of the crawl's process (an earlier version's option) it competed for the GIL at
every statement, and measured no faster. ``ArchiveProcess`` runs the same ``Archive`` in a
child process: the crawl's thread only pickles a batch (about 20 us an article), and the
writes run on the other core.

The child does nothing of its own: each message is one call of an ``Archive`` method
(the constructor first), answered in the order sent, so the archive is written exactly
as inline, batch after batch, the same rows and ids. A batch is sent by a thread of the
crawl's process (a pipe write blocks while the child is busy with the batch before, and
the crawl must go on fetching meanwhile); at most ``ARCHIVE_MAX_BATCHES_IN_FLIGHT``
wait. The child's log records come back with its answers and are logged by the crawl's
process under their own logger names, so they reach the crawl's log.

A child that dies (killed, out of memory, a crash in C) fails every call still waiting
with ``ArchiveWriterDied``: the batches in it were not committed (each is one
transaction), the crawl stops with an archive error and the next run fetches them again.
The child ignores SIGINT, SIGTERM and SIGHUP, which may reach the whole process group:
the crawl's process decides when to stop and still writes what it has; the child ends
when the crawl's process closes the pipe, or dies.
"""

from __future__ import annotations

import logging
import pickle
import queue
import socket
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future
from multiprocessing.connection import Connection

from newsspider import child

log = logging.getLogger(__name__)


class ArchiveWriterDied(RuntimeError):
    """The archive's writer process ended while calls were waiting for it."""


# ----------------------------------------------------------------------- the child

class _Records(logging.Handler):
    """The child's log records, kept until the next answer carries them."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list = []

    def emit(self, record):
        try:
            self.records.append((record.name, record.levelno, self.format(record)))
        except Exception:  # a record that cannot be formatted is still an event
            self.records.append((record.name, record.levelno, str(record.msg)))

    def take(self) -> list:
        records, self.records = self.records, []
        return records


def _serve(conn, level: int) -> None:
    child.ignore_group_signals()
    from newsspider import gc_tuning

    records = _Records()
    records.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [records]
    root.setLevel(level)

    from pipelines.store import Archive

    gc_tuning.tune_from_environment()
    archive = None
    while True:
        try:
            name, args, kwargs = conn.recv()
        except (EOFError, OSError):  # the crawl's process closed the pipe, or died
            break
        try:
            if name == "__init__":
                archive, value = Archive(*args, **kwargs), None
            elif name == "write":
                archive.write(*args, **kwargs)
                value = dict(archive.counts)
            elif name == "gc_threshold":  # the collector's thresholds here (tests)
                import gc

                value = gc.get_threshold()
            elif name == "cpu_seconds":  # the writer's CPU so far, for the run's stats
                import resource

                r = resource.getrusage(resource.RUSAGE_SELF)
                value = round(r.ru_utime + r.ru_stime, 3)
            else:
                value = getattr(archive, name)(*args, **kwargs)
            answer = (True, value)
        except BaseException as exc:  # noqa: BLE001  (every failure goes back to the crawl)
            answer = (False, child.picklable(exc))
        try:
            conn.send((*answer, records.take()))
        except (EOFError, OSError):
            break
        if name == "close" and answer[0]:
            break
    conn.close()


# ---------------------------------------------------------------------- the crawl's side

class _Child:
    """``python -m pipelines.writer FD LEVEL`` (``newsspider.child.start``), with the
    process interface the rest of this module uses."""

    def __init__(self, fd: int, level: int):
        self.popen = child.start("pipelines.writer", fd, str(level))
        self.pid = self.popen.pid

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill(self) -> None:
        self.popen.kill()


class ArchiveProcess:
    """An ``Archive(*args, **kwargs)`` in a child process.

    ``call(name, ...)`` runs ``archive.name(...)`` there after every call sent before and
    returns its result (or raises its exception); ``submit(name, ...)`` returns a
    ``Future`` of it at once. ``write`` returns the archive's counts after the batch."""

    def __init__(self, *args, log_level: int = logging.DEBUG, **kwargs):
        self.start(log_level)
        self.open(*args, **kwargs)

    @classmethod
    def started(cls, log_level: int = logging.DEBUG) -> "ArchiveProcess":
        """The child, started (it imports the store meanwhile), without an archive yet:
        ``open`` gives it one. The crawl starts it as early as it can."""
        self = cls.__new__(cls)
        self.start(log_level)
        return self

    def start(self, log_level: int) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.process = _Child(theirs.fileno(), log_level)
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._waiting: deque[Future] = deque()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_loop, name="archive-writer-send", daemon=True)
        self._sender.start()
        self._dead: BaseException | None = None

    def open(self, *args, **kwargs) -> None:
        """``Archive(*args, **kwargs)`` in the child."""
        try:
            self.call("__init__", *args, **kwargs)
        except BaseException:
            self.close()
            raise

    # -- sending: a thread, since a pipe write blocks while the child is busy
    def _send_loop(self) -> None:
        while True:
            data = self._outbox.get()
            if data is None:
                return
            try:
                self._conn.send_bytes(data)
            except (OSError, ValueError):  # the child is gone; the receiving side reports it
                return

    def submit(self, name: str, *args, **kwargs) -> Future:
        future: Future = Future()
        if self._dead is not None:
            future.set_exception(self._dead)
            return future
        data = pickle.dumps((name, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self._waiting.append(future)
        self._outbox.put(data)
        return future

    # -- receiving: in the caller's thread, answers in the order of the calls
    def _receive_one(self, timeout: float | None) -> bool:
        """Take in one answer if there is one within ``timeout`` (None: wait). False if none."""
        if not self._waiting:
            return False
        try:
            if not self._conn.poll(timeout):
                return False
            ok, value, records = self._conn.recv()
        except (EOFError, OSError):
            self._died()
            return False
        for name, level, message in records:
            logging.getLogger(name).log(level, "%s", message)
        future = self._waiting.popleft()
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
        return True

    def _died(self) -> None:
        self.process.join(timeout=5)
        self._dead = ArchiveWriterDied(f"the archive's writer process ended (exit code {self.process.exitcode}) "
                                       f"with {len(self._waiting)} calls waiting")
        log.error("%s", self._dead)
        while self._waiting:
            self._waiting.popleft().set_exception(self._dead)

    def poll(self) -> None:
        """Take in the answers already there, without waiting."""
        while self._waiting and self._receive_one(0):
            pass

    def result(self, future: Future):
        """Wait for ``future`` (and the answers before it), then its result."""
        while not future.done():
            if not self._waiting:
                raise RuntimeError("no answer is coming for this call")
            self._receive_one(None)
        return future.result()

    def call(self, name: str, *args, **kwargs):
        return self.result(self.submit(name, *args, **kwargs))

    def close(self) -> None:
        """After ``call("close")``: the sending thread and the child end and are waited for."""
        self._outbox.put(None)
        self._sender.join(timeout=30)
        self._conn.close()
        self.process.join(timeout=30)
        if self.process.is_alive():
            log.error("the archive's writer process did not end; killing it")
            self.process.kill()
            self.process.join()


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
