"""The one owner of a job's transaction: commit when the block ends, roll back when it raises."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from boards.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["transaction"]


@contextlib.asynccontextmanager
async def transaction(uow_factory: UnitOfWorkFactory) -> AsyncIterator[UnitOfWork]:
    """A unit of work owned here: committed when the block ends normally, rolled back (by
    the unit of work itself) when it raises. The domain never commits; its caller does: a
    turn (`bot.turn`) for an update, this for a job (the dispatcher, the publisher, the
    group's state)."""
    async with uow_factory() as uow:
        yield uow
        await uow.commit()
