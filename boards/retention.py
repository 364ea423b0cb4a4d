"""Retention: anonymise the stays a ward no longer needs to name, audited, counts kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from boards.access import Actor, record_audit
from boards.model import Ward
from boards.ports import Clock, UnitOfWork
from boards.tasks import get_policy

__all__ = ["BATCH", "CONSOLE", "DAILY", "Purge", "purge_ward"]

# The server console (`wardboard purge`), as audited: no Telegram user has id 0.
CONSOLE = Actor(0, "wardboard purge")
# The bot itself, once each ward's local day (bot/purge.py), in batches of BATCH stays.
DAILY = Actor(0, "wardboard retention")
# Stays anonymised in one transaction: a first run over years of a ward's past holds the
# database's write lock for a moment at a time, not for the whole backlog.
BATCH = 500


@dataclass(frozen=True, slots=True)
class Purge:
    ward: Ward
    retention_days: int
    stays: int


async def purge_ward(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ward: Ward,
    dry_run: bool,
    actor: Actor = CONSOLE,
    limit: int | None = None,
) -> Purge:
    """Anonymise the ward's stays that ended more than its retention days ago (the caller
    commits), the first `limit` of them (by id) when given; with `dry_run` only count them
    all. Each run that changes anything is audited with how many stays, the cut-off and
    who ran it (the console or the bot), never with whom."""
    policy = await get_policy(uow, ward=ward)
    cutoff = clock.now() - timedelta(days=policy.retention_days)
    expired = await uow.retention.expired(
        ward.id, ended_before=cutoff, limit=None if dry_run else limit
    )
    if dry_run or not expired:
        return Purge(ward, policy.retention_days, len(expired))
    done = await uow.retention.anonymise(ward.id, expired)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "retention:anonymise",
        f"{done} stays",
        after={
            "stays": done,
            "ended_before": cutoff.isoformat(),
            "days": policy.retention_days,
            "by": actor.name,
        },
    )
    return Purge(ward, policy.retention_days, done)
