"""Views as Telegram HTML: escaping, bold, and Telegram's 4096-character message limit."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from boards.i18n import Texts
from boards.views.board import BoardView
from boards.views.card import CardView
from boards.views.policy import PolicyView
from boards.views.rich import Line
from boards.views.slot import SlotView
from boards.views.tasks import TaskListView

__all__ = [
    "BUDGET",
    "TELEGRAM_TEXT_LIMIT",
    "board_html",
    "card_html",
    "condense",
    "line_html",
    "lines_html",
    "plain_length",
    "policy_html",
    "slot_html",
    "task_list_html",
]

TELEGRAM_TEXT_LIMIT = 4096
# Room for the header and the condensing notes, so a full board never meets the limit.
BUDGET = TELEGRAM_TEXT_LIMIT - 96


def line_html(line: Line) -> str:
    """One line in Telegram's HTML parse mode: text escaped, strong runs in `<b>`."""
    out: list[str] = []
    run: list[str] = []
    bold = False
    for value, strong in line:
        if not value:
            continue
        if strong != bold and run:
            out.append(_run("".join(run), bold))
            run = []
        bold = strong
        run.append(value)
    if run:
        out.append(_run("".join(run), bold))
    return "".join(out)


def _run(value: str, bold: bool) -> str:
    escaped = html.escape(value)
    return f"<b>{escaped}</b>" if bold else escaped


def lines_html(lines: Iterable[Line]) -> list[str]:
    return [line_html(line) for line in lines]


_TAG = re.compile(r"<[^>]+>")


def plain_length(markup: str) -> int:
    """Length of an HTML message as Telegram counts it: after tags and entities are parsed."""
    return len(html.unescape(_TAG.sub("", markup)))


def condense(
    sections: Sequence[tuple[str, Sequence[str]]],
    t: Texts,
    *,
    fixed: int = 0,
    budget: int = BUDGET,
) -> list[tuple[str, list[str]]]:
    """Shorten the longest lists, whole lines at a time, until the text fits one message.

    `sections` are (heading, lines) in HTML; a heading counts only while its section shows
    something. Each shortened list ends with "…另有 N 条" ("… N more"); `fixed` is the
    plain length of everything else in the message.
    """
    # Each line measured once: a full 60-bed board gives way line by line, and measuring
    # every line again at each step made that quadratic.
    widths = [[plain_length(line) + 1 for line in lines] for _, lines in sections]
    headings = [plain_length(title) + 1 for title, _ in sections]
    shown = [len(w) for w in widths]
    shown_size = [sum(w) for w in widths]
    hidden = [0] * len(sections)
    more: dict[int, int] = {}

    def size() -> int:
        total = fixed
        for i in range(len(sections)):
            if shown[i] or hidden[i]:
                total += headings[i] + shown_size[i]
                if hidden[i]:
                    n = hidden[i]
                    if n not in more:
                        more[n] = plain_length(t("board.more", n=n)) + 1
                    total += more[n]
        return total

    while size() > budget:
        longest = max(range(len(shown)), key=shown.__getitem__)
        if not shown[longest]:
            break
        shown[longest] -= 1
        shown_size[longest] -= widths[longest][shown[longest]]
        hidden[longest] += 1
    result = []
    for i, (title, lines) in enumerate(sections):
        kept = list(lines[: shown[i]])
        if hidden[i]:
            kept.append(t("board.more", n=hidden[i]))
        result.append((title, kept))
    return result


def board_html(view: BoardView, t: Texts) -> str:
    """The board as one Telegram message: the longest lists give way, counted, to fit."""
    head = [line_html(view.title), *lines_html(view.census), *lines_html(view.safety)]
    foot = [line_html(view.updated)]
    fixed = sum(plain_length(line) + 1 for line in (*head, *foot)) + 2
    headed = [(line_html(s.title), lines_html(s.lines)) for s in view.sections]
    body: list[str] = []
    for title, lines in condense(headed, t, fixed=fixed):
        if lines:
            body.append("")
            body.append(title)
            body.extend(lines)
    if not body:
        body = ["", line_html(view.empty)]
    return "\n".join([*head, *body, "", *foot])


def card_html(view: CardView, t: Texts) -> str:
    """The card as one message: on a day of many notes the last ones give way, counted."""
    head, bedside, foot = lines_html(view.head), lines_html(view.bedside), lines_html(view.foot)
    fixed = sum(plain_length(line) + 1 for line in (*head, *bedside, *foot))
    ((_, shown),) = condense([("", lines_html(view.items))], t, fixed=fixed)
    return "\n".join([*head, *shown, *bedside, *foot])


def slot_html(view: SlotView) -> str:
    """The slot message's text (its buttons are the adapter's)."""
    return "\n".join([line_html(view.title), *(line_html(row.line) for row in view.rows)])


def policy_html(view: PolicyView) -> str:
    return "\n".join(lines_html(view.lines))


def task_list_html(view: TaskListView, t: Texts) -> str:
    """A busy shift lists hundreds: cut by whole lines, as the board is, with "…另有 N 条"."""
    title = line_html(view.title)
    ((_, shown),) = condense([(title, lines_html(view.lines))], t)
    return "\n".join([title, *shown])
