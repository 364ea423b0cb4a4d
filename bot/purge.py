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

__all__ = ["DailyRetention", "apply_daily", "purge"]

log = logging.getLogger(__name__)


async def apply_daily(
    uow_factory: UnitOfWorkFactory, clock: Clock, *, ward: Ward, day: date
) -> Purge | None:
    """The ward's retention of its local `day`, applied by whichever instance asks first
    (None for the others, and for a day already done), `retention.BATCH` stays a
    transaction: the day is claimed in the first batch's, so a first batch that fails gives
    it back for the next check."""
    total = 0
    claimed = False
    while True:
        async with transaction(uow_factory) as uow:
            if not claimed and not await uow.retention.claim_day(ward.id, day):
                return None
            claimed = True
            done = await purge_ward(
                uow, clock, ward=ward, dry_run=False, actor=DAILY, limit=retention.BATCH
            )
        total += done.stays
        if done.stays < retention.BATCH:
            return Purge(ward, done.retention_days, total)


class DailyRetention:
    """Each ward's retention applied once its local day has begun, with the board's day
    check: the day is claimed in the database, so of several instances one applies it.
    Each process then forgets the patient text its memoised drawing and sign digests hold,
    so a name the database no longer has does not live on in memory either."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # The local day each ward was last seen through, by this process.
        self._days: dict[int, date] = {}

    async def run_once(self) -> int:
        """Stays this process anonymised now (another instance's count is its own)."""
        now = self.runtime.clock.now()
        async with self.runtime.uow() as uow:
            wards = await uow.wards.all()
        anonymised = 0
        turned = False
        for ward in wards:
            day = now.astimezone(ZoneInfo(ward.timezone)).date()
            if self._days.get(ward.id) == day:
                continue
            try:
                done = await apply_daily(
                    self.runtime.uow_factory, self.runtime.clock, ward=ward, day=day
                )
            except Exception:
                # Nothing of it committed: the next check tries again.
                log_failure(log, "retention for ward %s not applied", ward.id)
                continue
            self._days[ward.id] = day
            turned = True
            if done is not None and done.stays:
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
