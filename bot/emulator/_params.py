"""Reading a Bot API request: its parameters from the query, JSON, form or multipart body."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator._model import ApiError, Upload

__all__ = ["Params"]

Params = dict[str, Any]

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
