"""The base every repository shares: one session, flushing at once, and UTC datetimes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Dialect,
    Executable,
    Integer,
    Result,
    Row,
    Select,
    String,
    Table,
    TypeDecorator,
    bindparam,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

from boards.errors import Conflict

# Every write flushes at once: constraint violations surface at the call that caused them,
# and new rows get their ids before the next statement needs them.


class _Repository:
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _get(self, model: type[Any], key: Any) -> Any:
        """The row by primary key, read once per session: several steps of one update ask
        for the same row (a nurse's preferences, her dialogue, her ward, a ward's policy).
        The identity map alone does not spare the query: it holds rows weakly, and a
        repository keeps only the domain copy; nor does it remember a row that is absent
        (never set). Here both are kept for the session; a read that brings such rows along
        (her preferences with her dialogue, her memberships with their wards) may hold them
        too. Only for a table no one but its repository writes, every write of which calls
        `_stored` first."""
        held: dict[tuple[type[Any], Any], Any] = self._session.info.setdefault("held", {})
        if (model, key) in held:
            return held[model, key]
        row = await self._row(model, key)
        held[model, key] = row
        return row

    async def _row(self, model: type[Any], key: Any) -> Row[Any] | None:
        """The row of `model` with this primary key (a tuple for a composite one), as a
        plain row (attributes by the model's names): for reading, not for changing. A
        quarter of `session.get`'s cost, which builds an entity and its identity-map entry;
        read at least once by every update (her preferences, her dialogue, her ward)."""
        keys = key if isinstance(key, tuple) else (key,)
        params = {f"k{i}": value for i, value in enumerate(keys)}
        found: Row[Any] | None = (await self._plain_rows(_by_key(model), params)).first()
        return found

    async def _plain_rows(
        self, statement: Executable, params: dict[str, Any]
    ) -> Result[*tuple[Any, ...]]:
        """A select of plain columns run on the session's connection, past the ORM: half
        the cost of `session.execute` for a statement that finds a row or none (the ORM's
        compile state and row loading are most of it), read in every update. As the ORM
        would, pending changes are flushed first, so the read sees them; every write here
        flushes at once anyway."""
        session = self._session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        connection = await session.connection()
        return await connection.execute(statement, params)

    def _stored(self, model: object, key: Any) -> None:
        """The row is being written: `_get` asks the session for it again."""
        self._session.info.get("held", {}).pop((model, key), None)

    async def _write(self, statement: Executable, params: dict[str, Any]) -> Result[Any]:
        """A prebuilt insert or update (`_inserting`, `_updating_by_id`) run on the
        session's connection, past the ORM: a third of `session.execute` for an UPDATE
        built anew with its values (0.17 against 0.61 ms on PostgreSQL, 0.05 against 0.46
        on SQLite), half of an ORM insert's flush; every change a nurse makes writes one
        or two. Pending ORM changes are flushed first, so statements keep their order; a
        constraint refusal is a Conflict as in `_flush`. An update's caller expires the
        row if the session holds it (`_expire`)."""
        session = self._session
        try:
            if session.new or session.dirty or session.deleted:
                await session.flush()
            connection = await session.connection()
            return await connection.execute(statement, params)
        except IntegrityError as error:
            raise Conflict("err.changed_meanwhile") from error

    def _expire(self, model: type[Any], key: Any) -> None:
        """Forget `model`'s row of this primary key if the session holds it (a write past
        the ORM changed it)."""
        row = self._session.identity_map.get(identity_key(model, key))
        if row is not None:
            self._session.expire(row)

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


_BY_KEY: dict[type[Any], Select[Any]] = {}


def _by_key(model: type[Any]) -> Select[Any]:
    """`model`'s plain columns by primary key (bound as k0, k1...), built once."""
    statement = _BY_KEY.get(model)
    if statement is None:
        keys = inspect(model).primary_key
        statement = select(*_plain(model)).where(
            *(column == bindparam(f"k{i}") for i, column in enumerate(keys))
        )
        _BY_KEY[model] = statement
    return statement


def _table(model: type[Any]) -> Table:
    """`model`'s table, for statements run past the ORM."""
    table: Table = model.__table__
    return table


def _inserting(model: type[Any]) -> Executable:
    """An INSERT of `model`'s row returning its new id; the columns are the parameters'."""
    table = _table(model)
    return insert(table).returning(table.c.id)


def _updating_by_id(
    model: type[Any], columns: Sequence[str], *, within: Sequence[str] = ()
) -> Executable:
    """An UPDATE of these columns (bound by their names) of `model`'s row whose id is bound
    as `row_id` and whose `within` columns (the stay or ward it belongs to) as `of_<name>`:
    a write names what it acts on, and a row that moved meanwhile is not changed. Built
    once by its caller; run with exactly those parameters (another column's name would be
    taken into the SET)."""
    table = _table(model)
    return (
        update(table)
        .where(
            table.c.id == bindparam("row_id"),
            *(table.c[name] == bindparam(f"of_{name}") for name in within),
        )
        .values({name: bindparam(name) for name in columns})
    )


def _plain(model: type[Any]) -> list[Any]:
    """Every mapped column of `model`, to select as plain rows (attribute access by the
    same names) rather than ORM entities: no identity map, several times cheaper to read in
    bulk. Run through `_plain_rows`, which flushes pending changes first as the ORM would."""
    return [attr.class_attribute for attr in inspect(model).column_attrs]


class _IdList(TypeDecorator[list[int]]):
    """A list of ids as one bound value: a PostgreSQL integer array, a JSON array in SQLite."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Integer()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        ids = [int(i) for i in value]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class _Among(ColumnElement[bool]):
    """`column` is one of the ids bound (as a list) under `name`. One parameter whatever the
    number of ids, so the statement is compiled once and bound as is: an expanding IN of a
    ward's sixty stays cost SQLAlchemy more, renaming and rendering sixty parameters each
    time, than the database took to run it; and no driver's bind limit to chunk for."""

    inherit_cache = True
    type = Boolean()
    # A condition itself: without this SQLAlchemy writes `(... IN ...) = 1` on SQLite, which
    # has no boolean type, and no index serves that (every read scanned its whole table).
    _is_implicitly_boolean = True
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 - SQLAlchemy's own form
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.ids: BindParameter[list[int]] = bindparam(name, type_=_IdList())


@compiles(_Among)
def _among_sqlite(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's planner looks each id up in the column's index, as for IN (?, ?, ...).
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"


@compiles(_Among, "postgresql")
def _among_postgresql(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} = ANY({ids})"


def among(column: Any, name: str = "ids") -> ColumnElement[bool]:
    """`column` in the list of ids bound as `name` (see `_Among`)."""
    return _Among(column, name)
