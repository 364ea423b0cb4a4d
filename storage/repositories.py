"""Repositories: the domain's ports over one AsyncSession, returning frozen domain dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from boards.errors import Conflict
from boards.model import (
    Age,
    AuditEntry,
    BoardItem,
    Critical,
    Invite,
    ItemKind,
    Member,
    MemberStatus,
    NursingLevel,
    PatientLine,
    PatientTag,
    Role,
    Sex,
    SignPrint,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    UserPrefs,
    Ward,
    WardTagSetting,
)
from boards.parsing import bed_sort_key
from storage.models import (
    AuditRow,
    BedSignRow,
    BoardItemRow,
    InviteRow,
    MemberRow,
    PatientLineRow,
    PatientTagRow,
    StayRow,
    SurgeryRow,
    UserPrefsRow,
    WardRow,
    WardTagRow,
)

__all__ = [
    "SqlAuditLog",
    "SqlBedSigns",
    "SqlBoardItems",
    "SqlInvites",
    "SqlMembers",
    "SqlPatientLines",
    "SqlPatientTags",
    "SqlStays",
    "SqlSurgeries",
    "SqlUsers",
    "SqlWardTags",
    "SqlWards",
]

# Every write flushes at once: constraint violations surface at the call that caused them,
# and new rows get their ids before the next statement needs them.


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
        )
        self._session.add(row)
        await self._flush()
        return _invite(row)

    async def get(self, code: str) -> Invite | None:
        row = await self._session.get(InviteRow, code)
        return None if row is None else _invite(row)


def _prefs(row: UserPrefsRow) -> UserPrefs:
    return UserPrefs(user_id=row.user_id, current_ward_id=row.current_ward_id, locale=row.locale)


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
        await self._flush()
        return _prefs(row)


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
