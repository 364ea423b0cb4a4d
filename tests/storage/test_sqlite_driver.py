"""SQLite run in the event loop's thread where it cannot wait, in aiosqlite's where it may:
the same results, errors and transactions as SQLAlchemy's own adapter, a trip to the
driver's thread only for a commit that wrote, a long statement, or a lock to wait for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.uow import make_engine
from tests.conftest import sqlite_url


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(sqlite_url(tmp_path / "driver.db"))
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE beds (id INTEGER PRIMARY KEY, bed TEXT UNIQUE, name TEXT)")
        )
    yield engine
    await engine.dispose()


async def test_rows_counts_and_ids_come_back_as_before(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(
            text("INSERT INTO beds (bed, name) VALUES ('12', '张三')")
        )
        assert inserted.lastrowid == 1 and inserted.rowcount == 1
        await connection.execute(
            text("INSERT INTO beds (bed, name) VALUES (:bed, :name)"),
            [{"bed": "13", "name": "李四"}, {"bed": "14", "name": "王五"}],
        )
        returned = await connection.execute(
            text("UPDATE beds SET name = name || '·' WHERE bed != '12' RETURNING bed")
        )
        assert sorted(returned.scalars()) == ["13", "14"]
        changed = await connection.execute(text("UPDATE beds SET name = 'x' WHERE bed > '12'"))
        assert changed.rowcount == 2
        rows = (await connection.execute(text("SELECT bed, name FROM beds ORDER BY bed"))).all()
        assert [tuple(r) for r in rows] == [("12", "张三"), ("13", "x"), ("14", "x")]
        assert (await connection.execute(text("SELECT 1 WHERE 0"))).first() is None


async def test_a_constraint_error_is_sqlalchemys_and_rolls_back(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO beds (bed, name) VALUES ('12', '张三')"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO beds (bed, name) VALUES ('13', '李四')"))
            await connection.execute(text("INSERT INTO beds (bed, name) VALUES ('12', '王五')"))
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM beds"))).scalars().all()
    assert names == ["张三"]  # the whole transaction went, the first insert with it


def _count_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    trips = [0]
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips[0] += 1
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return trips


async def test_only_a_commit_that_wrote_goes_to_the_drivers_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the pool's connection is open now
        await connection.commit()
        trips = _count_trips(monkeypatch)
        async with connection.begin():
            for bed in range(10):
                await connection.execute(
                    text("INSERT INTO beds (bed, name) VALUES (:bed, 'x')"), {"bed": str(bed)}
                )
            assert len((await connection.execute(text("SELECT * FROM beds"))).all()) == 10
        # BEGIN IMMEDIATE and 11 statements here, the COMMIT (a disk sync) in the thread:
        # SQLAlchemy's own adapter takes 4 trips a statement, 46 in all.
        assert trips[0] == 1
        async with connection.begin():  # read, nothing written: no trip at all
            assert len((await connection.execute(text("SELECT * FROM beds"))).all()) == 10
        with pytest.raises(IntegrityError):
            async with connection.begin():  # a failed write rolls back here too
                await connection.execute(text("INSERT INTO beds (bed, name) VALUES ('3', 'y')"))
        assert trips[0] == 1
        long = text("SELECT count(*) FROM beds").execution_options(sqlite_in_thread=True)
        async with connection.begin():
            assert (await connection.execute(long)).scalar() == 10
        assert trips[0] == 2  # the statement marked long, in the thread
    async with engine.connect() as connection:  # what was committed is on disk
        assert (await connection.execute(text("SELECT count(*) FROM beds"))).scalar() == 10


async def test_waiting_for_another_writer_leaves_the_loop_free(engine: AsyncEngine) -> None:
    # A transaction that must wait for the write lock waits in the driver's thread (the
    # busy timeout), not in the loop: other work goes on, and it begins once the lock is
    # free.
    ticks: list[float] = []

    async def ticking() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(ticking())
    try:
        async with engine.connect() as holder:
            await holder.begin()
            await holder.execute(text("INSERT INTO beds (bed, name) VALUES ('1', '张三')"))

            async def second() -> list[Any]:
                async with engine.begin() as connection:
                    await connection.execute(
                        text("INSERT INTO beds (bed, name) VALUES ('2', '李四')")
                    )
                    return list((await connection.execute(text("SELECT bed FROM beds"))).scalars())

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            assert not waiting.done()
            during = len(ticks)
            await holder.commit()
        assert sorted(await waiting) == ["1", "2"]
    finally:
        ticker.cancel()
    assert during >= 10  # the loop ran on while the second transaction waited


async def test_a_long_transaction_lets_the_loop_run(engine: AsyncEngine) -> None:
    # Thousands of statements in one transaction, each run in the loop's thread: the loop
    # still gets a turn every few milliseconds (replies, the 08:00 sending go on).
    ticks: list[float] = []

    async def ticking() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(ticking())
    await asyncio.sleep(0.01)
    try:
        started = time.monotonic()
        async with engine.begin() as connection:
            for bed in range(4000):
                await connection.execute(
                    text("INSERT INTO beds (bed, name) VALUES (:bed, 'x')"), {"bed": str(bed)}
                )
        ended = time.monotonic()
    finally:
        ticker.cancel()
    during = [t for t in ticks if started <= t <= ended]
    gaps = [b - a for a, b in zip([started, *during], [*during, ended], strict=True)]
    assert ended - started > 0.1  # long enough to tell
    assert max(gaps) < 0.05, max(gaps)
