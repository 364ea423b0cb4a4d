"""The rate limiter on its own: limits kept, urgent requests first, RetryAfter honoured."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import Priority, PriorityRateLimiter

GROUP = -1001
OTHER_GROUP = -1002


class Api:
    """Stands in for the HTTP call behind the limiter: records when each request ran."""

    def __init__(self) -> None:
        self.log: list[tuple[str, float, float]] = []  # name, started, finished
        self.refuse: dict[str, list[float]] = {}  # name -> RetryAfter seconds, one per call

    async def call(self, name: str) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(0.005)
        if self.refuse.get(name):
            raise RetryAfter(timedelta(seconds=self.refuse[name].pop(0)))
        self.log.append((name, started, loop.time()))
        return {"ok": name}

    def order(self) -> list[str]:
        return [name for name, _, _ in self.log]


async def send(
    limiter: PriorityRateLimiter,
    api: Api,
    name: str,
    chat_id: int = GROUP,
    priority: Priority | None = None,
) -> Any:
    return await limiter.process_request(
        api.call, (name,), {}, "sendMessage", {"chat_id": chat_id, "text": name}, priority
    )


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB warns on every RetryAfter built with int semantics unless told to use timedeltas.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def test_an_urgent_request_goes_ahead_of_queued_ordinary_ones() -> None:
    limiter = PriorityRateLimiter(group_max_rate=2, group_time_period=0.3, group_reserve=0)
    api = Api()
    replies = [asyncio.create_task(send(limiter, api, f"reply{i}")) for i in range(6)]
    await asyncio.sleep(0.05)  # two replies went out; four wait for the window
    assert api.order() == ["reply0", "reply1"]
    reminder = asyncio.create_task(send(limiter, api, "reminder", priority=Priority.URGENT))
    await asyncio.gather(reminder, *replies)
    assert api.order() == ["reply0", "reply1", "reminder", "reply2", "reply3", "reply4", "reply5"]


async def test_urgent_requests_keep_places_ordinary_ones_cannot_take() -> None:
    # A long window: without the reserve the reminder would wait ten seconds.
    limiter = PriorityRateLimiter(group_max_rate=4, group_time_period=10, group_reserve=2)
    api = Api()
    replies = [asyncio.create_task(send(limiter, api, f"reply{i}")) for i in range(4)]
    await asyncio.sleep(0.05)
    assert api.order() == ["reply0", "reply1"]
    loop = asyncio.get_running_loop()
    began = loop.time()
    for name in ("reminder", "overdue"):
        await asyncio.wait_for(send(limiter, api, name, priority=Priority.URGENT), 1)
    assert loop.time() - began < 0.5
    # The window is full now, for urgent requests too.
    third = asyncio.create_task(send(limiter, api, "late", priority=Priority.URGENT))
    await asyncio.sleep(0.1)
    assert api.order() == ["reply0", "reply1", "reminder", "overdue"]
    for task in (*replies, third):
        task.cancel()
    await asyncio.gather(*replies, third, return_exceptions=True)
    await limiter.shutdown()


async def test_never_more_than_the_group_limit_in_any_window() -> None:
    limit, period = 3, 0.2
    limiter = PriorityRateLimiter(group_max_rate=limit, group_time_period=period, group_reserve=0)
    api = Api()
    await asyncio.gather(*(send(limiter, api, f"m{i}") for i in range(10)))
    assert api.order() == [f"m{i}" for i in range(10)]
    starts = [started for _, started, _ in api.log]
    ends = [finished for _, _, finished in api.log]
    # Request i + limit starts only once request i has been answered a whole period ago.
    for i in range(len(starts) - limit):
        assert starts[i + limit] >= ends[i] + period - 0.005
    # Other chats are not held back by this group's window.
    other = PriorityRateLimiter(group_max_rate=1, group_time_period=10, group_reserve=0)
    await send(other, api, "a")
    await asyncio.wait_for(send(other, api, "b", chat_id=OTHER_GROUP), 1)
    await asyncio.wait_for(send(other, api, "private", chat_id=501), 1)


async def test_the_overall_limit_applies_to_private_chats_too() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=5, overall_time_period=0.3)
    api = Api()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.gather(*(send(limiter, api, f"p{i}", chat_id=500 + i) for i in range(10)))
    assert loop.time() - began >= 0.3


async def test_retry_after_halts_that_group_only_and_the_request_is_retried() -> None:
    limiter = PriorityRateLimiter(max_retries=2)
    api = Api()
    api.refuse["board"] = [0.4]
    loop = asyncio.get_running_loop()
    began = loop.time()
    board = asyncio.create_task(send(limiter, api, "board"))
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(send(limiter, api, "reply"))
    elsewhere = await asyncio.wait_for(send(limiter, api, "other", chat_id=OTHER_GROUP), 0.2)
    assert elsewhere == {"ok": "other"}
    assert await board == {"ok": "board"}
    await queued
    # The refused request went first once the wait was over, ahead of the one queued after it.
    assert api.order() == ["other", "board", "reply"]
    assert api.log[1][1] - began >= 0.4


async def test_retry_after_past_max_retries_reaches_the_caller() -> None:
    limiter = PriorityRateLimiter(max_retries=1)
    api = Api()
    api.refuse["reply"] = [0.05, 0.05]
    with pytest.raises(RetryAfter):
        await send(limiter, api, "reply")
    assert api.order() == []


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    limiter = PriorityRateLimiter(group_max_rate=1, group_time_period=0.2, group_reserve=0)
    api = Api()
    first = asyncio.create_task(send(limiter, api, "first"))
    dropped = asyncio.create_task(send(limiter, api, "dropped"))
    kept = asyncio.create_task(send(limiter, api, "kept"))
    await asyncio.sleep(0.05)
    dropped.cancel()
    await asyncio.gather(first, kept)
    assert dropped.cancelled()
    assert api.order() == ["first", "kept"]


async def test_a_held_place_goes_to_the_holders_own_next_message() -> None:
    limiter = PriorityRateLimiter(group_max_rate=2, group_time_period=10, group_reserve=0)
    api = Api()
    await limiter.hold(GROUP)  # one of the two places, before a handler's transaction
    # A task the handler starts (a board refresh) copies its context, not its place.
    board = asyncio.create_task(send(limiter, api, "board"))
    await asyncio.sleep(0.05)
    edit = asyncio.create_task(send(limiter, api, "edit"))
    await asyncio.sleep(0.05)
    assert api.order() == ["board"]
    async with asyncio.timeout(1):  # in this task, as a handler awaits its reply
        await send(limiter, api, "reply")
    assert api.order() == ["board", "reply"]
    await board
    assert not edit.done()  # the window is full: the place was used once, not twice
    edit.cancel()
    await asyncio.gather(edit, return_exceptions=True)
    await limiter.shutdown()


async def test_an_unused_held_place_is_given_back() -> None:
    limiter = PriorityRateLimiter(group_max_rate=1, group_time_period=10, group_reserve=0)
    api = Api()
    await limiter.hold(GROUP, seconds=0.2)
    other = asyncio.create_task(send(limiter, api, "other"))
    await asyncio.sleep(0.1)
    assert api.order() == []
    await asyncio.wait_for(other, 1)  # back after 0.2 s, and it never counted as sent
    # The next update's hold gives back what the last one left at once.
    await limiter.hold(OTHER_GROUP)
    later = asyncio.create_task(send(limiter, api, "later", chat_id=OTHER_GROUP))
    await asyncio.sleep(0.05)
    assert api.order() == ["other"]
    await limiter.hold(501)  # a private chat: holds nothing, gives back the leftover
    await asyncio.wait_for(later, 1)
    assert api.order() == ["other", "later"]


def test_the_reserve_leaves_ordinary_requests_a_place() -> None:
    with pytest.raises(ValueError, match="reserve"):
        PriorityRateLimiter(group_max_rate=3, group_reserve=3)
