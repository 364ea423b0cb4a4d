"""Where guided dialogues are kept: the database, so any bot instance takes the next answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from boards.model import DialogueState
from boards.ports import UnitOfWork
from bot.dialogue import IDLE_SECONDS, Dialogue, Steps

__all__ = ["Dialogues"]


class Dialogues:
    """Dialogues in progress, one per private chat; forgotten after a quiet quarter hour.

    Kept in the database (any bot instance takes the next answer), in the turn's own unit of
    work; a dialogue ended by a command that is then refused stays ended (`turn` deletes it
    again once the refused transaction rolled back). Idle time is wall-clock time: the
    ward's clock may be a test's manual one.
    """

    def __init__(self, steps_of: Callable[[str], Steps | None]) -> None:
        self._steps_of = steps_of

    async def start(
        self,
        uow: UnitOfWork,
        chat_id: int,
        command: str,
        ward_id: int,
        steps: Steps,
        args: Sequence[str] = (),
        expected: dict[str, int] | None = None,
    ) -> Dialogue:
        dialogue = Dialogue(command, ward_id, steps, list(args), index=len(args))
        dialogue.expected.update(expected or {})
        await self.save(uow, chat_id, dialogue)
        return dialogue

    async def get(self, uow: UnitOfWork, chat_id: int) -> Dialogue | None:
        state = await uow.dialogues.get(chat_id)
        if state is None:
            return None
        steps = self._steps_of(state.command)
        stale = datetime.now(UTC) - state.touched_at > timedelta(seconds=IDLE_SECONDS)
        # A finished one whose command was refused (its end rolled back with it) is gone too.
        if steps is None or stale or state.index >= len(steps):
            await uow.dialogues.delete(chat_id)
            return None
        return Dialogue(
            state.command,
            state.ward_id,
            steps,
            list(state.args),
            index=state.index,
            expected=dict(state.expected),
        )

    async def save(self, uow: UnitOfWork, chat_id: int, dialogue: Dialogue) -> None:
        """Record the dialogue as it now stands (after an answer was given)."""
        await uow.dialogues.put(
            DialogueState(
                chat_id=chat_id,
                command=dialogue.command,
                ward_id=dialogue.ward_id,
                args=tuple(dialogue.args),
                index=dialogue.index,
                expected=tuple(dialogue.expected.items()),
                touched_at=datetime.now(UTC),
            )
        )

    async def end(self, uow: UnitOfWork, chat_id: int) -> Dialogue | None:
        dialogue = await self.get(uow, chat_id)
        # None: there was none, or `get` deleted a stale one; every command typed asks, and
        # most find none: no DELETE then (a read-only command stays a read).
        if dialogue is not None:
            await uow.dialogues.delete(chat_id)
        return dialogue
