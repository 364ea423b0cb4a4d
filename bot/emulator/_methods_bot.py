"""Bot API methods about the bot itself: getMe, getUpdates, the webhook, commands, names, menu."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.emulator._model import ApiError, JSONDict
from bot.emulator._params import Params, _bool, _int, _number, _str
from bot.emulator._state import _EmulatorState, _Queued

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
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class _BotMethods(_EmulatorState):
    """getMe, getUpdates and the webhook, and what the bot sets about itself."""

    def commands(
        self, scope: str | Mapping[str, Any] = "default", language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The (command, description) list set for exactly this scope and language."""
        scope_dict = {"type": scope} if isinstance(scope, str) else dict(scope)
        return list(self._commands.get((_scope_key(scope_dict), language_code), []))

    def bot_text(self, kind: str, language_code: str = "") -> str | None:
        """What setMyDescription/setMyShortDescription/setMyName stored ("description", ...)."""
        return self._texts.get((kind, language_code))

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
        if self._webhook is not None:
            raise ApiError(409, _WEBHOOK_ACTIVE)
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
        self._webhook = None
        if self._pusher is not None:
            self._pusher.cancel()
            self._pusher = None
        return True

    def _set_webhook(self, params: Params) -> bool:
        """Push updates to `url` (with the secret token as Telegram's header) from now on.

        Telegram wants https on port 443, 80, 88 or 8443; the emulator also takes plain http
        on 127.0.0.1, where the tests' bot listens."""
        url = _str(params, "url")
        if not url:
            return self._delete_webhook(params)
        if not re.fullmatch(r"https://\S+|http://127\.0\.0\.1(:\d+)?/\S*", url):
            raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        secret = _str(params, "secret_token") or ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(str(kind) for kind in allowed) or None
        if _bool(params, "drop_pending_updates"):
            self._queue.clear()
        self._webhook = (url, secret)
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.get_running_loop().create_task(self._push_updates())
        self._wake()
        return True

    async def _push_updates(self) -> None:
        """POST each update to the webhook in order; one not answered 200 is tried again
        (as Telegram does), and nothing after it goes first."""
        async with aiohttp.ClientSession() as session:
            while self._webhook is not None and not self._closing:
                url, secret = self._webhook
                event = self._wakeup
                batch = self._take(1)
                if not batch:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            await event.wait()
                    continue
                item = batch[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                self._inflight += 1
                try:
                    async with session.post(url, json=item.update, headers=headers) as answer:
                        ok = answer.status == 200
                except aiohttp.ClientError:
                    ok = False
                finally:
                    self._inflight -= 1
                    self._touch()
                if ok:
                    item.delivered = True
                    self._queue.remove(item)
                    self.webhook_deliveries += 1
                else:
                    self.webhook_failures += 1
                    await asyncio.sleep(0.2)

    def _get_webhook_info(self, params: Params) -> JSONDict:
        return {
            "url": self._webhook[0] if self._webhook else "",
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


def _scope_key(scope: Mapping[str, Any]) -> str:
    return json.dumps(dict(scope), sort_keys=True, ensure_ascii=False)
