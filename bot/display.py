"""`/display`: the head nurse gives, rotates and revokes the station screen's link."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from boards import displays
from boards.errors import BadInput, Forbidden
from bot.runtime import SCREEN_KEY
from bot.turn import Turn
from bot.web import ScreenServer

__all__ = ["DISPLAY_COMMANDS", "screen_server"]

Action = Callable[[Turn, list[str]], Awaitable[None]]


def screen_server(tn: Turn) -> ScreenServer | None:
    server = tn.runtime.extras.get(SCREEN_KEY)
    return server if isinstance(server, ScreenServer) else None


async def _display(tn: Turn, args: list[str]) -> None:
    """`/display` the link; `new` rotates it; `off` revokes it; `names full|masked`."""
    if not tn.private:
        raise Forbidden("err.private_only")
    ward, me = await tn.ward()
    if not me.is_head:
        raise Forbidden("err.head_only")
    words = [a.lower() for a in args]
    server = screen_server(tn)
    clock = tn.runtime.clock
    name = html.escape(ward.name)
    if words == ["off"]:
        revoked = await displays.revoke_display(tn.uow, clock, actor=tn.actor, ward=ward)
        await tn.commit()
        if server is not None:
            server.notifier.changed(ward.id)
        await tn.reply(tn.t("display.revoked" if revoked else "display.revoked_none", ward=name))
        return
    if len(words) == 2 and words[0] == "names" and words[1] in ("full", "masked"):
        full = words[1] == "full"
        await displays.display_names(tn.uow, clock, actor=tn.actor, ward=ward, full=full)
        await tn.commit()
        if server is not None:
            server.notifier.changed(ward.id)
        await tn.reply(tn.t("display.names_full" if full else "display.names_masked", ward=name))
        return
    if words not in ([], ["new"]):
        raise BadInput("err.missing_args")
    if server is None:
        await tn.reply(tn.t("display.no_server"))
        return
    token, shown, changed = await displays.display_link(
        tn.uow, clock, actor=tn.actor, ward=ward, secret=server.secret, new=bool(words)
    )
    await tn.commit()
    if changed:
        # Screens still open on the old link go blank now.
        server.notifier.changed(ward.id)
    names = tn.t("display.names.full" if shown.names_full else "display.names.masked")
    key = "display.rotated" if words else "display.link"
    await tn.reply(tn.t(key, ward=name, link=html.escape(server.display_url(token)), names=names))


DISPLAY_COMMANDS: dict[str, Action] = {"display": _display}
