"""The station screen as HTML for a 1920x1080 wall screen: census, bed map, the day's lists.

Pure: the station view (boards/views/station.py) in, markup out; every text is escaped
here. Marks are words as well as colours: a screen is read at two metres by people who may
not tell red from green.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from boards.i18n import Texts
from boards.schedule.colours import BoardColours
from boards.signs.colour import text_colour_for
from boards.views.rich import Line
from boards.views.station import BedCell, StationView

__all__ = ["render_fragment", "render_shell"]

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
# Pictographs the shipped font has no glyph for (📋 ✅ ⏰ and the emoji selector): a hospital
# screen has no emoji font either, so they would show as boxes. ⚠ and · are in the font.
_NO_GLYPH = re.compile("[\U0001f000-\U0001faff\u2705\u23e9-\u23fa\ufe0f]")


def _e(text: object) -> str:
    return html.escape(_NO_GLYPH.sub("", str(text)))


def _line(line: Line) -> str:
    return "".join(f"<b>{_e(s.text)}</b>" if s.strong else _e(s.text) for s in line)


def _cell(cell: BedCell) -> str:
    if cell.empty:
        return (
            f'<div class="bed empty" data-bed="{_e(cell.bed)}"><div class="no">{_e(cell.label)}'
            f'</div><div class="name">{_e(cell.empty_text)}</div></div>'
        )
    level = cell.level.value if cell.level is not None else "none"
    classes = ["bed", f"lv-{level}"]
    marks: list[str] = []
    if cell.critical is not None:
        classes.append(f"crit-{cell.critical.value}")
        marks.append(f'<span class="mark crit">{_e(cell.critical_text)}</span>')
    if cell.surgery is not None:
        marks.append(f'<span class="mark op">{_e(cell.surgery.text)}</span>')
    elif cell.post_op_text:
        marks.append(f'<span class="mark op">{_e(cell.post_op_text)}</span>')
    if cell.overdue:
        classes.append("overdue")
        marks.append(f'<span class="mark late">{_e(cell.overdue_text)}</span>')
    badges: list[str] = []
    for tag in cell.tags:
        style = f' style="border-color:{tag.colour}"' if _COLOUR.fullmatch(tag.colour) else ""
        text = f"{tag.text} {tag.detail}" if tag.detail else tag.text
        badges.append(f'<span class="tag"{style}>{_e(text)}</span>')
    for line in cell.lines_over:
        badges.append(f'<span class="tag line-late">{_e(line.text)}</span>')
    return (
        f'<div class="{" ".join(classes)}" data-bed="{_e(cell.bed)}">'
        f'<div class="band">{_e(cell.level_text)}</div>'
        f'<div class="no">{_e(cell.label)}</div>'
        f'<div class="name">{_e(cell.name)}</div>'
        f'<div class="marks">{"".join(marks)}</div>'
        f'<div class="tags">{"".join(badges)}</div>'
        "</div>"
    )


def _lists(view: StationView) -> Iterable[str]:
    if view.reminders:
        items = "".join(f"<li>{_line(line)}</li>" for line in view.reminders)
        yield f'<section class="list reminders"><ul>{items}</ul></section>'
    for section in view.sections:
        if section.lines:
            kind = section.key.rsplit(".", 1)[-1]
            items = "".join(f"<li>{_line(line)}</li>" for line in section.lines)
            yield (
                f'<section class="list {_e(kind)}"><h2>{_line(section.title)}</h2>'
                f"<ul>{items}</ul></section>"
            )


def _palette(colours: BoardColours) -> str:
    """The ward's colours (its policy) over the stylesheet's defaults; text black or white,
    whichever reads better on each."""
    rules = [
        f".bed.lv-{code} .band{{background:{fill};color:{text_colour_for(fill)}}}"
        for code, fill in colours.levels
    ]
    rules += [
        f".bed.crit-critical{{border-color:{colours.critical}}}",
        f".mark.crit{{background:{colours.critical};color:{text_colour_for(colours.critical)}}}",
        f".bed.crit-serious{{border-color:{colours.serious}}}",
        f".mark.late,.tag.line-late{{background:{colours.overdue};"
        f"color:{text_colour_for(colours.overdue)}}}",
    ]
    return "<style>" + "".join(rules) + "</style>"


def render_fragment(view: StationView, t: Texts, *, colours: BoardColours | None = None) -> str:
    """The part of the page that changes: `<main id="board">…</main>`, in the ward's colours."""
    counts = "".join(f"<div>{_line(line)}</div>" for line in view.census)
    cells = "".join(_cell(cell) for cell in view.cells)
    lists = "".join(_lists(view)) or f'<p class="quiet">{_e(t("board.empty"))}</p>'
    return (
        f'<main id="board" data-beds="{len(view.cells)}">'
        f"{_palette(colours or BoardColours())}"
        f'<header class="census"><h1>{_line(view.title)}</h1>{counts}'
        f'<p class="updated">{_line(view.updated)}</p></header>'
        f'<section class="beds">{cells}</section>'
        f'<aside class="lists">{lists}</aside>'
        "</main>"
    )


def render_shell(
    *,
    t: Texts,
    title: str,
    board_url: str,
    events_url: str,
    fragment: str = "",
    app: bool = False,
) -> str:
    """The whole page: the fragment (or a placeholder the script fills) and the live script."""
    body = fragment or '<main id="board"></main>'
    return (
        "<!DOCTYPE html>"
        f'<html lang="{_e(t.locale.replace("_", "-"))}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title>"
        '<link rel="stylesheet" href="/static/screen.css"></head>'
        f'<body data-board="{_e(board_url)}" data-events="{_e(events_url)}"'
        f' data-app="{"1" if app else ""}"'
        f' data-gone="{_e(t("display.page_gone"))}"'
        f' data-offline="{_e(t("display.page_offline"))}">'
        f'<div id="status" hidden></div>{body}'
        '<script src="/static/screen.js"></script></body></html>'
    )
