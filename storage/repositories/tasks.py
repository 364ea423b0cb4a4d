"""The task occurrence repository: materialising, closing, claiming and delivering tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, Update, bindparam, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from boards.model import (
    GroupProblem,
    OpenTask,
    StayStatus,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
)
from storage.models import (
    PatientLineRow,
    StayRow,
    TaskHorizonRow,
    TaskOccurrenceRow,
    WardRow,
)
from storage.repositories._base import _Repository, _utc, _utc_or_none, among

# --- task occurrences: materialising, closing, claiming and delivering --------------------

_TASK_LOCK = 0x5441534B  # "TASK": the first key of the two-key advisory lock, per ward
_CLAIM_LOCK = 0x434C4D  # "CLM": a ward being claimed
# Rows per INSERT: SQLite allows 32,766 bound values per statement, a task row binds 23.
_CHUNK = 500
_PENDING = TaskStatus.PENDING.value


# Enum lookups by value, as dicts: thousands of rows are read at 08:00.
_KIND = {member.value: member for member in TaskKind}
_STATUS = {member.value: member for member in TaskStatus}


def _task(row: TaskOccurrenceRow | Row[Any]) -> TaskOccurrence:
    return TaskOccurrence(
        id=row.id,
        ward_id=row.ward_id,
        stay_id=row.stay_id,
        kind=_KIND[row.kind],
        source_id=row.source_id,
        rule_code=row.rule_code,
        planned_at=_utc(row.planned_at),
        due_at=_utc(row.due_at),
        remind_at=_utc(row.remind_at),
        text=row.text,
        created_at=_utc(row.created_at),
        status=_STATUS[row.status],
        done_at=_utc_or_none(row.done_at),
        done_by=row.done_by,
        skip_reason=row.skip_reason,
        cancelled_at=_utc_or_none(row.cancelled_at),
        sent_at=_utc_or_none(row.sent_at),
        message_chat_id=row.message_chat_id,
        message_id=row.message_id,
        escalated_at=_utc_or_none(row.escalated_at),
        lease_owner=row.lease_owner,
        lease_until=_utc_or_none(row.lease_until),
        late=bool(row.late),
    )


# A TaskOccurrence's columns in the order of its fields: a bulk read selects these and
# unpacks each row by position, an order of magnitude cheaper than by name (12,000 rows at
# 08:00); UtcDateTime hands datetimes back as aware UTC already.
_TASK_COLUMNS = (
    TaskOccurrenceRow.id,
    TaskOccurrenceRow.ward_id,
    TaskOccurrenceRow.stay_id,
    TaskOccurrenceRow.kind,
    TaskOccurrenceRow.source_id,
    TaskOccurrenceRow.rule_code,
    TaskOccurrenceRow.planned_at,
    TaskOccurrenceRow.due_at,
    TaskOccurrenceRow.remind_at,
    TaskOccurrenceRow.text,
    TaskOccurrenceRow.created_at,
    TaskOccurrenceRow.status,
    TaskOccurrenceRow.done_at,
    TaskOccurrenceRow.done_by,
    TaskOccurrenceRow.skip_reason,
    TaskOccurrenceRow.cancelled_at,
    TaskOccurrenceRow.sent_at,
    TaskOccurrenceRow.message_chat_id,
    TaskOccurrenceRow.message_id,
    TaskOccurrenceRow.escalated_at,
    TaskOccurrenceRow.lease_owner,
    TaskOccurrenceRow.lease_until,
    TaskOccurrenceRow.late,
)


if [c.key for c in _TASK_COLUMNS] != [f.name for f in fields(TaskOccurrence)]:
    raise ImportError("_TASK_COLUMNS no longer follows TaskOccurrence's fields")


def _task_of(row: Sequence[Any]) -> TaskOccurrence:
    """A row of `_TASK_COLUMNS` as the domain's task."""
    (
        id_,
        ward_id,
        stay_id,
        kind,
        source_id,
        rule_code,
        planned_at,
        due_at,
        remind_at,
        text_,
        created_at,
        status,
        done_at,
        done_by,
        skip_reason,
        cancelled_at,
        sent_at,
        message_chat_id,
        message_id,
        escalated_at,
        lease_owner,
        lease_until,
        late,
    ) = row
    return TaskOccurrence(
        id=id_,
        ward_id=ward_id,
        stay_id=stay_id,
        kind=_KIND[kind],
        source_id=source_id,
        rule_code=rule_code,
        planned_at=planned_at,
        due_at=due_at,
        remind_at=remind_at,
        text=text_,
        created_at=created_at,
        status=_STATUS[status],
        done_at=done_at,
        done_by=done_by,
        skip_reason=skip_reason,
        cancelled_at=cancelled_at,
        sent_at=sent_at,
        message_chat_id=message_chat_id,
        message_id=message_id,
        escalated_at=escalated_at,
        lease_owner=lease_owner,
        lease_until=lease_until,
        late=bool(late),
    )


def _claim_order(task: TaskOccurrence) -> tuple[int, datetime, int]:
    return (task.ward_id, task.remind_at, task.id)


def _task_values(task: TaskOccurrence) -> dict[str, Any]:
    return {
        "ward_id": task.ward_id,
        "stay_id": task.stay_id,
        "kind": task.kind.value,
        "source_id": task.source_id,
        "rule_code": task.rule_code,
        "planned_at": task.planned_at,
        "due_at": task.due_at,
        "remind_at": task.remind_at,
        "text": task.text,
        "created_at": task.created_at,
        "status": task.status.value,
        "done_at": task.done_at,
        "done_by": task.done_by,
        "skip_reason": task.skip_reason,
        "cancelled_at": task.cancelled_at,
        "sent_at": task.sent_at,
        "message_chat_id": task.message_chat_id,
        "message_id": task.message_id,
        "escalated_at": task.escalated_at,
        "lease_owner": task.lease_owner,
        "lease_until": task.lease_until,
        "late": task.late,
    }


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


_T = TaskOccurrenceRow
# Every board's and every /tasks' read, built once.
_OPEN_OF_WARD = (
    select(*_TASK_COLUMNS)
    .where(
        _T.ward_id == bindparam("ward_id"),
        _T.status == _PENDING,
        _T.due_at < bindparam("due_before"),
    )
    .order_by(_T.due_at, _T.id)
)
_OPEN_DUE_OF_WARD = (
    select(_T.stay_id, _T.due_at, _T.escalated_at)
    .where(
        _T.ward_id == bindparam("ward_id"),
        _T.status == _PENDING,
        _T.due_at < bindparam("due_before"),
    )
    .order_by(_T.due_at, _T.id)
)
# Never claim or escalate a task whose patient has left, or the care of a line taken out
# before the task's time: the tick may run before the next top-up cancels them.
_STAY_ACTIVE = (
    select(StayRow.id)
    .where(StayRow.id == _T.stay_id, StayRow.status == StayStatus.ACTIVE.value)
    .exists()
)
_LINE_GONE = (
    select(PatientLineRow.id)
    .where(
        PatientLineRow.id == _T.source_id,
        PatientLineRow.removed_at.is_not(None),
        PatientLineRow.removed_at <= _T.planned_at,
    )
    .exists()
)
_STILL_WANTED = (_STAY_ACTIVE, or_(_T.kind != TaskKind.LINE_CARE.value, ~_LINE_GONE))
# Reminders go to the ward group: a ward without one has nowhere to send them, nor one
# whose group the bot was removed from (until it is back), and claiming them only to
# release them again would spin every tick.
_DELIVERABLE = (
    select(WardRow.id)
    .where(
        WardRow.id == _T.ward_id,
        WardRow.group_chat_id.is_not(None),
        or_(
            WardRow.group_problem.is_(None),
            WardRow.group_problem != GroupProblem.REMOVED.value,
        ),
    )
    .exists()
)

# What may be claimed now: pending, not sent, its reminder time come, no live lease, its
# patient still here (and its line, for a line's care), its ward's group reachable.
_CLAIMABLE = (
    _T.status == _PENDING,
    _T.sent_at.is_(None),
    _T.remind_at <= bindparam("now"),
    or_(_T.lease_until.is_(None), _T.lease_until <= bindparam("now")),
    *_STILL_WANTED,
    _DELIVERABLE,
)


def _lease(chosen: Select[Any]) -> Update:
    """The chosen tasks leased, and read back in the same statement (no id list bound
    twice, no third query); plain rows, not ORM entities, as a round at 08:00 reads
    thousands of them. RETURNING keeps no order."""
    # A CTE: chosen (and locked) once, whatever plan the UPDATE gets; PostgreSQL never
    # folds it into the UPDATE (it locks rows, and may call a volatile function).
    due = chosen.with_for_update(skip_locked=True, of=_T).cte("due")
    return (
        update(_T)
        .where(_T.id.in_(select(due.c.id)))
        .values(
            lease_owner=bindparam("owner"),
            lease_until=bindparam("lease_until"),
            late=or_(_T.late, _T.due_at < bindparam("late_before")),
        )
        .returning(*_TASK_COLUMNS)
        .execution_options(synchronize_session=False)
    )


# The first `limit` claimable tasks, ward by ward: a limit cuts at most the last ward. On
# PostgreSQL each row's ward is taken with a try-lock, held to the end of the transaction,
# and a ward another claimer holds is left to it; a ward's rows met while another claim
# held its lock are skipped, so a ward can come back in part whoever cut it.
_FIRST = select(_T.id).order_by(_T.ward_id, _T.remind_at, _T.id).limit(bindparam("limit"))
_LEASE_FIRST = _lease(_FIRST.where(*_CLAIMABLE))
_LEASE_FIRST_PG = _lease(
    _FIRST.where(*_CLAIMABLE, func.pg_try_advisory_xact_lock(_CLAIM_LOCK, _T.ward_id))
)
# The rest of these wards' claimable tasks: whole wards, so no later claim, of this
# instance or another, posts part of a ward's slot as a second message. No try-lock: a
# ward of the first lease is this transaction's already. By ward and reminder time
# (ix_task_occurrences_claim_ward), not the ward's other 48 hours.
_LEASE_REST = _lease(select(_T.id).where(among(_T.ward_id, "wards"), *_CLAIMABLE))


class SqlTaskOccurrences(_Repository):
    __slots__ = ()

    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def lock_ward(self, ward_id: int) -> None:
        if self._dialect() == "postgresql":
            # A transaction-scoped advisory lock, not a row lock on wards: the board's
            # message id updates on that row must not queue behind a long top-up.
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key, :ward)"),
                {"key": _TASK_LOCK, "ward": ward_id},
            )
        # SQLite: every transaction already starts with BEGIN IMMEDIATE, one writer at a time.

    async def _rows(self, query: Any) -> list[TaskOccurrence]:
        # Core UPDATEs below bypass the identity map: always read rows afresh.
        rows = await self._session.scalars(query.execution_options(populate_existing=True))
        return [_task(row) for row in rows]

    async def add_missing(self, tasks: Sequence[TaskOccurrence]) -> int:
        if not tasks:
            return 0
        insert = postgresql.insert if self._dialect() == "postgresql" else sqlite.insert
        # One statement, executed for many rows: SQLAlchemy batches them into multi-row
        # INSERTs itself ("insertmanyvalues") from one cached compilation.
        result = await self._session.execute(
            insert(_T).on_conflict_do_nothing().returning(_T.id),
            [_task_values(task) for task in tasks],
        )
        return len(result.all())

    async def get(self, task_id: int) -> TaskOccurrence | None:
        found = await self._rows(select(_T).where(_T.id == task_id))
        return found[0] if found else None

    async def many(self, task_ids: Sequence[int]) -> list[TaskOccurrence]:
        if not task_ids:
            return []
        return await self._rows(select(_T).where(_T.id.in_(list(task_ids))).order_by(_T.id))

    async def pending_of_sources(
        self, kind: TaskKind, source_ids: Sequence[int]
    ) -> list[TaskOccurrence]:
        if not source_ids:
            return []
        return await self._rows(
            select(_T)
            .where(
                _T.kind == kind.value,
                _T.source_id.in_(list(source_ids)),
                _T.status == _PENDING,
            )
            .order_by(_T.planned_at, _T.id)
        )

    async def of_stays(self, stay_ids: Sequence[int]) -> list[TaskOccurrence]:
        if not stay_ids:
            return []
        return await self._rows(
            select(_T).where(_T.stay_id.in_(list(stay_ids))).order_by(_T.planned_at, _T.id)
        )

    async def pending_of_stays(self, stay_ids: Sequence[int]) -> list[TaskOccurrence]:
        if not stay_ids:
            return []
        return await self._rows(
            select(_T)
            .where(_T.stay_id.in_(list(stay_ids)), _T.status == _PENDING)
            .order_by(_T.planned_at, _T.id)
        )

    async def open_of_ward(self, ward_id: int, *, due_before: datetime) -> list[TaskOccurrence]:
        # Plain rows (fresh by nature, like populate_existing): every board, every /tasks.
        rows = await self._plain_rows(
            _OPEN_OF_WARD, {"ward_id": ward_id, "due_before": due_before}
        )
        return [_task_of(row) for row in rows]

    async def open_due_of_ward(self, ward_id: int, *, due_before: datetime) -> list[OpenTask]:
        rows = await self._plain_rows(
            _OPEN_DUE_OF_WARD, {"ward_id": ward_id, "due_before": due_before}
        )
        return [OpenTask(*row) for row in rows]

    async def _update_returning_ids(self, statement: Any) -> list[int]:
        result = await self._session.execute(
            statement.returning(_T.id).execution_options(synchronize_session=False)
        )
        return sorted(result.scalars().all())

    async def cancel(self, task_ids: Sequence[int], *, at: datetime) -> list[TaskOccurrence]:
        cancelled: list[int] = []
        for chunk in _chunks(task_ids):
            cancelled += await self._update_returning_ids(
                update(_T)
                .where(_T.id.in_(list(chunk)), _T.status == _PENDING)
                .values(status=TaskStatus.CANCELLED.value, cancelled_at=at, lease_until=None)
            )
        return await self.many(cancelled)

    async def close(
        self,
        task_id: int,
        *,
        status: TaskStatus,
        at: datetime,
        by: int,
        reason: str | None,
    ) -> TaskOccurrence | None:
        # Conditional on "still pending": of two presses at the same moment exactly one
        # changes the row, whatever the isolation level.
        changed = await self._update_returning_ids(
            update(_T)
            .where(_T.id == task_id, _T.status == _PENDING)
            .values(status=status.value, done_at=at, done_by=by, skip_reason=reason)
        )
        return await self.get(task_id) if changed else None

    async def snooze(self, task_id: int, *, due_at: datetime) -> TaskOccurrence | None:
        changed = await self._update_returning_ids(
            update(_T)
            .where(_T.id == task_id, _T.status == _PENDING)
            .values(
                due_at=due_at,
                remind_at=due_at,
                sent_at=None,
                # Still carried by the message it was in (which shows the new time) until
                # it is sent again: mark_sent then records the new message.
                escalated_at=None,
                lease_owner=None,
                lease_until=None,
                late=False,
            )
        )
        return await self.get(task_id) if changed else None

    async def set_remind_at(self, changes: Mapping[int, datetime]) -> None:
        for task_id, remind_at in changes.items():
            await self._session.execute(
                update(_T)
                .where(_T.id == task_id, _T.status == _PENDING, _T.sent_at.is_(None))
                .values(remind_at=remind_at)
                .execution_options(synchronize_session=False)
            )

    async def horizons(self, kind: TaskKind, source_ids: Sequence[int]) -> dict[int, datetime]:
        found: dict[int, datetime] = {}
        for chunk in _chunks(source_ids):
            rows = await self._session.execute(
                select(TaskHorizonRow.source_id, TaskHorizonRow.until).where(
                    TaskHorizonRow.kind == kind.value,
                    TaskHorizonRow.source_id.in_(list(chunk)),
                )
            )
            found.update({source_id: _utc(until) for source_id, until in rows})
        return found

    async def set_horizons(self, kind: TaskKind, until: Mapping[int, datetime]) -> None:
        if not until:
            return
        values = [{"kind": kind.value, "source_id": i, "until": t} for i, t in until.items()]
        if self._dialect() == "postgresql":
            pg = postgresql.insert(TaskHorizonRow)
            upsert: Any = pg.on_conflict_do_update(
                index_elements=["kind", "source_id"], set_={"until": pg.excluded.until}
            )
        else:
            lite = sqlite.insert(TaskHorizonRow)
            upsert = lite.on_conflict_do_update(
                index_elements=["kind", "source_id"], set_={"until": lite.excluded.until}
            )
        await self._session.execute(upsert, values)

    async def claim(
        self,
        *,
        now: datetime,
        owner: str,
        lease_until: datetime,
        late_before: datetime,
        limit: int,
    ) -> list[TaskOccurrence]:
        if lease_until <= now:
            raise ValueError("a lease ends after the claim")
        if limit <= 0:
            return []
        postgres = self._dialect() == "postgresql"
        params = {
            "now": now,
            "owner": owner,
            "lease_until": lease_until,
            "late_before": late_before,
        }
        first = _LEASE_FIRST_PG if postgres else _LEASE_FIRST
        claimed = [
            _task_of(row) for row in await self._session.execute(first, {**params, "limit": limit})
        ]
        # Then the rest of the wards the first lease met, so each is claimed whole. On
        # SQLite this transaction is the only writer: only the last ward, and only when the
        # limit was reached, can have more. On PostgreSQL any of them can (see _FIRST).
        if postgres:
            wards = sorted({t.ward_id for t in claimed})
        else:
            wards = [max(t.ward_id for t in claimed)] if len(claimed) >= limit else []
        if wards:
            rest = await self._session.execute(_LEASE_REST, {**params, "wards": wards})
            claimed += [_task_of(row) for row in rest]
        claimed.sort(key=_claim_order)
        return claimed

    async def mark_sent(
        self, task_ids: Sequence[int], *, owner: str, chat_id: int, message_id: int, at: datetime
    ) -> list[int]:
        if not task_ids:
            return []
        # The owner check is the whole point: a sender whose lease expired and was taken
        # over must not overwrite the delivery record of the instance that took it.
        return await self._update_returning_ids(
            update(_T)
            .where(_T.id.in_(list(task_ids)), _T.lease_owner == owner, _T.sent_at.is_(None))
            .values(sent_at=at, message_chat_id=chat_id, message_id=message_id, lease_until=None)
        )

    async def release(self, task_ids: Sequence[int], *, owner: str) -> list[int]:
        if not task_ids:
            return []
        return await self._update_returning_ids(
            update(_T)
            .where(_T.id.in_(list(task_ids)), _T.lease_owner == owner, _T.sent_at.is_(None))
            .values(lease_owner=None, lease_until=None)
        )

    async def of_message(self, chat_id: int, message_id: int) -> list[TaskOccurrence]:
        return await self._rows(
            select(_T)
            .where(_T.message_chat_id == chat_id, _T.message_id == message_id)
            .order_by(_T.planned_at, _T.stay_id, _T.kind, _T.rule_code, _T.id)
        )

    async def escalation_candidates(
        self, *, due_before: datetime, limit: int
    ) -> list[TaskOccurrence]:
        return await self._rows(
            select(_T)
            .where(
                _T.status == _PENDING,
                _T.sent_at.is_not(None),
                _T.escalated_at.is_(None),
                _T.due_at < due_before,
                *_STILL_WANTED,
            )
            .order_by(_T.due_at, _T.id)
            .limit(limit)
        )

    async def mark_escalated(self, task_ids: Sequence[int], *, at: datetime) -> list[int]:
        if not task_ids:
            return []
        # Conditional: of two instances marking the same task, exactly one gets its id back.
        return await self._update_returning_ids(
            update(_T)
            .where(_T.id.in_(list(task_ids)), _T.escalated_at.is_(None), _T.status == _PENDING)
            .values(escalated_at=at)
        )

    async def ward_ids(self) -> list[int]:
        rows = await self._session.scalars(
            select(StayRow.ward_id)
            .where(StayRow.status == StayStatus.ACTIVE.value)
            .distinct()
            .order_by(StayRow.ward_id)
        )
        return list(rows)
