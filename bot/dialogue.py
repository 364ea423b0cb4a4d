"""Guided dialogues: a bare command asks for its arguments one at a time, with buttons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from boards.errors import BadInput
from boards.i18n import Texts
from boards.parsing import bed_sort_key, parse_age, parse_bed
from boards.text import clean_text, excerpt, is_number
from boards.when import parse_when

__all__ = [
    "ADMIT",
    "CANCEL",
    "CRITICAL",
    "EXAM",
    "IDLE_SECONDS",
    "LINE",
    "MOVE",
    "NOTE",
    "OP",
    "PATIENT",
    "SURGERY",
    "TAG",
    "Answer",
    "Dialogue",
    "Kind",
    "Step",
    "Steps",
    "check_answer",
    "keyboard",
    "parse_answer",
]

# Every answer button names the ward its dialogue acts in, and a bed button the stay it
# was drawn for: `d:<ward>:-` skip, `d:<ward>:c:<word>` a choice, `d:<ward>:b:<bed>:<stay>`.
CALLBACK_PREFIX = "d:"
CANCEL = "d:x"
IDLE_SECONDS = 15 * 60
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

Steps = tuple[Step, ...]

# The questions of each guided command; the command table (bot/table.py) assigns them.
ADMIT: Steps = (
    Step(Kind.BED, "ask.free_bed"),
    Step(Kind.TEXT, "ask.name"),
    Step(Kind.CHOICE, "ask.sex", (("sex.M", "男"), ("sex.F", "女"))),
    Step(Kind.AGE, "ask.age"),
    Step(Kind.OPTIONAL, "ask.diagnosis", optional=True),
    Step(Kind.CHOICE, "ask.level", _LEVELS, optional=True),
)
PATIENT: Steps = (_OCCUPIED,)
MOVE: Steps = (_OCCUPIED, Step(Kind.BED, "ask.new_bed"))
SURGERY: Steps = (
    _OCCUPIED,
    Step(Kind.WHEN, "ask.surgery_time"),
    Step(Kind.TEXT, "ask.procedure"),
)
CRITICAL: Steps = (
    _OCCUPIED,
    Step(
        Kind.CHOICE,
        "ask.critical",
        (("critical.critical", "病危"), ("critical.serious", "病重"), ("critical.off", "off")),
    ),
)
OP: Steps = (_OCCUPIED, Step(Kind.TEXT, "ask.op"))
EXAM: Steps = (_OCCUPIED, Step(Kind.WHEN, "ask.exam_time"), Step(Kind.TEXT, "ask.exam"))
NOTE: Steps = (_OCCUPIED, Step(Kind.TEXT, "ask.note"))
TAG: Steps = (_OCCUPIED, Step(Kind.TEXT, "ask.tag"))
LINE: Steps = (_OCCUPIED, Step(Kind.TEXT, "ask.line"))


@dataclass
class Dialogue:
    """One guided command in progress, bound to the ward it started in.

    `expected` holds, per bed answered, the stay that was in it: the command runs only if
    that patient is still the one in that bed when the last answer comes.
    """

    command: str
    ward_id: int
    steps: Steps
    args: list[str] = field(default_factory=list)
    index: int = 0
    expected: dict[str, int] = field(default_factory=dict)

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    @property
    def done(self) -> bool:
        return self.index >= len(self.steps)

    def give(self, value: str | None) -> None:
        """Record an answer (None: an optional question skipped) and move on."""
        if value is not None:
            self.args.append(value)
        self.index += 1


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


@dataclass(frozen=True, slots=True)
class Answer:
    """A pressed answer button: its ward, and a word, a bed with its stay, or a skip."""

    ward_id: int
    value: str | None
    stay_id: int | None = None


def parse_answer(data: str) -> Answer | None:
    """The answer a button carries; None for anything malformed (a forged button)."""
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != "d" or not is_number(parts[1]):
        return None
    ward_id, kind = int(parts[1]), parts[2]
    if kind == "-" and len(parts) == 3:
        return Answer(ward_id, None)
    if kind == "c" and len(parts) == 4 and parts[3]:
        return Answer(ward_id, parts[3])
    if kind == "b" and len(parts) == 5 and parts[3] and is_number(parts[4]):
        return Answer(ward_id, parts[3], int(parts[4]))
    return None


def keyboard(
    step: Step, t: Texts, *, ward_id: int, beds: Sequence[tuple[str, int]] = ()
) -> InlineKeyboardMarkup:
    """The answer buttons of a step; `beds` are the occupied beds with their stays."""
    rows: list[list[InlineKeyboardButton]] = []
    prefix = f"{CALLBACK_PREFIX}{ward_id}:"
    if step.kind is Kind.OCCUPIED_BED:
        shown = sorted(beds, key=lambda b: bed_sort_key(b[0]))[:_MAX_BED_BUTTONS]
        for i in range(0, len(shown), _BEDS_PER_ROW):
            rows.append(
                [
                    InlineKeyboardButton(t.bed(bed), callback_data=f"{prefix}b:{bed}:{stay}")
                    for bed, stay in shown[i : i + _BEDS_PER_ROW]
                ]
            )
    if step.choices:
        rows.append(
            [
                InlineKeyboardButton(t(label), callback_data=f"{prefix}c:{word}")
                for label, word in step.choices
            ]
        )
    last = [InlineKeyboardButton(t("btn.cancel"), callback_data=CANCEL)]
    if step.optional:
        last.insert(0, InlineKeyboardButton(t("btn.skip"), callback_data=f"{prefix}-"))
    rows.append(last)
    return InlineKeyboardMarkup(rows)
