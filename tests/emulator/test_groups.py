"""The emulator's groups change around the bot: upgraded to a supergroup, the bot removed,
added back, promoted or left without the right to pin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, ChatMemberAdministrator, ChatMemberBanned, ChatMemberMember, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden

from bot.emulator import GROUP_ANONYMOUS_BOT, BotApiEmulator, EmuChat, EmuUser

TOKEN = "123456:TEST-TOKEN"
BASIC = -4518810793
SUPER = -1001234


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="wardboard_bot") as emulator:
        yield emulator


@pytest.fixture
async def client(emu: BotApiEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emu.api_root) as http:
        yield http


@pytest.fixture
def head(emu: BotApiEmulator) -> EmuUser:
    return emu.add_user(1002, "王芳", language_code="zh-hans")


@pytest.fixture
def nurse(emu: BotApiEmulator) -> EmuUser:
    return emu.add_user(1001, "李娜", language_code="zh-hans")


@pytest.fixture
def basic(emu: BotApiEmulator, head: EmuUser, nurse: EmuUser) -> EmuChat:
    return emu.add_group(BASIC, "普外一病区", members=[nurse], creator=head, type="group")


@pytest.fixture
def group(emu: BotApiEmulator, head: EmuUser, nurse: EmuUser) -> EmuChat:
    return emu.add_group(SUPER, "普外一病区", members=[nurse], creator=head)


async def call(client: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    return await client.post(f"/bot{TOKEN}/{method}", json=params)


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True, body
    return body["result"]


async def updates(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    got = ok(await call(client, "getUpdates", timeout=0))
    if got:
        ok(await call(client, "getUpdates", offset=got[-1]["update_id"] + 1, timeout=0))
    return list(got)


def bot_for(emu: BotApiEmulator) -> Bot:
    return Bot(TOKEN, base_url=f"{emu.api_root}/bot")


# ------------------------------------------------------------------------- upgrades


async def test_an_upgraded_group_answers_with_its_new_id(
    emu: BotApiEmulator, client: httpx.AsyncClient, basic: EmuChat, head: EmuUser
) -> None:
    board = ok(await call(client, "sendMessage", chat_id=BASIC, text="白板"))
    new_id = emu.migrate_to_supergroup(BASIC)
    assert str(new_id).startswith("-100") and len(str(new_id)) == 14
    new = emu.chat(new_id)
    assert (new.type, new.title, new.members) == ("supergroup", "普外一病区", basic.members)
    assert new.bot_status == "administrator" and new.messages[0].message_id == 1

    refused = await call(client, "sendMessage", chat_id=BASIC, text="提醒")
    assert refused.status_code == 400
    assert refused.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id},
    }
    edit = await call(
        client, "editMessageText", chat_id=BASIC, message_id=board["message_id"], text="新"
    )
    assert edit.json()["parameters"] == {"migrate_to_chat_id": new_id}
    pin = await call(client, "pinChatMessage", chat_id=BASIC, message_id=board["message_id"])
    assert pin.json()["parameters"] == {"migrate_to_chat_id": new_id}
    # The old history stays where it was; the supergroup starts without it.
    assert [m.text for m in basic.bot_messages()] == ["白板"]
    sent = ok(await call(client, "sendMessage", chat_id=new_id, text="提醒"))
    assert sent["chat"] == {"id": new_id, "type": "supergroup", "title": "普外一病区"}

    arrived, left = (u["message"] for u in await updates(client))
    assert arrived == {
        "message_id": 1,
        "from": GROUP_ANONYMOUS_BOT,
        "sender_chat": {"id": new_id, "type": "supergroup", "title": "普外一病区"},
        "chat": {"id": new_id, "type": "supergroup", "title": "普外一病区"},
        "date": arrived["date"],
        "migrate_from_chat_id": BASIC,
    }
    assert left == {
        "message_id": board["message_id"] + 1,
        "from": head.to_dict(),
        "chat": {"id": BASIC, "type": "group", "title": "普外一病区"},
        "date": left["date"],
        "migrate_to_chat_id": new_id,
    }
    # Service messages are no bot's messages, nor anyone's text.
    assert basic.last_bot_message() is not None and basic.last_bot_message().text == "白板"
    assert [m.text for m in new.bot_messages()] == ["提醒"]


async def test_ptb_raises_chat_migrated_and_reads_the_service_messages(
    emu: BotApiEmulator, client: httpx.AsyncClient, basic: EmuChat, nurse: EmuUser
) -> None:
    new_id = emu.migrate_to_supergroup(BASIC, by=nurse)
    async with bot_for(emu) as bot:
        with pytest.raises(ChatMigrated) as raised:
            await bot.send_message(BASIC, "提醒")
        assert raised.value.new_chat_id == new_id
        raw = await updates(client)
        parsed = [Update.de_json(u, bot) for u in raw]
    assert [u.message.migrate_from_chat_id for u in parsed if u.message] == [BASIC, None]
    assert [u.message.migrate_to_chat_id for u in parsed if u.message] == [None, new_id]
    assert parsed[1].effective_user is not None and parsed[1].effective_user.id == nurse.id


async def test_an_upgrade_can_go_unseen_and_only_basic_groups_upgrade(
    emu: BotApiEmulator, client: httpx.AsyncClient, basic: EmuChat, group: EmuChat, nurse: EmuUser
) -> None:
    new_id = emu.migrate_to_supergroup(BASIC, notify=False)
    assert await updates(client) == []
    with pytest.raises(ValueError, match="not a basic group"):
        emu.migrate_to_supergroup(SUPER)
    with pytest.raises(ValueError, match="upgraded"):
        emu.migrate_to_supergroup(BASIC)
    with pytest.raises(ValueError, match="upgraded"):
        emu.post_message(nurse, "/board", BASIC)
    emu.post_message(nurse, "/board", new_id)
    assert [u["message"]["chat"]["id"] for u in await updates(client)] == [new_id]


# ------------------------------------------------------------------------- the bot's standing


async def test_removing_the_bot_tells_it_and_closes_the_group(
    emu: BotApiEmulator, client: httpx.AsyncClient, group: EmuChat, head: EmuUser, nurse: EmuUser
) -> None:
    emu.remove_bot(SUPER)
    (update,) = await updates(client)
    change = update["my_chat_member"]
    assert set(change) == {"chat", "from", "date", "old_chat_member", "new_chat_member"}
    assert change["chat"] == {"id": SUPER, "type": "supergroup", "title": "普外一病区"}
    assert change["from"] == head.to_dict() and isinstance(change["date"], int)
    old = change["old_chat_member"]
    assert (old["status"], old["user"], old["can_pin_messages"]) == (
        "administrator",
        emu.bot_user,
        True,
    )
    assert old["can_be_edited"] is False and old["is_anonymous"] is False
    assert change["new_chat_member"] == {"status": "kicked", "user": emu.bot_user, "until_date": 0}
    for method, params in (
        ("sendMessage", {"text": "提醒"}),
        ("getChat", {}),
        ("getChatMember", {"user_id": emu.bot_id}),
    ):
        refused = await call(client, method, chat_id=SUPER, **params)
        assert refused.status_code == 403
        kicked = "Forbidden: bot was kicked from the supergroup chat"
        assert refused.json()["description"] == kicked
    # The group goes on without the bot, which sees none of it.
    emu.post_message(nurse, "/board", SUPER)
    assert await updates(client) == []
    with pytest.raises(ValueError, match="not in"):
        emu.remove_bot(SUPER)
    assert group.bot_status == "kicked"


async def test_a_bot_that_was_let_go_is_not_a_member(
    emu: BotApiEmulator, client: httpx.AsyncClient, basic: EmuChat, nurse: EmuUser
) -> None:
    emu.remove_bot(BASIC, by=nurse, ban=False)
    (update,) = await updates(client)
    assert update["my_chat_member"]["from"]["id"] == nurse.id
    assert update["my_chat_member"]["new_chat_member"] == {"status": "left", "user": emu.bot_user}
    refused = await call(client, "sendMessage", chat_id=BASIC, text="提醒")
    assert refused.json()["description"] == "Forbidden: bot is not a member of the group chat"
    async with bot_for(emu) as bot:
        with pytest.raises(Forbidden, match="not a member"):
            await bot.send_message(BASIC, "提醒")


async def test_added_back_as_a_member_the_bot_posts_but_cannot_pin(
    emu: BotApiEmulator, client: httpx.AsyncClient, group: EmuChat, head: EmuUser
) -> None:
    emu.remove_bot(SUPER, notify=False)
    emu.add_bot(SUPER, admin=False)
    (update,) = await updates(client)
    change = update["my_chat_member"]
    assert change["old_chat_member"]["status"] == "kicked"
    assert change["new_chat_member"] == {"status": "member", "user": emu.bot_user}
    board = ok(await call(client, "sendMessage", chat_id=SUPER, text="白板"))
    pin = await call(client, "pinChatMessage", chat_id=SUPER, message_id=board["message_id"])
    assert pin.status_code == 400
    assert pin.json()["description"] == (
        "Bad Request: not enough rights to manage pinned messages in the chat"
    )
    member = ok(await call(client, "getChatMember", chat_id=SUPER, user_id=emu.bot_id))
    assert member == {"status": "member", "user": emu.bot_user}
    with pytest.raises(ValueError, match="already"):
        emu.add_bot(SUPER)


async def test_the_right_to_pin_comes_and_goes_with_my_chat_member(
    emu: BotApiEmulator, client: httpx.AsyncClient, group: EmuChat
) -> None:
    board = ok(await call(client, "sendMessage", chat_id=SUPER, text="白板"))
    target = {"chat_id": SUPER, "message_id": board["message_id"]}
    emu.set_bot_admin(SUPER, can_pin=False)
    with pytest.raises(ValueError, match="changes nothing"):
        emu.set_bot_admin(SUPER, can_pin=False)
    async with bot_for(emu) as bot:
        with pytest.raises(BadRequest, match="Not enough rights to manage pinned messages"):
            await bot.pin_chat_message(SUPER, board["message_id"])
        (update,) = [Update.de_json(u, bot) for u in await updates(client)]
        assert update.my_chat_member is not None
        new = update.my_chat_member.new_chat_member
        assert isinstance(new, ChatMemberAdministrator) and new.can_pin_messages is False
        emu.set_bot_admin(SUPER, can_pin=True)
        assert ok(await call(client, "pinChatMessage", **target)) is True
        emu.set_bot_admin(SUPER, admin=False)
        emu.remove_bot(SUPER)
        kinds = [Update.de_json(u, bot).my_chat_member for u in await updates(client)]
    assert [type(c.new_chat_member) for c in kinds if c] == [
        ChatMemberAdministrator,
        ChatMemberMember,
        ChatMemberBanned,
    ]
    assert group.pinned_message_id == board["message_id"]


async def test_my_chat_member_reaches_only_a_bot_that_allows_it(
    emu: BotApiEmulator, client: httpx.AsyncClient, group: EmuChat, nurse: EmuUser
) -> None:
    ok(await call(client, "getUpdates", allowed_updates=["message"], timeout=0))
    emu.set_bot_admin(SUPER, can_pin=False)
    emu.post_message(nurse, "/board", SUPER)
    assert [next(k for k in u if k != "update_id") for u in await updates(client)] == ["message"]
    ok(await call(client, "getUpdates", allowed_updates=["message", "my_chat_member"], timeout=0))
    emu.set_bot_admin(SUPER, can_pin=True)
    assert [next(k for k in u if k != "update_id") for u in await updates(client)] == [
        "my_chat_member"
    ]


async def test_nobody_to_act_in_an_empty_group(emu: BotApiEmulator) -> None:
    emu.add_group(-77, "空群")
    with pytest.raises(ValueError, match="nobody"):
        emu.remove_bot(-77)
    assert emu.chat(-77).bot_status == "administrator"
