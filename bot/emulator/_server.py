"""The Bot API emulator: an aiohttp server speaking Telegram's JSON, and the harness around it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import logging
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, Self

from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

from bot.emulator._html import ParseError, parse_html, strip_text, utf16_len
from bot.emulator._model import (
    ApiCall,
    ApiError,
    EmuChat,
    EmuFile,
    EmuMessage,
    EmuUser,
    JSONDict,
    RateLimit,
    Upload,
)

__all__ = ["BotApiEmulator", "FaultRule", "Params"]

_LOGGER = logging.getLogger(__name__)

Params = dict[str, Any]
FaultRule = Callable[[str, Params], ApiError | None]
_Handler = Callable[[Params], Any]

# Form-encoded requests carry everything as strings; these fields are JSON inside them.
_JSON_FIELDS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "reply_markup",
        "reply_parameters",
        "scope",
    }
)
_INT_FIELDS = frozenset(
    {
        "cache_time",
        "chat_id",
        "from_chat_id",
        "limit",
        "message_id",
        "message_thread_id",
        "offset",
        "reply_to_message_id",
        "timeout",
        "user_id",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "has_spoiler",
        "protect_content",
        "show_alert",
    }
)
_INTEGER = re.compile(r"-?\d+")
_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{3,32}))?")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Update types a bot only receives when it asks for them by name.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# What Telegram's flood limits count: messages appearing or changing in a chat.
_COUNTED = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)
_MESSAGE_LIMIT = 4096
_CAPTION_LIMIT = 1024
_ANSWER_LIMIT = 200
_MAX_UPLOAD = 50 * 1024 * 1024
_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": False,
}

_UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
_NO_PIN_RIGHT = "Bad Request: not enough rights to manage pinned messages in the chat"
# Supergroup ids are -100 followed by the channel id; the emulator counts them from here.
_FIRST_SUPERGROUP = 2_000_000_001

_dumps = partial(json.dumps, ensure_ascii=False)


@dataclass
class _Queued:
    update: JSONDict
    kind: str
    delivered: bool = False


@dataclass
class _Formatted:
    text: str
    entities: list[JSONDict]
    raw: str | None
    parse_mode: str | None


class _Window:
    """At most `count` events in any `period` seconds."""

    def __init__(self, count: int, period: float) -> None:
        self.count = count
        self.period = period
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        return 0.0 if len(self.times) < self.count else self.times[0] + self.period - now

    def add(self, now: float) -> None:
        self.times.append(now)


class BotApiEmulator:
    """A local stand-in for api.telegram.org serving one bot, plus the harness that plays users.

    Point PTB at it with ``base_url(f"{emu.api_root}/bot")`` and
    ``base_file_url(f"{emu.api_root}/file/bot")``.

    The server alone cannot see a bot working on an update before its first call; a harness
    that can tell sets ``emu.busy`` (say, to a check of PTB's update queue and of handlers in
    progress), and `settle` then waits for it as well.

    A group's life goes on around the bot: `migrate_to_supergroup` upgrades a basic group
    (new chat id, the old one answers 400 with `migrate_to_chat_id`), `remove_bot`, `add_bot`
    and `set_bot_admin` change the bot's standing and send `my_chat_member` as Telegram does
    (calls then answer 403 "bot was kicked", pins 400 "not enough rights").
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "wardboard_bot",
        bot_name: str = "WardBoard",
        enforce_limits: bool = False,
        overall_limit: tuple[int, float] = (30, 1.0),
        group_limit: tuple[int, float] = (20, 60.0),
        privacy_mode: bool = True,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        self.bot_id = int(match.group(1))
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.enforce_limits = enforce_limits
        self.privacy_mode = privacy_mode
        self.requests: list[ApiCall] = []
        self.callback_answers: list[JSONDict] = []
        self.rate_limited: list[RateLimit] = []
        # Exceptions the emulator itself raised while serving a call: its own bugs.
        self.errors: list[Exception] = []
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self._clock = clock
        self._host = host
        self._port = port
        self._users: dict[int, EmuUser] = {}
        self._chats: dict[int, EmuChat] = {}
        self._sent: list[EmuMessage] = []
        self._commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._texts: dict[tuple[str, str], str] = {}
        self._files: dict[str, EmuFile] = {}
        self._files_by_path: dict[str, EmuFile] = {}
        self._file_numbers = itertools.count(1)
        self._supergroup_numbers = itertools.count(_FIRST_SUPERGROUP)
        self._query_numbers = itertools.count(1)
        self._open_queries: dict[str, bool] = {}
        self._queue: list[_Queued] = []
        self._next_update_id = 1
        self._allowed: frozenset[str] | None = None
        self._injected: dict[str, deque[ApiError]] = {}
        self._fault_rule: FaultRule | None = None
        self._overall = _Window(*overall_limit)
        self._group_limit = group_limit
        self._group_windows: dict[int, _Window] = {}
        self._last_activity = time.monotonic()
        self._inflight = 0
        # Set by a harness that can tell when the bot is mid-update: settle() waits for it.
        self.busy: Callable[[], bool] | None = None
        self._poll_generation = 0
        self._wakeup = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": partial(self._set_text, "description"),
            "getMyDescription": partial(self._get_text, "description"),
            "setMyShortDescription": partial(self._set_text, "short_description"),
            "getMyShortDescription": partial(self._get_text, "short_description"),
            "setMyName": partial(self._set_text, "name"),
            "getMyName": partial(self._get_text, "name"),
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "sendPhoto": partial(self._send_media, "photo"),
            "sendDocument": partial(self._send_media, "document"),
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "pinChatMessage": self._pin_chat_message,
            "unpinChatMessage": self._unpin_chat_message,
            "unpinAllChatMessages": self._unpin_all_chat_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "getFile": self._get_file,
        }
        # Telegram matches method names case-insensitively. getUpdates alone may wait, so it
        # is served apart from these synchronous (hence all-or-nothing) handlers.
        self._methods: dict[str, tuple[str, _Handler | None]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }
        self._methods["getupdates"] = ("getUpdates", None)

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Serve on `host` (127.0.0.1) at `port` (0: a free one); see `api_root`."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        app = web.Application(client_max_size=_MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        # A bot that drops a long poll must not leave it waiting on the server.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._port = int(runner.addresses[0][1])
        self._closing = False
        self._runner = runner

    async def stop(self) -> None:
        """Answer pending long polls and shut the server down."""
        self._closing = True
        self._wake()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_root(self) -> str:
        """``http://127.0.0.1:PORT``, once started."""
        if self._runner is None:
            raise RuntimeError("the emulator is not running; await start() first")
        return f"http://{self._host}:{self._port}"

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a `User` object, the `from` of its messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    # ----------------------------------------------------------------- harness: world

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> EmuUser:
        """A person with a private chat (id == user id) the bot may use once they write to it."""
        if user_id <= 0 or user_id in self._users or user_id == self.bot_id:
            raise ValueError(f"user id {user_id} is not positive, or taken")
        user = EmuUser(self, user_id, first_name, last_name, username, language_code)
        self._users[user_id] = user
        self._chats[user_id] = EmuChat(self, user_id, "private", user=user)
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: Iterable[EmuUser] = (),
        *,
        creator: EmuUser | None = None,
        type: str = "supergroup",
        bot_is_admin: bool = True,
    ) -> EmuChat:
        """A group the bot is in (as an administrator unless told otherwise)."""
        if chat_id >= 0 or chat_id in self._chats:
            raise ValueError(f"group id {chat_id} is not negative, or taken")
        if type not in ("group", "supergroup"):
            raise ValueError(f"not a group type: {type!r}")
        group = EmuChat(self, chat_id, type, title=title, bot_is_admin=bot_is_admin)
        if creator is not None:
            group.add_member(creator, "creator")
        for member in members:
            if member is not creator:
                group.add_member(member)
        self._chats[chat_id] = group
        return group

    def chat(self, chat_id: int) -> EmuChat:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise LookupError(f"no chat {chat_id}") from None

    def user(self, user_id: int) -> EmuUser:
        try:
            return self._users[user_id]
        except KeyError:
            raise LookupError(f"no user {user_id}") from None

    @property
    def sent_messages(self) -> list[EmuMessage]:
        """Every message the bot sent, any chat, in order."""
        return list(self._sent)

    def commands(
        self, scope: str | Mapping[str, Any] = "default", language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The (command, description) list set for exactly this scope and language."""
        scope_dict = {"type": scope} if isinstance(scope, str) else dict(scope)
        return list(self._commands.get((_scope_key(scope_dict), language_code), []))

    def bot_text(self, kind: str, language_code: str = "") -> str | None:
        """What setMyDescription/setMyShortDescription/setMyName stored ("description", ...)."""
        return self._texts.get((kind, language_code))

    @property
    def unanswered_callback_queries(self) -> list[str]:
        """Ids of pressed buttons the bot never answered (clients show a spinner meanwhile)."""
        return [query for query, answered in self._open_queries.items() if not answered]

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """A user deletes a message (say, the pinned board); the bot is not told."""
        chat = self.chat(chat_id)
        if chat.find(message_id) is None:
            raise LookupError(f"no message {message_id} in chat {chat_id} to delete")
        chat.message(message_id).deleted = True
        chat._unpin(message_id)

    # ----------------------------------------------------------------- harness: groups

    def migrate_to_supergroup(
        self, chat_id: int, *, by: EmuUser | None = None, notify: bool = True
    ) -> int:
        """Upgrade a basic group to a supergroup, as Telegram does; returns the new chat id.

        The supergroup (id -100…) has the same title and members, the bot with the same
        rights, and none of the old messages. The old group keeps its history but answers
        every call with 400 "group chat was upgraded" and `parameters.migrate_to_chat_id`.
        A bot in the group gets both service messages: `migrate_from_chat_id` in the new
        chat (sent by the group itself) and `migrate_to_chat_id` in the old one (by `by`,
        the creator unless told). `notify=False` loses them, as for a bot that was offline
        longer than the 24 hours Telegram keeps updates.
        """
        old = self._group(chat_id)
        if old.type != "group":
            raise ValueError(f"chat {chat_id} is a {old.type}, not a basic group")
        actor = self._actor(old, by)
        new_id = -(10**12 + next(self._supergroup_numbers))
        while new_id in self._chats:
            new_id = -(10**12 + next(self._supergroup_numbers))
        new = EmuChat(
            self,
            new_id,
            "supergroup",
            title=old.title,
            bot_is_admin=old.bot_is_admin,
            bot_can_pin=old.bot_can_pin,
            bot_present=old.bot_present,
            bot_banned=old.bot_banned,
        )
        new.members = dict(old.members)
        self._chats[new_id] = new
        old.migrated_to = new_id
        arrived = self._service(new, None, {"migrate_from_chat_id": old.id})
        left = self._service(old, actor, {"migrate_to_chat_id": new_id})
        if notify and old.bot_present:
            self._enqueue("message", arrived)
            self._enqueue("message", left)
        return new_id

    def remove_bot(
        self,
        chat_id: int,
        *,
        by: EmuUser | None = None,
        ban: bool = True,
        notify: bool = True,
    ) -> None:
        """Someone removes the bot from a group (`ban`: status "kicked", else "left").

        The bot gets `my_chat_member`; from then on every call on the group answers 403
        ("bot was kicked from the group chat", or "bot is not a member of…") and the bot
        sees nothing of the group. `notify=False` loses the update (see
        `migrate_to_supergroup`).
        """
        group = self._group(chat_id)
        if not group.bot_present:
            raise ValueError(f"the bot is not in {group.title}")
        self._bot_change(group, by, notify, bot_present=False, bot_banned=ban)

    def add_bot(
        self,
        chat_id: int,
        *,
        by: EmuUser | None = None,
        admin: bool = True,
        can_pin: bool = True,
        notify: bool = True,
    ) -> None:
        """Someone adds the bot (back) to a group, as an administrator unless told otherwise;
        the bot gets `my_chat_member`."""
        group = self._group(chat_id)
        if group.bot_present:
            raise ValueError(f"the bot is already in {group.title}")
        self._bot_change(
            group,
            by,
            notify,
            bot_present=True,
            bot_banned=False,
            bot_is_admin=admin,
            bot_can_pin=can_pin,
        )

    def set_bot_admin(
        self,
        chat_id: int,
        *,
        admin: bool = True,
        can_pin: bool = True,
        by: EmuUser | None = None,
        notify: bool = True,
    ) -> None:
        """Promote or demote the bot in a group, or change its right to pin messages; the
        bot gets `my_chat_member`. Without the right, pins answer 400 "not enough rights"."""
        group = self._group(chat_id)
        if not group.bot_present:
            raise ValueError(f"the bot is not in {group.title}")
        current = (group.bot_is_admin, group.bot_is_admin and group.bot_can_pin)
        if current == (admin, admin and can_pin):
            raise ValueError("that changes nothing: Telegram would send no update")
        self._bot_change(group, by, notify, bot_is_admin=admin, bot_can_pin=can_pin)

    def _group(self, chat_id: int) -> EmuChat:
        group = self.chat(chat_id)
        if not group.is_group:
            raise ValueError(f"chat {chat_id} is a private chat")
        if group.migrated_to is not None:
            raise ValueError(f"{group.title} was upgraded to supergroup {group.migrated_to}")
        return group

    def _actor(self, group: EmuChat, by: EmuUser | None) -> EmuUser:
        """Who acts on the group: `by`, else its creator, else an administrator or member."""
        if by is not None:
            if group.member_status(by.id) == "left":
                raise ValueError(f"{by.first_name} is not in {group.title}")
            return by
        ranked = sorted(
            group.members.items(),
            key=lambda item: ("creator", "administrator", "member").index(item[1]),
        )
        if not ranked:
            raise ValueError(f"nobody in {group.title} to do that: add members first")
        return self._users[ranked[0][0]]

    def _bot_change(self, group: EmuChat, by: EmuUser | None, notify: bool, **state: bool) -> None:
        actor = self._actor(group, by)
        old = self._bot_member(group)
        for name, value in state.items():
            setattr(group, name, value)
        if notify:
            self._enqueue(
                "my_chat_member",
                {
                    "chat": group.to_dict(),
                    "from": actor.to_dict(),
                    "date": self._now(),
                    "old_chat_member": old,
                    "new_chat_member": self._bot_member(group),
                },
            )

    def _service(self, chat: EmuChat, sender: EmuUser | None, fields: JSONDict) -> JSONDict:
        message = EmuMessage(chat, chat._next_id(), sender, self._now(), service=fields)
        chat._append(message)
        return message.to_dict()

    # ----------------------------------------------------------------- harness: faults

    def inject_failures(
        self,
        method: str,
        count: int,
        *,
        error_code: int = 500,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next `count` calls of `method` fail, with no effect, with this error."""
        entry = self._methods.get(method.lower())
        if entry is None:
            raise ValueError(f"the emulator does not serve {method!r}")
        queue = self._injected.setdefault(entry[0], deque())
        for _ in range(count):
            queue.append(ApiError(error_code, description, retry_after=retry_after))

    def set_fault(self, rule: FaultRule | None) -> None:
        """Consult `rule(method, params)` on every call; an ApiError it returns is answered."""
        self._fault_rule = rule

    # ----------------------------------------------------------------- harness: users act

    def post_message(
        self,
        user: EmuUser,
        text: str,
        chat: EmuChat | int | None = None,
        *,
        reply_to: EmuMessage | int | None = None,
    ) -> JSONDict:
        """A user types `text` (private chat when `chat` is None); the update is queued."""
        target = self._user_chat(user, chat)
        if not text.strip() or len(text) > _MESSAGE_LIMIT:
            raise ValueError("Telegram clients send 1-4096 characters")
        reply_id = reply_to.message_id if isinstance(reply_to, EmuMessage) else reply_to
        if reply_id is not None and target.find(reply_id) is None:
            raise LookupError(f"no message {reply_id} in chat {target.id} to reply to")
        if not target.is_group:
            # Writing to a bot starts the chat, and unblocks it.
            user.started, user.blocked = True, False
        message = EmuMessage(
            target,
            target._next_id(),
            user,
            self._now(),
            text=text,
            entities=_command_entities(text),
            reply_to_message_id=reply_id,
        )
        target._append(message)
        payload = message.to_dict()
        if self._delivered(target, message):
            self._enqueue("message", payload)
        return payload

    def press_button(
        self,
        user: EmuUser,
        message: EmuMessage,
        text: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> JSONDict:
        """A user presses an inline button; the callback_query update is queued."""
        current = message.chat.find(message.message_id)
        if current is None:
            raise LookupError(f"message {message.message_id} was deleted")
        self._user_chat(user, current.chat)
        button = _pick_button(current, text, callback_data)
        if "callback_data" not in button:
            raise ValueError(f"button {button.get('text')!r} sends no callback: {button}")
        query_id = f"{self.bot_id}{next(self._query_numbers):08d}"
        self._open_queries[query_id] = False
        query: JSONDict = {
            "id": query_id,
            "from": user.to_dict(),
            "message": current.to_dict(),
            "chat_instance": str(abs(current.chat_id * 7919 + self.bot_id)),
            "data": button["callback_data"],
        }
        self._enqueue("callback_query", query)
        return query

    async def say(
        self,
        user: EmuUser,
        text: str,
        chat: EmuChat | int | None = None,
        *,
        reply_to: EmuMessage | int | None = None,
        settle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> list[EmuMessage]:
        """`post_message`, then `settle`; the bot's new messages meanwhile, any chat."""
        mark = len(self._sent)
        self.post_message(user, text, chat, reply_to=reply_to)
        await self.settle(idle=settle, timeout=timeout)
        return self._sent[mark:]

    async def press(
        self,
        user: EmuUser,
        message: EmuMessage,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        settle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> list[EmuMessage]:
        """`press_button`, then `settle`; the bot's new messages meanwhile, any chat."""
        mark = len(self._sent)
        self.press_button(user, message, text, callback_data=callback_data)
        await self.settle(idle=settle, timeout=timeout)
        return self._sent[mark:]

    async def settle(
        self,
        idle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> None:
        """Wait until the bot fetched every update and made no other call for `idle` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            pending = sum(not item.delivered for item in self._queue)
            quiet = now - self._last_activity
            busy = self.busy is not None and self.busy()
            if busy:
                # The bot says it is still working on an update (a slow database, say); the
                # idle time only starts once it is done.
                self._touch()
                quiet = 0.0
            if not pending and not self._inflight and quiet >= idle:
                return
            if now >= deadline:
                raise TimeoutError(
                    f"the bot did not settle within {timeout}s: {pending} update(s) not "
                    f"fetched, {self._inflight} call(s) in progress, last call {quiet:.2f}s ago"
                    + (", and busy() still says it is working" if busy else "")
                )
            wait = idle - quiet if not pending and not self._inflight else 0.01
            await asyncio.sleep(min(max(wait, 0.005), deadline - now))

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a polling loop, not one await
        interval: float = 0.01,
    ) -> None:
        """Poll `predicate` until it holds; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    def _user_chat(self, user: EmuUser, chat: EmuChat | int | None) -> EmuChat:
        if user.emulator is not self or self._users.get(user.id) is not user:
            raise ValueError(f"{user.first_name} was not added to this emulator")
        if chat is None:
            return self._chats[user.id]
        target = self.chat(chat if isinstance(chat, int) else chat.id)
        if target.is_group:
            if target.migrated_to is not None:
                raise ValueError(f"{target.title} was upgraded: write in {target.migrated_to}")
            if target.member_status(user.id) == "left":
                raise ValueError(f"{user.first_name} is not in {target.title}")
        elif target.id != user.id:
            raise ValueError(f"{user.first_name} cannot write in another user's private chat")
        return target

    def _delivered(self, chat: EmuChat, message: EmuMessage) -> bool:
        if chat.is_group and not chat.bot_present:
            return False
        # Privacy mode: in groups a bot sees commands, replies to it and mentions of it.
        if not chat.is_group or not self.privacy_mode:
            return True
        command = _COMMAND.match(message.text)
        if command is not None:
            addressee = command.group(2)
            return addressee is None or addressee.lower() == self.bot_username.lower()
        if message.reply_to_message_id is not None:
            replied = chat.find(message.reply_to_message_id)
            if replied is not None and replied.from_bot:
                return True
        return f"@{self.bot_username}".lower() in message.text.lower()

    def _enqueue(self, kind: str, payload: JSONDict) -> None:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._queue.append(_Queued(update, kind))
        self._wake()

    def _wake(self) -> None:
        event, self._wakeup = self._wakeup, asyncio.Event()
        event.set()

    def _touch(self) -> None:
        self._last_activity = max(self._last_activity, time.monotonic())

    def _now(self) -> int:
        return int(self._clock())

    # ----------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        entry = self._methods.get(request.match_info["method"].lower())
        method = entry[0] if entry else request.match_info["method"]
        polling = method == "getUpdates"
        params: Params = {}
        error: ApiError | None = None
        result: Any = None
        if not polling:
            self._inflight += 1
            self._touch()
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            params = await _read_params(request)
            fault = self._fault(method, params)
            if fault is not None:
                raise fault
            self._check_limits(method, params)
            handler = entry[1]
            result = await self._get_updates(params) if handler is None else handler(params)
            self._count(method, params)
        except ApiError as exc:
            error = exc
        except asyncio.CancelledError:
            error = ApiError(499, "Client Closed Request")
            raise
        except Exception as exc:
            _LOGGER.exception("the emulator failed on %s", method)
            self.errors.append(exc)
            error = ApiError(500, f"Internal Server Error: {exc!r}")
        finally:
            if not polling:
                self._inflight -= 1
                self._touch()
            code = None if error is None else error.error_code
            self.requests.append(ApiCall(arrived, method, params, error is None, code))
        if error is not None:
            return web.json_response(error.payload(), status=error.error_code, dumps=_dumps)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _fault(self, method: str, params: Params) -> ApiError | None:
        queued = self._injected.get(method)
        error = queued.popleft() if queued else None
        if error is None and self._fault_rule is not None:
            error = self._fault_rule(method, params)
        if error is not None and error.error_code == 429:
            self._note_429(method, params, error.retry_after or 1, injected=True)
        return error

    def _windows(self, params: Params) -> list[_Window]:
        windows = [self._overall]
        chat_id = params.get("chat_id")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None and chat.is_group:
            windows.append(self._group_windows.setdefault(chat.id, _Window(*self._group_limit)))
        return windows

    def _check_limits(self, method: str, params: Params) -> None:
        if not self.enforce_limits or method not in _COUNTED:
            return
        wait = max(window.wait(time.monotonic()) for window in self._windows(params))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self._note_429(method, params, retry_after, injected=False)
            raise ApiError(429, retry_after=retry_after)

    def _count(self, method: str, params: Params) -> None:
        if self.enforce_limits and method in _COUNTED:
            now = time.monotonic()
            for window in self._windows(params):
                window.add(now)

    def _note_429(self, method: str, params: Params, retry_after: int, *, injected: bool) -> None:
        now = time.monotonic()
        chat_id = params.get("chat_id")
        chat = chat_id if isinstance(chat_id, int | str) else None
        self.rate_limited.append(RateLimit(now, method, chat, retry_after, injected))
        # A bot honouring retry_after is busy until then, though it calls nothing.
        self._last_activity = max(self._last_activity, now + retry_after)

    # ----------------------------------------------------------------- methods: bot

    def _get_me(self, params: Params) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params) -> list[JSONDict]:
        offset = _int(params, "offset")
        limit = min(max(_int(params, "limit") or 100, 1), 100)
        timeout = max(_number(params, "timeout"), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(str(kind) for kind in allowed) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()
        if offset:
            self._queue = (
                [item for item in self._queue if item.update["update_id"] >= offset]
                if offset > 0
                else self._queue[offset:]
            )
        deadline = time.monotonic() + timeout
        while True:
            event = self._wakeup
            batch = self._take(limit)
            remaining = deadline - time.monotonic()
            if batch or self._closing or remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT)
        for item in batch:
            item.delivered = True
        if batch:
            self._touch()
        return [item.update for item in batch]

    def _take(self, limit: int) -> list[_Queued]:
        batch: list[_Queued] = []
        for item in list(self._queue):
            wanted = (
                item.kind not in _OPT_IN_UPDATES
                if self._allowed is None
                else item.kind in self._allowed
            )
            if not wanted:
                # Telegram never produces updates the bot did not ask for.
                self._queue.remove(item)
            elif len(batch) < limit:
                batch.append(item)
        return batch

    def _delete_webhook(self, params: Params) -> bool:
        if _bool(params, "drop_pending_updates"):
            self._queue.clear()
        return True

    def _get_webhook_info(self, params: Params) -> JSONDict:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    def _scope(self, params: Params) -> str:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope")
        if "chat_id" in scope:
            self._chat({"chat_id": scope["chat_id"]})
        return _scope_key(scope)

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        parsed: list[tuple[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            parsed.append((name, description))
        key = (self._scope(params), _str(params, "language_code") or "")
        if parsed:
            self._commands[key] = parsed
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: Params) -> list[JSONDict]:
        key = (self._scope(params), _str(params, "language_code") or "")
        return [{"command": c, "description": d} for c, d in self._commands.get(key, [])]

    def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop((self._scope(params), _str(params, "language_code") or ""), None)
        return True

    def _set_text(self, kind: str, params: Params) -> bool:
        key = (kind, _str(params, "language_code") or "")
        text = _str(params, kind) or ""
        if text:
            self._texts[key] = text
        else:
            self._texts.pop(key, None)
        return True

    def _get_text(self, kind: str, params: Params) -> JSONDict:
        text = self._texts.get((kind, _str(params, "language_code") or ""))
        if text is None:
            text = self.bot_name if kind == "name" else ""
        return {kind: text}

    def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id = self._chat(params).id if params.get("chat_id") is not None else None
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise ApiError(400, "Bad Request: can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: Params) -> JSONDict:
        chat_id = self._chat(params).id if params.get("chat_id") is not None else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    # ----------------------------------------------------------------- methods: messages

    def _chat(self, params: Params) -> EmuChat:
        value = params.get("chat_id")
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self._chats.get(value) if isinstance(value, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise ApiError(400, _UPGRADED, migrate_to_chat_id=chat.migrated_to)
        if chat.is_group and not chat.bot_present:
            kind = f"{chat.type} chat"
            if chat.bot_banned:
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        return chat

    def _writable_chat(self, params: Params) -> EmuChat:
        chat = self._chat(params)
        if chat.user is not None and chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.user is not None and not chat.user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _formatted(
        self, params: Params, key: str, entities_key: str, *, limit: int, required: bool
    ) -> _Formatted:
        value = params.get(key)
        raw = "" if value is None else str(value)
        mode = _str(params, "parse_mode") or None
        if mode is not None:
            if mode.lower() != "html":
                raise ApiError(400, "Bad Request: unsupported parse_mode")
            mode = "HTML"
            try:
                text, entities = parse_html(raw)
            except ParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            given = params.get(entities_key) or []
            if not isinstance(given, list) or not all(isinstance(e, dict) for e in given):
                raise ApiError(400, f"Bad Request: can't parse {entities_key} JSON object")
            text, entities = raw, given
        text, entities = strip_text(text, entities)
        if not text and required:
            raise ApiError(400, f"Bad Request: message {key} is empty")
        if len(text) > limit:
            what = "message is" if key == "text" else "message caption is"
            raise ApiError(400, f"Bad Request: {what} too long")
        return _Formatted(text, entities, raw or None, mode)

    def _reply_target(self, chat: EmuChat, params: Params) -> int | None:
        target = _int(params, "reply_to_message_id")
        lenient = _bool(params, "allow_sending_without_reply")
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            if reply.get("chat_id") not in (None, chat.id):
                # A quote from another chat: kept out of this fake.
                return None
            target = _int(reply, "message_id")
            lenient = lenient or _bool(reply, "allow_sending_without_reply")
        if target is None:
            return None
        if chat.find(target) is None:
            if lenient:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _post(
        self,
        chat: EmuChat,
        content: _Formatted,
        markup: JSONDict | None,
        reply_to: int | None,
        *,
        photo: EmuFile | None = None,
        document: EmuFile | None = None,
    ) -> JSONDict:
        message = EmuMessage(
            chat,
            chat._next_id(),
            None,
            self._now(),
            text=content.text,
            entities=content.entities,
            html=content.raw,
            parse_mode=content.parse_mode,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            photo=photo,
            document=document,
        )
        chat._append(message)
        self._sent.append(message)
        return message.to_dict()

    def _send_message(self, params: Params) -> JSONDict:
        chat = self._writable_chat(params)
        content = self._formatted(params, "text", "entities", limit=_MESSAGE_LIMIT, required=True)
        return self._post(chat, content, _markup(params), self._reply_target(chat, params))

    def _send_media(self, kind: str, params: Params) -> JSONDict:
        chat = self._writable_chat(params)
        content = self._formatted(
            params, "caption", "caption_entities", limit=_CAPTION_LIMIT, required=False
        )
        markup, reply_to = _markup(params), self._reply_target(chat, params)
        # Stored last: a call refused for any other reason must leave no file behind.
        stored = self._input_file(params, kind)
        if kind == "photo":
            return self._post(chat, content, markup, reply_to, photo=stored)
        return self._post(chat, content, markup, reply_to, document=stored)

    def _send_chat_action(self, params: Params) -> bool:
        self._writable_chat(params)
        if not _str(params, "action"):
            raise ApiError(400, "Bad Request: action is empty")
        return True

    def _editable(self, params: Params) -> EmuMessage:
        if params.get("inline_message_id") is not None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._writable_chat(params)
        message_id = _int(params, "message_id")
        message = chat.find(message_id) if message_id is not None else None
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _edited(self, message: EmuMessage) -> JSONDict:
        message.edit_date = self._now()
        message.edit_count += 1
        return message.to_dict()

    def _edit_message_text(self, params: Params) -> JSONDict:
        message = self._editable(params)
        if message.photo is not None or message.document is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        content = self._formatted(params, "text", "entities", limit=_MESSAGE_LIMIT, required=True)
        # Without reply_markup an edit drops the inline keyboard, as in Telegram.
        markup = _markup(params)
        if (content.text, content.entities, _rows(markup)) == (
            message.text,
            message.entities,
            message.inline_keyboard,
        ):
            raise ApiError(400, _NOT_MODIFIED)
        message.text, message.entities = content.text, content.entities
        message.html, message.parse_mode = content.raw, content.parse_mode
        message.reply_markup = markup
        return self._edited(message)

    def _edit_message_reply_markup(self, params: Params) -> JSONDict:
        message = self._editable(params)
        markup = _markup(params)
        if _rows(markup) == message.inline_keyboard:
            raise ApiError(400, _NOT_MODIFIED)
        message.reply_markup = markup
        return self._edited(message)

    def _delete_message(self, params: Params) -> bool:
        chat = self._chat(params)
        message_id = _int(params, "message_id")
        message = chat.find(message_id) if message_id is not None else None
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        if chat.is_group and not message.from_bot and not chat.bot_is_admin:
            raise ApiError(400, "Bad Request: message can't be deleted")
        message.deleted = True
        chat._unpin(message.message_id)
        return True

    def _pinning_chat(self, params: Params) -> EmuChat:
        chat = self._chat(params)
        if chat.is_group and not (chat.bot_is_admin and chat.bot_can_pin):
            raise ApiError(400, _NO_PIN_RIGHT)
        return chat

    def _pin_chat_message(self, params: Params) -> bool:
        chat = self._pinning_chat(params)
        message_id = _int(params, "message_id")
        if message_id is None or chat.find(message_id) is None:
            raise ApiError(400, "Bad Request: message to pin not found")
        chat._pin(message_id, _bool(params, "disable_notification"))
        return True

    def _unpin_chat_message(self, params: Params) -> bool:
        chat = self._pinning_chat(params)
        message_id = _int(params, "message_id")
        chat._unpin(message_id if message_id is not None else chat.pinned_message_id)
        return True

    def _unpin_all_chat_messages(self, params: Params) -> bool:
        self._pinning_chat(params)._unpin()
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        query_id = _str(params, "callback_query_id") or ""
        if self._open_queries.get(query_id, True):
            raise ApiError(400, _QUERY_INVALID)
        text = _str(params, "text")
        if text is not None and len(text) > _ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries[query_id] = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": _bool(params, "show_alert"),
                "url": _str(params, "url"),
                "cache_time": _int(params, "cache_time") or 0,
            }
        )
        return True

    # ----------------------------------------------------------------- methods: chats

    def _get_chat(self, params: Params) -> JSONDict:
        chat = self._chat(params)
        return {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _bot_member(self, chat: EmuChat) -> JSONDict:
        """The bot's ChatMember object in this chat, whatever its standing."""
        status = chat.bot_status
        member: JSONDict = {"status": status, "user": self.bot_user}
        if status == "administrator":
            member.update(_ADMIN_RIGHTS, can_pin_messages=chat.bot_can_pin)
        elif status == "kicked":
            member["until_date"] = 0  # banned for ever, until someone adds it back
        return member

    def _member(self, chat: EmuChat, user_id: int) -> JSONDict:
        if user_id == self.bot_id:
            return self._bot_member(chat)
        user = self._users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        status = chat.member_status(user_id)
        if status == "creator":
            return {"status": "creator", "user": user.to_dict(), "is_anonymous": False}
        if status == "administrator":
            return {"status": "administrator", "user": user.to_dict(), **_ADMIN_RIGHTS}
        return {"status": status, "user": user.to_dict()}

    def _get_chat_member(self, params: Params) -> JSONDict:
        chat = self._chat(params)
        user_id = _int(params, "user_id")
        if user_id is None:
            raise ApiError(400, "Bad Request: user_id is empty")
        return self._member(chat, user_id)

    def _get_chat_administrators(self, params: Params) -> list[JSONDict]:
        chat = self._chat(params)
        if not chat.is_group:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = [
            self._member(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(self._member(chat, self.bot_id))
        return admins

    def _get_chat_member_count(self, params: Params) -> int:
        chat = self._chat(params)
        return len(chat.members) + 1 if chat.is_group else 2

    # ----------------------------------------------------------------- methods: files

    def _input_file(self, params: Params, key: str) -> EmuFile:
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, Upload):
            return self._store(value, key)
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is None:
                # No network here: URLs and foreign file ids cannot be fetched.
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return known
        raise ApiError(400, f"Bad Request: there is no {key} in the request")

    def _store(self, upload: Upload, kind: str) -> EmuFile:
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        width = height = 0
        if kind == "photo":
            try:
                with Image.open(io.BytesIO(upload.data)) as image:
                    width, height = image.size
            except (UnidentifiedImageError, OSError, ValueError):
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
        number = next(self._file_numbers)
        mime = upload.mime_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or mime
        suffix = PurePosixPath(upload.filename or "").suffix or (
            mimetypes.guess_extension(mime or "") or ""
        )
        folder = "photos" if kind == "photo" else "documents"
        stored = EmuFile(
            file_id=f"EMU{kind[:3].upper()}{self.bot_id}x{number:06d}",
            file_unique_id=f"EMUU{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            filename=upload.filename,
            mime_type=mime,
            data=upload.data,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _get_file(self, params: Params) -> JSONDict:
        stored = self._files.get(_str(params, "file_id") or "")
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.file_dict()


# --------------------------------------------------------------------- helpers


async def _read_params(request: web.Request) -> Params:
    raw: dict[str, Any] = dict(request.query)
    if request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: can't parse JSON object")
            raw.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                data = await part.read(decode=True)
                if part.filename is not None:
                    mime = part.headers.get("Content-Type")
                    raw[part.name] = Upload(part.filename, mime, bytes(data))
                else:
                    raw[part.name] = bytes(data).decode(part.get_charset("utf-8"))
        elif content_type == "application/x-www-form-urlencoded":
            raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return _normalize(raw)


def _normalize(raw: Mapping[str, Any]) -> Params:
    params: Params = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    what = "reply keyboard markup" if key == "reply_markup" else key
                    raise ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
            elif key in _INT_FIELDS and _INTEGER.fullmatch(value):
                value = int(value)
            elif key in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
        params[key] = value
    return params


def _int(params: Mapping[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    raise ApiError(400, f"Bad Request: invalid {key} specified")


def _number(params: Mapping[str, Any], key: str) -> float:
    value = params.get(key)
    if value is None or value == "":
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {key} specified") from None


def _bool(params: Mapping[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _str(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)


def _scope_key(scope: Mapping[str, Any]) -> str:
    return json.dumps(dict(scope), sort_keys=True, ensure_ascii=False)


def _rows(markup: JSONDict | None) -> list[list[JSONDict]]:
    rows = (markup or {}).get("inline_keyboard")
    return rows if isinstance(rows, list) else []


def _markup(params: Params) -> JSONDict | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be '
            "an Array of Arrays",
        )
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not button.get("text"):
            raise ApiError(
                400, "Bad Request: can't parse inline keyboard button: Text must be non-empty"
            )
        if len(button) == 1:
            raise ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard",
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _command_entities(text: str) -> list[JSONDict]:
    command = _COMMAND.match(text)
    if command is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}]


def _pick_button(message: EmuMessage, text: str | None, callback_data: str | None) -> JSONDict:
    buttons = [button for row in message.inline_keyboard for button in row]
    labels = [str(button.get("text")) for button in buttons]
    if callback_data is not None:
        # Raw data need not be on the keyboard now: a stale client or a forged request sends
        # whatever it likes, and the bot has to cope.
        return next(
            (b for b in buttons if b.get("callback_data") == callback_data),
            {"callback_data": callback_data},
        )
    if text is None:
        raise ValueError("name the button by its text or its callback_data")
    matches = [b for b in buttons if b.get("text") == text] or [
        b for b in buttons if text in str(b.get("text", ""))
    ]
    if len(matches) != 1:
        found = "no button" if not matches else f"{len(matches)} buttons"
        raise LookupError(f"{found} matching {text!r} on message {message.message_id}: {labels}")
    return matches[0]
