"""`/board image`: the board as a PNG for the station screen (full names only in private)."""

from __future__ import annotations

import asyncio

from telegram import InputFile

from boards import tasks
from boards.board_load import load_board
from boards.i18n import Texts
from boards.model import Ward
from boards.picture import BoardPicture, PictureReport, board_picture, render_board_png
from boards.ports import Clock, UnitOfWork
from bot.turn import Turn

__all__ = ["IMAGE_WORDS", "load_picture", "send_board_picture"]

# `/board image`, `/board 图片`, `/board png`: the words that ask for the picture.
IMAGE_WORDS = frozenset({"image", "img", "png", "picture", "pic", "图片", "图", "图像"})


async def load_picture(
    uow: UnitOfWork, clock: Clock, *, ward: Ward, t: Texts, private: bool
) -> BoardPicture:
    """The board's data (with each bed's overdue tasks) in the ward's colours, as a picture."""
    data = await load_board(uow, clock, ward=ward)
    policy = await tasks.get_policy(uow, ward=ward)
    return board_picture(data, t, private=private, colours=policy.colours)


async def render(picture: BoardPicture) -> tuple[bytes, PictureReport]:
    # About 150 ms of Pillow work: off the event loop, so other wards' updates go on.
    return await asyncio.to_thread(render_board_png, picture)


async def send_board_picture(tn: Turn) -> None:
    ward, _ = await tn.ward()
    picture = await load_picture(tn.uow, tn.runtime.clock, ward=ward, t=tn.t, private=tn.private)
    png, report = await render(picture)
    caption = tn.t("picture.caption", ward=ward.name, time=tn.t.hm(tn.runtime.clock.now()))
    if report.truncated:
        caption += "\n" + tn.t("picture.cut", n=len(report.truncated))
    # Plain text whatever the bot's defaults: the caption quotes the ward's name.
    await tn.context.bot.send_photo(
        tn.chat_id,
        photo=InputFile(png, filename="board.png"),
        caption=caption,
        parse_mode=None,
    )
