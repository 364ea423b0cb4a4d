"""What the board picture draws, as words and colours already chosen: no lookups while drawing."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Badge",
    "BedCell",
    "BoardPicture",
    "Legend",
    "PictureReport",
    "Section",
]


@dataclass(frozen=True, slots=True)
class Badge:
    """A coloured mark that always carries its text."""

    text: str
    colour: str


@dataclass(frozen=True, slots=True)
class BedCell:
    """One bed of the map. `name` None: the bed is empty (then only `bed` and `empty_text`)."""

    bed: str  # the bed as printed in the cell: "12", "+1"
    name: str | None = None
    level: Badge | None = None  # the band: colour and its short text ("一级")
    critical: Badge | None = None  # 病危 / 病重, with the ward's colour
    surgery: str | None = None  # "手术 14:30", "术后第2天", "手术中"
    tags: tuple[Badge, ...] = ()
    lines: tuple[str, ...] = ()  # lines past their limit, by short name ("PICC")
    overdue: str | None = None  # "逾期 2": open tasks past the escalation window
    empty_text: str = ""

    @property
    def empty(self) -> bool:
        return self.name is None


@dataclass(frozen=True, slots=True)
class Section:
    """A list beside the map: its heading and one line of text per entry."""

    title: str
    lines: tuple[str, ...]
    urgent: bool = False  # drawn with the overdue colour behind it


@dataclass(frozen=True, slots=True)
class Legend:
    """The key under the map: what each colour means, each with its text."""

    items: tuple[Badge, ...]


@dataclass(frozen=True, slots=True)
class BoardPicture:
    """Everything on the 1920x1080 board: header, census, bed map, sections, legend."""

    title: str
    updated: str
    census: tuple[str, ...]
    cells: tuple[BedCell, ...]
    sections: tuple[Section, ...]
    legend: Legend
    alert_colour: str  # lines past their limit and overdue tasks
    more: str = "…+{n}"  # a shortened list: "…另有 {n} 条"
    no_beds: str = ""


@dataclass(frozen=True, slots=True)
class PictureReport:
    """What the layout had to shorten to fit: empty when everything was drawn in full."""

    truncated: tuple[str, ...] = ()
    columns: int = 0
    rows: int = 0
    scale: float = 1.0

    @property
    def complete(self) -> bool:
        return not self.truncated
