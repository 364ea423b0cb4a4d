"""SQLite in one trip to aiosqlite's thread per statement: the same results, errors and
transactions as SQLAlchemy's own adapter, a quarter of the trips."""

from __future__ import annotations

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


async def test_one_trip_to_the_drivers_thread_per_statement(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = [0]
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips[0] += 1
        return await real(self, fn, *args, **kwargs)

    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the pool's connection is open now
        await connection.commit()
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with connection.begin():
            for bed in range(10):
                await connection.execute(
                    text("INSERT INTO beds (bed, name) VALUES (:bed, 'x')"), {"bed": str(bed)}
                )
            assert len((await connection.execute(text("SELECT * FROM beds"))).all()) == 10
    # BEGIN IMMEDIATE, 11 statements, COMMIT: SQLAlchemy's own adapter takes 4 a statement.
    assert trips[0] == 13
