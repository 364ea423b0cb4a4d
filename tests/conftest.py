"""Shared fixtures: migrated databases on SQLite and PostgreSQL for storage and bot tests."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage import Database, upgrade
from storage.models import Base

__all__ = ["BACKENDS", "POSTGRES_URL", "sqlite_url"]

# A text key the code uses that no catalogue has fails the test that reaches it.
os.environ["WARDBOARD_STRICT_TEXTS"] = "1"

# The server on which each test session creates (and drops) a database of its own. If it
# is unreachable the tests fail: a skipped backend would pass unnoticed in CI.
POSTGRES_URL = os.environ.get(
    "WARDBOARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")

_T = TypeVar("_T")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.as_posix()}"


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    # Set-up outside a test's own coroutine runs on a loop in a thread of its own: sync
    # fixtures can use it, and pytest-asyncio's per-test loops are neither needed nor touched.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(sql: str) -> None:
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


def _new_postgres_database() -> tuple[str, str]:
    name = f"wardboard_test_{secrets.token_hex(6)}"
    try:
        _run(_admin(f'CREATE DATABASE "{name}"'))
    except OSError as error:
        pytest.fail(f"PostgreSQL unreachable at {POSTGRES_URL}: {error}", pytrace=False)
    return name, make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _run(upgrade(sqlite_url(path)))
    return path


@pytest.fixture(scope="session")
def _postgres_migrated() -> Iterator[str]:
    """A database of its own for this test session (others may run tests on the server)."""
    name, url = _new_postgres_database()
    try:
        _run(upgrade(url))
        yield url
    finally:
        _drop_postgres_database(name)


async def _empty(url: str) -> None:
    # DELETE beats TRUNCATE on a handful of rows (TRUNCATE rewrites every table's files).
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
            # Ids start at 1 again, as in SQLite's fresh copy: what a nurse reads ("检查 #1",
            # "事件 #1") is then the same on both backends.
            for table in Base.metadata.sorted_tables:
                if "id" in table.c:
                    await connection.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence(:t, 'id'), 1, false) "
                            "WHERE pg_get_serial_sequence(:t, 'id') IS NOT NULL"
                        ),
                        {"t": table.name},
                    )
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database at the head revision, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "wardboard.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return sqlite_url(path)
    url: str = request.getfixturevalue("_postgres_migrated")
    _run(_empty(url))
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty `Database` on SQLite and on PostgreSQL, disposed afterwards."""
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a database with no tables at all, for migration tests."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "empty.db")
        return
    name, url = _new_postgres_database()
    try:
        yield url
    finally:
        _drop_postgres_database(name)
