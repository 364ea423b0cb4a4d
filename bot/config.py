"""Settings from the environment: the names operators rely on are WARDBOARD_*."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from boards.hospital import parse_operator_ids
from boards.i18n import normalise_locale
from bot.hl7.mllp import parse_listen
from storage import default_sqlite_url

__all__ = ["Settings", "default_database_url"]


def default_database_url() -> str:
    """A SQLite file in the working directory: nothing to install for a first ward."""
    return default_sqlite_url(Path.cwd())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARDBOARD_", extra="ignore")

    token: SecretStr | None = None
    database_url: str = ""
    bot_api_url: str = "https://api.telegram.org"
    timezone: str = "Asia/Shanghai"
    locale: str = "zh_CN"
    # Seconds to wait after a change before editing the pinned board, so a burst of
    # changes becomes one edit; and the least time between two edits of one board
    # (Telegram allows about 20 messages a minute in a group).
    board_delay: float = 2.0
    board_min_interval: float = 3.0
    # How often the reminder dispatcher looks for due tasks.
    dispatch_seconds: float = 15.0
    log_level: str = "INFO"
    # Commands, button presses and dialogue answers each person may send in a minute; past
    # it one "too frequent" reply, then silence. 0 switches the limit off.
    user_actions_per_minute: int = 20
    # PTB logs every Bot API call's parameters (message texts: patient names) at DEBUG, so
    # its loggers stay at INFO unless this is set, for debugging on a test system only.
    log_api: bool = False
    # The hospital's operators (Telegram user ids, comma-separated): only they create
    # wards and name head nurses. Unset, with none added by `wardboard admin`, the bot is
    # open: anyone may create a ward (fine for one ward trying it out).
    admins: str = ""
    # The station screen and the Mini App: the web server listens here (host:port) when
    # set; links name WARDBOARD_PUBLIC_URL (default http://<listen>). The Mini App needs
    # https; Telegram's signed launch data older than this many seconds is refused.
    http_listen: str = ""
    public_url: str = ""
    webapp_max_age: int = 3600
    # host:port to accept the hospital system's HL7 v2 ADT feed over MLLP on (port 0: any
    # free port); unset, no listener.
    hl7_listen: str = ""
    # Webhook mode instead of long polling: Telegram posts updates to this public https URL
    # (a reverse proxy in front of the web server); every request must carry the secret as
    # X-Telegram-Bot-Api-Secret-Token. The web server listens on WARDBOARD_WEBHOOK_LISTEN, or
    # on WARDBOARD_HTTP_LISTEN shared with the station screen (one server, one address).
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_listen: str = ""

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if not self.webhook_url:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise ValueError(
                "WARDBOARD_WEBHOOK_SECRET must be 16-256 letters, digits, _ or - in webhook mode"
            )
        if not (self.webhook_listen or self.http_listen):
            raise ValueError("webhook mode needs WARDBOARD_WEBHOOK_LISTEN (or _HTTP_LISTEN)")
        if self.webhook_listen and self.http_listen and self.webhook_listen != self.http_listen:
            raise ValueError(
                "WARDBOARD_WEBHOOK_LISTEN and _HTTP_LISTEN name one server: one address"
            )
        return self

    def webhook_path(self) -> str:
        """The path Telegram posts to, as the public URL names it."""
        return urlsplit(self.webhook_url).path or "/"

    @field_validator("hl7_listen")
    @classmethod
    def _listen_form(cls, value: str) -> str:
        if value:
            parse_listen(value)
        return value

    @field_validator("admins")
    @classmethod
    def _operator_ids(cls, value: str) -> str:
        parse_operator_ids(value)
        return value

    def operator_ids(self) -> frozenset[int]:
        return parse_operator_ids(self.admins)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        locale = normalise_locale(value)
        if locale is None:
            raise ValueError("WARDBOARD_LOCALE must be zh_CN, zh_TW or en")
        return locale

    @field_validator("bot_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("http_listen", "webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
                raise ValueError("a listen address must be host:port")
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_public_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def http_address(self) -> tuple[str, int] | None:
        """Where the web server listens, or None when it is off."""
        listen = self.http_listen or self.webhook_listen
        if not listen:
            return None
        host, _, port = listen.rpartition(":")
        return host.strip("[]"), int(port)

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()
