"""Guided dialogues: a bare command asks for its arguments one at a time, with buttons."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from boards.errors import BadInput
from boards.i18n import Texts
from boards.parsing import bed_sort_key, parse_age, parse_bed, parse_when
from boards.text import clean_text, excerpt

__all__ = ["DIALOGUES", "Dialogue", "Dialogues", "Kind", "Step", "check_answer", "keyboard"]

CALLBACK_PREFIX = "d:"
SKIP = "d:-"
CANCEL = "d:x"
_IDLE_SECONDS = 15 * 60
_BEDS_PER_ROW = 5
_MAX_BED_BUTTONS = 60


class Kind(Enum):
    OCCUPIED_BED = "occupied"
    BED = "bed"
    TEXT = "text"
    AGE = "age"
    WHEN = "when"
    CHOICE = "choice"
    OPTIONAL = "optional"


@dataclass(frozen=True, slots=True)
class Step:
    kind: Kind
    prompt: str
    # (catalogue key of the label, the word the command would have been typed with)
    choices: tuple[tuple[str, str], ...] = ()
    optional: bool = False


_OCCUPIED = Step(Kind.OCCUPIED_BED, "ask.bed")
_LEVELS = (
    ("level.special", "特级"),
    ("level.1", "一级"),
    ("level.2", "二级"),
    ("level.3", "三级"),
)

DIALOGUES: dict[str, tuple[Step, ...]] = {
    "admit": (
        Step(Kind.BED, "ask.free_bed"),
        Step(Kind.TEXT, "ask.name"),
        Step(Kind.CHOICE, "ask.sex", (("sex.M", "男"), ("sex.F", "女"))),
        Step(Kind.AGE, "ask.age"),
        Step(Kind.OPTIONAL, "ask.diagnosis", optional=True),
        Step(Kind.CHOICE, "ask.level", _LEVELS, optional=True),
    ),
    "discharge": (_OCCUPIED,),
    "move": (_OCCUPIED, Step(Kind.BED, "ask.new_bed")),
    "transfer": (_OCCUPIED, Step(Kind.TEXT, "ask.ward")),
    "surgery": (_OCCUPIED, Step(Kind.WHEN, "ask.surgery_time"), Step(Kind.TEXT, "ask.procedure")),
    "critical": (
        _OCCUPIED,
        Step(
            Kind.CHOICE,
            "ask.critical",
            (("critical.critical", "病危"), ("critical.serious", "病重"), ("critical.off", "off")),
        ),
    ),
    "op": (_OCCUPIED, Step(Kind.TEXT, "ask.op")),
    "exam": (_OCCUPIED, Step(Kind.WHEN, "ask.exam_time"), Step(Kind.TEXT, "ask.exam")),
    "note": (_OCCUPIED, Step(Kind.TEXT, "ask.note")),
    "card": (_OCCUPIED,),
    "tag": (_OCCUPIED, Step(Kind.TEXT, "ask.tag")),
    "line": (_OCCUPIED, Step(Kind.TEXT, "ask.line")),
    "sign": (_OCCUPIED,),
}


@dataclass
class Dialogue:
    command: str
    args: list[str] = field(default_factory=list)
    index: int = 0
    touched: float = field(default_factory=time.monotonic)

    @property
    def step(self) -> Step:
        return DIALOGUES[self.command][self.index]

    @property
    def done(self) -> bool:
        return self.index >= len(DIALOGUES[self.command])

    def give(self, value: str | None) -> None:
        """Record an answer (None: an optional question skipped) and move on."""
        if value is not None:
            self.args.append(value)
        self.index += 1
        self.touched = time.monotonic()


class Dialogues:
    """Dialogues in progress, one per private chat; forgotten after a quiet quarter hour."""

    def __init__(self) -> None:
        self._open: dict[int, Dialogue] = {}

    def start(self, chat_id: int, command: str, args: Sequence[str] = ()) -> Dialogue:
        dialogue = Dialogue(command, list(args), index=len(args))
        self._open[chat_id] = dialogue
        return dialogue

    def get(self, chat_id: int) -> Dialogue | None:
        dialogue = self._open.get(chat_id)
        if dialogue is not None and time.monotonic() - dialogue.touched > _IDLE_SECONDS:
            del self._open[chat_id]
            return None
        return dialogue

    def end(self, chat_id: int) -> Dialogue | None:
        return self._open.pop(chat_id, None)


def check_answer(
    step: Step, answer: str, *, bed_count: int | None, t: Texts, now: datetime
) -> str:
    """Reject a wrong answer at once, so the nurse re-types one field, not the whole form.

    The answer comes back cleaned (boards.text): an answer that is empty once cleaned
    (only invisible characters) is refused here, not at the end of the dialogue.
    """
    if step.kind in (Kind.BED, Kind.OCCUPIED_BED):
        return parse_bed(answer, bed_count=bed_count)
    # No NFKC here: a diagnosis or a note keeps 10⁹/L; the command's parser folds what it
    # reads (names, times, words).
    text = clean_text(answer, nfkc=False)
    if step.kind is Kind.AGE:
        parse_age(text)
    elif step.kind is Kind.WHEN:
        if parse_when(text, now=now, tz=t.tz) is None:
            raise BadInput("err.time_form", value=excerpt(text))
    elif not text:
        raise BadInput("err.text_empty")
    return text


def keyboard(step: Step, t: Texts, *, beds: Sequence[str] = ()) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if step.kind is Kind.OCCUPIED_BED:
        shown = sorted(beds, key=bed_sort_key)[:_MAX_BED_BUTTONS]
        for i in range(0, len(shown), _BEDS_PER_ROW):
            rows.append(
                [
                    InlineKeyboardButton(t.bed(b), callback_data=CALLBACK_PREFIX + b)
                    for b in shown[i : i + _BEDS_PER_ROW]
                ]
            )
    if step.choices:
        rows.append(
            [
                InlineKeyboardButton(t(label), callback_data=CALLBACK_PREFIX + word)
                for label, word in step.choices
            ]
        )
    last = [InlineKeyboardButton(t("btn.cancel"), callback_data=CANCEL)]
    if step.optional:
        last.insert(0, InlineKeyboardButton(t("btn.skip"), callback_data=SKIP))
    rows.append(last)
    return InlineKeyboardMarkup(rows)
