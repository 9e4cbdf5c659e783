"""The text rules' Unicode tables, stored (``newsspider/bangla/_unicode_tables.py``) so that
no process scans the BMP at start-up: they must be what a scan gives, and a Python with
another Unicode version must not trust them."""

import importlib.util
import unicodedata

from newsspider.bangla import _unicode_tables as stored
from newsspider.bangla import text


def test_the_stored_tables_are_what_this_pythons_unicode_database_gives():
    assert stored.UNIDATA_VERSION == unicodedata.unidata_version, \
        "another Unicode version: run python -m newsspider.bangla --write-unicode-tables"
    built = text.build_unicode_tables()
    assert built == text._unicode_tables(), \
        "stale tables: run python -m newsspider.bangla --write-unicode-tables"
    assert set(built) == {"NFC_SAFE", "PUNCT", "CASED"}
    # and the rules' patterns are the ones built from them
    assert text._UNSAFE_CHAR_RE.pattern == "[^" + text._class_body(built["NFC_SAFE"]) + "]"
    assert text._PUNCT_CHARS == frozenset(map(chr, text._codes(built["PUNCT"])))


def test_the_stored_tables_are_read_not_built(monkeypatch):
    def scan():
        raise AssertionError("the BMP was scanned although the stored tables are current")

    monkeypatch.setattr(text, "build_unicode_tables", scan)
    assert text._unicode_tables()["NFC_SAFE"] == stored.NFC_SAFE


def test_tables_of_another_unicode_version_are_built_again(monkeypatch):
    monkeypatch.setattr(stored, "UNIDATA_VERSION", "0.0.0")
    monkeypatch.setattr(text, "build_unicode_tables", lambda: {"NFC_SAFE": "built"})
    assert text._unicode_tables() == {"NFC_SAFE": "built"}


def test_the_writer_writes_what_is_read_back(tmp_path):
    path = text.write_unicode_tables(tmp_path / "tables.py")
    spec = importlib.util.spec_from_file_location("written_tables", path)
    written = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(written)
    assert written.UNIDATA_VERSION == unicodedata.unidata_version
    built = text.build_unicode_tables()
    for name, ranges in built.items():
        assert getattr(written, name) == ranges
        assert all(a <= b < c for (a, b), (c, _) in zip(ranges, ranges[1:]))  # sorted, disjoint
