"""Telegram Mini App launch data (`initData`): checked as Telegram documents, never trusted raw.

The key is HMAC-SHA256(key="WebAppData", message=bot token); the hash is
HMAC-SHA256(key, the data-check string: every other field as key=value, sorted, one a
line), in hex. Data older than `max_age` seconds is stale: a copied link does not open the
board for ever.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

__all__ = ["WebAppUser", "check_init_data"]


@dataclass(frozen=True, slots=True)
class WebAppUser:
    user_id: int
    first_name: str
    auth_date: int


def check_init_data(
    init_data: str, *, bot_token: str, now: datetime, max_age: float
) -> WebAppUser | None:
    """The Telegram user the launch data names, or None when forged, stale or malformed."""
    if not init_data or len(init_data) > 4096:
        return None
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    given = fields.pop("hash", "")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    key = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        return None
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        return None
    age = now.timestamp() - auth_date
    if not -60 <= age <= max_age:
        return None
    return WebAppUser(user_id, str(user.get("first_name", ""))[:64], auth_date)
