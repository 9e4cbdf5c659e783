"""The crawl's parser in a process of its own (issue 17).

``parse_article`` is pure Python work on bytes (lxml, then the extraction): in the crawl's
process it holds the GIL for a quarter of the crawl's thread, next to fetching and
scheduling. ``ParseWorker`` runs it in one worker process, as ``scrapy reparse`` does with
its pool: the spider's callback sends the page's bytes, awaits the fields and goes on
with them exactly as before, while the crawl's thread keeps fetching.

The worker is ``python -m newsspider.parseworker FD``, a fresh interpreter on one end of a
socket pair; the crawl's event loop holds the other end. A page goes as one message, its
answer comes back as one, read by the loop when the socket is readable: no thread of the
crawl's process takes part (an executor's queue threads competed with the crawl for the
GIL and cost more than they saved). Neither side ever blocks on the other: the loop
writes without blocking (what does not fit waits for the socket to drain), and the
worker reads its next page only after writing its last answer.

One process, so pages are parsed, and their articles handed to the pipelines, in the order
they came in. A parser exception comes back as itself (the spider records it as before);
a worker that dies (killed, out of memory, a crash in C) fails the pages it had with
``ParseWorkerDied``, which the spider records as parse failures with their bytes kept,
and the next page starts a new worker. The worker ignores SIGINT, SIGTERM and SIGHUP,
which may reach the whole process group: the crawl stops cleanly and waits for the pages
in it; the worker ends when the crawl closes its end, or dies.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import socket
import struct
import subprocess
import sys
from collections import deque

from newsspider import child

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")  # each message: its length, then its pickle
_BUFFER = 4 << 20


class ParseWorkerDied(RuntimeError):
    """The parser's process ended while it had this page."""


def _parse(parse, body: bytes, url: str, content_type: str | None, tz: str, portal_zone: str | None = None):
    extra = {"portal_zone": portal_zone} if portal_zone else {}
    return parse(body, url, content_type=content_type, tz=tz, **extra)


# ----------------------------------------------------------------------- the worker

def _recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, _BUFFER))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _serve(fd: int) -> None:
    child.ignore_group_signals()
    import newsspider.parse  # noqa: F401  (imported before the first page arrives)
    from newsspider import gc_tuning

    gc_tuning.tune_from_environment()

    sock = socket.socket(fileno=fd)
    sock.setblocking(True)
    while True:
        header = _recv_exactly(sock, _HEADER.size)
        if header is None:
            break
        data = _recv_exactly(sock, _HEADER.unpack(header)[0])
        if data is None:
            break
        try:
            answer = (True, _parse(*pickle.loads(data)))
        except BaseException as exc:  # noqa: BLE001  (the spider records every failure)
            answer = (False, child.picklable(exc))
        out = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            sock.sendall(_HEADER.pack(len(out)) + out)
        except OSError:
            break
    sock.close()


# ---------------------------------------------------------------------- the crawl's side

class _Worker:
    """One worker process and the crawl's end of its socket, on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        ours, theirs = socket.socketpair()
        for s in (ours, theirs):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _BUFFER)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
        try:
            self.popen = child.start("newsspider.parseworker", theirs.fileno())
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock, self.loop = ours, loop
        self.waiting: deque[asyncio.Future] = deque()
        self.inbox = bytearray()
        self.outbox = bytearray()   # what the socket did not take yet
        self.dead = False
        self.used = False
        loop.add_reader(ours.fileno(), self._readable)

    # -- out
    def send(self, message: bytes) -> asyncio.Future:
        self.used = True
        future = self.loop.create_future()
        self.waiting.append(future)
        frame = _HEADER.pack(len(message)) + message
        if self.outbox:
            self.outbox += frame
            return future
        try:
            sent = self.sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._died()
            return future
        if sent < len(frame):
            self.outbox += memoryview(frame)[sent:]
            self.loop.add_writer(self.sock.fileno(), self._writable)
        return future

    def _writable(self) -> None:
        try:
            sent = self.sock.send(self.outbox)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._died()
            return
        del self.outbox[:sent]
        if not self.outbox:
            self.loop.remove_writer(self.sock.fileno())

    # -- in
    def _readable(self) -> None:
        try:
            chunk = self.sock.recv(_BUFFER)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._died()
            return
        self.inbox += chunk
        while len(self.inbox) >= _HEADER.size:
            n = _HEADER.unpack_from(self.inbox)[0]
            if len(self.inbox) < _HEADER.size + n:
                break
            ok, value = pickle.loads(memoryview(self.inbox)[_HEADER.size:_HEADER.size + n])
            del self.inbox[:_HEADER.size + n]
            future = self.waiting.popleft()
            if future.done():  # its page was cancelled meanwhile
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    # -- the end
    def _died(self) -> None:
        if self.dead:
            return
        self.dead = True
        self._detach()
        try:
            code = self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        log.error("the parser's process died (exit code %s) with %d pages; starting another",
                  code, len(self.waiting))
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(ParseWorkerDied(f"the parser's process died (exit code {code})"))

    def _detach(self) -> None:
        try:
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
        except (ValueError, RuntimeError, OSError):  # the loop is closed already
            pass
        self.sock.close()

    def close(self) -> None:
        """The worker reads the end of its input and exits; it is waited for. A worker
        that never had a page is stopped at once (a run that parsed nothing, as most
        hourly runs of an unchanged portal, does not wait for its imports)."""
        if not self.used and self.popen.poll() is None:
            self.popen.kill()
        if not self.dead:
            self.dead = True
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self._detach()
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log.error("the parser's process did not end; killing it")
            self.popen.kill()
            self.popen.wait()


class ParseWorker:
    def __init__(self):
        self.worker: _Worker | None = None
        self.deaths = 0

    def _start(self, loop: asyncio.AbstractEventLoop) -> _Worker:
        worker = self.worker
        if worker is not None and worker.dead:
            self.deaths += 1
            worker = self.worker = None
        if worker is not None and worker.loop is not loop and not worker.waiting:
            worker.close()  # another event loop (tests): a worker of its own
            worker = self.worker = None
        if worker is None:
            worker = self.worker = _Worker(loop)
        return worker

    def start(self) -> None:
        """Start the worker now (it imports the parser before the first page comes); the
        spider leaves it to its first article page instead, so a run without one starts
        none."""
        try:
            self._start(asyncio.get_running_loop())
        except RuntimeError:  # no running loop here: the first page starts it
            pass

    @property
    def pid(self) -> int | None:
        return self.worker.popen.pid if self.worker is not None and not self.worker.dead else None

    async def parse(self, body: bytes, url: str, content_type: str | None, tz: str, parse=None,
                    portal_zone: str | None = None):
        """``parse(body, url, content_type=, tz=)``'s result for the page (or its exception),
        from the worker. ``parse``: ``newsspider.parse.parse_article`` unless given (a
        module-level function: it is sent by name)."""
        if parse is None:
            from newsspider.parse import parse_article as parse
        worker = self._start(asyncio.get_running_loop())
        message = pickle.dumps((parse, body, url, content_type, tz, portal_zone), protocol=pickle.HIGHEST_PROTOCOL)
        return await worker.send(message)

    def close(self) -> None:
        """At the end of the crawl (no page is waiting by then): the worker exits and is
        waited for."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
