"""Bangla language rules for the archiver: text normalization, dates, wire credits.

Pure functions, no Scrapy imports; regexes and tables are built once at import.

* :mod:`newsspider.bangla.text`     normalize_text / normalize_body / match_key / is_bijoy ...
* :mod:`newsspider.bangla.dates`    parse_date / parse_iso / split_labelled_dates / to_iso
* :mod:`newsspider.bangla.agencies` canonical_agency / split_credits / find_credit_line
"""

from newsspider.bangla.agencies import canonical_agency, find_credit_line, split_credits
from newsspider.bangla.dates import parse_date, parse_iso, split_labelled_dates, to_iso
from newsspider.bangla.text import (
    is_bangla,
    is_bijoy,
    match_key,
    normalize_body,
    normalize_paragraph,
    normalize_text,
    to_ascii_digits,
)

__all__ = [
    "normalize_text",
    "normalize_paragraph",
    "normalize_body",
    "match_key",
    "to_ascii_digits",
    "is_bijoy",
    "is_bangla",
    "parse_date",
    "parse_iso",
    "split_labelled_dates",
    "to_iso",
    "canonical_agency",
    "split_credits",
    "find_credit_line",
]
