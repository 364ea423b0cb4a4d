"""Alembic owns the schema: migrations run both ways and agree with the models exactly."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text
from sqlalchemy.engine import Connection

from boards.schedule import LineCarePolicy, WardPolicy, default_line_care_policy
from storage import Database, downgrade, open_database, upgrade
from storage.migrate import alembic_config
from storage.models import ACTIVE_BED_INDEX, Base
from storage.uow import make_engine
from tests.storage.factories import NOW, add_ward

__all__: list[str] = []

_INI = Path(__file__).parents[2] / "storage" / "alembic.ini"


async def _sync(url: str, fn: Any) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _diff(metadata: MetaData) -> Any:
    def compare(connection: Connection) -> Any:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    return compare


def test_one_head_in_code_and_in_the_operators_ini() -> None:
    from_code = ScriptDirectory.from_config(alembic_config())
    from_ini = ScriptDirectory.from_config(Config(str(_INI)))
    assert from_code.get_heads() == from_ini.get_heads() == ["0016"]


async def test_upgrade_from_empty_to_head_and_down_to_base(empty_database_url: str) -> None:
    url = empty_database_url
    assert await _sync(url, _tables) == set()

    await upgrade(url)
    assert await _sync(url, _tables) == {*Base.metadata.tables, "alembic_version"}
    assert await _sync(url, _revision) == "0016"

    await downgrade(url, "base")
    assert await _sync(url, _tables) <= {"alembic_version"}
    assert await _sync(url, _revision) is None

    # Up again, and usable: the bot's start-up path.
    database = await open_database(url)
    try:
        async with database.uow() as uow:
            await add_ward(uow)
            await uow.commit()
        await upgrade(url)  # already at head: nothing to do, nothing lost
        async with database.uow() as uow:
            assert await uow.wards.by_name("普外科一病区") is not None
    finally:
        await database.dispose()


async def test_two_instances_starting_together_migrate_once(empty_database_url: str) -> None:
    # Two `wardboard run` started at once on an empty database (compose brings both up):
    # both come up, the schema is at head, nothing was created twice.
    await asyncio.gather(upgrade(empty_database_url), upgrade(empty_database_url))
    assert await _sync(empty_database_url, _revision) == "0016"
    assert await _sync(empty_database_url, _tables) == {*Base.metadata.tables, "alembic_version"}


async def test_saved_policies_take_the_line_catalogues_codes(empty_database_url: str) -> None:
    # Before 0005 boards.schedule spelt the nasogastric tube "ng" (boards.lines: "ngt"), and
    # a policy a head nurse saved kept that spelling.
    url = empty_database_url
    await upgrade(url, "0004")
    rule = dataclasses.replace(
        default_line_care_policy().rules_for("ngt")[0], interval=timedelta(days=2)
    )
    new = WardPolicy(line_care=LineCarePolicy(rules={"ngt": (rule,)})).to_dict()
    old = {**new, "line_care": {"ng": new["line_care"]["ngt"]}}
    untouched = {"version": 1, "lead_minutes": 5}
    database = Database(url)
    try:
        # The wards table of 0004 lacks later columns the model has: insert its rows in SQL.
        engine = make_engine(url)
        try:
            async with engine.begin() as connection:
                for name in ("普外科一病区", "普外科二病区"):
                    await connection.execute(
                        text(
                            "INSERT INTO wards (name, timezone, locale, created_at, bed_count)"
                            " VALUES (:name, 'Asia/Shanghai', 'zh_CN', :at, 40)"
                        ),
                        {"name": name, "at": NOW.replace(tzinfo=None)},
                    )
                ids = (await connection.execute(text("SELECT id FROM wards ORDER BY id"))).all()
        finally:
            await engine.dispose()
        saved_id, other_id = (row[0] for row in ids)
        async with database.uow() as uow:
            await uow.policies.put(saved_id, old, at=NOW, by=1)
            await uow.policies.put(other_id, untouched, at=NOW, by=1)
            await uow.commit()

        await upgrade(url)
        async with database.uow() as uow:
            stored = await uow.policies.get(saved_id)
            assert stored == new
            assert WardPolicy.from_dict(stored).line_care.rules_for("ngt") == (rule,)
            assert await uow.policies.get(other_id) == untouched

        await downgrade(url, "0004")
        async with database.uow() as uow:
            assert await uow.policies.get(saved_id) == old
            assert await uow.policies.get(other_id) == untouched
    finally:
        await database.dispose()


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await _sync(database_url, _diff(Base.metadata)) == []


async def test_the_comparison_would_see_a_difference(database_url: str) -> None:
    # Guard against a vacuous agreement test: drift must show up as a diff.
    drifted = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    Table("extra", drifted, Column("id", Integer, primary_key=True))
    stays = drifted.tables["stays"]
    stays.indexes -= {ix for ix in stays.indexes if ix.name == ACTIVE_BED_INDEX}

    diff = await _sync(database_url, _diff(drifted))
    kinds = {(op[0], getattr(op[1], "name", None)) for op in diff}
    assert ("add_table", "extra") in kinds
    assert ("remove_index", ACTIVE_BED_INDEX) in kinds


async def test_ddl_is_transactional(database_url: str) -> None:
    # What lets a failed migration leave the previous schema intact, SQLite included.
    engine = make_engine(database_url)
    try:
        with pytest.raises(RuntimeError):
            async with engine.begin() as connection:
                await connection.execute(text("CREATE TABLE scratch (id INTEGER)"))
                raise RuntimeError
        async with engine.connect() as connection:
            assert "scratch" not in await connection.run_sync(_tables)
    finally:
        await engine.dispose()
