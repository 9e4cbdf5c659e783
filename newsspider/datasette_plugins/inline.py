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
construction; ``Database.execute``'s own statement function is not one of them), and the
statements of :data:`SCHEMA` given to ``execute``.
"""

from __future__ import annotations

import asyncio
import re

from datasette.database import Results
from datasette.tracer import trace

#: the schema statements Datasette's views send through ``execute``
SCHEMA = re.compile(r"\s*(?:select [^;]* from sqlite_master\b[^;]*|PRAGMA schema_version)\s*", re.I | re.S)


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
        if isinstance(sql, str) and SCHEMA.fullmatch(sql):
            with trace("sql", database=db.name, sql=sql.strip(), params=params):
                cursor = conn().execute(sql, params if params is not None else {})
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
