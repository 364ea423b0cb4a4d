"""The database engine and the unit of work: one session, one transaction per update or job."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Hashable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import bindparam, event, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState
from sqlalchemy.util.concurrency import await_

from boards.ports import (
    AdverseEvents,
    AuditLog,
    BedSigns,
    BoardItems,
    Dialogues,
    Handovers,
    HisMessages,
    ImportDrafts,
    Invites,
    MedicationOrders,
    Members,
    Operators,
    PatientLines,
    PatientTags,
    QualityChecks,
    QualityFacts,
    QualitySettingsStore,
    Reminders,
    Retention,
    Stays,
    Surgeries,
    TaskOccurrences,
    Transfers,
    UnitOfWorkFactory,
    Users,
    WardDisplays,
    WardPolicies,
    Wards,
    WardTags,
)
from storage.models.core import BoardVersionRow
from storage.repositories import (
    SqlAdverseEvents,
    SqlAuditLog,
    SqlBedSigns,
    SqlBoardItems,
    SqlDialogues,
    SqlHandovers,
    SqlHisMessages,
    SqlImportDrafts,
    SqlInvites,
    SqlMedicationOrders,
    SqlMembers,
    SqlOperators,
    SqlPatientLines,
    SqlPatientTags,
    SqlQualityChecks,
    SqlQualityFacts,
    SqlQualitySettings,
    SqlReminders,
    SqlRetention,
    SqlStays,
    SqlSurgeries,
    SqlTaskOccurrences,
    SqlTransfers,
    SqlUsers,
    SqlWardDisplays,
    SqlWardPolicies,
    SqlWards,
    SqlWardTags,
)
from storage.sqlite_driver import begin_immediate, one_trip_dbapi

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "Database",
    "SqlUnitOfWork",
    "default_sqlite_url",
    "make_engine",
]

# How long an SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection idle this long is pinged before it is used again.
PING_AFTER_IDLE_SECONDS = 10.0


def default_sqlite_url(cwd: str | os.PathLike[str]) -> str:
    """The embedded default: `wardboard.db` in the given directory."""
    return f"sqlite+aiosqlite:///{Path(cwd).absolute().as_posix()}/wardboard.db"


def make_engine(url: str, *, enforce_foreign_keys: bool = True) -> AsyncEngine:
    """An async engine set up for the ward store; never echoes SQL (it carries patient data).

    `enforce_foreign_keys=False` is for migrations only: SQLite's batch ALTER rebuilds
    tables, which foreign key enforcement would turn into cascades or refusals.
    """
    if make_url(url).get_backend_name() != "sqlite":
        engine = create_async_engine(url)
        _ping_when_idle(engine)
        return engine
    # Reset on return is _on_reset's: a rollback only when a transaction is left open.
    # Statements in the loop's thread, waits and disk syncs in aiosqlite's (sqlite_driver.py).
    module = one_trip_dbapi() if make_url(url).get_driver_name() == "aiosqlite" else None
    engine = create_async_engine(
        url,
        pool_reset_on_return=None,
        module=module,
        # Statements run in the loop's thread too, one connection never in two at once.
        connect_args={"check_same_thread": False} if module is not None else {},
    )
    _tune_sqlite(engine, enforce_foreign_keys=enforce_foreign_keys, one_trip=module is not None)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """A pooled connection that sat idle is tested before use (a bot idles for hours between
    shifts; a firewall or the server may have closed it meanwhile); one back from use a
    moment ago is not: the ping was a round trip on every unit of work (8% of an HL7
    message). A server restarted in between costs the one transaction in flight, and the
    pool then renews every connection it handed out before."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool drops it and hands out a fresh connection instead.
            raise DisconnectionError() from error


def _tune_sqlite(engine: AsyncEngine, *, enforce_foreign_keys: bool, one_trip: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver (see _on_begin); this also makes
        # DDL transactional, so a failed migration leaves the schema as it was.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if enforce_foreign_keys else 'OFF'}")
            # WAL: readers never block the writer nor the writer the readers.
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock up front. A deferred transaction that read first and then
        # writes after another writer committed fails at once with SQLITE_BUSY, whatever
        # the busy timeout; an immediate one waits its turn instead.
        # Sent to the driver directly, not counted as one of the command's statements (it
        # is the transaction, not its work); here at once when no one else is writing.
        driver = connection.connection.driver_connection
        assert driver is not None  # a connection being begun is a live one
        if one_trip:
            begin_immediate(driver, SQLITE_BUSY_TIMEOUT_MS)
        else:
            await_(driver.execute_fetchall("BEGIN IMMEDIATE"))

    if one_trip:

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _where(
            _conn: Any, cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
        ) -> None:
            # Long work in aiosqlite's thread, the rest here (storage/sqlite_driver.py).
            cursor.in_thread = context.execution_options.get("sqlite_in_thread", False)

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        # A connection back in the pool holds no transaction. After a commit (or a
        # rollback) there is none to end: no trip to the driver's thread for nothing.
        if state.terminate_only or not state.asyncio_safe or state.transaction_was_reset:
            return
        driver = record.driver_connection
        if driver is not None and driver.in_transaction:
            dbapi_connection.rollback()


# Set on a connection by the first statement of its transaction that may have changed a
# row; what it was before the statement in hand (an UPDATE that matched none changed none).
_WROTE = "wardboard_wrote"
_WROTE_BEFORE = "wardboard_wrote_before"
_BOARD_VERSION = select(BoardVersionRow.version).where(
    BoardVersionRow.ward_id == bindparam("ward_id")
)


def _track_writes(engine: AsyncEngine) -> None:
    """Whether the transaction in hand changed anything yet: a board it reads then holds its
    own uncommitted changes, under a version that is not everyone's (`board_stamp`)."""

    @event.listens_for(engine.sync_engine, "begin")
    def _began(connection: Connection) -> None:
        connection.info[_WROTE] = False

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _executing(
        connection: Connection, _cursor: Any, sql: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        # Anything but a SELECT may write (a WITH, a statement that fails part-way): set
        # before it runs, so a statement that raises leaves the transaction marked.
        if sql.lstrip()[:6].upper() != "SELECT":
            connection.info[_WROTE_BEFORE] = connection.info.get(_WROTE, True)
            connection.info[_WROTE] = True

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _executed(
        connection: Connection, cursor: Any, sql: str, _params: Any, _context: Any, many: bool
    ) -> None:
        # A plain UPDATE or DELETE that matched no row changed nothing and fired no trigger
        # (a command that ends no dialogue, a lease not taken).
        verb = sql.lstrip()[:6].upper()
        if not many and verb in ("UPDATE", "DELETE") and getattr(cursor, "rowcount", -1) == 0:
            connection.info[_WROTE] = connection.info.get(_WROTE_BEFORE, True)


class SqlUnitOfWork:
    """One transaction over the repositories; leaving without `commit()` rolls it back."""

    wards: Wards
    members: Members
    invites: Invites
    users: Users
    stays: Stays
    surgeries: Surgeries
    items: BoardItems
    audit: AuditLog
    tags: PatientTags
    lines: PatientLines
    ward_tags: WardTags
    signs: BedSigns
    orders: MedicationOrders
    reminders: Reminders
    policies: WardPolicies
    tasks: TaskOccurrences
    operators: Operators
    transfers: Transfers
    retention: Retention
    dialogues: Dialogues
    imports: ImportDrafts

    displays: WardDisplays
    handovers: Handovers
    his_messages: HisMessages
    events: AdverseEvents
    quality: QualitySettingsStore
    facts: QualityFacts
    checks: QualityChecks

    def __init__(self, sessions: async_sessionmaker[AsyncSession], database: Hashable) -> None:
        # A session does not touch the database until first used: creating it here is free.
        self._session = sessions()
        self._database = database
        self.wards = SqlWards(self._session)
        self.members = SqlMembers(self._session)
        self.invites = SqlInvites(self._session)
        self.users = SqlUsers(self._session)
        self.stays = SqlStays(self._session)
        self.surgeries = SqlSurgeries(self._session)
        self.items = SqlBoardItems(self._session)
        self.audit = SqlAuditLog(self._session)
        self.tags = SqlPatientTags(self._session)
        self.lines = SqlPatientLines(self._session)
        self.retention = SqlRetention(self._session)
        self.dialogues = SqlDialogues(self._session)
        self.imports = SqlImportDrafts(self._session)
        self.ward_tags = SqlWardTags(self._session)
        self.signs = SqlBedSigns(self._session)
        self.orders = SqlMedicationOrders(self._session)
        self.reminders = SqlReminders(self._session)
        self.policies = SqlWardPolicies(self._session)
        self.tasks = SqlTaskOccurrences(self._session)
        self.operators = SqlOperators(self._session)
        self.transfers = SqlTransfers(self._session)
        self.displays = SqlWardDisplays(self._session)
        self.handovers = SqlHandovers(self._session)
        self.his_messages = SqlHisMessages(self._session)
        self.events = SqlAdverseEvents(self._session)
        self.quality = SqlQualitySettings(self._session)
        self.facts = SqlQualityFacts(self._session)
        self.checks = SqlQualityChecks(self._session)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # After commit() this is a no-op; otherwise (forgotten commit, exception, or work
        # done after the commit) nothing half-done reaches the database.
        try:
            await self._session.rollback()
        finally:
            await self._session.close()

    async def commit(self) -> None:
        await self._session.commit()

    async def board_stamp(self, ward_id: int) -> Hashable | None:
        """The version of the ward's board this transaction sees (migration 0016), with the
        database's identity; None when this transaction changed something already."""
        session = self._session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        # Rows held from earlier in this session (a ward's policy) may be older than the
        # version about to be read: the board reads them afresh (_Repository._get).
        session.info.pop("held", None)
        connection = await session.connection()
        synced = connection.sync_connection
        if synced is None or synced.info.get(_WROTE, True):
            return None
        version = (await connection.execute(_BOARD_VERSION, {"ward_id": ward_id})).scalar()
        return None if version is None else (self._database, ward_id, version)


class Database:
    """The engine and session factory; `Database.uow` is the domain's UnitOfWorkFactory."""

    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)
        _track_writes(self._engine)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        # Names this Database in board stamps: versions of two databases never compare.
        self._identity = uuid.uuid4().hex

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._identity)

    @property
    def one_writer(self) -> bool:
        """SQLite: one transaction writes at a time (the others wait in the driver)."""
        return self._engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self._engine.dispose()


if TYPE_CHECKING:
    # mypy proves here that the storage fits the domain's ports.
    def _fits_ports(database: Database) -> UnitOfWorkFactory:
        return database.uow
