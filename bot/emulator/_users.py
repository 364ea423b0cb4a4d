"""The scripted users: what a person's message or button press puts on the bot's update queue."""

from __future__ import annotations

import re

from bot.emulator._html import utf16_len
from bot.emulator._methods_files import _FileMethods
from bot.emulator._methods_messages import _CAPTION_LIMIT, _MESSAGE_LIMIT
from bot.emulator._model import EmuChat, EmuMessage, EmuUser, JSONDict, Upload

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{3,32}))?")


class _UserActions(_FileMethods):
    """A user writes or presses a button; the bot sees it as Telegram would let it."""

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

    def post_document(
        self,
        user: EmuUser,
        data: bytes,
        filename: str,
        chat: EmuChat | int | None = None,
        *,
        mime_type: str | None = None,
        caption: str = "",
    ) -> JSONDict:
        """A user sends a file (private chat when `chat` is None); the bot may getFile it."""
        target = self._user_chat(user, chat)
        if len(caption) > _CAPTION_LIMIT:
            raise ValueError("Telegram clients send captions of 0-1024 characters")
        if not target.is_group:
            user.started, user.blocked = True, False
        stored = self._store(Upload(filename, mime_type, data), "document")
        message = EmuMessage(
            target,
            target._next_id(),
            user,
            self._now(),
            text=caption,
            entities=_command_entities(caption),
            document=stored,
        )
        target._append(message)
        payload = message.to_dict()
        # Privacy mode lets a bot see a group's file only with a command caption.
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

    def _user_chat(self, user: EmuUser, chat: EmuChat | int | None) -> EmuChat:
        if self._users.get(user.id) is not user:
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
