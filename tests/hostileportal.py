"""A hostile portal: the sample portal on 127.0.0.1 whose pages an attacker has written.

``HostilePortal(portal)`` serves ``portal`` and lets a test

- ``replace`` text in a page (``{"/news/1005/": [(old, new)]}``), e.g. a link in its
  "আরও খবর" list or its canonical tag;
- ``inject`` markup into a page (``{"/": ['<a href="file:///etc/passwd?p=1">x</a>']}``):
  HTML goes before ``</body>``, sitemap entries before ``</urlset>``/``</sitemapindex>``,
  feed items before ``</channel>``, robots.txt lines at the end;
- ``route`` a path (with its query) to a function ``(path) -> (status, headers, body)``
  for pages the sample portal does not have (traps, bombs, robots.txt answers).

Every request is logged as its path. ``Canary`` is a plain TCP listener on another
loopback address or port that records each connection and never answers: a test that
finds a connection in it has proved the crawler went where it must not. Nothing here
listens on or points to anything but loopback addresses.
"""

from __future__ import annotations

import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        srv: HostilePortal = self.server  # type: ignore[assignment]
        srv.record(self.path, dict(self.headers))
        route = srv.routes.get(self.path) or srv.routes.get(self.path.split("?", 1)[0])
        if route is None:
            for pattern, fn in srv.pattern_routes:
                if re.fullmatch(pattern, self.path):
                    route = fn
                    break
        if route is not None:
            status, headers, body = route(self.path)
        else:
            status, headers, body = srv.portal.render(self.path, srv.base_url)
            snippets = srv.inject.get(self.path) or srv.inject.get(self.path.split("?", 1)[0])
            swaps = srv.replace.get(self.path) or srv.replace.get(self.path.split("?", 1)[0])
            if (snippets or swaps) and status == 200:
                if snippets:
                    body = _inject(body, "".join(snippets).replace("{base}", srv.base_url).encode("utf-8"))
                for old, new in swaps or ():
                    body = body.replace(old.encode("utf-8"), new.replace("{base}", srv.base_url).encode("utf-8"))
                headers = {k: v for k, v in headers.items() if k not in ("ETag", "Last-Modified")}
                headers["Content-Length"] = str(len(body))
        if srv.hang.get(self.path):
            srv.stop.wait(srv.hang[self.path])
            self.close_connection = True
            return
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _inject(body: bytes, extra: bytes) -> bytes:
    for closing in (b"</body>", b"</urlset>", b"</sitemapindex>", b"</channel>"):
        i = body.rfind(closing)
        if i >= 0:
            return body[:i] + extra + body[i:]
    return body.rstrip(b"\n") + b"\n" + extra + b"\n"  # robots.txt


class HostilePortal(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, portal, *, inject=None, replace=None, routes=None, pattern_routes=None, hang=None,
                 host: str = "127.0.0.1"):
        super().__init__((host, 0), _Handler)
        self.portal = portal
        self.inject = dict(inject or {})
        self.replace = dict(replace or {})
        self.routes = dict(routes or {})
        self.pattern_routes = list(pattern_routes or [])
        self.hang = dict(hang or {})
        self.port = self.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self.log: list[str] = []
        self.headers_log: list[tuple[str, dict]] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def record(self, path: str, headers: dict) -> None:
        with self._lock:
            self.log.append(path)
            self.headers_log.append((path, headers))

    def handle_error(self, request, client_address):
        pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.shutdown()
        self.server_close()


class Canary:
    """A TCP listener that accepts, records and never answers (an FTP server that hangs,
    an internal service, another port of the portal's host)."""

    def __init__(self, host: str = "127.0.0.2", port: int = 0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.host, self.port = self.sock.getsockname()
        self.connections: list[bytes] = []
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            try:
                first = conn.recv(200)
            except OSError:
                first = b""
            self.connections.append(first or b"(connected)")
            self._held.append(conn)  # never answered, never closed until the end

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)
        for c in self._held:
            c.close()
        self.sock.close()
