"""A local stand-in for the Wayback Machine on 127.0.0.1: a CDX API and raw (``id_``)
replay of sample-portal pages with capture timestamps.

``captures`` is [(timestamp, path, edition)]: the page ``path`` of
``SamplePortal(articles, edition)`` as captured at ``timestamp`` (14 digits), under the
portal address ``portal_base`` (which nothing needs to serve). The CDX API answers as
the real one does with ``output=json``: a header row, then rows; it applies ``from``,
``to``, ``filter=statuscode:200`` and ``collapse=digest`` (adjacent rows of one URL with
one digest) and records every query it got."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from newsspider.sampleportal import SamplePortal


class WaybackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, portal_base: str, captures: list[tuple[str, str, int]], articles: int = 80):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.portal_base = portal_base.rstrip("/")
        self.portals = {}
        self.articles = articles
        self.captures = sorted(captures)
        self.queries: list[dict] = []
        self.paths: list[str] = []
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"

    def page(self, path: str, edition: int) -> tuple[int, dict, bytes]:
        portal = self.portals.setdefault(edition, SamplePortal(articles=self.articles, edition=edition))
        return portal.render(path, self.portal_base + "/")

    def __enter__(self):
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: WaybackServer

    def log_message(self, *args):
        pass

    def _send(self, status, body: bytes, ctype="text/html; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        s = self.server
        s.paths.append(self.path)
        parts = urlsplit(self.path)
        if parts.path == "/cdx/search/cdx":
            q = parse_qs(parts.query)
            s.queries.append(q)
            rows, last = [], {}
            for ts, path, edition in s.captures:
                if "from" in q and ts < q["from"][0].ljust(14, "0"):
                    continue
                if "to" in q and ts > q["to"][0].ljust(14, "9"):
                    continue
                status, headers, body = s.page(path, edition)
                if "statuscode:200" in q.get("filter", []) and status != 200:
                    continue
                digest = hashlib.sha1(body).hexdigest()
                if "digest" in q.get("collapse", []) and last.get(path) == digest:
                    continue
                last[path] = digest
                rows.append([ts, s.portal_base + path, digest, str(status), "text/html"])
            out = [["timestamp", "original", "digest", "statuscode", "mimetype"], *rows]
            return self._send(200, json.dumps(out).encode(), "application/json")
        if parts.path.startswith("/web/"):
            ts, _, original = parts.path[len("/web/"):].partition("id_/")
            path = urlsplit(original).path
            match = [c for c in s.captures if c[0] == ts and c[1] == path]
            if not match:
                return self._send(404, b"not in the archive")
            status, headers, body = s.page(path, match[0][2])
            return self._send(status, body, headers.get("Content-Type", "text/html; charset=utf-8"))
        return self._send(404, b"")
