"""Retention applied by the running bot once each ward's day, through its own scheduled job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from boards import retention
from boards.bedside.view import _digest
from boards.model import ANONYMISED
from bot import purge
from tests.bot.conftest import Ward


async def _day_check(ward: Ward) -> None:
    """The bot's own five-minute job, run now (its first run is five minutes after start)."""
    assert ward.app.job_queue is not None
    (job,) = ward.app.job_queue.get_jobs_by_name("board-day-check")
    await job.run(ward.app)


async def _stays(ward: Ward) -> dict[str, tuple[str, str | None]]:
    """Bed -> (name, diagnosis) of every stay the ward had this year, ended or not."""
    async with ward.database.uow() as uow:
        ward_id = await ward.ward_id()
        ended = await uow.stays.ended_since(ward_id, ward.clock.now() - timedelta(days=400))
        active = await uow.stays.active(ward_id)
    return {s.bed: (s.name, s.diagnosis) for s in [*ended, *active]}


async def test_the_bot_anonymises_stays_past_retention_once_a_day_and_forgets_them(
    ward: Ward,
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 二级")
    await ward.say(ward.nurse, "/tag 12 过敏 青霉素")
    assert "已登记安全事件" in await ward.reply(ward.nurse, "/event 12 跌倒 轻度 张三如厕时滑倒")
    await ward.say(ward.nurse, "/admit 13 李四 女 40 肺炎")
    assert await ward.reply(ward.nurse, "/discharge 12") == "✅ 已出院：12床 张三"
    await ward.say(ward.nurse, "/board")
    assert _digest.cache_info().currsize > 0  # the signs' digests, names and allergen in them

    ward.clock.advance(timedelta(days=89))
    await _day_check(ward)
    assert (await _stays(ward))["12"] == ("张三", "急性阑尾炎")  # not yet: 90 days
    assert _digest.cache_info().currsize == 0  # the day turned: the process forgot anyway

    ward.clock.advance(timedelta(days=2))
    await ward.say(ward.nurse, "/board")
    assert _digest.cache_info().currsize > 0
    await _day_check(ward)
    stays = await _stays(ward)
    assert stays["12"] == (ANONYMISED, None)
    assert stays["13"] == ("李四", "肺炎")  # still in bed 13
    assert _digest.cache_info().currsize == 0
    async with ward.database.uow() as uow:
        audit = await uow.audit.of_ward(await ward.ward_id(), limit=100)
    assert audit[0].action == "retention:anonymise"
    assert audit[0].actor_id == 0
    assert {k: audit[0].after[k] for k in ("stays", "days", "by")} == {
        "stays": 1,
        "days": 90,
        "by": "wardboard retention",
    }
    written = repr([(e.target, e.before, e.after) for e in audit])
    for secret in ("张三", "青霉素", "如厕时滑倒", "急性阑尾炎"):
        assert secret not in written, secret
    async with ward.database.uow() as uow:
        (event,) = await uow.events.of_ward(await ward.ward_id())
    assert (event.bed, event.type.value, event.details) == ("12", "fall", ANONYMISED)

    # The same day again (the job runs every five minutes): nothing more done or audited.
    ward.clock.advance(timedelta(minutes=5))
    await _day_check(ward)
    async with ward.database.uow() as uow:
        again = await uow.audit.of_ward(await ward.ward_id(), limit=100)
    assert len(again) == len(audit)
    # The ward still works as before: the board shows bed 13 and not the discharged stay.
    board = await ward.board()
    assert "13床" in board.text and "张" not in board.text


async def test_a_days_retention_cut_short_is_finished_at_the_next_check(
    ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ward.ready()
    for bed in ("1", "2", "3"):
        await ward.say(ward.nurse, f"/admit {bed} 病人{bed} 男 60 肺炎")
        await ward.say(ward.nurse, f"/discharge {bed}")
    ward.clock.advance(timedelta(days=91))
    # One stay a transaction, and the database failing in the second one.
    monkeypatch.setattr(retention, "BATCH", 1)
    calls = 0
    real = purge.purge_ward

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(purge, "purge_ward", failing_once)
    await _day_check(ward)
    assert sorted(name for name, _ in (await _stays(ward)).values()) == [
        ANONYMISED,
        "病人2",
        "病人3",
    ]
    # Five minutes later, the same day: this process holds the day's claim and goes on.
    ward.clock.advance(timedelta(minutes=5))
    await _day_check(ward)
    assert {name for name, _ in (await _stays(ward)).values()} == {ANONYMISED}
