"""What the adapters read without changing anything: wards, people, patients, tasks by id."""

from __future__ import annotations

from collections.abc import Iterable

from boards.model import Member, MemberStatus, Stay, TaskOccurrence, Ward
from boards.ports import UnitOfWork

__all__ = [
    "headed_wards",
    "heads_of",
    "in_bed",
    "listed_members",
    "member_names",
    "my_wards",
    "patients",
    "stay",
    "stays",
    "task",
    "ward",
    "wards",
]

# These read only; who may see what is decided by the caller's turn (`Turn.ward()`, a
# service's `require_member`) before anything read here is shown.


async def ward(uow: UnitOfWork, *, ward_id: int) -> Ward | None:
    return await uow.wards.get(ward_id)


async def wards(uow: UnitOfWork, ward_ids: Iterable[int]) -> dict[int, Ward]:
    """These wards by id (an unknown id is left out)."""
    return {w.id: w for w in await uow.wards.many(sorted(set(ward_ids)))}


async def my_wards(uow: UnitOfWork, *, user_id: int) -> list[Ward]:
    """The wards the person is an approved member of."""
    mine = [m.ward_id for m in await uow.members.of_user(user_id) if m.approved]
    return await uow.wards.many(mine) if mine else []


async def headed_wards(uow: UnitOfWork, *, user_id: int) -> list[Ward]:
    """The wards the person is a head nurse of."""
    heads = [m.ward_id for m in await uow.members.of_user(user_id) if m.is_head]
    return await uow.wards.many(heads) if heads else []


async def heads_of(uow: UnitOfWork, *, ward_id: int) -> list[Member]:
    return [m for m in await uow.members.of_ward(ward_id) if m.is_head]


async def listed_members(uow: UnitOfWork, *, ward_id: int) -> list[Member]:
    """The ward's people as `/members` lists them: approved and waiting for approval."""
    return [
        m
        for m in await uow.members.of_ward(ward_id)
        if m.status in (MemberStatus.APPROVED, MemberStatus.PENDING)
    ]


async def member_names(uow: UnitOfWork, *, ward_id: int) -> dict[int, str]:
    """The display name of each of the ward's people, by user id (who did a task)."""
    return {m.user_id: m.display_name for m in await uow.members.of_ward(ward_id)}


async def stay(uow: UnitOfWork, *, stay_id: int) -> Stay | None:
    return await uow.stays.get(stay_id)


async def stays(uow: UnitOfWork, stay_ids: Iterable[int]) -> dict[int, Stay]:
    """These stays by id (an unknown id is left out)."""
    return {s.id: s for s in await uow.stays.many(sorted(set(stay_ids)))}


async def patients(uow: UnitOfWork, *, ward_id: int) -> list[Stay]:
    """The ward's patients now (active stays)."""
    return await uow.stays.active(ward_id)


async def in_bed(uow: UnitOfWork, *, ward_id: int, bed: str) -> Stay | None:
    """The patient in this bed now, if any (`boards.access.occupant` refuses an empty bed)."""
    return await uow.stays.active_in_bed(ward_id, bed)


async def task(uow: UnitOfWork, *, task_id: int) -> TaskOccurrence | None:
    return await uow.tasks.get(task_id)
