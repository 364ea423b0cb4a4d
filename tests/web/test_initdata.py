"""Telegram Mini App launch data: genuine accepted, forged, stale or malformed refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.emulator import sign_init_data
from bot.web.initdata import check_init_data

TOKEN = "123456789:TEST-wardboard-token"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _signed(age: timedelta = timedelta(seconds=5), token: str = TOKEN) -> str:
    when = int((NOW - age).timestamp())
    return sign_init_data(token, user_id=502, first_name="李娜", auth_date=when)


def _check(data: str, max_age: float = 3600) -> object:
    return check_init_data(data, bot_token=TOKEN, now=NOW, max_age=max_age)


def test_genuine_launch_data_names_its_user() -> None:
    user = _check(_signed())
    assert user is not None
    assert getattr(user, "user_id", None) == 502 and getattr(user, "first_name", "") == "李娜"


def test_signed_with_another_bot_token_is_refused() -> None:
    assert _check(_signed(token="999:OTHER")) is None


def test_any_field_changed_breaks_the_signature() -> None:
    fields = dict(parse_qsl(_signed()))
    for key, value in (("user", fields["user"].replace("502", "501")), ("auth_date", "1")):
        assert _check(urlencode({**fields, key: value})) is None
    assert _check(urlencode({**fields, "hash": "0" * 64})) is None
    assert _check(urlencode({k: v for k, v in fields.items() if k != "hash"})) is None
    assert _check(urlencode({**fields, "extra": "1"})) is None


def test_stale_and_future_launch_data_is_refused() -> None:
    assert _check(_signed(age=timedelta(hours=2))) is None
    assert _check(_signed(age=timedelta(minutes=30)), max_age=600) is None
    assert _check(_signed(age=timedelta(minutes=-10))) is None


@pytest.mark.parametrize("data", ["", "garbage", "a=1&&b", "hash=" + "x" * 5000])
def test_malformed_launch_data_is_refused(data: str) -> None:
    assert _check(data) is None


def test_the_listen_address_is_host_and_port() -> None:
    assert Settings(http_listen="127.0.0.1:8080").http_address() == ("127.0.0.1", 8080)
    assert Settings(http_listen="[::]:8080").http_address() == ("::", 8080)
    assert Settings().http_address() is None
    for bad in ("8080", "host:", "host:http", ":8080", "host:70000"):
        with pytest.raises(ValidationError):
            Settings(http_listen=bad)
