"""The hospital boundary: who operates this deployment, creates wards and names head nurses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from boards.errors import BadInput, Forbidden
from boards.model import AuditEntry, Operator
from boards.ports import Clock, UnitOfWork
from boards.text import BIGINT_MAX, is_number

__all__ = [
    "Hospital",
    "add_operator",
    "load_hospital",
    "parse_operator_ids",
    "remove_operator",
    "require_operator",
]


@dataclass(frozen=True, slots=True)
class Hospital:
    """The operators of this deployment: from WARDBOARD_ADMINS and from `wardboard admin`.

    With none (a single ward trying the bot out) the hospital is open: anyone may create a
    ward, and its creator is its head nurse.
    """

    operators: frozenset[int]

    @property
    def open(self) -> bool:
        return not self.operators

    def is_operator(self, user_id: int) -> bool:
        return user_id in self.operators


def parse_operator_ids(text: str | None) -> frozenset[int]:
    """`WARDBOARD_ADMINS`: Telegram user ids separated by commas (or spaces)."""
    if not text:
        return frozenset()
    ids: set[int] = set()
    for word in text.replace(",", " ").split():
        if not is_number(word, most=BIGINT_MAX) or int(word) == 0:
            raise ValueError("WARDBOARD_ADMINS must be Telegram user ids separated by commas")
        ids.add(int(word))
    return frozenset(ids)


async def load_hospital(uow: UnitOfWork, configured: Iterable[int] = ()) -> Hospital:
    stored = {o.user_id for o in await uow.operators.all()}
    return Hospital(frozenset(stored | set(configured)))


def require_operator(hospital: Hospital, user_id: int) -> None:
    """Ward creation and head nurses are the operators' once there are operators."""
    if not hospital.open and not hospital.is_operator(user_id):
        raise Forbidden("err.operator_only")


async def add_operator(
    uow: UnitOfWork, clock: Clock, *, user_id: int, by: int | None = None, note: str | None = None
) -> Operator:
    if not 0 < user_id < 2**63:
        raise BadInput("err.user_id_form")
    operator = await uow.operators.add(Operator(user_id, clock.now(), by, note))
    await _audit(uow, clock, by, "operator:add", user_id)
    return operator


async def remove_operator(
    uow: UnitOfWork, clock: Clock, *, user_id: int, by: int | None = None
) -> bool:
    removed = await uow.operators.remove(user_id)
    if removed:
        await _audit(uow, clock, by, "operator:remove", user_id)
    return removed


async def _audit(uow: UnitOfWork, clock: Clock, by: int | None, action: str, user_id: int) -> None:
    # 0 stands for the server console: the change was made with `wardboard admin`.
    await uow.audit.add(
        AuditEntry(
            ward_id=None, actor_id=by or 0, at=clock.now(), action=action, target=str(user_id)
        )
    )
