"""`/hiscode`: the head nurse maps her ward to its point-of-care code in the HIS feed."""

from __future__ import annotations

import html

from boards.access import require_head
from boards.errors import BadInput
from boards.feed.codes import parse_his_code, set_his_code
from bot.turn import Turn

__all__ = ["HL7_COMMANDS"]


async def _hiscode(tn: Turn, args: list[str]) -> None:
    """`/hiscode 4A` maps the ward, `/hiscode off` unmaps it, bare shows the mapping."""
    ward, _ = await tn.ward()
    await require_head(tn.uow, ward.id, tn.user_id)
    if not args:
        if ward.his_code is None:
            await tn.reply(tn.t("hiscode.none"))
        else:
            await tn.reply(tn.t("hiscode.show", code=html.escape(ward.his_code)))
        return
    if len(args) > 1:
        raise BadInput("err.extra_args")
    code = parse_his_code(args[0])
    ward = await set_his_code(tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, code=code)
    await tn.commit()
    if code is None:
        await tn.reply(tn.t("hiscode.off", ward=html.escape(ward.name)))
    else:
        await tn.reply(tn.t("hiscode.ok", ward=html.escape(ward.name), code=html.escape(code)))


HL7_COMMANDS = {"hiscode": _hiscode}
