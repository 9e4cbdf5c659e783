"""A deterministic, on-demand sample of the usbanglanews.com portal (ইউ এস বাংলা নিউজ).

    portal = SamplePortal(articles=72, seed=20250514, edition=0)
    portal.article(1042)            # ArticleSpec: the truth a parser must extract
    portal.render("/news/1042/", "http://127.0.0.1:8000")   # (status, headers, body)
    with serve(portal) as srv:      # ThreadingHTTPServer on 127.0.0.1, random port
        srv.base_url, srv.requests

Broken on purpose, by (id - 1001) % 500: 12 -> "gone" (404), 28 -> "server_error" (500),
36 -> "truncated" (HTML cut in the 3rd paragraph), 45 -> "no_body" (empty news-details);
for the default portal these are 1013, 1029, 1037 and 1046.
"""
from .generator import ArticleSpec, SamplePortal, visible_date
from .server import PortalServer, serve

__all__ = ["SamplePortal", "ArticleSpec", "serve", "PortalServer", "visible_date"]
