"""A fault-injecting sample portal: the sample portal on 127.0.0.1, misbehaving on chosen URLs.

``FaultPortal(portal, faults)`` serves ``portal`` and, for a path in ``faults``, acts out
the fault instead: ``{"/news/1003/": Fault("500", times=2)}`` answers 500 twice, then the
page. Every answer is logged as (path, status) with status 0 for a connection the server
broke or left hanging, so tests can compare the crawl's statistics with the server's.
Nothing here listens on or redirects to anything but loopback addresses.
"""

from __future__ import annotations

import socket
import threading
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GZIP_BOMB_SIZE = 1024 ** 3  # decompresses to 1 GiB


@dataclass
class Fault:
    kind: str
    times: int | None = None   # act out the fault this many times, then serve the page (None: always)
    arg: str = ""


_bomb: bytes | None = None


def gzip_bomb() -> bytes:
    """A gzip body of about 1 MB that expands to 1 GiB of zeros (made once)."""
    global _bomb
    if _bomb is None:
        co = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
        chunk = bytes(16 * 1024 * 1024)
        parts = [co.compress(chunk) for _ in range(GZIP_BOMB_SIZE // len(chunk))]
        parts.append(co.flush())
        _bomb = b"".join(parts)
    return _bomb


CONSENT_PAGE = """<!DOCTYPE html><html lang="bn"><head><meta charset="utf-8"><title>সম্মতি দিন</title>
<meta property="og:type" content="website"></head><body><div class="consent-wall">
<h2>কুকি ব্যবহারে আপনার সম্মতি প্রয়োজন</h2><p>এই সাইট পড়তে লগইন করুন অথবা সম্মতি দিন।</p>
<form method="post" action="/consent"><button>সম্মতি দিচ্ছি</button></form></div></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        srv: FaultPortal = self.server  # type: ignore[assignment]
        path = self.path
        fault = srv.take_fault(path)
        if fault is None:
            status, headers, body = srv.portal.render(path, srv.base_url)
            if path == "/robots.txt" and srv.robots_extra:
                body = body.rstrip(b"\n") + b"\n" + srv.robots_extra.encode() + b"\n"
                headers["Content-Length"] = str(len(body))
            return self._send(path, status, headers, body)
        getattr(self, f"fault_{fault.kind.replace('-', '_')}")(path, fault)

    # -- plumbing ------------------------------------------------------------------
    def _send(self, path, status, headers, body, record=True):
        """Send a whole response; logged with its status once fully written, with 0 when
        the client hung up first (it then has no response to count)."""
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            status = 0
        if record:
            self.server.record(path, status)

    def _page(self, path):
        return self.server.portal.render(path, self.server.base_url)

    # -- the faults ----------------------------------------------------------------
    def _status(self, path, status, extra=None):
        body = f"<html><body><h1>{status}</h1></body></html>".encode()
        headers = {"Content-Type": "text/html; charset=utf-8", **(extra or {})}
        self._send(path, status, headers, body)

    def fault_500(self, path, fault):
        self._status(path, 500)

    def fault_503(self, path, fault):
        self._status(path, 503)

    def fault_503_retry_after(self, path, fault):
        self._status(path, 503, {"Retry-After": fault.arg or "1"})

    def fault_429(self, path, fault):
        self._status(path, 429, {"Retry-After": fault.arg or "1"})

    def fault_reset(self, path, fault):
        self.server.record(path, 0)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.connection.close()
        self.close_connection = True

    def fault_hang(self, path, fault):
        self.server.record(path, 0)
        self.server.stop.wait(float(fault.arg or 30))
        self.close_connection = True

    def fault_cut(self, path, fault):
        status, headers, body = self._page(path)
        self.server.record(path, 0)
        self.send_response(200)
        self.send_header("Content-Type", headers["Content-Type"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 3])
        self.wfile.flush()
        self.close_connection = True

    def fault_redirect_loop(self, path, fault):
        target = "/loop/b/" if path.startswith("/loop/a/") else "/loop/a/"
        self.server.record(path, 302)
        self._send(path, 302, {"Location": target}, b"", record=False)

    def fault_redirect(self, path, fault):
        """Redirect to ``fault.arg`` (another host name on loopback, or a private address
        that nothing listens on)."""
        self._send(path, 302, {"Location": fault.arg.replace("{port}", str(self.server.port))}, b"")

    def fault_huge(self, path, fault):
        status, headers, body = self._page(path)
        padding = b"<!-- " + b"x" * (11 * 1024 * 1024) + b" -->"
        self._send(path, 200, {"Content-Type": headers["Content-Type"]}, body.replace(b"</body>", padding + b"</body>"))

    def fault_gzip_bomb(self, path, fault):
        self._send(path, 200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, gzip_bomb())

    def fault_pdf(self, path, fault):
        self._send(path, 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    def fault_image(self, path, fault):
        status, headers, body = self.server.portal.render("/wp-content/uploads/1001.jpg", self.server.base_url)
        self._send(path, 200, {"Content-Type": "image/jpeg"}, body)

    def fault_charset(self, path, fault):
        """The page's UTF-8 bytes under a wrong or missing charset (``fault.arg``)."""
        status, headers, body = self._page(path)
        body = body.replace(b'<meta charset="utf-8">', b"")
        ctype = "text/html" + (f"; charset={fault.arg}" if fault.arg else "")
        self._send(path, 200, {"Content-Type": ctype}, body)

    def fault_empty(self, path, fault):
        self._send(path, 200, {"Content-Type": "text/html; charset=utf-8"}, b"")

    def fault_consent(self, path, fault):
        self._send(path, 200, {"Content-Type": "text/html; charset=utf-8"}, CONSENT_PAGE.encode())

    def fault_hostile(self, path, fault):
        """A real article whose text carries markup, script, SQL, control characters and a
        1 MB paragraph: data, to be stored as text and shown escaped."""
        status, headers, body = self._page(path)
        html = body.decode("utf-8")
        start = html.index('<h1 class="news-title">') + len('<h1 class="news-title">')
        end = html.index("</h1>", start)
        html = html[:start] + HOSTILE_HEADLINE_HTML + html[end:]
        marker = '<div class="news-details">'
        i = html.index(marker) + len(marker)
        html = html[:i] + "".join(f"<p>{p}</p>" for p in HOSTILE_PARAGRAPHS_HTML) + html[i:]
        self._send(path, 200, {"Content-Type": headers["Content-Type"]}, html.encode("utf-8"))


HOSTILE_HEADLINE_HTML = "&lt;script&gt;alert('xss')&lt;/script&gt; হামলা'; DROP TABLE articles; --"
HOSTILE_HEADLINE = "<script>alert('xss')</script> হামলা'; DROP TABLE articles; --"
BIG_WORDS = 110_000
HOSTILE_PARAGRAPHS_HTML = [
    "&lt;img src=x onerror=&quot;document.title='pwned'&quot;&gt; সংবাদ সম্মেলনে বক্তব্য দেন তিনি।",
    "Robert'); DELETE FROM versions WHERE ('1'='1 নামে এক ব্যক্তি\x07 নিয়ে\x1b প্রশ্ন ওঠে।",
    " ".join(["খবর"] * BIG_WORDS) + "।",
]


class FaultPortal(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, portal, faults: dict[str, Fault] | None = None, robots_extra: str = ""):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.portal = portal
        self.faults = dict(faults or {})
        self.robots_extra = robots_extra
        self.port = self.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log: list[tuple[str, int]] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault is None and path.startswith("/loop/"):
                return Fault("redirect-loop")
            if fault is None:
                return None
            if fault.times is not None:
                if fault.times <= 0:
                    return None
                fault.times -= 1
            return fault

    def record(self, path: str, status: int) -> None:
        with self._lock:
            self.log.append((path, status))

    def handle_error(self, request, client_address):
        pass  # broken connections are the point here

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.shutdown()
        self.server_close()
