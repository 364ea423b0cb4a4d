"""Rich text for message views: lines of spans, some strong; no markup language of any screen."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Line", "Section", "Span", "join", "markup", "plain", "strong", "text"]


class Span(NamedTuple):
    """A run of text; `strong` is what Telegram shows bold and a screen shows heavier.

    A named tuple, not a frozen dataclass: a board makes some 900 of them, and a tuple is
    made in half the time, immutable all the same.
    """

    text: str
    strong: bool = False


# One line of a message or a screen: spans read left to right.
Line = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """A titled list of a view (入院, 手术, 备注…); `key` is its catalogue key, for styling."""

    key: str
    title: Line
    lines: tuple[Line, ...]


def text(value: str) -> Line:
    return (Span(value),) if value else ()


def strong(value: str) -> Line:
    return (Span(value, strong=True),) if value else ()


def plain(line: Line) -> str:
    """The line as a reader sees it, without emphasis."""
    return "".join(span.text for span in line)


def join(parts: Iterable[Line], sep: str = " ") -> Line:
    out: list[Span] = []
    between = Span(sep) if sep else None
    for i, part in enumerate(parts):
        if i and between is not None:
            out.append(between)
        out.extend(part)
    return tuple(out)


_BOLD = re.compile(r"(</?b>)")


def markup(value: str) -> Line:
    """A catalogue text, formatted with escaped values, as spans.

    Catalogue texts carry Telegram's `<b>` and entities (their values are escaped before
    they go in); this is the one place that reads them, so no view holds markup. Most
    texts of a board ("二级护理", "第3天") have neither tags nor entities: one span. (Not
    memoised: the texts hold patient data, which retention must be able to erase.)
    """
    if "<" not in value and "&" not in value:
        return (Span(value),) if value else ()
    out: list[Span] = []
    bold = False
    for piece in _BOLD.split(value):
        if piece == "<b>":
            bold = True
        elif piece == "</b>":
            bold = False
        elif piece:
            out.append(Span(html.unescape(piece), strong=bold))
    return tuple(out)
