"""The `wardboard` command: run the bot, migrate the database, or play the offline demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings

__all__ = ["main"]

log = logging.getLogger("wardboard")

_NO_TOKEN = (
    "WARDBOARD_TOKEN 未设置：请把 @BotFather 给的机器人令牌写入环境变量 WARDBOARD_TOKEN。\n"
    "WARDBOARD_TOKEN is not set: put the bot token from @BotFather in the environment.\n"
    "没有令牌时可运行演示 / Without a token, try: wardboard demo"
)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        # Name the bad variables only: their values may be secrets.
        names = ", ".join(f"WARDBOARD_{str(e['loc'][0]).upper()}" for e in exc.errors())
        sys.exit(f"Invalid configuration: {names}")


async def _migrate(settings: Settings) -> None:
    from storage.migrate import upgrade

    await upgrade(settings.resolved_database_url())


async def _run(settings: Settings) -> None:
    from bot.app import build_application, serving
    from storage.uow import Database

    await _migrate(settings)
    database = Database(settings.resolved_database_url())
    application = build_application(settings, database=database, own_database=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with serving(application):
        log.info("WardBoard is running as @%s; stop with Ctrl+C", application.bot.username)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wardboard", description="WardBoard ward whiteboard bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (needs WARDBOARD_TOKEN)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    demo = sub.add_parser("demo", help="play a scripted shift offline, no token needed")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("demo-out"),
        help="folder for the transcript and board (default: demo-out)",
    )
    demo.add_argument("--locale", default="zh_CN", help="zh_CN (default) or en")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "demo":
        from bot.demo import run_demo

        logging.getLogger().setLevel(logging.WARNING)
        return run_demo(args.out, locale=args.locale)
    settings = _settings()
    logging.getLogger().setLevel(settings.log_level.upper())
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("database is up to date")
        return 0
    if settings.token is None:
        print(_NO_TOKEN, file=sys.stderr)
        return 2
    asyncio.run(_run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
