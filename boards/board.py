"""The ward whiteboard as Telegram HTML, one message: the board's view, formatted."""

from __future__ import annotations

from boards.board_data import BoardData
from boards.i18n import Texts
from boards.views.board import POST_OP_DAYS_SHOWN, board_view
from boards.views.telegram_html import TELEGRAM_TEXT_LIMIT, board_html, condense, plain_length

__all__ = [
    "POST_OP_DAYS_SHOWN",
    "TELEGRAM_TEXT_LIMIT",
    "condense",
    "plain_length",
    "render_board",
]


def render_board(data: BoardData, t: Texts, *, private: bool) -> str:
    """The board as Telegram HTML, never longer than one message.

    The group copy (`private=False`) shows masked names and no diagnoses.
    """
    return board_html(board_view(data, t, private=private), t)
