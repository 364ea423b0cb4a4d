"""Run Alembic migrations from code: the bot and the tests call `upgrade(url)` at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.uow import Database, make_engine

__all__ = ["MIGRATIONS", "alembic_config", "downgrade", "open_database", "upgrade"]

_MIGRATION_LOCK = 0x5741524442  # "WARDB"
MIGRATIONS = Path(__file__).resolve().with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini), optionally bound to a connection."""
    config = Config()
    # configparser treats "%" as interpolation: a path may contain one.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (all of it or nothing: one transaction)."""
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` down to `revision` ("base" drops every table)."""
    await _run(url, lambda config: command.downgrade(config, revision))


async def _run(url: str, action: Callable[[Config], None]) -> None:
    engine = make_engine(url, enforce_foreign_keys=False)
    try:
        # One transaction around the whole run: PostgreSQL and (with our BEGIN handling)
        # SQLite both roll DDL back, so a failed upgrade leaves the previous schema.
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Instances started together migrate one after the other: the second waits
                # here, then finds the schema at head. (SQLite: BEGIN IMMEDIATE already.)
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            await connection.run_sync(lambda sync: action(alembic_config(sync)))
    finally:
        await engine.dispose()


async def open_database(url: str) -> Database:
    """Migrate the database at `url` to head, then open it: what the bot does at start-up."""
    await upgrade(url)
    return Database(url)
