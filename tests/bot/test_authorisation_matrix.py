"""The authorisation matrix: every command, button kind and deep link, for every kind of person.

Generated from the command table (bot/table.py): a command added there without an example
here fails `test_every_command_has_an_example`. For each person we assert what they see and
that nothing of a patient reaches anyone outside the patient's ward, through the real bot
and the emulator, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from boards.clock import ManualClock
from boards.i18n import texts
from bot.app import _BUTTONS
from bot.demo import running_bot
from bot.emulator import BotApiEmulator, EmuMessage, EmuUser
from bot.ratelimit import PriorityRateLimiter
from bot.table import COMMANDS, Need, Where
from storage.uow import Database
from tests.bot.conftest import TOKEN

__all__: list[str] = []

GROUP = -1009100
# What only the ward may know of its patient: full name, diagnosis, allergen, free text.
SECRETS = ("张三", "阑尾炎", "磺胺", "家属下午来")
# The masked name is for the ward's group and members, not for strangers either.
MASKED = "张*"

# One invocation of each command, as a nurse would type it; destructive ones run last.
EXAMPLES: dict[str, str] = {
    "board": "",
    "tasks": "",
    "handover": "",
    "card": "12",
    "meds": "12",
    "labels": "12",
    "export": "",
    "import": "",
    "sign": "12",
    "signs": "",
    "members": "",
    "tags": "",
    "policy": "",
    "events": "",
    "report": "2026-10 vs 2026-11",
    "event": "12 跌倒",
    "qc": "",
    "admit": "13 李四 女 40 肺炎 二级",
    "surgery": "12 明天 9:00 腹腔镜阑尾切除术",
    "critical": "12 病重",
    "op": "12 导尿",
    "exam": "12 15:00 CT",
    "note": "12 家属下午来",
    "tag": "12 跌倒",
    "untag": "12 跌倒",
    "line": "12 导尿管",
    "unline": "12 导尿管",
    "med": "12 头孢呋辛 1.5g ivgtt bid",
    "stopmed": "12 1",
    "remind": "12 15:00 复测血糖",
    "stopremind": "12 1",
    "invite": "",
    "display": "",
    "hiscode": "4A",
    "ward": "",
    "lang": "zh",
    "help": "",
    "start": "",
    "cancel": "",
    "newward": "测试病区",
    "accept": "1 20",
    "transfer": "12 取消",
    "move": "12 15",
    "bind": "",
    "unbind": "",
    "discharge": "15",
}
ORDER = list(EXAMPLES)

_T = texts("zh_CN")
NOT_MEMBER = _T("err.not_member")
HEAD_ONLY = _T("err.head_only")
NO_WARD = _T("err.no_ward")
UNBOUND = _T("err.group_unbound")
LOST = _T("err.ward_lost")


def test_every_command_has_an_example() -> None:
    assert set(EXAMPLES) == {c.name for c in COMMANDS}


def test_every_button_kind_is_forged_in_the_matrix() -> None:
    """A new kind of button cannot be drawn without the matrix pressing it as a stranger."""
    ids = SimpleNamespace(ward_id=7, pending=SimpleNamespace(id=8), nurse=SimpleNamespace(id=9))
    forged = _forged_buttons(ids)  # type: ignore[arg-type]
    for pattern, _ in _BUTTONS:
        assert any(re.match(pattern, data) for data in forged), pattern
    # The transfer buttons share one prefix: each of its kinds is pressed too.
    kinds = {data.split(":")[0] for data in forged if data.startswith("x")}
    assert kinds == {"xo", "xa", "xr", "xc", "xn"}


@dataclass
class Hospital:
    emu: BotApiEmulator
    database: Database
    head: EmuUser
    nurse: EmuUser
    pending: EmuUser
    removed: EmuUser
    other: EmuUser
    outsider: EmuUser
    operator: EmuUser
    group_only: EmuUser
    ward_id: int
    token: str

    async def audit_count(self) -> int:
        async with self.database.uow() as uow:
            return len(await uow.audit.of_ward(self.ward_id, limit=10_000))


def _last(sent: list[EmuMessage], chat_id: int) -> EmuMessage:
    return [m for m in sent if m.chat_id == chat_id][-1]


@contextlib.asynccontextmanager
async def _hospital(database: Database) -> AsyncIterator[Hospital]:
    clock = ManualClock(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    async with BotApiEmulator(token=TOKEN, bot_username="wardboard_test_bot") as emu:
        people = {
            name: emu.add_user(uid, label, language_code="zh-hans")
            for name, uid, label in (
                ("head", 601, "王芳"),
                ("nurse", 602, "李娜"),
                ("pending", 603, "申请人"),
                ("removed", 604, "离职护士"),
                ("other", 605, "外科护士长"),
                ("outsider", 606, "路人"),
                ("operator", 607, "信息科"),
                ("group_only", 608, "群成员"),
            )
        }
        emu.add_group(GROUP, "病区群", members=list(people.values()))
        async with running_bot(
            emu,
            database,
            clock,
            board_delay=0.05,
            board_min_interval=0.05,
            admins="601,605,607",
            # The matrix sends a shift's worth of commands in seconds: Telegram's minute is
            # scaled down, and the per-person allowance is off (it has tests of its own).
            user_actions_per_minute=0,
            rate_limiter=PriorityRateLimiter(group_time_period=2, max_retries=5),
        ):
            head, nurse = people["head"], people["nurse"]
            await head.say("/newward 普外科一病区 40")
            for person in ("nurse", "removed", "pending"):
                invite = _last(await head.say("/invite"), head.id).text
                payload = invite.split("?start=", 1)[1].split()[0]
                request = _last(await people[person].say(f"/start {payload}"), head.id)
                if person != "pending":
                    await head.press(request, "批准")
            members = _last(await head.say("/members"), head.id)
            await head.press(members, "移除 离职护士")
            await head.say("/bind", chat=emu.chat(GROUP))
            await people["other"].say("/newward 心内科病区")
            await nurse.say("/admit 12 张三 男 45 急性阑尾炎 二级")
            await nurse.say("/tag 12 过敏 磺胺")
            await nurse.say("/note 12 家属下午来")
            async with database.uow() as uow:
                ward = await uow.wards.by_name("普外科一病区")
                assert ward is not None
                stay = await uow.stays.active_in_bed(ward.id, "12")
                assert stay is not None
            yield Hospital(emu, database, **people, ward_id=ward.id, token=stay.token)


def _leaks(messages: list[EmuMessage], *, masked_too: bool) -> list[str]:
    found = []
    for m in messages:
        text = m.text + " ".join(label for row in m.buttons() for label, _ in row)
        for secret in (*SECRETS, *((MASKED,) if masked_too else ())):
            if secret in text:
                found.append(f"{secret!r} in {text[:80]!r}")
        if m.photo is not None or m.document is not None:
            found.append(f"a file in chat {m.chat_id}")
    return found


OUTSIDERS = ("outsider", "pending", "removed", "other", "operator")


@pytest.mark.parametrize("who", OUTSIDERS)
async def test_people_outside_the_ward_learn_and_change_nothing(
    database: Database, who: str
) -> None:
    async with _hospital(database) as h:
        person: EmuUser = getattr(h, who)
        before = await h.audit_count()
        for name in ORDER:
            spec = next(c for c in COMMANDS if c.name == name)
            text = f"/{name} {EXAMPLES[name]}".strip()
            sent = await person.say(text, settle=0.05)
            assert not _leaks(sent, masked_too=True), (who, text)
            # Those with a ward of their own act there; the others are refused.
            if (
                who in ("outsider", "pending", "removed")
                and spec.need is not Need.ANYONE
                and spec.where is not Where.GROUP
            ):
                reply = _last(sent, person.id).text
                assert reply in (NOT_MEMBER, NO_WARD, HEAD_ONLY, LOST) or reply.startswith(
                    (NO_WARD, NOT_MEMBER)
                ), (who, text, reply)
        # Deep links and every kind of button, forged with this ward's ids.
        probe = _last(await person.say("/help"), person.id)
        for link in (f"/start s_{h.token}", "/start j_forged", "/start s_forged"):
            sent = await person.say(link, settle=0.05)
            assert not _leaks(sent, masked_too=True), (who, link)
        for data in _forged_buttons(h):
            sent = await person.press(probe, callback_data=data, settle=0.05)
            assert not _leaks(sent, masked_too=True), (who, data)
        # Nothing they did is the ward's: no audit entry but the refused scan.
        async with h.database.uow() as uow:
            entries = await uow.audit.of_ward(h.ward_id, limit=10_000)
        new = [e.action for e in entries[: len(entries) - before]]
        assert set(new) <= {"sign:scan_refused"}, (who, new)
        async with h.database.uow() as uow:
            stays = await uow.stays.active(h.ward_id)
        assert [(s.bed, s.critical) for s in stays] == [("12", None)]


def _forged_buttons(h: Hospital) -> list[str]:
    w = h.ward_id
    return [
        f"d:{w}:b:12:1",
        f"g:critical:{w}:1:12",
        f"t:{w}:1:d",
        "t:1:d",
        f"h:{w}:1",
        f"j:{w}:{h.pending.id}:y",
        f"m:rm:{w}:{h.nurse.id}",
        f"m:hd:{w}:{h.nurse.id}",
        f"w:{w}",
        f"xo:{w}:1:12:{w + 1}:=",
        f"xa:{w}:1",
        f"xr:{w}:1",
        f"xc:{w}:1",
        "xn",
        f"ci:ok:{w}:forged",
        f"ci:no:{w}:forged",
        "zz:nonsense",
    ]


async def test_a_group_member_who_is_not_in_the_ward_learns_nothing(database: Database) -> None:
    async with _hospital(database) as h:
        chat = h.emu.chat(GROUP)
        before = await h.audit_count()
        for name in ORDER:
            text = f"/{name} {EXAMPLES[name]}".strip()
            sent = await h.group_only.say(text, chat=chat, settle=0.05)
            assert not _leaks(sent, masked_too=True), text
        board = next(m for m in chat.messages if m.message_id == chat.pinned_message_id)
        for data in _forged_buttons(h):
            sent = await h.group_only.press(board, callback_data=data, settle=0.05)
            assert not _leaks(sent, masked_too=True), data
        assert await h.audit_count() == before


@pytest.mark.parametrize("who", ["nurse", "head"])
async def test_ward_members_in_the_group_see_masked_names_only(
    database: Database, who: str
) -> None:
    async with _hospital(database) as h:
        person: EmuUser = getattr(h, who)
        chat = h.emu.chat(GROUP)
        for name in ORDER:
            spec = next(c for c in COMMANDS if c.name == name)
            text = f"/{name} {EXAMPLES[name]}".strip()
            sent = await person.say(text, chat=chat, settle=0.05)
            in_group = [m for m in sent if m.chat_id == GROUP]
            # The group is not private: never a full name, a diagnosis, an allergen, a file.
            assert not _leaks(
                [m for m in in_group if "家属下午来" not in m.text], masked_too=False
            ), text
            if spec.where is Where.PRIVATE:
                assert [m.text for m in in_group] == [_T("err.private_details", command=name)], (
                    text
                )
            elif spec.need is Need.HEAD and who == "nurse" and in_group:
                assert in_group[-1].text == HEAD_ONLY, text


@pytest.mark.parametrize("who", ["nurse", "head"])
async def test_ward_members_in_private_may_do_what_the_table_says(
    database: Database, who: str
) -> None:
    async with _hospital(database) as h:
        person: EmuUser = getattr(h, who)
        for name in ORDER:
            spec = next(c for c in COMMANDS if c.name == name)
            text = f"/{name} {EXAMPLES[name]}".strip()
            sent = await person.say(text, settle=0.05)
            mine = [m for m in sent if m.chat_id == person.id]
            if spec.where is Where.GROUP:
                continue
            assert mine, text
            reply = mine[-1].text
            if spec.need is Need.HEAD and who == "nurse":
                assert reply == HEAD_ONLY, text
            else:
                assert reply not in (NOT_MEMBER, HEAD_ONLY, NO_WARD), (text, reply)
            # Nothing of this ward's patient went to anyone outside it.
            outside = [m for m in sent if m.chat_id not in (h.head.id, h.nurse.id, GROUP)]
            assert not _leaks(outside, masked_too=True), text
