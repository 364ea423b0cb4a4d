"""No N+1: what a command costs in SQL statements does not grow with the ward's patients."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event

from boards import access, services
from boards.bedside import add_line, tag_patient
from boards.board_load import forget_boards
from boards.model import Age, Sex
from storage.uow import Database
from tests.bot.conftest import Ward

# Each command as a nurse sends it, on bed 3 (there in both ward sizes).
COMMANDS = (
    "/board",
    "/card 3",
    "/tasks",
    "/note 3 复测血压",
    "/tag 3 防跌倒",
    "/admit 40 新患者 女 50",
)

# What each costs now, the board's refresh after it included (SQLite; one fewer on
# PostgreSQL, which needs no BEGIN IMMEDIATE). Each statement is a round trip in the
# nurse's wait (bench/commands.py): a change that adds one shows here; lower a figure
# when it drops. 2 Dec 2026: 24, 16, 11, 32, 33, 30 before the turn read her preferences
# and memberships once and the board its stays, policy and transfers once; 3 Dec: 18, 13,
# 8, 25, 26, 24 before her memberships answered the command's own membership check, and
# 17, 11, 7, 24, 25, 23 before her preferences and her chat's dialogue came in one read,
# and 16, 10, 6, 23, 24, 22 before her memberships brought their wards along; 15, 9, 5,
# 22, 23, 21 before the board read its active and today's ended stays in one statement;
# 14, 9, 5, 21, 22, 20 before a board read asked its ward's version first (4 Dec), which
# spares the other twelve when the board was read at that version this minute; 15, 9, 5,
# 22, 23, 21 before her own chat's opening read brought her memberships along (6 Dec).
CEILING = {
    "/board": 14,
    "/card 3": 8,
    "/tasks": 4,
    "/note 3 复测血压": 21,
    "/tag 3 防跌倒": 22,
    "/admit 40 新患者 女 50": 20,
}
# A /board of a board read at the same version this minute: the turn's opening read (her
# preferences, her chat's dialogue, her memberships with their wards) and the version.
KEPT_BOARD = 2


@contextlib.contextmanager
def counting(database: Database) -> Iterator[list[int]]:
    engine = database._engine.sync_engine
    count = [0]

    def before(*_: Any) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def _admit(ward: Ward, beds: range) -> None:
    ward_id = await ward.ward_id()
    actor = access.Actor(ward.nurse.id, "李娜")
    async with ward.database.uow() as uow:
        record = await uow.wards.get(ward_id)
        assert record is not None
        for bed in beds:
            await services.admit(
                uow, ward.clock, actor=actor, ward=record, bed=str(bed), name=f"患者{bed}",
                sex=Sex.FEMALE, age=Age(60), diagnosis="肺炎",
            )  # fmt: skip
            await tag_patient(
                uow, ward.clock, actor=actor, ward=record, bed=str(bed), word="防坠床"
            )
            await add_line(uow, ward.clock, actor=actor, ward=record, bed=str(bed), word="PICC")
        await uow.commit()


async def _costs(ward: Ward) -> dict[str, int]:
    costs = {}
    for command in COMMANDS:
        await ward.board()  # nothing of the last command left to publish
        forget_boards()  # each board read in full: what a read costs is counted
        with counting(ward.database) as count:
            await ward.reply(ward.nurse, command)
            await ward.board()  # the board's refresh after a change counts too
        costs[command] = count[0]
        if command.startswith("/admit"):
            await ward.say(ward.nurse, "/discharge 40")
        if command.startswith("/tag"):
            await ward.say(ward.nurse, "/untag 3 防跌倒")
    return costs


async def test_commands_cost_the_same_statements_for_5_and_35_patients(ward: Ward) -> None:
    await ward.ready()
    await _admit(ward, range(1, 6))
    await ward.say(ward.nurse, "/note 1 首条备注")  # the once-only "the group sees notes" hint
    small = await _costs(ward)
    await _admit(ward, range(6, 36))
    large = await _costs(ward)
    print("SQL statements per command (5 patients → 35):", small, large)
    assert large == small, {c: (small[c], large[c]) for c in COMMANDS if small[c] != large[c]}
    assert all(n < 60 for n in large.values()), large
    over = {c: (large[c], CEILING[c]) for c in COMMANDS if large[c] > CEILING[c]}
    assert not over, f"more statements than before (now, ceiling): {over}"
    await ward.reply(ward.nurse, "/board")
    with counting(ward.database) as count:
        await ward.reply(ward.nurse, "/board")
    assert count[0] == KEPT_BOARD
