"""Mini App launch data signed the way Telegram signs it, for tests to open the app with."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

__all__ = ["sign_init_data"]


def sign_init_data(
    token: str,
    *,
    user_id: int,
    first_name: str,
    auth_date: int,
    language_code: str = "zh-hans",
    query_id: str = "AAHdF6IQAAAAAN0XohDhrOrc",
) -> str:
    """`window.Telegram.WebApp.initData` as a client would pass it (URL-encoded)."""
    user = json.dumps(
        {"id": user_id, "first_name": first_name, "language_code": language_code},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    fields = {"auth_date": str(auth_date), "query_id": query_id, "user": user}
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
