"""Alembic environment: migrates on the connection storage.migrate hands in, or from a URL."""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from pathlib import Path
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection, make_url

from storage.models import Base, UtcDateTime
from storage.uow import default_sqlite_url, make_engine

__all__ = ["URL_VARIABLE"]

URL_VARIABLE = "WARDBOARD_DATABASE_URL"

# Any constant will do: it only has to be the same for every WardBoard instance.
_MIGRATION_LOCK = 0x57A2DB0A2D


def _url() -> str:
    """The environment variable, else the ini's sqlalchemy.url, else the bot's default."""
    return (
        os.environ.get(URL_VARIABLE)
        or context.config.get_main_option("sqlalchemy.url")
        or default_sqlite_url(Path.cwd())
    )


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Revisions must not import application types: they have to outlive them.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": Base.metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        "render_as_batch": dialect_name == "sqlite",
        "render_item": _render_item,
        "compare_type": True,
    }


def _run_on(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Two bot instances starting together must not both run the same upgrade.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "sqlite":
        # Migrations run with SQLite's foreign keys off (table rebuilds); prove that the
        # data still holds together before the transaction commits.
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration broke {len(broken)} foreign key reference(s)")


async def _run_from_url(url: str) -> None:
    engine = make_engine(url, enforce_foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def _run_offline(url: str) -> None:
    """`alembic upgrade --sql`: write the DDL out instead of running it."""
    options = _options(make_url(url).get_backend_name())
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **options)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _run_on(given)
        return
    # Only the command line gets logging from the ini: inside the bot, the bot owns logging.
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        _run_offline(_url())
    else:
        asyncio.run(_run_from_url(_url()))


_main()
