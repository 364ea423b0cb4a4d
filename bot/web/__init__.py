"""The web adapter: the live station screen and the Telegram Mini App, served by aiohttp."""

from bot.web.notify import ScreenNotifier
from bot.web.server import ScreenServer

__all__ = ["ScreenNotifier", "ScreenServer"]
