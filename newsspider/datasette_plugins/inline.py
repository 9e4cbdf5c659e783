"""Datasette's schema look-ups without a hand-off to its SQL threads (issue 13).

Datasette 0.65 runs every statement in a thread pool (``num_sql_threads``), its own schema
look-ups included: a table page asks for the table's columns, primary keys, foreign keys,
full-text table, definition and ``PRAGMA schema_version`` some twenty times, each a
hand-off to a thread and back (~0.3-0.5 ms of CPU each on this machine: 8-10 ms of a
~40 ms search page). They read ``sqlite_master`` and table-valued pragmas and take
microseconds, so for the archive's databases they run here, on the event loop's thread,
on a connection of its own (prepared as Datasette prepares its others: read-only, the
authorizer, the functions). Everything else - every query a reader or a page asks for,
the searches, the counts, the facets - still runs in the pool, so a slow query holds no
other request.

What runs inline: the functions Datasette's ``Database`` methods hand to ``execute_fn``
(``Database.table_columns.<locals>.<lambda>`` and the like: schema look-ups by
construction, on table names as parameters; ``Database.execute``'s own statement function
is not one of them), and exactly the statements of :data:`SCHEMA` given to ``execute``,
under Datasette's time limit all the same.
"""

from __future__ import annotations

import asyncio

from datasette.database import Results
from datasette.tracer import trace
from datasette.utils import sqlite_timelimit

#: the schema statements Datasette 0.65 itself sends through ``execute``, exactly (spaces
#: folded): a reader's own SQL (``?sql=``) that merely reads ``sqlite_master`` is not one
#: of them and runs in the pool under the time limit like any other query
SCHEMA = frozenset(" ".join(q.split()) for q in (
    "PRAGMA schema_version",
    "select 1 from sqlite_master where type='table' and name=?",
    "select name from sqlite_master where type='table'",
    "select name from sqlite_master where type='view'",
    "select sql from sqlite_master where name = :n and type=:t",
    "select sql from sqlite_master where tbl_name = :n and type='index' and sql is not null",
    "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase",
))


def wrap(datasette, db) -> None:
    """Run ``db``'s schema look-ups inline (see the module's docstring)."""
    if getattr(db.execute_fn, "newsspider_inline", False):
        return
    original_fn, original_execute = db.execute_fn, db.execute
    conns = []

    def conn():
        if not conns:
            c = db.connect()
            datasette._prepare_connection(c, db.name)
            conns.append(c)
        return conns[0]

    async def execute_fn(fn):
        name = getattr(fn, "__qualname__", "")
        if (getattr(fn, "__module__", None) == "datasette.database" and name.startswith("Database.")
                and not name.startswith("Database.execute.")):
            return fn(conn())
        return await original_fn(fn)

    async def execute(sql, params=None, truncate=False, custom_time_limit=None, page_size=None,
                      log_sql_errors=True):
        if isinstance(sql, str) and " ".join(sql.split()) in SCHEMA:
            c = conn()
            with trace("sql", database=db.name, sql=sql.strip(), params=params), \
                    sqlite_timelimit(c, datasette.sql_time_limit_ms):
                cursor = c.execute(sql, params if params is not None else {})
                return Results(cursor.fetchall(), False, cursor.description)
        return await original_execute(sql, params, truncate=truncate, custom_time_limit=custom_time_limit,
                                      page_size=page_size, log_sql_errors=log_sql_errors)

    execute_fn.newsspider_inline = True
    execute_fn.newsspider_connection = conn
    db.execute_fn, db.execute = execute_fn, execute


def wrapped(db) -> bool:
    return getattr(db.execute_fn, "newsspider_connection", None) is not None


def run(db, fn):
    """``fn(connection)`` here, on the event loop's thread, for work known to be small (a
    look-up by key, counting ids already fetched); ``db`` must be wrapped."""
    return fn(db.execute_fn.newsspider_connection())


def inline_or_pool(db, fn, small: bool):
    """``await``-able: ``fn`` inline when ``small`` and ``db`` is wrapped, else in the pool."""
    if small and wrapped(db):
        future = asyncio.get_running_loop().create_future()
        try:
            future.set_result(run(db, fn))
        except BaseException as e:  # noqa: BLE001  (raised where the caller awaits, as from the pool)
            future.set_exception(e)
        return future
    return db.execute_fn(fn)
