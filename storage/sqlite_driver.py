"""SQLite through aiosqlite, with the work that cannot wait run where it is.

SQLAlchemy's aiosqlite adapter opens a cursor, executes, fetches and closes it as four
calls, each a round trip to aiosqlite's worker thread (a queue, a thread wake-up, a loop
wake-up: 150-550 us on a shared 2-core machine). Those trips, not SQLite, were most of
what a command and an HL7 message cost. Here:

- A statement runs in the event loop's own thread, read out and closed at once: every
  transaction is `BEGIN IMMEDIATE` (storage/uow.py), so a statement inside one holds the
  write lock already and never waits for another connection (WAL: readers wait for
  nobody); what it costs is SQLite's own work, microseconds on the ward's indexed tables.
  Work that may be long (a statement given `execution_options(sqlite_in_thread=True)`,
  or a batch of more than `MANY_IN_THREAD` rows) goes to aiosqlite's thread in one trip,
  so the loop (the other nurses' replies, the 08:00 sending) goes on meanwhile; and a
  long run of statements gives the loop a turn every `LOOP_TURN_EVERY` seconds.
- `BEGIN IMMEDIATE` is tried here without waiting; only when another connection holds the
  write lock is it sent to the thread, where it waits SQLite's busy timeout.
- A commit with nothing written, and every rollback, end here (no disk write to wait
  for); a commit of changes is the thread's (it syncs the write-ahead log to disk).

The rest of the adapter is SQLAlchemy's own.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["LOOP_TURN_EVERY", "MANY_IN_THREAD", "begin_immediate", "one_trip_dbapi"]

# An executemany of more rows than this is run in aiosqlite's thread (task generation).
MANY_IN_THREAD = 200
# Seconds of statements run in the loop's thread before the loop is given a turn.
LOOP_TURN_EVERY = 0.005
# When the loop last had a turn from here (time.monotonic()).
_turn_given = [0.0]


def _execute(
    connection: aiosqlite.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any] | None, int, int | None]:
    """In aiosqlite's thread: the statement run on a cursor of its own, read out, closed."""
    cursor: sqlite3.Cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


async def _done() -> None:
    return None


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount", "in_thread")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor opened: no trip
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1
        # Set per statement by the engine's before_cursor_execute (storage/uow.py).
        self.in_thread = False

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return  # the rows are held here; there is no driver cursor left to close

    def close(self) -> None:
        self._rows.clear()

    def _keep(self, found: tuple[Any, list[Any] | None, int, int | None]) -> None:
        self._description, rows, self._rowcount, self._lastrowid = found
        self._rows = collections.deque(rows or ())

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            found = await connection._execute(_execute, connection, operation, parameters, many)
        self._keep(found)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if self.in_thread:
            return super().execute(operation, parameters)
        self._here(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        if self.in_thread or len(seq_of_parameters) > MANY_IN_THREAD:
            return super().executemany(operation, seq_of_parameters)
        self._here(operation, seq_of_parameters, True)

    def _here(self, operation: Any, parameters: Any, many: bool) -> None:
        try:
            driver: Any = self._connection
            self._keep(_execute(driver, operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        # Statements run here do not let the loop run between them: after a few
        # milliseconds of them in a row (a long transaction) it gets one turn, so the bot's
        # other work (sending, taking updates) waits no longer than that. Otherwise a
        # coroutine that is done at once (AsyncConnection.execute checks that the driver
        # awaited something, as a sync driver by mistake would not).
        now = time.monotonic()
        if now - _turn_given[0] > LOOP_TURN_EVERY:
            _turn_given[0] = now
            await_(asyncio.sleep(0))
        else:
            await_(_done())

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, True)

    def nextset(self) -> None:
        return None  # one statement, one result set

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor

    def rollback(self) -> None:
        # Nothing to write: what the transaction changed is dropped from SQLite's cache
        # (WAL: nothing of it reached the database file).
        driver = self._connection
        if driver._connection:
            try:
                driver._conn.rollback()
            except Exception as error:
                self._handle_exception(error)

    def commit(self) -> None:
        driver = self._connection
        if not driver._connection:
            return
        conn = driver._conn
        if conn.total_changes != getattr(driver, "changes_at_begin", None):
            super().commit()  # the thread's: the log is synced to disk
            return
        try:
            conn.commit()  # nothing written: nothing to sync
        except Exception as error:
            self._handle_exception(error)


def begin_immediate(driver: aiosqlite.Connection, busy_timeout_ms: int) -> None:
    """`BEGIN IMMEDIATE` on a pooled connection, in a greenlet (a "begin" event): here at
    once when the write lock is free, else in aiosqlite's thread, waiting up to the busy
    timeout for the writer before it."""
    conn = driver._conn
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
        busy = False
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        busy = True
    finally:
        # Whatever happened, the connection waits for writers again from here on.
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    if busy:
        await_(driver.execute_fetchall("BEGIN IMMEDIATE"))
    # A commit that finds the same count wrote nothing (see _OneTripConnection.commit).
    driver.changes_at_begin = conn.total_changes  # type: ignore[attr-defined]


class _OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        # The same slots (none of its own): only the cursor it makes differs.
        adapted.__class__ = _OneTripConnection
        return adapted


def one_trip_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI module for `create_async_engine(..., module=...)` on sqlite+aiosqlite."""
    return _OneTripDbapi(aiosqlite, sqlite3)
