"""The one owner of a job's transaction: commit when the block ends, roll back when it raises."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from boards.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["RETRY_WAITS", "retried", "transaction"]

log = logging.getLogger(__name__)

# Seconds between tries of a transaction that must not be lost to a database restarting:
# about 30 s in all, well inside a reminder's lease (boards.tasks.LEASE, 2 minutes).
RETRY_WAITS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0)


@contextlib.asynccontextmanager
async def transaction(uow_factory: UnitOfWorkFactory) -> AsyncIterator[UnitOfWork]:
    """A unit of work owned here: committed when the block ends normally, rolled back (by
    the unit of work itself) when it raises. The domain never commits; its caller does: a
    turn (`bot.turn`) for an update, this for a job (the dispatcher, the publisher, the
    group's state)."""
    async with uow_factory() as uow:
        yield uow
        await uow.commit()


async def retried(
    uow_factory: UnitOfWorkFactory,
    work: Callable[[UnitOfWork], Awaitable[Any]],
    *,
    what: str,
    waits: Sequence[float] = RETRY_WAITS,
) -> None:
    """`work` in a `transaction`, tried again after each of `waits` while it fails (the
    database restarting, a failover); the last failure is raised. For work that is safe to
    repeat and costly to lose: the record of a message that is out already."""
    for wait in (*waits, None):
        try:
            async with transaction(uow_factory) as uow:
                await work(uow)
            return
        except Exception as exc:
            if wait is None:
                raise
            # The type only: a database error's text may quote the statement's parameters.
            log.warning(
                "%s not recorded (%s); trying again in %.2f s", what, type(exc).__name__, wait
            )
            await asyncio.sleep(wait)
