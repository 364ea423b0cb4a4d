"""The emulator's world: users, chats, messages and files, shaped as the Bot API shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

__all__ = [
    "GROUP_ANONYMOUS_BOT",
    "ApiCall",
    "ApiError",
    "DropConnection",
    "EmuChat",
    "EmuFile",
    "EmuMessage",
    "EmuUser",
    "Fault",
    "HoldAnswer",
    "RateLimit",
    "Upload",
]

JSONDict = dict[str, Any]


class EmulatorHost(Protocol):
    """What users and chats ask of the emulator that made them (the server implements it:
    a protocol here, so the model does not import the server that imports the model)."""

    @property
    def bot_user(self) -> JSONDict: ...

    def post_message(
        self,
        user: EmuUser,
        text: str,
        chat: EmuChat | int | None = None,
        *,
        reply_to: EmuMessage | int | None = None,
    ) -> JSONDict: ...

    async def say(
        self,
        user: EmuUser,
        text: str,
        chat: EmuChat | int | None = None,
        *,
        reply_to: EmuMessage | int | None = None,
        settle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> list[EmuMessage]: ...

    async def press(
        self,
        user: EmuUser,
        message: EmuMessage,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        settle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> list[EmuMessage]: ...


_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    502: "Bad Gateway",
}


# Who Telegram names as the sender of a group's own service messages (and anonymous admins).
GROUP_ANONYMOUS_BOT: JSONDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


class ApiError(Exception):
    """An error answer of the Bot API; raise or return one to make a call fail.

    `migrate_to_chat_id` answers a call on a group that became a supergroup: Telegram
    names the new chat in the answer's `parameters`, as it does `retry_after` for a 429.
    """

    def __init__(
        self,
        error_code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            elif error_code >= 500:
                description = "Internal Server Error"
            else:
                description = _DESCRIPTIONS.get(error_code, "Error")
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> JSONDict:
        """The JSON body Telegram answers with."""
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        parameters: JSONDict = {}
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if parameters:
            body["parameters"] = parameters
        return body


@dataclass(frozen=True, slots=True)
class DropConnection:
    """A fault that is no answer: the connection is closed without one. `accepted`: the call
    took effect first (Telegram posted the message, then the connection dropped), so the
    client cannot tell whether it did."""

    accepted: bool = False


@dataclass(frozen=True, slots=True)
class HoldAnswer:
    """A fault that answers late: `seconds` pass before the answer, and a client whose
    timeout is shorter gives up (and closes the connection). `accepted`: the call takes
    effect at once and only its answer is late; otherwise it takes effect only if the
    client is still there when the time is up."""

    seconds: float
    accepted: bool = False


# What a fault rule or an injection may make of a call: an error answer, or no answer.
Fault = ApiError | DropConnection | HoldAnswer


class ApiCall(NamedTuple):
    """One Bot API call as the emulator saw it; `time` is `time.monotonic()` on arrival.

    `ok`: the call took effect (a message sent: it is in its chat); `answered`: the client
    got an answer (False for a dropped connection, or a client that gave up waiting; then
    `error_code` is None, or 499 when the client closed the connection itself).
    `body`: how its parameters came (`application/json`, `multipart/form-data`…; "" for
    none).
    """

    time: float
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    answered: bool = True
    body: str = ""


class RateLimit(NamedTuple):
    """One 429 the emulator gave, from its own limits or from an injected failure."""

    time: float
    method: str
    chat_id: int | str | None
    retry_after: int
    injected: bool


@dataclass(eq=False)
class Upload:
    """A file part of a multipart request, as received."""

    filename: str | None
    mime_type: str | None
    data: bytes = field(repr=False)


@dataclass(eq=False)
class EmuFile:
    """A file the bot uploaded; `file_path` is where `/file/bot<token>/` serves it."""

    file_id: str
    file_unique_id: str
    file_path: str
    filename: str | None
    mime_type: str | None
    data: bytes = field(repr=False)
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def file_dict(self) -> JSONDict:
        """The `File` object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass(eq=False)
class EmuUser:
    """A person the tests play; created by `BotApiEmulator.add_user`."""

    emulator: EmulatorHost = field(repr=False)
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    # Telegram lets a bot write to a user only after the user wrote to it first.
    started: bool = False
    blocked: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_dict(self) -> JSONDict:
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def post(
        self,
        text: str,
        chat: EmuChat | int | None = None,
        *,
        reply_to: EmuMessage | int | None = None,
    ) -> JSONDict:
        """Type a message without waiting; see `BotApiEmulator.post_message`."""
        return self.emulator.post_message(self, text, chat, reply_to=reply_to)

    async def say(
        self,
        text: str,
        chat: EmuChat | int | None = None,
        *,
        reply_to: EmuMessage | int | None = None,
        settle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> list[EmuMessage]:
        """Type a message and wait for the bot; the bot's new messages, any chat, in order."""
        return await self.emulator.say(
            self, text, chat, reply_to=reply_to, settle=settle, timeout=timeout
        )

    async def press(
        self,
        message: EmuMessage,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        settle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds a whole exchange, not one await
    ) -> list[EmuMessage]:
        """Press an inline button and wait for the bot; the bot's new messages, in order."""
        return await self.emulator.press(
            self, message, text, callback_data=callback_data, settle=settle, timeout=timeout
        )


@dataclass(eq=False)
class EmuChat:
    """A private chat with the bot or a group the bot is in; created by the emulator."""

    emulator: EmulatorHost = field(repr=False)
    id: int
    type: str
    title: str | None = None
    user: EmuUser | None = None
    bot_is_admin: bool = True
    # The bot's standing in a group: change it with the emulator's remove_bot, add_bot and
    # set_bot_admin, which tell the bot (my_chat_member) as Telegram does.
    bot_can_pin: bool = True
    bot_present: bool = True
    bot_banned: bool = False
    # Set once the group was upgraded (migrate_to_supergroup): calls on it are refused.
    migrated_to: int | None = None
    messages: list[EmuMessage] = field(default_factory=list, repr=False)
    members: dict[int, str] = field(default_factory=dict, repr=False)
    # Every pin the bot made: (message_id, disable_notification).
    pins: list[tuple[int, bool]] = field(default_factory=list, repr=False)
    _pinned: list[int] = field(default_factory=list, init=False, repr=False)
    _by_id: dict[int, EmuMessage] = field(default_factory=dict, init=False, repr=False)
    _last_id: int = field(default=0, init=False, repr=False)

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def bot_status(self) -> str:
        """The bot's ChatMember status here: administrator, member, left or kicked."""
        if not self.is_group:
            return "member"
        if not self.bot_present:
            return "kicked" if self.bot_banned else "left"
        return "administrator" if self.bot_is_admin else "member"

    @property
    def pinned_message_id(self) -> int | None:
        """The most recently pinned message still pinned, as clients show it on top."""
        return self._pinned[-1] if self._pinned else None

    @property
    def pinned_message_ids(self) -> list[int]:
        return list(self._pinned)

    def add_member(self, user: EmuUser, status: str = "member") -> None:
        """Put a user in the group as "member", "administrator" or "creator"."""
        if not self.is_group:
            raise ValueError(f"chat {self.id} is a private chat")
        if status not in ("member", "administrator", "creator"):
            raise ValueError(f"unknown member status {status!r}")
        self.members[user.id] = status

    def member_status(self, user_id: int) -> str:
        if not self.is_group:
            return "member" if self.user is not None and self.user.id == user_id else "left"
        return self.members.get(user_id, "left")

    def message(self, message_id: int) -> EmuMessage:
        """A message of this chat by id, deleted or not."""
        try:
            return self._by_id[message_id]
        except KeyError:
            raise LookupError(f"no message {message_id} in chat {self.id}") from None

    def find(self, message_id: int) -> EmuMessage | None:
        """The message if it exists and was not deleted."""
        message = self._by_id.get(message_id)
        return None if message is None or message.deleted else message

    def bot_messages(self, *, include_deleted: bool = False) -> list[EmuMessage]:
        return [m for m in self.messages if m.from_bot and (include_deleted or not m.deleted)]

    def last_bot_message(self) -> EmuMessage | None:
        sent = self.bot_messages()
        return sent[-1] if sent else None

    def to_dict(self) -> JSONDict:
        chat: JSONDict = {"id": self.id, "type": self.type}
        if self.user is not None:
            chat.update(
                {k: v for k, v in self.user.to_dict().items() if k in _PRIVATE_CHAT_FIELDS}
            )
        else:
            chat["title"] = self.title
        return chat

    def _append(self, message: EmuMessage) -> None:
        self.messages.append(message)
        self._by_id[message.message_id] = message

    def _next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def _unpin(self, message_id: int | None = None) -> None:
        if message_id is None:
            self._pinned.clear()
        elif message_id in self._pinned:
            self._pinned.remove(message_id)

    def _pin(self, message_id: int, disable_notification: bool) -> None:
        self._unpin(message_id)
        self._pinned.append(message_id)
        self.pins.append((message_id, disable_notification))


_PRIVATE_CHAT_FIELDS = ("first_name", "last_name", "username")


@dataclass(eq=False)
class EmuMessage:
    """A message as stored by the emulator; edits and deletions update it in place."""

    chat: EmuChat = field(repr=False)
    message_id: int
    sender: EmuUser | None
    date: int
    text: str = ""
    entities: list[JSONDict] = field(default_factory=list, repr=False)
    html: str | None = field(default=None, repr=False)
    parse_mode: str | None = field(default=None, repr=False)
    reply_markup: JSONDict | None = field(default=None, repr=False)
    reply_to_message_id: int | None = field(default=None, repr=False)
    document: EmuFile | None = field(default=None, repr=False)
    photo: EmuFile | None = field(default=None, repr=False)
    edit_date: int | None = field(default=None, repr=False)
    edit_count: int = 0
    deleted: bool = False
    # The fields of a service message ({"migrate_to_chat_id": ...}); it has no text. With
    # no sender it comes from the group itself, as Telegram shows such messages.
    service: JSONDict | None = field(default=None, repr=False)

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def from_bot(self) -> bool:
        return self.sender is None and self.service is None

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        rows = (self.reply_markup or {}).get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    def buttons(self) -> list[list[tuple[str, str]]]:
        """Inline buttons by row: (text, callback_data or url or whatever the button does)."""
        return [
            [(str(b.get("text", "")), _button_action(b)) for b in row]
            for row in self.inline_keyboard
        ]

    def to_dict(self, *, with_reply: bool = True) -> JSONDict:
        """The Message object the Bot API shows for this message."""
        if self.sender is not None:
            sender = self.sender.to_dict()
        elif self.service is not None:
            sender = dict(GROUP_ANONYMOUS_BOT)
        else:
            sender = self.chat.emulator.bot_user
        message: JSONDict = {
            "message_id": self.message_id,
            "from": sender,
            "chat": self.chat.to_dict(),
            "date": self.date,
        }
        if self.service is not None:
            if self.sender is None:
                message["sender_chat"] = self.chat.to_dict()
            message.update(self.service)
            return message
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if with_reply and self.reply_to_message_id is not None:
            replied = self.chat.find(self.reply_to_message_id)
            if replied is not None:
                message["reply_to_message"] = replied.to_dict(with_reply=False)
        if self.photo is not None or self.document is not None:
            if self.photo is not None:
                message["photo"] = [
                    {
                        "file_id": self.photo.file_id,
                        "file_unique_id": self.photo.file_unique_id,
                        "width": self.photo.width,
                        "height": self.photo.height,
                        "file_size": self.photo.size,
                    }
                ]
            if self.document is not None:
                document: JSONDict = {
                    "file_id": self.document.file_id,
                    "file_unique_id": self.document.file_unique_id,
                    "file_size": self.document.size,
                }
                if self.document.filename:
                    document["file_name"] = self.document.filename
                if self.document.mime_type:
                    document["mime_type"] = self.document.mime_type
                message["document"] = document
            if self.text:
                message["caption"] = self.text
                if self.entities:
                    message["caption_entities"] = self.entities
        else:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        # Telegram only echoes inline keyboards; reply keyboards live in the client.
        if self.inline_keyboard:
            message["reply_markup"] = self.reply_markup
        return message


def _button_action(button: JSONDict) -> str:
    for key in ("callback_data", "url"):
        if key in button:
            return str(button[key])
    web_app = button.get("web_app")
    if isinstance(web_app, dict) and "url" in web_app:
        return str(web_app["url"])
    for key, value in button.items():
        if key != "text":
            return value if isinstance(value, str) else key
    return ""
