"""The board's data assembled in one place: lists, bedside state, reminders, transfers."""

from __future__ import annotations

import dataclasses

from boards import bedside, quality, tasks, transfers
from boards.board_data import BoardData, TransferLine
from boards.model import Ward
from boards.ports import Clock, UnitOfWork

__all__ = ["load_board"]


async def load_board(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> BoardData:
    """Everything the board and the station screen show: today's lists, bedside tags and
    lines, the reminder area and each bed's overdue tasks, pending transfers both ways, the
    ward's safety days."""
    data = await bedside.board_with_bedside(uow, clock, ward=ward)
    policy = await tasks.get_policy(uow, ward=ward)
    # Both ways in one read: offers waiting here, and this ward's own still undecided.
    pending = await uow.transfers.pending_of(ward.id)
    arrivals = [
        TransferLine(a.transfer.bed_wanted or "?", a.stay.name, a.from_ward.name)
        for a in await transfers.pending_arrivals(uow, ward=ward, offers=pending)
    ]
    offers = [t for t in pending if t.from_ward_id == ward.id]
    stays = {s.id: s for s in data.active}
    targets = {w.id: w.name for w in await uow.wards.many([o.to_ward_id for o in offers])}
    outgoing = [
        TransferLine(stays[o.stay_id].bed, stays[o.stay_id].name, targets.get(o.to_ward_id, "?"))
        for o in offers
        if o.stay_id in stays
    ]
    summary, overdue = await tasks.board_reminders(
        uow, clock, ward=ward, active=data.active, policy=policy
    )
    return dataclasses.replace(
        data,
        reminders=summary,
        group_notes=policy.group_notes,
        arrivals=tuple(arrivals),
        outgoing=tuple(outgoing),
        overdue_tasks=overdue,
        safety=tuple(
            (c.types[0].value, c.days) for c in await quality.safety_days(uow, clock, ward=ward)
        ),
    )
