"""The full-text indexes of a batch's new articles are written once, at the end of the
batch (issue 17: the crawl's writer spent most of its time here).

An FTS5 trigger on ``articles`` makes every article INSERT a statement with a statement
journal, and FTS5 flushes its pending terms at each one: a segment per article and index,
merged again and again. Inside ``Archive.write`` the two insert triggers stand aside
(``search_index_deferred`` holds a row for the length of the batch, never past its
transaction) and the batch's new articles are indexed by one statement per index before
the commit. Every other writer (a ``sqlite3`` shell, ``reparse``'s updates) is indexed by
the triggers as before."""

from __future__ import annotations

import sqlite3

import pytest

from newsspider.items import Article, RawResponse
from pipelines import schema
from pipelines.store import Archive

WORDS = ["কলম", "নদী", "আকাশ", "পাহাড়", "সাগর", "বৃষ্টি", "মেঘ", "শহর", "গ্রাম", "পাখি"]


def article(i: int, body: str | None = None, bad: bool = False) -> Article:
    url = f"http://p.test/news/{i}/"
    raw = RawResponse(url, url, 200, {}, f"<html><body><p>{i}</p></body></html>".encode(),
                      "2025-01-01T00:00:00+00:00")
    return Article(url=url, fetched_url=url, headline=f"শিরোনাম {i}",
                   body=body or f"অনন্য{i}শব্দ {WORDS[i % len(WORDS)]} এর খবর",
                   fetched_at="2025-01-01T00:00:00+00:00", raw=raw,
                   images=[{"url": object()}] if bad else [])  # not JSON: the store raises


def open_archive(path) -> Archive:
    archive = Archive(path)
    archive.start_run("test", {})
    return archive


def found(conn, index: str, text: str) -> list[str]:
    return [r[0] for r in conn.execute(
        f"SELECT a.url FROM {index} JOIN articles a ON a.id = {index}.rowid "
        f"WHERE {index} MATCH ? ORDER BY a.id", [f'"{text}"'])]


def check_indexes(conn) -> None:
    for index in ("articles_fts", "articles_words"):
        conn.execute(f"INSERT INTO {index} ({index}) VALUES ('integrity-check')")
    assert conn.execute("SELECT count(*) FROM search_index_deferred").fetchone()[0] == 0


def segments(conn, index: str) -> int:
    return conn.execute(f"SELECT count(DISTINCT segid) FROM {index}_idx").fetchone()[0]


def test_a_batch_is_indexed_in_one_flush(tmp_path):
    archive = open_archive(tmp_path / "a.db")
    archive.write([article(i) for i in range(1, 41)])
    conn = archive.conn
    check_indexes(conn)
    for i in (1, 17, 40):
        assert found(conn, "articles_fts", f"অনন্য{i}শব্দ") == [f"http://p.test/news/{i}/"]
        assert found(conn, "articles_words", f"অনন্য{i}শব্দ") == [f"http://p.test/news/{i}/"]
    assert len(found(conn, "articles_words", "কলম")) == 4
    # one segment per index for the first batch (a flush per article made one each,
    # and automerge kept merging them)
    assert segments(conn, "articles_fts") == 1
    assert segments(conn, "articles_words") == 1
    archive.write([article(i) for i in range(41, 61)])
    check_indexes(conn)
    assert found(conn, "articles_fts", "অনন্য55শব্দ") == ["http://p.test/news/55/"]
    assert segments(conn, "articles_fts") == 2
    archive.close()


def test_an_article_inserted_and_changed_in_one_batch(tmp_path):
    """The second item of the same URL updates the row the first inserted: its update
    trigger takes the old text out of the index, which the batch has therefore indexed."""
    archive = open_archive(tmp_path / "a.db")
    archive.write([article(1), article(2, body="প্রথমলেখা আজ"), article(3),
                   article(2, body="দ্বিতীয়লেখা কাল"), article(4)])
    conn = archive.conn
    check_indexes(conn)
    assert conn.execute("SELECT versions FROM articles WHERE url = 'http://p.test/news/2/'").fetchone() == (2,)
    for index in ("articles_fts", "articles_words"):
        assert found(conn, index, "প্রথমলেখা") == []
        assert found(conn, index, "দ্বিতীয়লেখা") == ["http://p.test/news/2/"]
        assert found(conn, index, "অনন্য4শব্দ") == ["http://p.test/news/4/"]
    archive.close()


def test_an_item_that_raises_leaves_the_rest_indexed(tmp_path):
    archive = open_archive(tmp_path / "a.db")
    archive.write([article(1), article(2, bad=True), article(3)])
    conn = archive.conn
    check_indexes(conn)
    assert found(conn, "articles_fts", "অনন্য3শব্দ") == ["http://p.test/news/3/"]
    assert found(conn, "articles_fts", "অনন্য2শব্দ") == []
    assert conn.execute("SELECT kind FROM failures").fetchall() == [("parse",)]
    archive.close()


def test_a_batch_that_fails_leaves_no_marker(tmp_path):
    archive = open_archive(tmp_path / "a.db")

    def disk_error(conn):
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        archive.write([article(1), article(2)], before_commit=disk_error)
    conn = archive.conn
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    check_indexes(conn)
    archive.write([article(3)])
    check_indexes(conn)
    assert found(conn, "articles_words", "অনন্য3শব্দ") == ["http://p.test/news/3/"]
    archive.close()


def test_every_other_writer_is_indexed_by_the_triggers(tmp_path):
    archive = open_archive(tmp_path / "a.db")
    archive.write([article(1)])
    archive.close()
    other = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    other.execute("INSERT INTO articles (url, headline, body) VALUES ('http://p.test/x/', 'x', 'শেলথেকেলেখা ১২৩')")
    assert found(other, "articles_fts", "শেলথেকেলেখা") == ["http://p.test/x/"]
    assert found(other, "articles_words", "123") == ["http://p.test/x/"]  # folded as by the batch
    other.execute("UPDATE articles SET body = 'বদলানোলেখা' WHERE url = 'http://p.test/x/'")
    assert found(other, "articles_words", "শেলথেকেলেখা") == []
    assert found(other, "articles_fts", "বদলানোলেখা") == ["http://p.test/x/"]
    check_indexes(other)
    other.close()


def test_the_words_index_is_folded_alike_both_ways(tmp_path):
    """Bangla digits and ZWJ/ZWNJ: the batch's statement and the trigger fold the same."""
    archive = open_archive(tmp_path / "a.db")
    archive.write([article(1, body="সাল ২০২৫ র\u200dযাব")])
    archive.close()
    other = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    other.execute("INSERT INTO articles (url, headline, body) VALUES ('http://p.test/y/', '', 'সাল ২০২৫ র\u200dযাব')")
    assert found(other, "articles_words", "2025") == ["http://p.test/news/1/", "http://p.test/y/"]
    assert found(other, "articles_words", "রযাব") == ["http://p.test/news/1/", "http://p.test/y/"]
    other.close()


def test_an_archive_with_the_old_triggers_is_migrated(tmp_path):
    archive = open_archive(tmp_path / "a.db")
    archive.write([article(1)])
    conn = archive.conn
    # as sqlite-utils and the first search migration wrote them, without the marker table
    conn.execute("DROP TRIGGER articles_ai")
    conn.execute("CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN\n"
                 "  INSERT INTO articles_fts (rowid, headline, body) VALUES (new.rowid, new.headline, new.body);\nEND")
    conn.execute("DROP TRIGGER articles_words_ai")
    conn.execute(f"CREATE TRIGGER articles_words_ai AFTER INSERT ON articles BEGIN\n"
                 f"  INSERT INTO articles_words (rowid, headline, body) VALUES "
                 f"(new.id, {schema._fold_sql('new.headline')}, {schema._fold_sql('new.body')});\nEND")
    conn.execute("DROP TABLE search_index_deferred")
    archive.close()
    archive = open_archive(tmp_path / "a.db")
    conn = archive.conn
    sql = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    assert "search_index_deferred" in sql["articles_ai"] and "search_index_deferred" in sql["articles_words_ai"]
    archive.write([article(i) for i in range(2, 12)])
    check_indexes(conn)
    assert segments(conn, "articles_fts") == 2
    assert found(conn, "articles_fts", "অনন্য11শব্দ") == ["http://p.test/news/11/"]
    archive.close()


def test_a_marker_left_by_a_bug_is_repaired_on_open(tmp_path):
    """The marker is never committed by ``Archive.write``; were one ever found, the
    articles inserted since would be unindexed: opening the archive indexes them."""
    archive = open_archive(tmp_path / "a.db")
    archive.write([article(1)])
    archive.conn.execute("INSERT INTO search_index_deferred (after_id) VALUES (1)")
    archive.conn.execute("INSERT INTO articles (url, headline, body) VALUES ('http://p.test/z/', '', 'হারানোলেখা')")
    assert found(archive.conn, "articles_fts", "হারানোলেখা") == []
    archive.close()
    archive = open_archive(tmp_path / "a.db")
    check_indexes(archive.conn)
    assert found(archive.conn, "articles_fts", "হারানোলেখা") == ["http://p.test/z/"]
    assert found(archive.conn, "articles_words", "হারানোলেখা") == ["http://p.test/z/"]
    archive.close()
