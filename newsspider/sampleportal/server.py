"""HTTP server for a SamplePortal (127.0.0.1 by default), with ETag / Last-Modified / 304."""
from __future__ import annotations

import socket
import sys
import threading
import time
import traceback
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

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
        arrived = time.time()
        if srv.latency:
            time.sleep(srv.latency)  # a slower portal, for tests that must catch a crawl mid-run
        host = self.headers.get("Host", "")
        if self.path.startswith(("http://", "https://")):
            # absolute-form request target: the server is used as the crawl's HTTP proxy
            # for its public name (``make demo``'s http://usbanglanews.test/)
            host, _, rest = self.path.split("://", 1)[1].partition("/")
            self.path = "/" + rest
        portal, base_url = srv.site(host)
        key = (id(portal), base_url, self.path)
        kept = srv.page_cache.get(key) if srv.page_cache is not None else None
        if kept is not None:
            status, headers, body = kept
        else:
            try:
                status, headers, body = portal.render(self.path, base_url)
                srv.keep_page(key, status, headers, body)
            except Exception:  # a generator bug: say so once on stderr, answer 500
                traceback.print_exc(file=sys.stderr)
                status, headers, body = 500, {"Content-Type": "text/plain; charset=UTF-8"}, b"generator error\n"
                headers["Content-Length"] = str(len(body))
        if status == 200 and _not_modified(self.headers, headers):
            status, body = 304, b""
            headers = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}
        srv._record(self.command, self.path, status, host)
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if not head and body:
                self.wfile.write(body)
        except _DISCONNECTS:
            self.close_connection = True
        with srv._lock:
            srv.spans.append((arrived, time.time(), host, self.path))

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except _DISCONNECTS:
            self.close_connection = True


class PortalServer(ThreadingHTTPServer):
    """Serves a SamplePortal from a daemon thread.  ``requests`` lists every request path.

    Several portals at once: ``others`` maps more public URLs to their SamplePortal; a
    request is answered by the portal its Host (or, used as a proxy, its absolute URL)
    names, and by the first portal otherwise. ``access`` (and the file ``access_log``,
    one line a request) records the time, host, method, path and status of each request,
    as a web server's access log does: what the politeness tests read."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, portal, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None,
                 others: dict | None = None, access_log: str | None = None):
        super().__init__((host, port), _Handler)
        self.portal = portal
        self.host = host
        self.port = self.server_address[1]
        # where the crawler connects, and the portal's own address in its pages: the
        # same, unless the server stands for a public name as the crawl's proxy
        self.address = f"http://{host}:{self.port}"
        self.base_url = (public_url or self.address).rstrip("/")
        # more portals by host; the first (``portal``, which tests may swap) answers the rest
        self.sites: dict[str, tuple] = {urlsplit(url).netloc.lower(): (other, url.rstrip("/"))
                                        for url, other in (others or {}).items()}
        self.requests: list[str] = []
        self.log: list[tuple[str, str, int]] = []   # (method, path, status)
        self.access: list[tuple[float, str, str, str, int]] = []  # (time, host, method, path, status)
        self._access_file = open(access_log, "a", encoding="utf-8", buffering=1) if access_log else None
        # each request from its arrival to its answer (host, path): how many were open at
        # once, which the distributed mode's politeness test reads
        self.spans: list[tuple[float, float, str, str]] = []
        self.latency = 0.0  # seconds each answer waits (tests that must catch a crawl mid-run)
        # Each page as rendered, when on (``serve --cache-pages``; off unless asked, since
        # tests swap and edit portals): a remote portal answers from its cache and costs
        # the crawling machine nothing, while this generator renders a page in ~0.5 ms of
        # the two cores a benchmark's crawl needs. Up to ``page_cache_limit`` bytes.
        self.page_cache: dict | None = None
        self.page_cache_limit = 1 << 30
        self._page_cache_bytes = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def site(self, host: str) -> tuple:
        """(portal, base URL) of the portal a request for ``host`` is for."""
        return self.sites.get((host or "").lower()) or (self.portal, self.base_url)

    def _record(self, method: str, path: str, status: int, host: str = "") -> None:
        now = time.time()
        with self._lock:
            self.requests.append(path)
            self.log.append((method, path, status))
            self.access.append((now, host, method, path, status))
            if self._access_file is not None:
                self._access_file.write(f"{now:.6f}\t{host}\t{method}\t{path}\t{status}\n")

    def keep_page(self, key, status: int, headers: dict, body: bytes) -> None:
        if self.page_cache is None:
            return
        with self._lock:
            if self._page_cache_bytes + len(body) <= self.page_cache_limit:
                self.page_cache[key] = (status, dict(headers), body)
                self._page_cache_bytes += len(body)

    def keep_pages(self) -> None:
        """Keep pages from now on, every page of every portal served rendered first (so no
        request finds the cache cold: a benchmark's first crawl would wait on rendering
        that the later ones do not)."""
        self.page_cache = {}
        for portal, base_url in [(self.portal, self.base_url), *self.sites.values()]:
            for path in portal.paths():
                self.keep_page((id(portal), base_url, path), *portal.render(path, base_url))

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.log.clear()
            self.access.clear()
            self.spans.clear()

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
        if self._access_file is not None:
            self._access_file.close()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, _DISCONNECTS):
            return
        super().handle_error(request, client_address)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def serve(portal, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None,
          others: dict | None = None, access_log: str | None = None) -> PortalServer:
    """Start serving ``portal`` in a daemon thread; returns the running server. With
    ``public_url`` the pages name that address and the server also answers requests for
    it in proxy form (``GET http://usbanglanews.test/news/1/``), so a crawl that uses it
    as its HTTP proxy archives URLs that do not depend on the port. ``others``: more
    portals, {public URL: SamplePortal}, served the same way."""
    return PortalServer(portal, host, port, public_url, others, access_log).start()


def serve_registry(portals: list, host: str = "127.0.0.1", port: int = 0, scale: float = 1.0,
                   access_log: str | None = None, edition: int = 0) -> PortalServer:
    """Serve registry entries (``newsspider.portals.Portal`` of the sample registry) at once:
    each under its base URL, with its size (times ``scale``), seed and time zone."""
    from .generator import SamplePortal

    made = [(p.base_url, SamplePortal(articles=max(1, round((p.articles or 72) * scale)),
                                      seed=p.seed if p.seed is not None else 20250514,
                                      edition=edition, timezone=p.timezone)) for p in portals]
    (first_url, first), rest = made[0], dict(made[1:])
    return serve(first, host, port, public_url=first_url, others=rest, access_log=access_log)
