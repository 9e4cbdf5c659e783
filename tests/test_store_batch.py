"""The store's batch write (issue 17): without a savepoint per item unless one raises; an
item rolled back takes the compression dictionary it made with it."""

from __future__ import annotations

import zlib

from newsspider.items import Article, RawResponse
from pipelines.store import Archive, decompress

PAGE = "<html><body>" + "<p>খবর {} এর অনুচ্ছেদ, যা পাতার পর পাতা একই রকম।</p>" * 200 + "</body></html>"


def article(i: int, bad: bool = False) -> Article:
    url = f"http://p.test/news/{i}/"
    raw = RawResponse(url, url, 200, {}, PAGE.replace("{}", str(i)).encode(), "2025-01-01T00:00:00+00:00")
    return Article(url=url, fetched_url=url, headline=f"শিরোনাম {i}", body=f"খবর {i} " * 10,
                   fetched_at="2025-01-01T00:00:00+00:00", raw=raw,
                   images=[{"url": object()}] if bad else [])  # not JSON: the store raises after compressing


def test_an_item_that_made_the_dictionary_and_raised_takes_it_back(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.start_run("test", {})
    # the 4th article page makes the dictionary (Compressor: 4 samples), then raises
    archive.write([article(1), article(2), article(3), article(4, bad=True), article(5), article(6)])
    conn = archive.conn
    assert [r[0] for r in conn.execute("SELECT url FROM articles ORDER BY id")] == \
        [f"http://p.test/news/{i}/" for i in (1, 2, 3, 5, 6)]
    assert conn.execute("SELECT kind FROM failures").fetchall() == [("parse",)]
    # every stored body decompresses to its bytes: no body names a dictionary that was rolled back
    rows = conn.execute("SELECT url, body, compression FROM responses ORDER BY id").fetchall()
    assert [c for _, _, c in rows].count("zlib-dict/1") >= 1
    for url, blob, compression in rows:
        i = int(url.rstrip("/").rsplit("/", 1)[1])
        assert decompress(conn, blob, compression) == PAGE.replace("{}", str(i)).encode(), url
    assert conn.execute("SELECT count(*) FROM zdicts").fetchone()[0] == 1
    archive.close()


def test_a_batch_without_errors_is_what_a_batch_of_single_items_writes(tmp_path):
    one, each = Archive(tmp_path / "one.db"), Archive(tmp_path / "each.db")
    for a in (one, each):
        a.start_run("test", {})
    items = [article(i) for i in range(1, 9)]
    one.write(items)
    for item in [article(i) for i in range(1, 9)]:
        each.write([item])
    q = "SELECT id, url, body, compression, sha256 FROM responses ORDER BY id"
    assert one.conn.execute(q).fetchall() == each.conn.execute(q).fetchall()
    q = "SELECT id, url, content_hash FROM articles ORDER BY id"
    assert one.conn.execute(q).fetchall() == each.conn.execute(q).fetchall()
    one.close()
    each.close()
