"""`wardboard purge`: each ward's retention applied from the server console, one ward at a time."""

from __future__ import annotations

from boards.clock import SystemClock
from boards.retention import purge_ward
from bot.config import Settings

__all__ = ["purge"]


async def purge(settings: Settings, *, dry_run: bool) -> int:
    from storage.migrate import upgrade
    from storage.uow import Database

    url = settings.resolved_database_url()
    await upgrade(url)
    database = Database(url)
    clock = SystemClock()
    try:
        async with database.uow() as uow:
            wards = await uow.wards.all()
        total = 0
        for ward in wards:
            # One transaction per ward: a ward done is done even if a later one fails.
            async with database.uow() as uow:
                done = await purge_ward(uow, clock, ward=ward, dry_run=dry_run)
                await uow.commit()
            total += done.stays
            verb = "would anonymise" if dry_run else "anonymised"
            print(
                f"{ward.name}: {verb} {done.stays} stays ended over {done.retention_days} days ago"
            )
        print(f"{'would anonymise' if dry_run else 'anonymised'} {total} stays in all")
    finally:
        await database.dispose()
    return 0
