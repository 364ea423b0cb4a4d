"""What every handler and job needs, carried by a typed PTB context instead of bot_data dicts."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from boards.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.config import Settings
from bot.transaction import transaction

if TYPE_CHECKING:
    from bot.dialogue_store import Dialogues
    from bot.publisher import BoardPublisher

__all__ = ["Runtime", "WardContext"]

RUNTIME_KEY = "wardboard.runtime"
# Runtime.extras: the station screens' web server (bot.web.ScreenServer), when it runs.
SCREEN_KEY = "screen"


@dataclass
class Runtime:
    settings: Settings
    uow_factory: UnitOfWorkFactory
    clock: Clock
    publisher: BoardPublisher
    dialogues: Dialogues
    extras: dict[str, Any] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        """A unit of work to read in (left uncommitted, it changes nothing)."""
        return self.uow_factory()

    def transaction(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work that commits when the block ends normally (see `transaction`)."""
        return transaction(self.uow_factory)


class WardContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context plus typed access to the WardBoard runtime."""

    @property
    def runtime(self) -> Runtime:
        runtime = self.application.bot_data[RUNTIME_KEY]
        assert isinstance(runtime, Runtime)
        return runtime


WardApplication = Application[Any, WardContext, Any, Any, Any, Any]
