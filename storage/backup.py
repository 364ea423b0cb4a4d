"""Backups: SQLite copied consistently while the bot runs, PostgreSQL through pg_dump."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["BackupError", "backup", "counts", "restore"]

# Tables whose row counts a backup and a restore report (what an IT person checks).
_COUNTED = ("wards", "members", "stays", "audit_log")


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.get_backend_name().startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(parsed.database)


def _libpq_url(url: str) -> str:
    # pg_dump speaks libpq, which knows no "+asyncpg" driver suffix.
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client) "
            "of the server's major version"
        )
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # stderr names tables and options, never rows.
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-500:]}")


async def counts(url: str) -> dict[str, int]:
    """Rows in the tables an IT person checks after a backup or a restore."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                t: int((await connection.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
                for t in _COUNTED
            }
    finally:
        await engine.dispose()


def _sqlite(path: Path, *, read_only: bool) -> contextlib.closing[sqlite3.Connection]:
    # sqlite3's own context manager commits but does not close.
    target = f"file:{path}?mode=ro" if read_only else str(path)
    return contextlib.closing(sqlite3.connect(target, uri=read_only))


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database at `url` to `target` (not overwritten).

    SQLite: the online backup API, page by page, safe while the bot writes (a writer is only
    made to wait for a moment). PostgreSQL: `pg_dump --format=custom`, one snapshot.
    """
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file name")
    path = _sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise BackupError(f"no database at {path}")
        partial = target.with_name(target.name + ".partial")
        with _sqlite(path, read_only=True) as source, _sqlite(partial, read_only=False) as copy:
            source.backup(copy, pages=1024)
        partial.rename(target)
        return
    partial = target.with_name(target.name + ".partial")
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", _libpq_url(url)])
    partial.rename(target)


def restore(url: str, source: Path) -> None:
    """Replace the database at `url` with the backup `source`. Stop the bot first.

    SQLite: the backup API into the database file (whole, or not at all). PostgreSQL:
    `pg_restore --clean --if-exists --single-transaction`: every table of the backup dropped
    and re-created in one transaction, so a failed restore leaves the database as it was.
    """
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    path = _sqlite_path(url)
    if path is not None:
        with _sqlite(source, read_only=True) as backup_db:
            try:
                backup_db.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.DatabaseError as error:
                raise BackupError(f"{source} is not a WardBoard SQLite backup ({error})") from None
            with _sqlite(path, read_only=False) as live:
                backup_db.backup(live)
        return
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(url)}",
            str(source),
        ]
    )
