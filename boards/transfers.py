"""Two-step transfers: a ward offers a patient to another ward of the hospital, which accepts.

Until the receiving ward accepts, the patient stays where she is (转出中 on the sending
board) and the receiving ward sees a masked arrival only (待接收: bed wanted, masked name,
which ward): nothing of the record crosses before a member of the receiving ward says yes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from boards.access import (
    Actor,
    new_stay_token,
    occupant,
    record_audit,
    require_member,
    stay_audit,
)
from boards.errors import BadInput, Conflict, Forbidden, NotFound
from boards.model import Stay, StayStatus, Transfer, TransferState, Ward
from boards.parsing import parse_bed
from boards.ports import Clock, UnitOfWork
from boards.text import clean_text

__all__ = [
    "Arrival",
    "TransferRequest",
    "accept_transfer",
    "cancel_transfer",
    "cancel_transfer_of_bed",
    "offer_transfer",
    "parse_transfer_request",
    "pending_arrivals",
    "reject_transfer",
    "transfer_targets",
]

_CANCEL_WORDS = {"cancel", "取消", "撤回"}


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """`/transfer 床号 [目标床号]` offers the patient; `/transfer 床号 取消` withdraws it."""

    bed: str
    target_bed: str | None = None
    cancel: bool = False


@dataclass(frozen=True, slots=True)
class Arrival:
    """What a receiving ward may see of an offered patient before accepting."""

    transfer: Transfer
    stay: Stay
    from_ward: Ward


def parse_transfer_request(args: Sequence[str], *, bed_count: int | None) -> TransferRequest:
    if not args or len(args) > 2:
        raise BadInput("err.missing_args" if not args else "err.extra_args")
    bed = parse_bed(args[0], bed_count=bed_count)
    if len(args) == 1:
        return TransferRequest(bed)
    if clean_text(args[1]).lower() in _CANCEL_WORDS:
        return TransferRequest(bed, cancel=True)
    # The bed wanted is in the other ward: its own bed count is checked when offered.
    return TransferRequest(bed, parse_bed(args[1]))


async def transfer_targets(uow: UnitOfWork, *, ward: Ward) -> list[Ward]:
    """The wards of this hospital a patient of `ward` can be offered to."""
    return [w for w in await uow.wards.all() if w.id != ward.id]


async def _outgoing(uow: UnitOfWork, ward: Ward, stay: Stay) -> Transfer | None:
    return next(
        (t for t in await uow.transfers.pending_from(ward.id) if t.stay_id == stay.id), None
    )


async def offer_transfer(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    stay_id: int,
    target_ward_id: int,
    target_bed: str | None,
) -> tuple[Stay, Transfer, Ward]:
    """Offer the patient in `bed` (who must still be `stay_id`) to another ward."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    if stay.id != stay_id:
        raise Conflict("err.bed_changed", bed=bed)
    target = await uow.wards.get(target_ward_id)
    if target is None:
        raise NotFound("err.transfer_target")
    if target.id == ward.id:
        raise BadInput("err.transfer_same_ward")
    if await _outgoing(uow, ward, stay) is not None:
        raise Conflict("err.transfer_pending", bed=bed)
    wanted = target_bed or stay.bed
    if target.bed_count is not None and wanted.isdigit() and int(wanted) > target.bed_count:
        raise BadInput("err.bed_range", bed=wanted, count=target.bed_count)
    transfer = await uow.transfers.add(
        Transfer(
            id=0,
            stay_id=stay.id,
            from_ward_id=ward.id,
            to_ward_id=target.id,
            bed_wanted=wanted,
            state=TransferState.PENDING,
            requested_by=actor.user_id,
            requested_at=clock.now(),
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "transfer:offer",
        f"bed {bed}",
        after={"to_ward": target.id, "bed_wanted": wanted, "transfer": transfer.id},
    )
    return stay, transfer, target


async def cancel_transfer(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, transfer_id: int
) -> tuple[Transfer, Stay]:
    """The sending ward withdraws its offer before it is accepted."""
    await require_member(uow, ward.id, actor.user_id)
    offer = await uow.transfers.get(transfer_id)
    if offer is None or offer.from_ward_id != ward.id:
        raise Forbidden("err.not_member")
    done = await uow.transfers.decide(
        transfer_id, state=TransferState.CANCELLED, by=actor.user_id, at=clock.now()
    )
    if done is None:
        raise Conflict("err.transfer_decided")
    stay = await uow.stays.get(offer.stay_id)
    assert stay is not None
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "transfer:cancel",
        f"bed {stay.bed}",
        after={"transfer": offer.id},
    )
    return done, stay


async def cancel_transfer_of_bed(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str
) -> tuple[Transfer, Stay]:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    offer = await _outgoing(uow, ward, stay)
    if offer is None:
        raise NotFound("err.transfer_none", bed=bed)
    return await cancel_transfer(uow, clock, actor=actor, ward=ward, transfer_id=offer.id)


async def _incoming(uow: UnitOfWork, ward: Ward, transfer_id: int) -> Transfer:
    offer = await uow.transfers.get(transfer_id)
    if offer is None or offer.to_ward_id != ward.id:
        # Whatever the id names, a ward learns nothing of offers made to another.
        raise NotFound("err.transfer_unknown", n=transfer_id)
    if not offer.pending:
        raise Conflict("err.transfer_decided")
    return offer


async def reject_transfer(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, transfer_id: int
) -> Transfer:
    await require_member(uow, ward.id, actor.user_id)
    offer = await _incoming(uow, ward, transfer_id)
    done = await uow.transfers.decide(
        offer.id, state=TransferState.REJECTED, by=actor.user_id, at=clock.now()
    )
    if done is None:
        raise Conflict("err.transfer_decided")
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "transfer:reject",
        f"transfer {offer.id}",
        after={"from_ward": offer.from_ward_id},
    )
    return done


async def accept_transfer(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    transfer_id: int,
    bed: str | None = None,
) -> tuple[Transfer, Stay, Stay, Ward]:
    """The receiving ward takes the patient: the old stay ends, a new one starts here."""
    await require_member(uow, ward.id, actor.user_id)
    offer = await _incoming(uow, ward, transfer_id)
    landing = bed or offer.bed_wanted
    if landing is None:
        raise BadInput("err.transfer_bed_needed", n=offer.id)
    landing = parse_bed(landing, bed_count=ward.bed_count)
    if await uow.stays.active_in_bed(ward.id, landing) is not None:
        raise Conflict("err.transfer_bed_taken", bed=landing, n=offer.id)
    stay = await uow.stays.get(offer.stay_id)
    source = await uow.wards.get(offer.from_ward_id)
    if stay is None or source is None or not stay.active:
        raise Conflict("err.transfer_decided")
    now = clock.now()
    ended = await uow.stays.update(
        dataclasses.replace(
            stay,
            status=StayStatus.TRANSFERRED,
            ended_at=now,
            transferred_to=ward.name,
            # The sign's QR stops working the moment the patient leaves the bed.
            token=new_stay_token(),
        )
    )
    arrived = await uow.stays.add(
        dataclasses.replace(
            stay,
            id=0,
            ward_id=ward.id,
            bed=landing,
            admitted_at=now,
            token=new_stay_token(),
            transferred_from=source.name,
        )
    )
    done = await uow.transfers.decide(
        offer.id, state=TransferState.ACCEPTED, by=actor.user_id, at=now, new_stay_id=arrived.id
    )
    if done is None:
        raise Conflict("err.transfer_decided")
    await record_audit(
        uow,
        clock,
        actor,
        source.id,
        "stay:transfer_out",
        f"bed {stay.bed}",
        before=stay_audit(stay),
        after=stay_audit(ended),
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "stay:transfer_in",
        f"bed {landing}",
        after=stay_audit(arrived),
    )
    return done, ended, arrived, source


async def pending_arrivals(
    uow: UnitOfWork, *, ward: Ward, offers: Sequence[Transfer] | None = None
) -> list[Arrival]:
    """The offers waiting for this ward, with what it may see of each (`offers`: the
    ward's pending ones, if read already)."""
    if offers is None:
        offers = await uow.transfers.pending_to(ward.id)
    else:
        offers = [t for t in offers if t.to_ward_id == ward.id]
    stays = {s.id: s for s in await uow.stays.many([t.stay_id for t in offers])}
    wards = {w.id: w for w in await uow.wards.many([t.from_ward_id for t in offers])}
    return [
        Arrival(t, stays[t.stay_id], wards[t.from_ward_id])
        for t in offers
        if t.stay_id in stays and t.from_ward_id in wards
    ]
