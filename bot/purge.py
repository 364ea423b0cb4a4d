"""Retention applied: by the bot itself once each ward's day, and by `wardboard purge`."""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from boards import retention
from boards.clock import SystemClock
from boards.memo import forget_patient_text
from boards.model import Ward
from boards.ports import Clock, UnitOfWorkFactory
from boards.retention import DAILY, Purge, purge_ward
from bot.config import Settings
from bot.logsafe import log_failure
from bot.runtime import Runtime
from bot.transaction import transaction

__all__ = ["DailyRetention", "anonymise_expired", "apply_daily", "claim_day", "purge"]

log = logging.getLogger(__name__)


async def claim_day(uow_factory: UnitOfWorkFactory, *, ward: Ward, day: date) -> bool:
    """Whether this instance applies the ward's retention of its local `day` (once a ward
    and day, whoever asks first): committed at once, as the claim holds the ward's row."""
    async with transaction(uow_factory) as uow:
        return await uow.wards.claim_retention_day(ward.id, day)


async def anonymise_expired(uow_factory: UnitOfWorkFactory, clock: Clock, *, ward: Ward) -> Purge:
    """The ward's expired stays anonymised, `retention.BATCH` a transaction until none is
    left: a backlog of years holds the database's write lock a moment at a time."""
    total = 0
    while True:
        async with transaction(uow_factory) as uow:
            done = await purge_ward(
                uow, clock, ward=ward, dry_run=False, actor=DAILY, limit=retention.BATCH
            )
        total += done.stays
        if done.stays < retention.BATCH:
            return Purge(ward, done.retention_days, total)


async def apply_daily(
    uow_factory: UnitOfWorkFactory, clock: Clock, *, ward: Ward, day: date
) -> Purge | None:
    """The ward's retention of its local `day`, applied by whichever instance asks first;
    None for the others, and for a day already done."""
    if not await claim_day(uow_factory, ward=ward, day=day):
        return None
    return await anonymise_expired(uow_factory, clock, ward=ward)


class DailyRetention:
    """Each ward's retention applied once its local day has begun, with the board's day
    check: the day is claimed in the database, so of several instances one applies it.
    A claimed day whose batches failed is finished at the next check (by this process; if
    it dies first, the rest waits for the next day's claim). When a ward's day turns, the
    process also forgets the patient text its memoised drawing and sign digests hold, so a
    name the database no longer has does not live on in memory either."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # The local day each ward was last seen through, by this process.
        self._days: dict[int, date] = {}
        # Days this process claimed and has not finished (a batch failed).
        self._unfinished: dict[int, date] = {}

    async def run_once(self) -> int:
        """Stays this process anonymised now (another instance's count is its own)."""
        runtime = self.runtime
        now = runtime.clock.now()
        async with runtime.uow() as uow:
            wards = await uow.wards.all()
        anonymised = 0
        turned = False
        for ward in wards:
            try:
                day = now.astimezone(ZoneInfo(ward.timezone)).date()
                if self._days.get(ward.id) == day:
                    continue
                turned = True
                if self._unfinished.get(ward.id) != day:
                    if not await claim_day(runtime.uow_factory, ward=ward, day=day):
                        # Another instance has it, or it was done before a restart.
                        self._days[ward.id] = day
                        continue
                    self._unfinished[ward.id] = day
                done = await anonymise_expired(runtime.uow_factory, runtime.clock, ward=ward)
            except Exception:
                # What was committed stays; the next check goes on with the rest.
                log_failure(log, "retention for ward %s not applied", ward.id)
                continue
            del self._unfinished[ward.id]
            self._days[ward.id] = day
            if done.stays:
                anonymised += done.stays
                log.info("retention: ward %s, %d stays anonymised", ward.id, done.stays)
        if turned:
            forget_patient_text()
        return anonymised


async def purge(settings: Settings, *, dry_run: bool) -> int:
    """`wardboard purge [--dry-run]`: every ward's retention applied now, from the console."""
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
