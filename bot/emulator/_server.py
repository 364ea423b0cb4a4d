"""The Bot API emulator: the aiohttp server, its dispatch, and the harness that plays users."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from functools import cached_property, partial
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.emulator._limits import FaultRule
from bot.emulator._methods_bot import _BotMethods
from bot.emulator._methods_chats import _ChatMethods
from bot.emulator._methods_messages import _MessageMethods
from bot.emulator._model import (
    ApiCall,
    ApiError,
    DropConnection,
    EmuChat,
    EmuMessage,
    EmuUser,
    Fault,
    RateLimit,
)
from bot.emulator._params import Params, _read_params
from bot.emulator._users import _UserActions

__all__ = ["BotApiEmulator"]

_LOGGER = logging.getLogger(__name__)

_Handler = Callable[[Params], Any]

_MAX_UPLOAD = 50 * 1024 * 1024

_dumps = partial(json.dumps, ensure_ascii=False)


class BotApiEmulator(_UserActions, _BotMethods, _MessageMethods, _ChatMethods):
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

    The constructor and the state are in `_state.py`; the Bot API methods, by group, and the
    scripted users are mixins over it (`_methods_*.py`, `_users.py`). See README.md.
    """

    @cached_property
    def _methods(self) -> dict[str, tuple[str, _Handler | None]]:
        """Every method served, by its lower-cased name: (the Bot API's spelling, the handler)."""
        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
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
        methods: dict[str, tuple[str, _Handler | None]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }
        methods["getupdates"] = ("getUpdates", None)
        return methods

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
        if self._pusher is not None:
            self._pusher.cancel()
            self._pusher = None
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

    @property
    def sent_messages(self) -> list[EmuMessage]:
        """Every message the bot sent, any chat, in order."""
        return list(self._sent)

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """A user deletes a message (say, the pinned board); the bot is not told."""
        chat = self.chat(chat_id)
        if chat.find(message_id) is None:
            raise LookupError(f"no message {message_id} in chat {chat_id} to delete")
        chat.message(message_id).deleted = True
        chat._unpin(message_id)

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
        errors = [ApiError(error_code, description, retry_after=retry_after) for _ in range(count)]
        self._limits.inject(entry[0], errors)

    def inject_faults(self, method: str, *faults: Fault) -> None:
        """Make the next calls of `method` meet these faults, in order: an `ApiError` is
        answered (with no effect), a `DropConnection` closes the connection unanswered, a
        `HoldAnswer` answers late (past the client's timeout: not at all)."""
        entry = self._methods.get(method.lower())
        if entry is None:
            raise ValueError(f"the emulator does not serve {method!r}")
        self._limits.inject(entry[0], list(faults))

    def set_fault(self, rule: FaultRule | None) -> None:
        """Consult `rule(method, params)` on every call; a fault it returns is played (an
        `ApiError` answered, a `DropConnection` or `HoldAnswer` as `inject_faults` says)."""
        self._limits.rule = rule

    # ----------------------------------------------------------------- harness: users act

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

    async def send_document(
        self,
        user: EmuUser,
        data: bytes,
        filename: str,
        chat: EmuChat | int | None = None,
        *,
        mime_type: str | None = None,
        caption: str = "",
        settle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> list[EmuMessage]:
        """`post_document`, then `settle`; the bot's new messages meanwhile, any chat."""
        mark = len(self._sent)
        self.post_document(user, data, filename, chat, mime_type=mime_type, caption=caption)
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

    # ----------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        entry = self._methods.get(request.match_info["method"].lower())
        method = entry[0] if entry else request.match_info["method"]
        polling = method == "getUpdates"
        params: Params = {}
        error: ApiError | None = None
        result: Any = None
        done = False  # the call took effect
        answered = False
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
            if isinstance(fault, ApiError):
                raise fault
            if fault is not None and not fault.accepted:
                # Lost on the way in: nothing happens (or only once the time is up, if the
                # client is still waiting then).
                if isinstance(fault, DropConnection):
                    return _drop(request)
                await asyncio.sleep(fault.seconds)
            self._check_limits(method, params)
            handler = entry[1]
            result = await self._get_updates(params) if handler is None else handler(params)
            self._count(method, params)
            done = True
            if fault is not None and fault.accepted:
                # Lost on the way back: done, and the client cannot tell.
                if isinstance(fault, DropConnection):
                    return _drop(request)
                await asyncio.sleep(fault.seconds)
        except ApiError as exc:
            error = exc
        except asyncio.CancelledError:
            # The client closed the connection (gave up waiting): it gets no answer.
            if not done:
                error = ApiError(499, "Client Closed Request")
            raise
        except Exception as exc:
            _LOGGER.exception("the emulator failed on %s", method)
            self.errors.append(exc)
            error = ApiError(500, f"Internal Server Error: {exc!r}")
            done = False
        else:
            answered = True
        finally:
            if not polling:
                self._inflight -= 1
                self._touch()
            answered = answered or (error is not None and error.error_code != 499)
            code = None if error is None else error.error_code
            self.requests.append(
                ApiCall(
                    arrived,
                    method,
                    params,
                    done and error is None,
                    code,
                    answered,
                    request.content_type if request.body_exists else "",
                )
            )
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

    def _fault(self, method: str, params: Params) -> Fault | None:
        fault = self._limits.fault(method, params)
        if isinstance(fault, ApiError) and fault.error_code == 429:
            self._note_429(method, params, fault.retry_after or 1, injected=True)
        return fault

    def _group_id(self, params: Params) -> int | None:
        """The group a call is about, whose own flood limit it counts against too."""
        chat_id = params.get("chat_id")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        return chat.id if chat is not None and chat.is_group else None

    def _check_limits(self, method: str, params: Params) -> None:
        if not self.enforce_limits:
            return
        wait = self._limits.wait(method, self._group_id(params), time.monotonic())
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self._note_429(method, params, retry_after, injected=False)
            raise ApiError(429, retry_after=retry_after)

    def _count(self, method: str, params: Params) -> None:
        if self.enforce_limits:
            self._limits.count(method, self._group_id(params), time.monotonic())

    def _note_429(self, method: str, params: Params, retry_after: int, *, injected: bool) -> None:
        now = time.monotonic()
        chat_id = params.get("chat_id")
        chat = chat_id if isinstance(chat_id, int | str) else None
        self.rate_limited.append(RateLimit(now, method, chat, retry_after, injected))
        # A bot honouring retry_after is busy until then, though it calls nothing.
        self._last_activity = max(self._last_activity, now + retry_after)


def _drop(request: web.Request) -> web.Response:
    """Close the connection without an answer (the response returned is never written)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)
