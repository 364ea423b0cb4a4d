"""The station screen as HTML for a 1920x1080 wall screen: census, bed map, the day's lists.

Pure: board data in, markup out. Every value is escaped here; the day's lists come from
the board renderer's sections, whose lines are already escaped Telegram HTML (a subset of
HTML). Marks are words as well as colours: a screen is read at two metres by people who
may not tell red from green.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from boards.board import _census_lines, _sections
from boards.board_data import BoardData, census, day_bounds, post_op_day
from boards.i18n import Texts
from boards.masking import mask_name
from boards.model import Stay, Surgery, SurgeryState
from boards.parsing import bed_sort_key

__all__ = ["ScreenData", "render_fragment", "render_shell"]

POST_OP_DAYS_SHOWN = 7


@dataclass(frozen=True, slots=True)
class ScreenData:
    """The board's data plus the stays with an overdue task (a mark on their bed)."""

    board: BoardData
    overdue_stays: frozenset[int]
    names_full: bool


def _e(text: object) -> str:
    return html.escape(str(text))


def _beds(data: BoardData) -> list[tuple[str, Stay | None]]:
    """Every bed of the ward in bed order, occupied or empty; extra beds where they are."""
    occupied = {s.bed: s for s in data.active}
    numbers = [str(n) for n in range(1, (data.ward.bed_count or 0) + 1)]
    extra = sorted((b for b in occupied if b not in set(numbers)), key=bed_sort_key)
    return [(bed, occupied.get(bed)) for bed in (*numbers, *extra)]


def _surgery_mark(op: Surgery | None, data: BoardData, t: Texts) -> str:
    if op is None:
        return ""
    tz = ZoneInfo(data.ward.timezone)
    start, _ = day_bounds(data.now, tz)
    if op.state is SurgeryState.SCHEDULED:
        if op.scheduled_at < start + timedelta(days=2):
            return f"{t('surgery.scheduled')} {t.date_hm(op.scheduled_at, now=data.now)}"
        return ""
    if op.state is SurgeryState.IN_THEATRE:
        return t("surgery.in_theatre")
    day = post_op_day(op, data.now, tz)
    if day is None or day > POST_OP_DAYS_SHOWN:
        return ""
    return t("surgery.back") if day == 0 else t("board.post_op_day", n=day)


def _cell(bed: str, stay: Stay | None, screen: ScreenData, t: Texts, surgery: str) -> str:
    label = _e(t.bed(bed))
    if stay is None:
        return (
            f'<div class="bed empty" data-bed="{_e(bed)}"><div class="no">{label}</div>'
            f'<div class="name">{_e(t("screen.empty_bed"))}</div></div>'
        )
    data = screen.board
    zh = t.locale.startswith("zh")
    name = stay.name if screen.names_full else mask_name(stay.name)
    level = stay.level.value if stay.level is not None else "none"
    classes = ["bed", f"lv-{level}"]
    marks: list[str] = []
    if stay.critical is not None:
        classes.append(f"crit-{stay.critical.value}")
        marks.append(f'<span class="mark crit">{_e(t("critical." + stay.critical.value))}</span>')
    if surgery:
        marks.append(f'<span class="mark op">{_e(surgery)}</span>')
    if stay.id in screen.overdue_stays:
        classes.append("overdue")
        marks.append(f'<span class="mark late">⏰ {_e(t("screen.overdue"))}</span>')
    info = data.bedside.get(stay.id)
    badges: list[str] = []
    if info is not None:
        for entry in info.tags:
            badge = entry.kind.badge_zh if zh else entry.kind.badge_en
            # Details (allergens) only on a screen that shows full names: one facing no visitors.
            detail = f" {entry.tag.detail}" if screen.names_full and entry.tag.detail else ""
            badges.append(f'<span class="tag">{_e(badge + detail)}</span>')
        for line in info.lines:
            if line.overdue:
                kind = line.kind.name_zh if zh else line.kind.abbr
                text = f"⚠ {kind} {t('board.dwell_day', n=line.dwell_day)}"
                badges.append(f'<span class="tag line-late">{_e(text)}</span>')
    band = _e(t(f"level.{level}")) if stay.level is not None else ""
    return (
        f'<div class="{" ".join(classes)}" data-bed="{_e(bed)}">'
        f'<div class="band">{band}</div>'
        f'<div class="no">{label}</div>'
        f'<div class="name">{_e(name)}</div>'
        f'<div class="marks">{"".join(marks)}</div>'
        f'<div class="tags">{"".join(badges)}</div>'
        "</div>"
    )


def _latest_surgeries(data: BoardData) -> dict[int, Surgery]:
    latest: dict[int, Surgery] = {}
    for op in sorted(data.surgeries, key=lambda o: o.scheduled_at):
        if op.state is not SurgeryState.CANCELLED:
            latest[op.stay_id] = op
    return latest


def _lists(screen: ScreenData, t: Texts) -> Iterable[str]:
    for key, lines in _sections(screen.board, t, private=screen.names_full):
        if lines:
            kind = key.rsplit(".", 1)[-1]
            items = "".join(f"<li>{line}</li>" for line in lines)
            yield f'<section class="list {kind}"><h2>{_e(t(key))}</h2><ul>{items}</ul></section>'


def render_fragment(screen: ScreenData, t: Texts) -> str:
    """The part of the page that changes: `<main id="board">…</main>`."""
    data = screen.board
    latest = _latest_surgeries(data)
    title = t(
        "board.title",
        ward=_e(data.ward.name),
        date=_e(t.date(data.now)),
        weekday=_e(t.weekday(data.now)),
    )
    counts = "".join(f"<div>{line}</div>" for line in _census_lines(census(data), t))
    cells = "".join(
        _cell(bed, stay, screen, t, _surgery_mark(latest.get(stay.id), data, t) if stay else "")
        for bed, stay in _beds(data)
    )
    lists = "".join(_lists(screen, t)) or f'<p class="quiet">{_e(t("board.empty"))}</p>'
    updated = _e(t("board.updated", time=t.hm(data.now)))
    return (
        f'<main id="board" data-beds="{len(_beds(data))}">'
        f'<header class="census"><h1>{title}</h1>{counts}<p class="updated">{updated}</p></header>'
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
        f' data-gone="{_e(t("screen.gone"))}" data-offline="{_e(t("screen.offline"))}">'
        f'<div id="status" hidden></div>{body}'
        '<script src="/static/screen.js"></script></body></html>'
    )
