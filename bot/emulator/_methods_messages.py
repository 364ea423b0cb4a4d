"""Bot API methods on messages: send, edit, delete, pin, and answering a pressed button."""

from __future__ import annotations

from dataclasses import dataclass

from bot.emulator._html import ParseError, parse_html, strip_text
from bot.emulator._methods_files import _FileMethods
from bot.emulator._model import ApiError, EmuChat, EmuFile, EmuMessage, JSONDict
from bot.emulator._params import Params, _bool, _int, _str

_MESSAGE_LIMIT = 4096
_CAPTION_LIMIT = 1024
_ANSWER_LIMIT = 200
_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_NO_PIN_RIGHT = "Bad Request: not enough rights to manage pinned messages in the chat"


@dataclass
class _Formatted:
    text: str
    entities: list[JSONDict]
    raw: str | None
    parse_mode: str | None


class _MessageMethods(_FileMethods):
    """The messages the bot sends and changes, and its answers to pressed buttons."""

    @property
    def unanswered_callback_queries(self) -> list[str]:
        """Ids of pressed buttons the bot never answered (clients show a spinner meanwhile)."""
        return [query for query, answered in self._open_queries.items() if not answered]

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
        web_app = button.get("web_app")
        if web_app is not None and not (
            isinstance(web_app, dict) and str(web_app.get("url", "")).startswith("https://")
        ):
            raise ApiError(400, "Bad Request: inline keyboard button Web App URL is invalid")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
