"""The board as a picture: a 1920x1080 PNG for the nurse-station screen, drawn with Pillow."""

from boards.picture.content import bed_labels, board_picture
from boards.picture.draw import SCREEN, cell_boxes, draw_board, forget_badges, render_board_png
from boards.picture.model import Badge, BedCell, BoardPicture, Legend, PictureReport, Section

__all__ = [
    "SCREEN",
    "Badge",
    "BedCell",
    "BoardPicture",
    "Legend",
    "PictureReport",
    "Section",
    "bed_labels",
    "board_picture",
    "cell_boxes",
    "draw_board",
    "forget_badges",
    "render_board_png",
]
