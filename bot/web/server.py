"""The web server beside the bot, in its own event loop: station screens and the Mini App.

Routes: `/display/<token>` (the page), `/display/<token>/board` (the part that changes),
`/display/<token>/events` (server-sent events: "changed" after each commit to the ward,
"gone" once the link was rotated or revoked); `/app`, `/app/board`, `/app/events` the same
for the Mini App, authenticated by Telegram's signed launch data (`?auth=`); `/static/…`
the script, the style and the shipped font. A wrong, rotated or revoked token gets a bare
404, the same for every cause. No access log: the path holds the screen's secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import NamedTuple

from aiohttp import web

from boards import displays, services, tasks
from boards.board_load import load_board
from boards.errors import WardError
from boards.fonts import font_path
from boards.i18n import Texts, texts
from boards.model import Ward
from boards.ports import Clock, UnitOfWork, UnitOfWorkFactory
from boards.schedule.colours import BoardColours
from boards.views.station import StationView, station_view
from bot.web.initdata import check_init_data
from bot.web.notify import ScreenNotifier
from bot.web.page import render_fragment, render_shell

__all__ = ["ScreenServer"]

log = logging.getLogger(__name__)

# A comment line this often keeps proxies and the browser from closing an idle stream.
_KEEPALIVE_SECONDS = 15.0
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_PAGE_HEADERS = {
    **_NO_STORE,
    # Only our own script, style and font; nothing leaves for another host.
    "Content-Security-Policy": (
        # Inline styles carry the ward's tag colours only; scripts are ours alone.
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "font-src 'self'; "
        "connect-src 'self'; img-src 'self'"
    ),
    "Referrer-Policy": "no-referrer",
}


@functools.cache
def _font() -> bytes:
    return font_path().read_bytes()


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Shown(NamedTuple):
    """What a screen shows: the station view, in the ward's colours."""

    view: StationView
    colours: BoardColours


class _Denied(Exception):
    """No such screen (or not yours): answered with a bare 404 or 403."""


class ScreenServer:
    """An aiohttp application started and stopped with the bot."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        public_url: str,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        bot_token: str,
        default_locale: str,
        webapp_max_age: float,
    ) -> None:
        self._host = host
        self._port = port
        self._public_url = public_url
        self._uow = uow_factory
        self._clock = clock
        self._token = bot_token
        self._secret = bot_token.encode()
        self._locale = default_locale
        self._max_age = webapp_max_age
        self.notifier = ScreenNotifier()
        self._runner: web.AppRunner | None = None
        self._streams: set[web.StreamResponse] = set()
        # Routes other adapters add before start (the Telegram webhook, in bot/webhook.py).
        self._extra: list[web.RouteDef] = []
        # `/healthz`: (healthy, details) from the bot (database, dispatcher tick age).
        self.health: Callable[[], Awaitable[tuple[bool, dict[str, object]]]] | None = None

    def add_route(self, method: str, path: str, handler: _Handler) -> None:
        """Serve `handler` at `path` too (before `start`)."""
        self._extra.append(web.route(method, path, handler))

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def public_url(self) -> str:
        return self._public_url or f"http://{self._host}:{self._port}"

    @property
    def secret(self) -> bytes:
        """What screen tokens are derived with: the bot token, which the server keeps anyway."""
        return self._secret

    async def _healthz(self, request: web.Request) -> web.Response:
        """For Docker's HEALTHCHECK and Kubernetes probes: 200 when the process answers, the
        database does and the dispatcher ticks; 503 otherwise. Names no ward or patient."""
        healthy, details = (True, {}) if self.health is None else await self.health()
        body = {"status": "ok" if healthy else "unhealthy", **details}
        return web.json_response(body, status=200 if healthy else 503, headers=_NO_STORE)

    def display_url(self, token: str) -> str:
        return f"{self.public_url}/display/{token}"

    def app_url(self) -> str:
        return f"{self.public_url}/app"

    async def start(self) -> None:
        app = web.Application()
        app.add_routes(
            [
                web.get("/display/{token}", self._display_page),
                web.get("/display/{token}/board", self._display_board),
                web.get("/display/{token}/events", self._display_events),
                web.get("/app", self._app_page),
                web.get("/app/board", self._app_board),
                web.get("/app/events", self._app_events),
                web.get("/static/{name}", self._static),
                web.get("/healthz", self._healthz),
                *self._extra,
            ]
        )
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self._port = int(sockets[0].getsockname()[1])
        log.info("station screen server listening on %s:%s", self._host, self._port)
        if not self._public_url and self._host in ("0.0.0.0", "::", ""):
            log.warning("set WARDBOARD_PUBLIC_URL: screen links would name %s", self.public_url)

    async def stop(self) -> None:
        self.notifier.close()
        for stream in list(self._streams):
            with contextlib.suppress(Exception):
                await stream.write_eof()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- the station screen ---------------------------------------------------------------

    async def _screen(self, token: str) -> tuple[Ward, Shown, Texts]:
        async with self._uow() as uow:
            opened = await displays.open_display(uow, token=token, secret=self._secret)
            if opened is None:
                raise _Denied
            ward, display = opened
            t = texts(ward.locale, ward.timezone)
            view = await self._view(uow, ward, t, full_names=display.names_full)
        return ward, view, t

    async def _view(self, uow: UnitOfWork, ward: Ward, t: Texts, *, full_names: bool) -> Shown:
        data = await load_board(uow, self._clock, ward=ward)
        policy = await tasks.get_policy(uow, ward=ward)
        return Shown(station_view(data, t, full_names=full_names), policy.colours)

    async def _display_page(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        try:
            ward, data, t = await self._screen(token)
        except _Denied:
            raise web.HTTPNotFound() from None
        base = f"/display/{token}"
        page = render_shell(
            t=t,
            title=ward.name,
            board_url=f"{base}/board",
            events_url=f"{base}/events",
            fragment=render_fragment(data.view, t, colours=data.colours),
        )
        return web.Response(text=page, content_type="text/html", headers=_PAGE_HEADERS)

    async def _display_board(self, request: web.Request) -> web.StreamResponse:
        try:
            _, data, t = await self._screen(request.match_info["token"])
        except _Denied:
            raise web.HTTPNotFound() from None
        return web.Response(
            text=render_fragment(data.view, t, colours=data.colours),
            content_type="text/html",
            headers=_NO_STORE,
        )

    async def _display_events(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]

        async def ward_id() -> int:
            async with self._uow() as uow:
                opened = await displays.open_display(uow, token=token, secret=self._secret)
            if opened is None:
                raise _Denied
            return opened[0].id

        return await self._events(request, ward_id)

    # --- the Mini App ---------------------------------------------------------------------

    async def _member_ward(self, request: web.Request) -> tuple[Ward, Shown, Texts]:
        user = check_init_data(
            request.query.get("auth", ""),
            bot_token=self._token,
            now=self._clock.now(),
            max_age=self._max_age,
        )
        if user is None:
            raise _Denied
        async with self._uow() as uow:
            try:
                ward, _ = await services.current_ward(uow, user_id=user.user_id)
            except WardError:
                raise _Denied from None
            prefs = await uow.users.get(user.user_id)
            locale = prefs.locale if prefs is not None and prefs.locale else ward.locale
            t = texts(locale, ward.timezone)
            # Full names: the launch data proves an approved member of this ward.
            view = await self._view(uow, ward, t, full_names=True)
        return ward, view, t

    async def _app_page(self, request: web.Request) -> web.StreamResponse:
        # The shell holds no data: the script sends the launch data for the board.
        t = texts(self._locale)
        page = render_shell(
            t=t, title="WardBoard", board_url="/app/board", events_url="/app/events", app=True
        )
        return web.Response(text=page, content_type="text/html", headers=_PAGE_HEADERS)

    async def _app_board(self, request: web.Request) -> web.StreamResponse:
        try:
            _, data, t = await self._member_ward(request)
        except _Denied:
            raise web.HTTPForbidden() from None
        return web.Response(
            text=render_fragment(data.view, t, colours=data.colours),
            content_type="text/html",
            headers=_NO_STORE,
        )

    async def _app_events(self, request: web.Request) -> web.StreamResponse:
        async def ward_id() -> int:
            ward, _, _ = await self._member_ward(request)
            return ward.id

        return await self._events(request, ward_id, forbidden=True)

    # --- shared -------------------------------------------------------------------------

    async def _events(
        self,
        request: web.Request,
        ward_id: Callable[[], Awaitable[int]],
        *,
        forbidden: bool = False,
    ) -> web.StreamResponse:
        """A server-sent event stream: "changed" for each change, until the link stops."""
        try:
            ward = await ward_id()
        except _Denied:
            raise (web.HTTPForbidden() if forbidden else web.HTTPNotFound()) from None
        response = web.StreamResponse(
            headers={**_NO_STORE, "Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        self._streams.add(response)
        try:
            # Reconnect a second after a drop; the page re-fetches the board when it does.
            await response.write(b"retry: 1000\n\n")
            seen = self.notifier.version(ward)
            while not self.notifier.closed:
                version = await self.notifier.wait(ward, seen, _KEEPALIVE_SECONDS)
                if self.notifier.closed:
                    break
                if version == seen:
                    await response.write(b": keep-alive\n\n")
                    continue
                seen = version
                try:
                    # A rotated or revoked link stops at once, open streams included.
                    await ward_id()
                except _Denied:
                    await response.write(b"event: gone\ndata: gone\n\n")
                    break
                await response.write(f"event: changed\ndata: {version}\n\n".encode())
        except ConnectionResetError:
            pass
        finally:
            self._streams.discard(response)
        return response

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == "font.otf":
            data = await asyncio.to_thread(_font)
            return web.Response(
                body=data,
                content_type="font/otf",
                headers={"Cache-Control": "public, max-age=86400"},
            )
        if name not in ("screen.js", "screen.css"):
            raise web.HTTPNotFound()
        text = resources.files("bot.web").joinpath("static", name).read_text(encoding="utf-8")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return web.Response(text=text, content_type=kind, headers={"Cache-Control": "no-cache"})
