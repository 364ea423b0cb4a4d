"""A census file against the ward: what to admit, update, leave; applied all or nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from boards import services
from boards.access import Actor, record_audit, require_member
from boards.census.rows import CensusRow, CensusTable, RowError
from boards.errors import BadInput
from boards.model import Stay, Ward
from boards.ports import Clock, UnitOfWork

__all__ = ["CensusPlan", "CensusResult", "PlannedUpdate", "apply_census", "plan_census"]

# What the audit log says of every change an import made (the actor is the nurse).
SOURCE = "import"


@dataclass(frozen=True, slots=True)
class PlannedUpdate:
    """A patient of the ward the file lists with other details (or in another bed)."""

    row: CensusRow
    stay: Stay
    # The stay's fields that change ("bed" for a move), in a fixed order.
    fields: tuple[str, ...]

    @property
    def after(self) -> Stay:
        return _updated(self.stay, self.row)


@dataclass(frozen=True, slots=True)
class CensusPlan:
    ward_id: int
    admit: tuple[CensusRow, ...]
    update: tuple[PlannedUpdate, ...]
    unchanged: tuple[Stay, ...]
    # Patients in the ward that the file does not list: never discharged by an import.
    missing: tuple[Stay, ...]
    errors: tuple[RowError, ...]
    ignored: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> int:
        return len(self.admit) + len(self.update)


@dataclass(frozen=True, slots=True)
class CensusResult:
    admitted: tuple[Stay, ...]
    updated: tuple[Stay, ...]
    plan: CensusPlan


_FIELDS = (
    "bed",
    "name",
    "sex",
    "age",
    "diagnosis",
    "level",
    "admitted_at",
    "admission_no",
    "visit_no",
)


def _updated(stay: Stay, row: CensusRow) -> Stay:
    """The stay as the file describes it: what the file leaves blank stays as it was."""
    return dataclasses.replace(
        stay,
        bed=row.bed,
        name=row.name,
        sex=row.sex,
        age=row.age,
        diagnosis=row.diagnosis if row.diagnosis is not None else stay.diagnosis,
        level=row.level if row.level is not None else stay.level,
        admitted_at=row.admitted_at if row.admitted_at is not None else stay.admitted_at,
        admission_no=row.admission_no or stay.admission_no,
        visit_no=row.visit_no or stay.visit_no,
    )


def _changed(stay: Stay, row: CensusRow) -> tuple[str, ...]:
    after = _updated(stay, row)
    return tuple(f for f in _FIELDS if getattr(stay, f) != getattr(after, f))


def _same_name(stay: Stay, row: CensusRow) -> bool:
    return stay.name.replace(" ", "") == row.name.replace(" ", "")


async def plan_census(uow: UnitOfWork, *, ward: Ward, table: CensusTable) -> CensusPlan:
    """Match the file's rows to the ward's patients, by admission number, never by name.

    A row with an admission number is the active patient with that number, wherever she
    lies now (a different bed is a move). Without a match it is a new admission; if its
    bed holds a patient with no admission number under the same name, that patient is
    taken to be her and the number is recorded. A row without an admission number matches
    only a patient of that bed who has none either, under the same name. A row whose bed
    stays held by a patient the file does not move away is an error, as are two rows of
    one bed or one admission number.
    """
    errors = list(table.errors)
    active = await uow.stays.active(ward.id)
    by_bed = {s.bed: s for s in active}
    by_number = {s.admission_no: s for s in active if s.admission_no}
    rows = _unique(table.rows, errors)
    matched: dict[int, Stay] = {}  # row number -> stay
    for row in rows:
        stay = by_number.get(row.admission_no) if row.admission_no else None
        if stay is None:
            occupant = by_bed.get(row.bed)
            if (
                occupant is not None
                and occupant.admission_no is None
                and _same_name(occupant, row)
            ):
                stay = occupant
        if stay is not None and stay.id not in {s.id for s in matched.values()}:
            matched[row.row] = stay
    claimed = {s.id for s in matched.values()}
    admit: list[CensusRow] = []
    update: list[PlannedUpdate] = []
    unchanged: list[Stay] = []
    for row in rows:
        occupant = by_bed.get(row.bed)
        if occupant is not None and occupant.id not in claimed:
            # The bed stays taken by someone the file does not list elsewhere.
            if occupant.admission_no is None:
                errors.append(RowError(row.row, "census.err_bed_unnumbered", {"bed": row.bed}))
            else:
                errors.append(
                    RowError(
                        row.row,
                        "census.err_bed_taken",
                        {"bed": row.bed, "number": occupant.admission_no},
                    )
                )
            continue
        stay = matched.get(row.row)
        if stay is None:
            admit.append(row)
        elif fields := _changed(stay, row):
            update.append(PlannedUpdate(row, stay, fields))
        else:
            unchanged.append(stay)
    missing = tuple(s for s in active if s.id not in claimed)
    errors.sort(key=lambda e: e.row)
    return CensusPlan(
        ward.id,
        tuple(admit),
        tuple(update),
        tuple(unchanged),
        missing,
        tuple(errors),
        table.ignored,
    )


def _unique(rows: Sequence[CensusRow], errors: list[RowError]) -> list[CensusRow]:
    beds: dict[str, int] = {}
    numbers: dict[str, int] = {}
    visits: dict[str, int] = {}
    kept: list[CensusRow] = []
    for row in rows:
        if row.bed in beds:
            errors.append(
                RowError(row.row, "census.err_same_bed", {"bed": row.bed, "first": beds[row.bed]})
            )
            continue
        if row.admission_no and row.admission_no in numbers:
            errors.append(
                RowError(
                    row.row,
                    "census.err_same_number",
                    {"number": row.admission_no, "first": numbers[row.admission_no]},
                )
            )
            continue
        if row.visit_no and row.visit_no in visits:
            errors.append(
                RowError(
                    row.row,
                    "census.err_same_visit",
                    {"number": row.visit_no, "first": visits[row.visit_no]},
                )
            )
            continue
        beds[row.bed] = row.row
        if row.admission_no:
            numbers[row.admission_no] = row.row
        if row.visit_no:
            visits[row.visit_no] = row.row
        kept.append(row)
    return kept


def _audit_value(stay: Stay, name: str) -> Any:
    value = getattr(stay, name)
    if value is None or isinstance(value, str):
        return value
    if name == "admitted_at":
        return value.isoformat()
    return str(value.value) if hasattr(value, "value") else str(value)


async def apply_census(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, plan: CensusPlan
) -> CensusResult:
    """Apply a plan made in this unit of work; the caller commits (or nothing is kept).

    Moves go through a temporary bed first, so two patients may swap beds in one file.
    """
    await require_member(uow, ward.id, actor.user_id)
    if plan.errors or plan.ward_id != ward.id:
        raise BadInput("census.err_not_applied")
    moving = [u for u in plan.update if "bed" in u.fields]
    for planned in moving:
        await uow.stays.update(dataclasses.replace(planned.stay, bed=f"~{planned.stay.id}"))
    updated: list[Stay] = []
    for planned in plan.update:
        after = await uow.stays.update(planned.after)
        updated.append(after)
        before = {f: _audit_value(planned.stay, f) for f in planned.fields}
        changes = {f: _audit_value(after, f) for f in planned.fields}
        action = "stay:move" if planned.fields == ("bed",) else "stay:update"
        await record_audit(
            uow,
            clock,
            actor,
            ward.id,
            action,
            f"bed {planned.stay.bed}",
            before=before,
            after={**changes, "source": SOURCE},
        )
    admitted: list[Stay] = []
    for row in plan.admit:
        admitted.append(
            await services.admit(
                uow,
                clock,
                actor=actor,
                ward=ward,
                bed=row.bed,
                name=row.name,
                sex=row.sex,
                age=row.age,
                diagnosis=row.diagnosis,
                level=row.level,
                admission_no=row.admission_no,
                admitted_at=row.admitted_at,
                source=SOURCE,
                visit_no=row.visit_no,
            )
        )
    return CensusResult(tuple(admitted), tuple(updated), plan)
