"""The command table: every command once, with where it works, who may use it, its dialogue.

Registration, the per-language command menus, the private-only rule, the guided dialogues
and the authorisation tests all derive from this one table: a command added here is
registered, listed and tested; a command not added here does not exist.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import dialogue as steps
from bot.bedside_handlers import BEDSIDE_COMMANDS
from bot.census import CENSUS_COMMANDS
from bot.display import DISPLAY_COMMANDS
from bot.handlers import WARD_COMMANDS
from bot.handover import HANDOVER_COMMANDS
from bot.hl7.commands import HL7_COMMANDS
from bot.membership import MEMBERSHIP_COMMANDS
from bot.orders import REMINDER_COMMANDS
from bot.policy import POLICY_COMMANDS
from bot.quality import QUALITY_COMMANDS
from bot.transfers import TRANSFER_COMMANDS
from bot.turn import Turn

__all__ = ["COMMANDS", "MENU", "Command", "Need", "Where", "command"]

Action = Callable[[Turn, list[str]], Awaitable[None]]


class Where(enum.Enum):
    """Where a command answers. PRIVATE: its reply carries patient details or is personal."""

    ANY = "any"
    PRIVATE = "private"
    GROUP = "group"


class Need(enum.Enum):
    """Who may use it: anyone, an approved member of the ward, its head nurse."""

    ANYONE = "anyone"
    MEMBER = "member"
    HEAD = "head"


# Each feature module exports its actions by command name; the table says the rest.
_ACTIONS: dict[str, Action] = {
    **WARD_COMMANDS,
    **MEMBERSHIP_COMMANDS,
    **BEDSIDE_COMMANDS,
    **REMINDER_COMMANDS,
    **POLICY_COMMANDS,
    **TRANSFER_COMMANDS,
    **DISPLAY_COMMANDS,
    **HANDOVER_COMMANDS,
    **CENSUS_COMMANDS,
    **HL7_COMMANDS,
    **QUALITY_COMMANDS,
}


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    where: Where = Where.ANY
    need: Need = Need.MEMBER
    # In the command menu (in table order) or not (/start, /cancel, /unbind...).
    menu: bool = True
    # Typed bare in a private chat, the command asks for its arguments step by step.
    steps: steps.Steps | None = None
    # Changes the ward (its board, its patients, its settings) rather than only reading.
    writes: bool = True

    @property
    def action(self) -> Action:
        return _ACTIONS[self.name]


_P, _G = Where.PRIVATE, Where.GROUP

COMMANDS: tuple[Command, ...] = (
    Command("board", writes=False),
    Command("tasks", writes=False),
    Command("handover", where=_P, writes=False),
    Command("admit", steps=steps.ADMIT),
    Command("discharge", steps=steps.PATIENT),
    Command("move", steps=steps.MOVE),
    Command("transfer", steps=steps.PATIENT),
    Command("accept"),
    Command("surgery", steps=steps.SURGERY),
    Command("critical", steps=steps.CRITICAL),
    Command("op", steps=steps.OP),
    Command("exam", steps=steps.EXAM),
    Command("note", steps=steps.NOTE),
    Command("card", where=_P, steps=steps.PATIENT, writes=False),
    Command("tag", steps=steps.TAG),
    Command("untag"),
    Command("line", steps=steps.LINE),
    Command("unline"),
    Command("med"),
    Command("meds", where=_P, writes=False),
    Command("stopmed"),
    Command("remind"),
    Command("stopremind"),
    Command("sign", where=_P, steps=steps.PATIENT),
    Command("signs", where=_P),
    Command("labels", where=_P, writes=False),
    Command("import", where=_P),
    Command("export", where=_P, writes=False),
    Command("tags"),
    Command("event", where=_P),
    Command("events", where=_P),
    Command("report", where=_P, writes=False),
    Command("qc", where=_P),
    Command("policy"),
    Command("members", where=_P, writes=False),
    Command("invite", where=_P, need=Need.HEAD),
    Command("display", where=_P, need=Need.HEAD),
    Command("hiscode", where=_P, need=Need.HEAD, menu=False),
    Command("ward", where=_P, writes=False),
    Command("newward", where=_P, need=Need.ANYONE, menu=False),
    Command("bind", where=_G, need=Need.HEAD),
    Command("unbind", need=Need.HEAD, menu=False),
    Command("lang", need=Need.ANYONE, writes=False),
    Command("help", need=Need.ANYONE, writes=False),
    Command("start", need=Need.ANYONE, menu=False, writes=False),
    Command("cancel", where=_P, need=Need.ANYONE, menu=False, writes=False),
)

_BY_NAME = {c.name: c for c in COMMANDS}
if set(_BY_NAME) != set(_ACTIONS):
    # A command with no row, or a row with no action: caught at import, in every test.
    raise RuntimeError(f"command table out of step: {sorted(set(_BY_NAME) ^ set(_ACTIONS))}")
MENU = tuple(c.name for c in COMMANDS if c.menu)


def command(name: str) -> Command:
    return _BY_NAME[name]
