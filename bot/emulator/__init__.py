"""A local Telegram Bot API emulator for `wardboard demo` and the end-to-end tests."""

from bot.emulator._limits import FaultRule
from bot.emulator._model import (
    GROUP_ANONYMOUS_BOT,
    ApiCall,
    ApiError,
    EmuChat,
    EmuFile,
    EmuMessage,
    EmuUser,
    RateLimit,
    Upload,
)
from bot.emulator._params import Params
from bot.emulator._server import BotApiEmulator
from bot.emulator._webapp import sign_init_data

__all__ = [
    "GROUP_ANONYMOUS_BOT",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "EmuChat",
    "EmuFile",
    "EmuMessage",
    "EmuUser",
    "FaultRule",
    "Params",
    "RateLimit",
    "Upload",
    "sign_init_data",
]
