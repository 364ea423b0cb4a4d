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

# `/board image`, `/board 图片`: the picture as a Telegram photo (shown at once, recompressed
# by Telegram); `/board file`, `/board 原图`: the PNG itself, pixel for pixel, for a screen.
_PHOTO_WORDS = frozenset({"image", "img", "png", "picture", "pic", "图片", "图", "图像"})
_FILE_WORDS = frozenset({"file", "document", "原图", "文件"})
IMAGE_WORDS = _PHOTO_WORDS | _FILE_WORDS


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


async def send_board_picture(tn: Turn, word: str) -> None:
    ward, _ = await tn.ward()
    picture = await load_picture(tn.uow, tn.runtime.clock, ward=ward, t=tn.t, private=tn.private)
    # Nothing was written: end the transaction (SQLite's write lock) before drawing and sending.
    await tn.commit()
    png, report = await render(picture)
    caption = tn.t("picture.caption", ward=ward.name, time=tn.t.hm(tn.runtime.clock.now()))
    if report.truncated:
        caption += "\n" + tn.t("picture.cut", n=len(report.truncated))
    # Plain text whatever the bot's defaults: the caption quotes the ward's name.
    if word.lower() in _FILE_WORDS:
        stamp = tn.t.local(tn.runtime.clock.now()).strftime("%Y%m%d-%H%M")
        await tn.context.bot.send_document(
            tn.chat_id,
            document=InputFile(png, filename=f"board-{stamp}.png"),
            caption=caption,
            parse_mode=None,
        )
        return
    await tn.context.bot.send_photo(
        tn.chat_id,
        photo=InputFile(png, filename="board.png"),
        caption=caption,
        parse_mode=None,
    )
