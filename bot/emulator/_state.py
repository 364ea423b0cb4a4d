"""The emulator's state and the few primitives every group of Bot API methods builds on."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.emulator._limits import _Limits
from bot.emulator._model import (
    ApiCall,
    ApiError,
    EmuChat,
    EmuFile,
    EmuMessage,
    EmuUser,
    JSONDict,
    RateLimit,
)
from bot.emulator._params import Params

_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
# Supergroup ids are -100 followed by the channel id; the emulator counts them from here.
_FIRST_SUPERGROUP = 2_000_000_001


@dataclass
class _Queued:
    """An update waiting for getUpdates; `delivered` once a poll has handed it out."""

    update: JSONDict
    kind: str
    delivered: bool = False


class _EmulatorState:
    """Everything the emulator knows; `BotApiEmulator` and its groups of methods share it."""

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
        # setWebhook: (url, secret token) updates are pushed to instead of long-polled.
        self._webhook: tuple[str, str] | None = None
        self.webhook_deliveries = 0
        self.webhook_failures = 0
        self._pusher: asyncio.Task[None] | None = None
        self._limits = _Limits(overall_limit, group_limit)
        self._last_activity = time.monotonic()
        self._inflight = 0
        # Set by a harness that can tell when the bot is mid-update: settle() waits for it.
        self.busy: Callable[[], bool] | None = None
        self._poll_generation = 0
        self._wakeup = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a `User` object, the `from` of its messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

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
