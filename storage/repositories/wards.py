"""Repositories of wards and the people in them: members, invites, user preferences, operators."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import BigInteger, Row, bindparam, select, update

from boards.model import (
    Invite,
    Member,
    MemberStatus,
    Operator,
    Role,
    UserPrefs,
    Ward,
    WardDisplay,
)
from storage.models import (
    DialogueRow,
    InviteRow,
    MemberRow,
    OperatorRow,
    UserPrefsRow,
    WardDisplayRow,
    WardRow,
)
from storage.repositories._base import _missing, _plain, _Repository, _utc, _utc_or_none

# --- wards --------------------------------------------------------------------------------


def _ward(row: WardRow | Row[Any]) -> Ward:
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
        his_code=row.his_code,
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
        self._stored(WardRow, row.id)
        return _ward(row)

    async def get(self, ward_id: int) -> Ward | None:
        # Read once a session; her memberships bring their wards along (SqlMembers.of_user).
        row = await self._get(WardRow, ward_id)
        return None if row is None else _ward(row)

    async def by_name(self, name: str) -> Ward | None:
        row = await self._session.scalar(select(WardRow).where(WardRow.name == name))
        return None if row is None else _ward(row)

    async def by_group(self, chat_id: int) -> Ward | None:
        row = await self._session.scalar(select(WardRow).where(WardRow.group_chat_id == chat_id))
        return None if row is None else _ward(row)

    async def update(self, ward: Ward) -> Ward:
        self._stored(WardRow, ward.id)
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
        row.his_code = ward.his_code
        await self._flush()
        return _ward(row)

    async def by_his_code(self, code: str) -> Ward | None:
        row = await self._session.scalar(select(WardRow).where(WardRow.his_code == code))
        return None if row is None else _ward(row)

    async def set_his_code(self, ward_id: int, code: str | None) -> Ward:
        """Map the ward to a HIS code; one another ward holds raises Conflict (unique)."""
        self._stored(WardRow, ward_id)
        row = await self._session.get(WardRow, ward_id)
        if row is None:
            raise _missing("ward", ward_id)
        row.his_code = code
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

    async def lease_board(
        self, ward_id: int, owner: str, *, now: datetime, until: datetime
    ) -> bool:
        """Take the ward's board for `owner` until `until`, unless another holds it now."""
        self._stored(WardRow, ward_id)
        result = await self._session.execute(
            update(WardRow)
            .where(
                WardRow.id == ward_id,
                (WardRow.board_lease_owner.is_(None))
                | (WardRow.board_lease_owner == owner)
                | (WardRow.board_lease_until < now),
            )
            .values(board_lease_owner=owner, board_lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def claim_retention_day(self, ward_id: int, day: date) -> bool:
        self._stored(WardRow, ward_id)
        # One conditional update: on PostgreSQL a second instance waits on the row and then
        # finds the day taken; on SQLite writers take turns anyway.
        result = await self._session.execute(
            update(WardRow)
            .where(
                WardRow.id == ward_id,
                (WardRow.retention_day.is_(None)) | (WardRow.retention_day < day),
            )
            .values(retention_day=day)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def release_board(self, ward_id: int, owner: str) -> None:
        self._stored(WardRow, ward_id)
        await self._session.execute(
            update(WardRow)
            .where(WardRow.id == ward_id, WardRow.board_lease_owner == owner)
            .values(board_lease_owner=None, board_lease_until=None)
            .execution_options(synchronize_session=False)
        )

    async def with_group(self) -> list[Ward]:
        """Wards bound to a group chat, by id."""
        rows = await self._session.scalars(
            select(WardRow).where(WardRow.group_chat_id.is_not(None)).order_by(WardRow.id)
        )
        return [_ward(row) for row in rows]


# --- people -------------------------------------------------------------------------------


def _member(row: MemberRow | Row[Any]) -> Member:
    return Member(
        ward_id=row.ward_id,
        user_id=row.user_id,
        display_name=row.display_name,
        role=Role(row.role),
        status=MemberStatus(row.status),
        updated_at=_utc(row.updated_at),
        username=row.username,
    )


# Her memberships with their wards, read by nearly every update (which ward is hers, and
# that ward); built once.
_OF_USER = (
    select(*_plain(MemberRow), *_plain(WardRow))
    .join(WardRow, WardRow.id == MemberRow.ward_id)
    .where(MemberRow.user_id == bindparam("user_id"))
    .order_by(MemberRow.ward_id)
)
# The key under which `_Repository._get`'s cache notes that all of a user's are held.
_ALL_OF = "members of user"


class SqlMembers(_Repository):
    __slots__ = ()

    async def get(self, ward_id: int, user_id: int) -> Member | None:
        # Her memberships read this session (the turn reads them first) answer at once:
        # the command's own membership check asks again, for the ward it acts in.
        held = self._session.info.get("held", {})
        if (MemberRow, (ward_id, user_id)) not in held and (_ALL_OF, user_id) in held:
            return None  # all of hers are known, and this ward is not among them
        row = await self._get(MemberRow, (ward_id, user_id))
        return None if row is None else _member(row)

    async def put(self, member: Member) -> Member:
        """Insert or replace the membership of this user in this ward."""
        self._stored(MemberRow, (member.ward_id, member.user_id))
        self._stored(_ALL_OF, member.user_id)
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
        held = self._session.info.setdefault("held", {})
        known = held.get((_ALL_OF, user_id))
        if known is not None:
            # Read with her preferences at the update's start (`SqlUsers.get`).
            return [_member(row) for row in known]
        rows = (await self._plain_rows(_OF_USER, {"user_id": user_id})).all()
        for row in rows:
            # A row of both tables' columns (no name is in both): her membership and its
            # ward, for `get` and `SqlWards.get` to answer from.
            held[MemberRow, (row.ward_id, row.user_id)] = row
            held.setdefault((WardRow, row.id), row)
        held[_ALL_OF, user_id] = rows
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


def _prefs(row: UserPrefsRow | Row[Any]) -> UserPrefs:
    return UserPrefs(
        user_id=row.user_id,
        current_ward_id=row.current_ward_id,
        locale=row.locale,
        notes_warned_at=_utc_or_none(row.notes_warned_at),
    )


# Her preferences and her chat's dialogue, the first two things every update reads: one
# statement, each table joined (left) to a row of the two keys.
_KEYS = select(
    bindparam("user_id", type_=BigInteger).label("user_key"),
    bindparam("chat_id", type_=BigInteger).label("chat_key"),
).subquery()
_PREFS_AND_DIALOGUE = (
    select(*_plain(UserPrefsRow), *_plain(DialogueRow))
    .select_from(_KEYS)
    .outerjoin(UserPrefsRow, UserPrefsRow.user_id == _KEYS.c.user_key)
    .outerjoin(DialogueRow, DialogueRow.chat_id == _KEYS.c.chat_key)
)


# With her memberships and their wards too, in her own chat (where nearly every command
# asks for them next): the two opening reads of a private update in one statement, a row a
# membership (one with their half all None if she has none). The columns are labelled by
# table, and each row is taken apart into each table's row again (`_part`).
_OPENING_PARTS = (
    ("p_", UserPrefsRow),
    ("d_", DialogueRow),
    ("m_", MemberRow),
    ("w_", WardRow),
)
_OPENING = (
    select(
        *(
            column.label(f"{prefix}{column.key}")
            for prefix, model in _OPENING_PARTS
            for column in _plain(model)
        )
    )
    .select_from(_KEYS)
    .outerjoin(UserPrefsRow, UserPrefsRow.user_id == _KEYS.c.user_key)
    .outerjoin(DialogueRow, DialogueRow.chat_id == _KEYS.c.chat_key)
    .outerjoin(MemberRow, MemberRow.user_id == _KEYS.c.user_key)
    # Each membership has its ward (a foreign key): joined after it, not nested with it,
    # which SQLite would answer by scanning every membership of the hospital first.
    .outerjoin(WardRow, WardRow.id == MemberRow.ward_id)
    .order_by(MemberRow.ward_id)
)
_NAMES = {model: [column.key for column in _plain(model)] for _, model in _OPENING_PARTS}


def _part(row: Row[Any], prefix: str, model: type[Any]) -> SimpleNamespace:
    """One table's columns of a row of `_OPENING`, under their own names."""
    values = row._mapping
    return SimpleNamespace(**{name: values[prefix + name] for name in _NAMES[model]})


class SqlUsers(_Repository):
    __slots__ = ()

    async def get(
        self, user_id: int, *, chat_id: int | None = None, memberships: bool = False
    ) -> UserPrefs | None:
        held = self._session.info.setdefault("held", {})
        if chat_id is not None and memberships and (UserPrefsRow, user_id) not in held:
            await self._opening(user_id, chat_id)
        if chat_id is not None and (UserPrefsRow, user_id) not in held:
            row = (
                await self._plain_rows(
                    _PREFS_AND_DIALOGUE, {"user_id": user_id, "chat_id": chat_id}
                )
            ).one()
            # One row of both tables' columns (no name is in both): a table's half is all
            # None when it has no row.
            held[UserPrefsRow, user_id] = row if row.user_id is not None else None
            if (DialogueRow, chat_id) not in held:
                held[DialogueRow, chat_id] = row if row.chat_id is not None else None
        row = await self._get(UserPrefsRow, user_id)
        return None if row is None else _prefs(row)

    async def _opening(self, user_id: int, chat_id: int) -> None:
        rows = (await self._plain_rows(_OPENING, {"user_id": user_id, "chat_id": chat_id})).all()
        held = self._session.info.setdefault("held", {})
        first = rows[0]
        held[UserPrefsRow, user_id] = (
            None if first.p_user_id is None else _part(first, "p_", UserPrefsRow)
        )
        if (DialogueRow, chat_id) not in held:
            held[DialogueRow, chat_id] = (
                None if first.d_chat_id is None else _part(first, "d_", DialogueRow)
            )
        mine = []
        for row in rows:
            if row.m_ward_id is None:
                continue  # she is a member nowhere
            member = _part(row, "m_", MemberRow)
            held[MemberRow, (member.ward_id, member.user_id)] = member
            held.setdefault((WardRow, row.w_id), _part(row, "w_", WardRow))
            mine.append(member)
        held[_ALL_OF, user_id] = mine

    async def put(self, prefs: UserPrefs) -> UserPrefs:
        """Insert or replace the user's preferences."""
        self._stored(UserPrefsRow, prefs.user_id)
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


# --- station screens ------------------------------------------------------------------------


def _display(row: WardDisplayRow) -> WardDisplay:
    return WardDisplay(
        ward_id=row.ward_id,
        seed=row.seed,
        token_hash=row.token_hash,
        names_full=row.names_full,
        rotated_at=_utc_or_none(row.rotated_at),
        updated_at=_utc(row.updated_at),
        updated_by=row.updated_by,
    )


class SqlWardDisplays(_Repository):
    __slots__ = ()

    async def get(self, ward_id: int) -> WardDisplay | None:
        row = await self._session.get(WardDisplayRow, ward_id)
        return None if row is None else _display(row)

    async def by_token_hash(self, token_hash: str) -> WardDisplay | None:
        row = await self._session.scalar(
            select(WardDisplayRow).where(WardDisplayRow.token_hash == token_hash)
        )
        return None if row is None else _display(row)

    async def put(self, display: WardDisplay) -> None:
        row = await self._session.get(WardDisplayRow, display.ward_id)
        if row is None:
            row = WardDisplayRow(ward_id=display.ward_id)
            self._session.add(row)
        row.seed = display.seed
        row.token_hash = display.token_hash
        row.names_full = display.names_full
        row.rotated_at = display.rotated_at
        row.updated_at = display.updated_at
        row.updated_by = display.updated_by
        await self._flush()
