"""The ward's board colours (nursing levels, critical, overdue): a section of its policy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from boards.schedule._common import _mapping, _str
from boards.schedule.errors import PolicyError

__all__ = ["COLOUR_MARKS", "LEVEL_CODES", "BoardColours", "default_board_colours"]

_HEX: Final = re.compile(r"#[0-9A-Fa-f]{6}")

# Defaults from the Okabe-Ito palette (designed to stay apart for colour-blind readers),
# with the hues Chinese wards paint their nursing levels in (特级 red, 一级 pink, 二级 blue,
# 三级 green). Lightness differs too, so the bands also stay apart in grey. Every band and
# mark carries its text as well: colour is never the only signal.
# Keyed by `NursingLevel` values (boards.model imports this package, not the reverse).
_LEVELS: Final[Mapping[str, str]] = {
    "special": "#D55E00",
    "1": "#CC79A7",
    "2": "#0072B2",
    "3": "#009E73",
}
LEVEL_CODES: Final = tuple(_LEVELS)

# The marks besides the levels, by the word a head nurse types (`/policy colour 病危 #…`).
COLOUR_MARKS: Final = ("critical", "serious", "overdue")


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardColours:
    """Colours the board picture and the station screen draw with ("#RRGGBB")."""

    # (level value, colour) for every level, in `LEVEL_CODES` order: a tuple, so the policy
    # stays hashable. `level()` reads it.
    levels: tuple[tuple[str, str], ...] = tuple(_LEVELS.items())
    critical: str = "#A50026"  # 病危: a dark red frame and a filled mark
    serious: str = "#E69F00"  # 病重: orange
    overdue: str = "#F0E442"  # overdue tasks and lines past their limit: yellow, black text

    def __post_init__(self) -> None:
        values = [colour for _, colour in self.levels]
        values += [self.critical, self.serious, self.overdue]
        for value in values:
            if not isinstance(value, str) or not _HEX.fullmatch(value):
                raise PolicyError("schedule.policy.bad_colour", value=str(value))
        if tuple(code for code, _ in self.levels) != LEVEL_CODES:
            raise PolicyError("schedule.policy.malformed", path="colours.levels")

    def level(self, level: str) -> str:
        """The colour of a nursing level, by its `NursingLevel` value."""
        return dict(self.levels)[str(level)]

    def with_colour(self, what: str, colour: str) -> BoardColours:
        """A copy with one level's (by its value) or one mark's colour changed."""
        if what in LEVEL_CODES:
            levels = tuple((c, colour.upper() if c == what else v) for c, v in self.levels)
            return replace(self, levels=levels)
        if what not in COLOUR_MARKS:
            raise PolicyError("schedule.policy.malformed", path=f"colours.{what}")
        marks: dict[str, Any] = {what: colour.upper()}
        changed: BoardColours = replace(self, **marks)
        return changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "levels": dict(self.levels),
            "critical": self.critical,
            "serious": self.serious,
            "overdue": self.overdue,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> BoardColours:
        """Read a stored section; what is missing takes its default."""
        base = cls()
        raw_levels = _mapping(data.get("levels", {}), "colours.levels")
        levels = dict(base.levels)
        for key, value in raw_levels.items():
            if key not in LEVEL_CODES:
                raise PolicyError("schedule.policy.malformed", path="colours.levels")
            levels[key] = _str(value, f"colours.levels.{key}")
        marks = {
            name: _str(data.get(name, getattr(base, name)), f"colours.{name}")
            for name in COLOUR_MARKS
        }
        return cls(levels=tuple((code, levels[code]) for code in LEVEL_CODES), **marks)


def default_board_colours() -> BoardColours:
    return BoardColours()
