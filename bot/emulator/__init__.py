"""A local Telegram Bot API emulator for `wardboard demo` and the end-to-end tests."""

from bot.emulator._limits import FaultRule
from bot.emulator._model import (
    GROUP_ANONYMOUS_BOT,
    ApiCall,
    ApiError,
    DropConnection,
    EmuChat,
    EmuFile,
    EmuMessage,
    EmuUser,
    Fault,
    HoldAnswer,
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
    "DropConnection",
    "EmuChat",
    "EmuFile",
    "EmuMessage",
    "EmuUser",
    "Fault",
    "FaultRule",
    "HoldAnswer",
    "Params",
    "RateLimit",
    "Upload",
    "sign_init_data",
]
