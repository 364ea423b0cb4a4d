"""The board's data assembled in one place: lists, bedside state, reminders, transfers.

A board is read as of the current minute, and kept: the same ward read again in the same
minute, at the same version of its board (kept by the database, migration 0016), is the
same board, and is not read again. Its group's refresh after a change and a nurse's
/board just after it, or the station screen's poll, read it once. A transaction that has
changed something reads it afresh and keeps nothing (its changes may yet roll back), and
so does a board with a transfer pending (it shows another ward's patient and name).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime

from boards import bedside, quality, tasks, transfers
from boards.board_data import BoardData, TransferLine
from boards.clock import ManualClock
from boards.memo import remember_patient_text
from boards.model import Ward
from boards.ports import Clock, UnitOfWork

__all__ = ["KEPT_BOARDS", "forget_boards", "load_board"]

# Boards kept, the least recently read dropped first: a 60-bed board is some 60 KB, and a process
# serves a few dozen wards' boards in a minute.
KEPT_BOARDS = 64
_kept: OrderedDict[tuple[Hashable, Ward, datetime], BoardData] = OrderedDict()


def forget_boards() -> int:
    """Drop every kept board (they hold names and diagnoses); how many there were."""
    dropped = len(_kept)
    _kept.clear()
    return dropped


remember_patient_text(forget_boards)


async def load_board(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> BoardData:
    """Everything the board and the station screen show: today's lists, bedside tags and
    lines, the reminder area and each bed's overdue tasks, pending transfers both ways, the
    ward's safety days; as of the current minute."""
    # Every part of the board is read as of this one instant (a clock that does not move).
    now = clock.now().replace(second=0, microsecond=0)
    stamp = await uow.board_stamp(ward.id)
    if stamp is None:
        return await _read(uow, ManualClock(now), ward)
    key = (stamp, ward, now)
    data = _kept.get(key)
    if data is not None:
        _kept.move_to_end(key)
        return data
    data = await _read(uow, ManualClock(now), ward)
    if data.arrivals or data.outgoing:
        # Another ward's patient and name are on it, which that ward's changes do not
        # version here: read afresh each time while a transfer is pending.
        return data
    _kept[key] = data
    while len(_kept) > KEPT_BOARDS:
        _kept.popitem(last=False)
    return data


async def _read(uow: UnitOfWork, clock: Clock, ward: Ward) -> BoardData:
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
