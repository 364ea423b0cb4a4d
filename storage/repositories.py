"""Repositories: the domain's ports over one AsyncSession, returning frozen domain dataclasses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from boards.errors import Conflict
from boards.model import (
    Age,
    AuditEntry,
    BoardItem,
    Critical,
    GroupProblem,
    Invite,
    ItemKind,
    MedicationOrder,
    Member,
    MemberStatus,
    NursingLevel,
    Operator,
    PatientLine,
    PatientTag,
    Reminder,
    Role,
    Sex,
    SignPrint,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
    Transfer,
    TransferState,
    UserPrefs,
    Ward,
    WardTagSetting,
)
from boards.parsing import bed_sort_key
from boards.schedule import Frequency, Route
from storage.models import (
    AuditRow,
    BedSignRow,
    BoardItemRow,
    InviteRow,
    MedicationOrderRow,
    MemberRow,
    OperatorRow,
    PatientLineRow,
    PatientTagRow,
    ReminderRow,
    StayRow,
    SurgeryRow,
    TaskHorizonRow,
    TaskOccurrenceRow,
    TransferRow,
    UserPrefsRow,
    WardPolicyRow,
    WardRow,
    WardTagRow,
)

__all__ = [
    "SqlAuditLog",
    "SqlBedSigns",
    "SqlBoardItems",
    "SqlInvites",
    "SqlMedicationOrders",
    "SqlMembers",
    "SqlOperators",
    "SqlPatientLines",
    "SqlPatientTags",
    "SqlReminders",
    "SqlStays",
    "SqlSurgeries",
    "SqlTaskOccurrences",
    "SqlTransfers",
    "SqlUsers",
    "SqlWardPolicies",
    "SqlWardTags",
    "SqlWards",
]

# Every write flushes at once: constraint violations surface at the call that caused them,
# and new rows get their ids before the next statement needs them.


# SQLite allows 32,766 bound parameters a statement, asyncpg 32,767: stay well below.
_IN_CHUNK = 5000


class _Repository:
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _flush(self) -> None:
        try:
            await self._session.flush()
        except IntegrityError as error:
            # Two nurses changing the same bed at the same moment: the database kept one
            # change; the other nurse is told to look again. The SQL error text (which quotes
            # patient data) stays out of the refusal.
            raise Conflict("err.changed_meanwhile") from error


def _missing(kind: str, key: object) -> LookupError:
    return LookupError(f"{kind} {key} does not exist")


def _utc(value: datetime) -> datetime:
    # A row just written still holds the caller's datetime, perhaps in a ward's zone; what
    # a repository returns is UTC either way, like what comes back from the database.
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


# --- wards --------------------------------------------------------------------------------


def _ward(row: WardRow) -> Ward:
    return Ward(
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        locale=row.locale,
        created_at=_utc(row.created_at),
        bed_count=row.bed_count,
        group_chat_id=row.group_chat_id,
        board_message_id=row.board_message_id,
        group_problem=row.group_problem,
        group_problem_since=_utc_or_none(row.group_problem_since),
    )


class SqlWards(_Repository):
    __slots__ = ()

    async def add(
        self,
        *,
        name: str,
        timezone: str,
        locale: str,
        created_at: datetime,
        bed_count: int | None,
    ) -> Ward:
        row = WardRow(
            name=name, timezone=timezone, locale=locale, created_at=created_at, bed_count=bed_count
        )
        self._session.add(row)
        await self._flush()
        return _ward(row)

    async def get(self, ward_id: int) -> Ward | None:
        row = await self._session.get(WardRow, ward_id)
        return None if row is None else _ward(row)

    async def by_name(self, name: str) -> Ward | None:
        row = await self._session.scalar(select(WardRow).where(WardRow.name == name))
        return None if row is None else _ward(row)

    async def by_group(self, chat_id: int) -> Ward | None:
        row = await self._session.scalar(select(WardRow).where(WardRow.group_chat_id == chat_id))
        return None if row is None else _ward(row)

    async def update(self, ward: Ward) -> Ward:
        row = await self._session.get(WardRow, ward.id)
        if row is None:
            raise _missing("ward", ward.id)
        row.name = ward.name
        row.timezone = ward.timezone
        row.locale = ward.locale
        row.created_at = ward.created_at
        row.bed_count = ward.bed_count
        row.group_chat_id = ward.group_chat_id
        row.board_message_id = ward.board_message_id
        row.group_problem = ward.group_problem
        row.group_problem_since = ward.group_problem_since
        await self._flush()
        return _ward(row)

    async def many(self, ward_ids: Sequence[int]) -> list[Ward]:
        """The wards asked for, in the order asked, once each; unknown ids are skipped."""
        wanted = list(dict.fromkeys(ward_ids))
        if not wanted:
            return []
        rows = await self._session.scalars(select(WardRow).where(WardRow.id.in_(wanted)))
        found = {row.id: _ward(row) for row in rows}
        return [found[i] for i in wanted if i in found]

    async def all(self) -> list[Ward]:
        """Every ward of the hospital (this deployment), by name."""
        rows = await self._session.scalars(select(WardRow).order_by(WardRow.name))
        return [_ward(row) for row in rows]

    async def with_group(self) -> list[Ward]:
        """Wards bound to a group chat, by id."""
        rows = await self._session.scalars(
            select(WardRow).where(WardRow.group_chat_id.is_not(None)).order_by(WardRow.id)
        )
        return [_ward(row) for row in rows]


# --- people -------------------------------------------------------------------------------


def _member(row: MemberRow) -> Member:
    return Member(
        ward_id=row.ward_id,
        user_id=row.user_id,
        display_name=row.display_name,
        role=Role(row.role),
        status=MemberStatus(row.status),
        updated_at=_utc(row.updated_at),
        username=row.username,
    )


class SqlMembers(_Repository):
    __slots__ = ()

    async def get(self, ward_id: int, user_id: int) -> Member | None:
        row = await self._session.get(MemberRow, (ward_id, user_id))
        return None if row is None else _member(row)

    async def put(self, member: Member) -> Member:
        """Insert or replace the membership of this user in this ward."""
        row = await self._session.get(MemberRow, (member.ward_id, member.user_id))
        if row is None:
            row = MemberRow(ward_id=member.ward_id, user_id=member.user_id)
            self._session.add(row)
        row.display_name = member.display_name
        row.role = member.role.value
        row.status = member.status.value
        row.updated_at = member.updated_at
        row.username = member.username
        await self._flush()
        return _member(row)

    async def of_ward(self, ward_id: int) -> list[Member]:
        """Every membership of the ward, whatever its status, by user id."""
        rows = await self._session.scalars(
            select(MemberRow).where(MemberRow.ward_id == ward_id).order_by(MemberRow.user_id)
        )
        return [_member(row) for row in rows]

    async def of_user(self, user_id: int) -> list[Member]:
        """Every membership of the user, whatever its status, by ward id."""
        rows = await self._session.scalars(
            select(MemberRow).where(MemberRow.user_id == user_id).order_by(MemberRow.ward_id)
        )
        return [_member(row) for row in rows]


def _invite(row: InviteRow) -> Invite:
    return Invite(
        code=row.code,
        ward_id=row.ward_id,
        created_by=row.created_by,
        created_at=_utc(row.created_at),
        expires_at=_utc(row.expires_at),
        max_uses=row.max_uses,
        uses=row.uses,
        revoked_at=_utc_or_none(row.revoked_at),
    )


class SqlInvites(_Repository):
    __slots__ = ()

    async def add(self, invite: Invite) -> Invite:
        row = InviteRow(
            code=invite.code,
            ward_id=invite.ward_id,
            created_by=invite.created_by,
            created_at=invite.created_at,
            expires_at=invite.expires_at,
            max_uses=invite.max_uses,
            uses=invite.uses,
            revoked_at=invite.revoked_at,
        )
        self._session.add(row)
        await self._flush()
        return _invite(row)

    async def get(self, code: str) -> Invite | None:
        row = await self._session.get(InviteRow, code)
        return None if row is None else _invite(row)

    async def of_ward(self, ward_id: int) -> list[Invite]:
        """Every invite the ward ever made, open or not, oldest first."""
        rows = await self._session.scalars(
            select(InviteRow)
            .where(InviteRow.ward_id == ward_id)
            .order_by(InviteRow.created_at, InviteRow.code)
        )
        return [_invite(row) for row in rows]

    async def use(self, code: str) -> Invite | None:
        """Count one use, atomically, if the invite still has one; None when it has not."""
        result = await self._session.execute(
            update(InviteRow)
            .where(
                InviteRow.code == code,
                InviteRow.uses < InviteRow.max_uses,
                InviteRow.revoked_at.is_(None),
            )
            .values(uses=InviteRow.uses + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        row = await self._session.get(InviteRow, code, populate_existing=True)
        return None if row is None else _invite(row)

    async def revoke_all(self, ward_id: int, *, at: datetime) -> int:
        """Revoke every invite of the ward still usable; how many were."""
        result = await self._session.execute(
            update(InviteRow)
            .where(
                InviteRow.ward_id == ward_id,
                InviteRow.revoked_at.is_(None),
                InviteRow.uses < InviteRow.max_uses,
                InviteRow.expires_at > at,
            )
            .values(revoked_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))


def _prefs(row: UserPrefsRow) -> UserPrefs:
    return UserPrefs(
        user_id=row.user_id,
        current_ward_id=row.current_ward_id,
        locale=row.locale,
        notes_warned_at=_utc_or_none(row.notes_warned_at),
    )


class SqlUsers(_Repository):
    __slots__ = ()

    async def get(self, user_id: int) -> UserPrefs | None:
        row = await self._session.get(UserPrefsRow, user_id)
        return None if row is None else _prefs(row)

    async def put(self, prefs: UserPrefs) -> UserPrefs:
        """Insert or replace the user's preferences."""
        row = await self._session.get(UserPrefsRow, prefs.user_id)
        if row is None:
            row = UserPrefsRow(user_id=prefs.user_id)
            self._session.add(row)
        row.current_ward_id = prefs.current_ward_id
        row.locale = prefs.locale
        row.notes_warned_at = prefs.notes_warned_at
        await self._flush()
        return _prefs(row)


def _operator(row: OperatorRow) -> Operator:
    return Operator(
        user_id=row.user_id, added_at=_utc(row.added_at), added_by=row.added_by, note=row.note
    )


class SqlOperators(_Repository):
    __slots__ = ()

    async def all(self) -> list[Operator]:
        rows = await self._session.scalars(select(OperatorRow).order_by(OperatorRow.user_id))
        return [_operator(row) for row in rows]

    async def get(self, user_id: int) -> Operator | None:
        row = await self._session.get(OperatorRow, user_id)
        return None if row is None else _operator(row)

    async def add(self, operator: Operator) -> Operator:
        row = await self._session.get(OperatorRow, operator.user_id)
        if row is None:
            row = OperatorRow(user_id=operator.user_id)
            self._session.add(row)
        row.added_at = operator.added_at
        row.added_by = operator.added_by
        row.note = operator.note
        await self._flush()
        return _operator(row)

    async def remove(self, user_id: int) -> bool:
        row = await self._session.get(OperatorRow, user_id)
        if row is None:
            return False
        await self._session.delete(row)
        await self._flush()
        return True


def _transfer(row: TransferRow) -> Transfer:
    return Transfer(
        id=row.id,
        stay_id=row.stay_id,
        from_ward_id=row.from_ward_id,
        to_ward_id=row.to_ward_id,
        bed_wanted=row.bed_wanted,
        state=TransferState(row.state),
        requested_by=row.requested_by,
        requested_at=_utc(row.requested_at),
        decided_by=row.decided_by,
        decided_at=_utc_or_none(row.decided_at),
        new_stay_id=row.new_stay_id,
    )


class SqlTransfers(_Repository):
    __slots__ = ()

    async def add(self, transfer: Transfer) -> Transfer:
        row = TransferRow(
            stay_id=transfer.stay_id,
            from_ward_id=transfer.from_ward_id,
            to_ward_id=transfer.to_ward_id,
            bed_wanted=transfer.bed_wanted,
            state=transfer.state.value,
            requested_by=transfer.requested_by,
            requested_at=transfer.requested_at,
        )
        self._session.add(row)
        await self._flush()
        return _transfer(row)

    async def get(self, transfer_id: int) -> Transfer | None:
        row = await self._session.get(TransferRow, transfer_id)
        return None if row is None else _transfer(row)

    async def decide(
        self,
        transfer_id: int,
        *,
        state: TransferState,
        by: int,
        at: datetime,
        new_stay_id: int | None = None,
    ) -> Transfer | None:
        """Close a pending offer, once: None when it was no longer pending."""
        result = await self._session.execute(
            update(TransferRow)
            .where(TransferRow.id == transfer_id, TransferRow.state == "pending")
            .values(state=state.value, decided_by=by, decided_at=at, new_stay_id=new_stay_id)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        row = await self._session.get(TransferRow, transfer_id, populate_existing=True)
        return None if row is None else _transfer(row)

    async def pending_to(self, ward_id: int) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow)
            .where(TransferRow.to_ward_id == ward_id, TransferRow.state == "pending")
            .order_by(TransferRow.id)
        )
        return [_transfer(row) for row in rows]

    async def pending_from(self, ward_id: int) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow)
            .where(TransferRow.from_ward_id == ward_id, TransferRow.state == "pending")
            .order_by(TransferRow.id)
        )
        return [_transfer(row) for row in rows]


# --- patients -----------------------------------------------------------------------------


def _stay(row: StayRow) -> Stay:
    return Stay(
        id=row.id,
        ward_id=row.ward_id,
        bed=row.bed,
        name=row.name,
        sex=Sex(row.sex),
        age=Age.parse_stored(row.age),
        diagnosis=row.diagnosis,
        level=None if row.level is None else NursingLevel(row.level),
        admitted_at=_utc(row.admitted_at),
        token=row.token,
        status=StayStatus(row.status),
        ended_at=_utc_or_none(row.ended_at),
        critical=None if row.critical is None else Critical(row.critical),
        transferred_from=row.transferred_from,
        transferred_to=row.transferred_to,
    )


def _fill_stay(row: StayRow, stay: Stay) -> None:
    row.ward_id = stay.ward_id
    row.bed = stay.bed
    row.name = stay.name
    row.sex = stay.sex.value
    row.age = str(stay.age)
    row.diagnosis = stay.diagnosis
    row.level = None if stay.level is None else stay.level.value
    row.admitted_at = stay.admitted_at
    row.token = stay.token
    row.status = stay.status.value
    row.ended_at = stay.ended_at
    row.critical = None if stay.critical is None else stay.critical.value
    row.transferred_from = stay.transferred_from
    row.transferred_to = stay.transferred_to


class SqlStays(_Repository):
    __slots__ = ()

    async def add(self, stay: Stay) -> Stay:
        """Insert; the id of the given stay is ignored and the stored one returned.

        A second active stay in an occupied bed raises IntegrityError.
        """
        row = StayRow()
        _fill_stay(row, stay)
        self._session.add(row)
        await self._flush()
        return _stay(row)

    async def get(self, stay_id: int) -> Stay | None:
        row = await self._session.get(StayRow, stay_id)
        return None if row is None else _stay(row)

    async def many(self, stay_ids: Sequence[int]) -> list[Stay]:
        """The stays asked for that exist, by id; in chunks under the drivers' bind limits."""
        ids = sorted(set(stay_ids))
        found: list[Stay] = []
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            rows = await self._session.scalars(
                select(StayRow).where(StayRow.id.in_(chunk)).order_by(StayRow.id)
            )
            found += [_stay(row) for row in rows]
        return found

    async def by_token(self, token: str) -> Stay | None:
        """The stay a bedside QR sign points to, active or not (the caller decides)."""
        row = await self._session.scalar(select(StayRow).where(StayRow.token == token))
        return None if row is None else _stay(row)

    async def active_in_bed(self, ward_id: int, bed: str) -> Stay | None:
        row = await self._session.scalar(
            select(StayRow).where(
                StayRow.ward_id == ward_id,
                StayRow.bed == bed,
                StayRow.status == StayStatus.ACTIVE.value,
            )
        )
        return None if row is None else _stay(row)

    async def active(self, ward_id: int) -> list[Stay]:
        """Active stays in ward bed order: numbered beds by number, extra beds (+1...) last."""
        rows = await self._session.scalars(
            select(StayRow).where(
                StayRow.ward_id == ward_id, StayRow.status == StayStatus.ACTIVE.value
            )
        )
        # Bed labels are text ("2" < "10" numerically, "+1" after all): sort in Python with
        # the domain's own key rather than teach two SQL dialects the ward's ordering.
        return sorted((_stay(row) for row in rows), key=lambda s: (bed_sort_key(s.bed), s.bed))

    async def ended_since(self, ward_id: int, since: datetime) -> list[Stay]:
        """Stays of the ward that ended (discharge or transfer) at or after `since`."""
        rows = await self._session.scalars(
            select(StayRow)
            .where(StayRow.ward_id == ward_id, StayRow.ended_at >= since)
            .order_by(StayRow.ended_at, StayRow.id)
        )
        return [_stay(row) for row in rows]

    async def update(self, stay: Stay) -> Stay:
        row = await self._session.get(StayRow, stay.id)
        if row is None:
            raise _missing("stay", stay.id)
        _fill_stay(row, stay)
        await self._flush()
        return _stay(row)


def _surgery(row: SurgeryRow) -> Surgery:
    return Surgery(
        id=row.id,
        stay_id=row.stay_id,
        scheduled_at=_utc(row.scheduled_at),
        procedure=row.procedure,
        state=SurgeryState(row.state),
        updated_at=_utc(row.updated_at),
    )


def _fill_surgery(row: SurgeryRow, surgery: Surgery) -> None:
    row.stay_id = surgery.stay_id
    row.scheduled_at = surgery.scheduled_at
    row.procedure = surgery.procedure
    row.state = surgery.state.value
    row.updated_at = surgery.updated_at


class SqlSurgeries(_Repository):
    __slots__ = ()

    async def add(self, surgery: Surgery) -> Surgery:
        """Insert; the id of the given surgery is ignored and the stored one returned."""
        row = SurgeryRow()
        _fill_surgery(row, surgery)
        self._session.add(row)
        await self._flush()
        return _surgery(row)

    async def update(self, surgery: Surgery) -> Surgery:
        row = await self._session.get(SurgeryRow, surgery.id)
        if row is None:
            raise _missing("surgery", surgery.id)
        _fill_surgery(row, surgery)
        await self._flush()
        return _surgery(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[Surgery]:
        """Every surgery of these stays, in any state, by scheduled time."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(SurgeryRow)
            .where(SurgeryRow.stay_id.in_(list(stay_ids)))
            .order_by(SurgeryRow.scheduled_at, SurgeryRow.id)
        )
        return [_surgery(row) for row in rows]


def _item(row: BoardItemRow) -> BoardItem:
    return BoardItem(
        id=row.id,
        stay_id=row.stay_id,
        kind=ItemKind(row.kind),
        at=_utc(row.at),
        text=row.text,
        created_by=row.created_by,
    )


class SqlBoardItems(_Repository):
    __slots__ = ()

    async def add(self, item: BoardItem) -> BoardItem:
        """Insert; the id of the given item is ignored and the stored one returned."""
        row = BoardItemRow(
            stay_id=item.stay_id,
            kind=item.kind.value,
            at=item.at,
            text=item.text,
            created_by=item.created_by,
        )
        self._session.add(row)
        await self._flush()
        return _item(row)

    async def of_stays_between(
        self, stay_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[BoardItem]:
        """Items of these stays with start <= at < end, by time (a day is [00:00, next 00:00))."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(BoardItemRow)
            .where(
                BoardItemRow.stay_id.in_(list(stay_ids)),
                BoardItemRow.at >= start,
                BoardItemRow.at < end,
            )
            .order_by(BoardItemRow.at, BoardItemRow.id)
        )
        return [_item(row) for row in rows]


# --- audit --------------------------------------------------------------------------------


def _audit(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        ward_id=row.ward_id,
        actor_id=row.actor_id,
        at=_utc(row.at),
        action=row.action,
        target=row.target,
        before=row.before,
        after=row.after,
    )


class SqlAuditLog(_Repository):
    __slots__ = ()

    async def add(self, entry: AuditEntry) -> None:
        self._session.add(
            AuditRow(
                ward_id=entry.ward_id,
                actor_id=entry.actor_id,
                at=entry.at,
                action=entry.action,
                target=entry.target,
                before=entry.before,
                after=entry.after,
            )
        )
        await self._flush()

    async def of_ward(self, ward_id: int, limit: int = 50) -> list[AuditEntry]:
        """The ward's latest `limit` entries, newest first."""
        rows = await self._session.scalars(
            select(AuditRow)
            .where(AuditRow.ward_id == ward_id)
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [_audit(row) for row in rows]


# --- bedside: tags, lines, ward tag settings, printed signs --------------------------------


def _patient_tag(row: PatientTagRow) -> PatientTag:
    return PatientTag(
        id=row.id,
        stay_id=row.stay_id,
        code=row.code,
        detail=row.detail,
        added_at=_utc(row.added_at),
        added_by=row.added_by,
        removed_at=_utc_or_none(row.removed_at),
        removed_by=row.removed_by,
    )


def _fill_patient_tag(row: PatientTagRow, tag: PatientTag) -> None:
    row.stay_id = tag.stay_id
    row.code = tag.code
    row.detail = tag.detail
    row.added_at = tag.added_at
    row.added_by = tag.added_by
    row.removed_at = tag.removed_at
    row.removed_by = tag.removed_by


class SqlPatientTags(_Repository):
    __slots__ = ()

    async def add(self, tag: PatientTag) -> PatientTag:
        """Insert; the id of the given tag is ignored and the stored one returned.

        A second present tag of the same code on the same stay is a Conflict.
        """
        row = PatientTagRow()
        _fill_patient_tag(row, tag)
        self._session.add(row)
        await self._flush()
        return _patient_tag(row)

    async def update(self, tag: PatientTag) -> PatientTag:
        row = await self._session.get(PatientTagRow, tag.id)
        if row is None:
            raise _missing("patient tag", tag.id)
        _fill_patient_tag(row, tag)
        await self._flush()
        return _patient_tag(row)

    async def present(self, stay_ids: Sequence[int]) -> list[PatientTag]:
        """Tags not removed, of these stays, in the order they were added."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(PatientTagRow)
            .where(PatientTagRow.stay_id.in_(list(stay_ids)), PatientTagRow.removed_at.is_(None))
            .order_by(PatientTagRow.added_at, PatientTagRow.id)
        )
        return [_patient_tag(row) for row in rows]


def _patient_line(row: PatientLineRow) -> PatientLine:
    return PatientLine(
        id=row.id,
        stay_id=row.stay_id,
        code=row.code,
        site=row.site,
        inserted_at=_utc(row.inserted_at),
        purpose=row.purpose,
        added_by=row.added_by,
        removed_at=_utc_or_none(row.removed_at),
        removed_by=row.removed_by,
    )


def _fill_patient_line(row: PatientLineRow, line: PatientLine) -> None:
    row.stay_id = line.stay_id
    row.code = line.code
    row.site = line.site
    row.inserted_at = line.inserted_at
    row.purpose = line.purpose
    row.added_by = line.added_by
    row.removed_at = line.removed_at
    row.removed_by = line.removed_by


class SqlPatientLines(_Repository):
    __slots__ = ()

    async def add(self, line: PatientLine) -> PatientLine:
        """Insert; the id of the given line is ignored and the stored one returned."""
        row = PatientLineRow()
        _fill_patient_line(row, line)
        self._session.add(row)
        await self._flush()
        return _patient_line(row)

    async def update(self, line: PatientLine) -> PatientLine:
        row = await self._session.get(PatientLineRow, line.id)
        if row is None:
            raise _missing("patient line", line.id)
        _fill_patient_line(row, line)
        await self._flush()
        return _patient_line(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[PatientLine]:
        """Every line of these stays, removed ones too, in the order recorded (by id)."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(PatientLineRow)
            .where(PatientLineRow.stay_id.in_(list(stay_ids)))
            .order_by(PatientLineRow.id)
        )
        return [_patient_line(row) for row in rows]


def _ward_tag(row: WardTagRow) -> WardTagSetting:
    return WardTagSetting(
        ward_id=row.ward_id,
        code=row.code,
        enabled=row.enabled,
        created_at=_utc(row.created_at),
        name_zh=row.name_zh,
        name_en=row.name_en,
        colour=row.colour,
        badge_zh=row.badge_zh,
        badge_en=row.badge_en,
        has_detail=row.has_detail,
    )


class SqlWardTags(_Repository):
    __slots__ = ()

    async def of_ward(self, ward_id: int) -> list[WardTagSetting]:
        """The ward's settings, oldest first."""
        rows = await self._session.scalars(
            select(WardTagRow)
            .where(WardTagRow.ward_id == ward_id)
            .order_by(WardTagRow.created_at, WardTagRow.code)
        )
        return [_ward_tag(row) for row in rows]

    async def put(self, setting: WardTagSetting) -> WardTagSetting:
        """Insert or replace the setting of this code in this ward."""
        row = await self._session.get(WardTagRow, (setting.ward_id, setting.code))
        if row is None:
            row = WardTagRow(ward_id=setting.ward_id, code=setting.code)
            self._session.add(row)
        row.enabled = setting.enabled
        row.created_at = setting.created_at
        row.name_zh = setting.name_zh
        row.name_en = setting.name_en
        row.colour = setting.colour
        row.badge_zh = setting.badge_zh
        row.badge_en = setting.badge_en
        row.has_detail = setting.has_detail
        await self._flush()
        return _ward_tag(row)


def _sign(row: BedSignRow) -> SignPrint:
    return SignPrint(
        stay_id=row.stay_id,
        printed_at=_utc(row.printed_at),
        printed_by=row.printed_by,
        fingerprint=row.fingerprint,
    )


class SqlBedSigns(_Repository):
    __slots__ = ()

    async def of_stays(self, stay_ids: Sequence[int]) -> list[SignPrint]:
        """The last print of each of these stays' signs that has one, by stay id."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(BedSignRow)
            .where(BedSignRow.stay_id.in_(list(stay_ids)))
            .order_by(BedSignRow.stay_id)
        )
        return [_sign(row) for row in rows]

    async def put(self, sign: SignPrint) -> SignPrint:
        """Insert or replace the last print of this stay's sign."""
        row = await self._session.get(BedSignRow, sign.stay_id)
        if row is None:
            row = BedSignRow(stay_id=sign.stay_id)
            self._session.add(row)
        row.printed_at = sign.printed_at
        row.printed_by = sign.printed_by
        row.fingerprint = sign.fingerprint
        await self._flush()
        return _sign(row)


# --- medication orders, reminders, ward policies -------------------------------------------


def _order(row: MedicationOrderRow) -> MedicationOrder:
    return MedicationOrder(
        id=row.id,
        stay_id=row.stay_id,
        drug=row.drug,
        dose=row.dose,
        route=Route(row.route),
        freq=Frequency(row.freq),
        start_at=_utc(row.start_at),
        stop_at=_utc_or_none(row.stop_at),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        stopped_at=_utc_or_none(row.stopped_at),
        stopped_by=row.stopped_by,
    )


def _fill_order(row: MedicationOrderRow, order: MedicationOrder) -> None:
    row.stay_id = order.stay_id
    row.drug = order.drug
    row.dose = order.dose
    row.route = order.route.value
    row.freq = order.freq.value
    row.start_at = order.start_at
    row.stop_at = order.stop_at
    row.created_at = order.created_at
    row.created_by = order.created_by
    row.stopped_at = order.stopped_at
    row.stopped_by = order.stopped_by


class SqlMedicationOrders(_Repository):
    __slots__ = ()

    async def add(self, order: MedicationOrder) -> MedicationOrder:
        """Insert; the id of the given order is ignored and the stored one returned."""
        row = MedicationOrderRow()
        _fill_order(row, order)
        self._session.add(row)
        await self._flush()
        return _order(row)

    async def get(self, order_id: int) -> MedicationOrder | None:
        row = await self._session.get(MedicationOrderRow, order_id)
        return None if row is None else _order(row)

    async def update(self, order: MedicationOrder) -> MedicationOrder:
        row = await self._session.get(MedicationOrderRow, order.id)
        if row is None:
            raise _missing("medication order", order.id)
        _fill_order(row, order)
        await self._flush()
        return _order(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[MedicationOrder]:
        """Every order of these stays, stopped ones too, in the order recorded (by id)."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(MedicationOrderRow)
            .where(MedicationOrderRow.stay_id.in_(list(stay_ids)))
            .order_by(MedicationOrderRow.id)
        )
        return [_order(row) for row in rows]


def _clock_text(value: time | None) -> str | None:
    return None if value is None else f"{value:%H:%M}"


def _clock_value(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _reminder(row: ReminderRow) -> Reminder:
    return Reminder(
        id=row.id,
        stay_id=row.stay_id,
        text=row.text,
        due_at=_utc(row.due_at),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        daily_at=_clock_value(row.daily_at),
        stopped_at=_utc_or_none(row.stopped_at),
        stopped_by=row.stopped_by,
    )


def _fill_reminder(row: ReminderRow, reminder: Reminder) -> None:
    row.stay_id = reminder.stay_id
    row.text = reminder.text
    row.due_at = reminder.due_at
    row.daily_at = _clock_text(reminder.daily_at)
    row.created_at = reminder.created_at
    row.created_by = reminder.created_by
    row.stopped_at = reminder.stopped_at
    row.stopped_by = reminder.stopped_by


class SqlReminders(_Repository):
    __slots__ = ()

    async def add(self, reminder: Reminder) -> Reminder:
        """Insert; the id of the given reminder is ignored and the stored one returned."""
        row = ReminderRow()
        _fill_reminder(row, reminder)
        self._session.add(row)
        await self._flush()
        return _reminder(row)

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await self._session.get(ReminderRow, reminder_id)
        return None if row is None else _reminder(row)

    async def update(self, reminder: Reminder) -> Reminder:
        row = await self._session.get(ReminderRow, reminder.id)
        if row is None:
            raise _missing("reminder", reminder.id)
        _fill_reminder(row, reminder)
        await self._flush()
        return _reminder(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[Reminder]:
        """Every reminder of these stays, stopped ones too, in the order recorded (by id)."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(ReminderRow)
            .where(ReminderRow.stay_id.in_(list(stay_ids)))
            .order_by(ReminderRow.id)
        )
        return [_reminder(row) for row in rows]


class SqlWardPolicies(_Repository):
    __slots__ = ()

    async def get(self, ward_id: int) -> dict[str, Any] | None:
        row = await self._session.get(WardPolicyRow, ward_id)
        return None if row is None else dict(row.policy)

    async def put(
        self, ward_id: int, document: Mapping[str, Any], *, at: datetime, by: int
    ) -> None:
        """Insert or replace the ward's policy document."""
        row = await self._session.get(WardPolicyRow, ward_id)
        if row is None:
            row = WardPolicyRow(ward_id=ward_id)
            self._session.add(row)
        row.policy = dict(document)
        row.updated_at = at
        row.updated_by = by
        await self._flush()


# --- task occurrences: materialising, closing, claiming and delivering --------------------

_TASK_LOCK = 0x5441534B  # "TASK": the first key of the two-key advisory lock, per ward
# Rows per INSERT: SQLite allows 32,766 bound values per statement, a task row binds 23.
_CHUNK = 500
_PENDING = TaskStatus.PENDING.value


def _task(row: TaskOccurrenceRow) -> TaskOccurrence:
    return TaskOccurrence(
        id=row.id,
        ward_id=row.ward_id,
        stay_id=row.stay_id,
        kind=TaskKind(row.kind),
        source_id=row.source_id,
        rule_code=row.rule_code,
        planned_at=_utc(row.planned_at),
        due_at=_utc(row.due_at),
        remind_at=_utc(row.remind_at),
        text=row.text,
        created_at=_utc(row.created_at),
        status=TaskStatus(row.status),
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
        return await self._rows(
            select(_T)
            .where(_T.ward_id == ward_id, _T.status == _PENDING, _T.due_at < due_before)
            .order_by(_T.due_at, _T.id)
        )

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
        # PostgreSQL: rows another claimer has locked are skipped, not waited for, so two
        # instances split the due tasks between them. SQLite renders no FOR UPDATE; its
        # BEGIN IMMEDIATE makes this whole transaction the only writer.
        ids = list(
            await self._session.scalars(
                select(_T.id)
                .where(
                    _T.status == _PENDING,
                    _T.sent_at.is_(None),
                    _T.remind_at <= now,
                    or_(_T.lease_until.is_(None), _T.lease_until <= now),
                    *_STILL_WANTED,
                    _DELIVERABLE,
                )
                .order_by(_T.remind_at, _T.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=_T)
            )
        )
        if not ids:
            return []
        await self._session.execute(
            update(_T)
            .where(_T.id.in_(ids))
            .values(
                lease_owner=owner,
                lease_until=lease_until,
                late=or_(_T.late, _T.due_at < late_before),
            )
            .execution_options(synchronize_session=False)
        )
        return await self._rows(select(_T).where(_T.id.in_(ids)).order_by(_T.remind_at, _T.id))

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
