"""`wardboard backup|restore|purge`: the data-safety commands an IT department runs."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.config import Settings

__all__ = ["add_parsers", "run"]

COMMANDS = ("backup", "restore", "purge")


def add_parsers(sub: Any) -> None:
    backup = sub.add_parser(
        "backup", help="copy the database to FILE (SQLite: safe while the bot runs)"
    )
    backup.add_argument("file", type=Path)
    restore = sub.add_parser(
        "restore", help="replace the database with the backup FILE (stop the bot first)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--yes", action="store_true", help="really replace it")
    purge = sub.add_parser(
        "purge", help="anonymise stays discharged longer ago than each ward's retention"
    )
    purge.add_argument("--dry-run", action="store_true", help="only say what would be done")


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in counts.items())


def run(args: argparse.Namespace, settings: Settings) -> int:
    from storage.backup import BackupError, backup, counts, restore

    url = settings.resolved_database_url()
    try:
        if args.command == "backup":
            backup(url, args.file)
            print(f"backup written to {args.file}: {_counted(asyncio.run(counts(url)))}")
            return 0
        if args.command == "restore":
            if not args.yes:
                print(f"this replaces every ward's data with {args.file}; add --yes to go on")
                return 2
            restore(url, args.file)
            print(f"database restored from {args.file}: {_counted(asyncio.run(counts(url)))}")
            return 0
    except BackupError as error:
        print(f"wardboard {args.command}: {error}")
        return 1
    from bot.purge import purge

    return asyncio.run(purge(settings, dry_run=args.dry_run))
