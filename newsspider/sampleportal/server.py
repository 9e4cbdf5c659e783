"""HTTP server for a SamplePortal (127.0.0.1 by default), with ETag / Last-Modified / 304."""
from __future__ import annotations

import socket
import sys
import threading
import time
import traceback
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    want = etag.strip()
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == want:
            return True
    return False


def _not_modified(req_headers, headers: dict) -> bool:
    inm = req_headers.get("If-None-Match")
    if inm is not None:
        return _etag_matches(inm, headers.get("ETag", ""))
    ims = req_headers.get("If-Modified-Since")
    if ims and "Last-Modified" in headers:
        try:
            since = parsedate_to_datetime(ims)
            last = parsedate_to_datetime(headers["Last-Modified"])
        except (TypeError, ValueError, IndexError):
            return False
        if since is None or since.tzinfo is None:
            return False
        return last <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 60

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        self._respond(head=False)

    def do_HEAD(self):
        self._respond(head=True)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: with Nagle's algorithm on, the second
        # waits for the client's delayed ACK (about 40 ms a response on keep-alive), and
        # a benchmark would measure the server, not the crawler.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _respond(self, head: bool) -> None:
        srv: PortalServer = self.server  # type: ignore[assignment]
        started = time.time()
        if srv.latency:
            time.sleep(srv.latency)  # a slower portal, for tests that must catch a crawl mid-run
        if self.path.startswith(("http://", "https://")):
            # absolute-form request target: the server is used as the crawl's HTTP proxy
            # for its public name (``make demo``'s http://usbanglanews.test/)
            self.path = "/" + self.path.split("://", 1)[1].partition("/")[2]
        try:
            status, headers, body = srv.portal.render(self.path, srv.base_url)
        except Exception:  # a generator bug: say so once on stderr, answer 500
            traceback.print_exc(file=sys.stderr)
            status, headers, body = 500, {"Content-Type": "text/plain; charset=UTF-8"}, b"generator error\n"
            headers["Content-Length"] = str(len(body))
        if status == 200 and _not_modified(self.headers, headers):
            status, body = 304, b""
            headers = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}
        srv._record(self.command, self.path, status)
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if not head and body:
                self.wfile.write(body)
        except _DISCONNECTS:
            self.close_connection = True
        srv._access(started, time.time(), self.headers.get("Host", ""), self.command, self.path, status)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except _DISCONNECTS:
            self.close_connection = True


class PortalServer(ThreadingHTTPServer):
    """Serves a SamplePortal from a daemon thread.  ``requests`` lists every request path."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, portal, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None):
        super().__init__((host, port), _Handler)
        self.portal = portal
        self.host = host
        self.port = self.server_address[1]
        # where the crawler connects, and the portal's own address in its pages: the
        # same, unless the server stands for a public name as the crawl's proxy
        self.address = f"http://{host}:{self.port}"
        self.base_url = (public_url or self.address).rstrip("/")
        self.requests: list[str] = []
        self.log: list[tuple[str, str, int]] = []   # (method, path, status)
        # the access log: (arrived, answered, Host, method, path, status), times in epoch
        # seconds; what a politeness check reads, as a portal's operator would
        self.access: list[tuple[float, float, str, str, str, int]] = []
        self.latency = 0.0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append(path)
            self.log.append((method, path, status))

    def _access(self, arrived: float, answered: float, host: str, method: str, path: str, status: int) -> None:
        with self._lock:
            self.access.append((arrived, answered, host, method, path, status))

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.log.clear()
            self.access.clear()

    def start(self) -> "PortalServer":
        if self._thread is None:
            self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"sampleportal:{self.port}", daemon=True)
            self._thread.start()
        return self

    def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            super().shutdown()
            self._thread.join(timeout=5)
        self.server_close()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, _DISCONNECTS):
            return
        super().handle_error(request, client_address)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def serve(portal, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None) -> PortalServer:
    """Start serving ``portal`` in a daemon thread; returns the running server. With
    ``public_url`` the pages name that address and the server also answers requests for
    it in proxy form (``GET http://usbanglanews.test/news/1/``), so a crawl that uses it
    as its HTTP proxy archives URLs that do not depend on the port."""
    return PortalServer(portal, host, port, public_url).start()
