"""Webhook mode: Telegram posts updates to our web server; the secret header or a bare 403."""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Update

from bot.config import Settings
from bot.reminders import Dispatcher
from bot.runtime import Runtime, WardApplication
from bot.web import ScreenServer
from storage.uow import Database

__all__ = ["SECRET_HEADER", "health_check", "install_webhook"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_MAX_UPDATE = 1024 * 1024  # Telegram's updates are small; a body this big is not one


def install_webhook(
    server: ScreenServer, application: WardApplication, settings: Settings
) -> None:
    """Receive Telegram's POSTs at the webhook URL's path. Every request must carry the
    secret (compared in constant time); without it: 403, nothing read, nothing processed."""
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value().encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            return web.Response(status=403)
        if request.content_length is not None and request.content_length > _MAX_UPDATE:
            return web.Response(status=413)
        try:
            data: Any = json.loads(await request.read())
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError):
            # Not an update: say so, never what it held (it may quote a message).
            log.warning("webhook: a request with the secret that is no update")
            return web.Response(status=400)
        await application.update_queue.put(update)
        return web.Response(status=200)

    server.add_route("POST", settings.webhook_path(), receive)


def health_check(
    runtime: Runtime, database: Database, settings: Settings
) -> Callable[[], Awaitable[tuple[bool, dict[str, object]]]]:
    """/healthz: the database answers and the dispatcher ticked recently."""
    stale_after = max(60.0, 10 * settings.dispatch_seconds)

    async def check() -> tuple[bool, dict[str, object]]:
        details: dict[str, object] = {}
        healthy = True
        try:
            async with database.uow() as uow:
                await uow.wards.get(0)
            details["database"] = "ok"
        except Exception as error:  # the database down is what this endpoint reports
            details["database"] = type(error).__name__
            healthy = False
        dispatcher = runtime.extras.get("dispatcher")
        last = dispatcher.last_run if isinstance(dispatcher, Dispatcher) else None
        if last is None:
            details["dispatcher"] = "starting"
        else:
            age = time.monotonic() - last
            details["dispatcher_tick_age_s"] = round(age, 1)
            if age > stale_after:
                healthy = False
        details["mode"] = "webhook" if settings.webhook_url else "polling"
        return healthy, details

    return check
