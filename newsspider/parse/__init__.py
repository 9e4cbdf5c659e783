"""Parsers: pure functions from a page's bytes (+ URL) to article fields.

``parse_article(data, url)`` is the whole contract; ``python -m newsspider.parse FILE``
runs it on files. Nothing here imports Scrapy: the spider calls the same function.
"""

from newsspider.parse.document import Document, NotHTML
from newsspider.parse.extract import FIELDS, PARSER_VERSION, extract, parse_article

__all__ = ["Document", "NotHTML", "FIELDS", "PARSER_VERSION", "extract", "parse_article"]
