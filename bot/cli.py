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


async def _bot_username(settings: Settings) -> str | None:
    if settings.token is None:
        return None
    from telegram import Bot

    root = settings.bot_api_url
    async with Bot(settings.token.get_secret_value(), base_url=f"{root}/bot") as bot:
        return bot.username


async def _signs(settings: Settings, ward_name: str, out: Path, bot: str | None) -> int:
    """Print a ward's sign sheet from the server, without going through the chat."""
    from boards import bedside
    from boards.clock import SystemClock
    from boards.services import Actor
    from boards.signs import render_signs_pdf
    from storage.migrate import open_database

    username = bot or await _bot_username(settings)
    if not username:
        print("需要机器人用户名 / the bot's username is needed: --bot NAME", file=sys.stderr)
        return 2
    database = await open_database(settings.resolved_database_url())
    clock = SystemClock()
    try:
        async with database.uow() as uow:
            ward = await uow.wards.by_name(ward_name)
            heads = [m for m in await uow.members.of_ward(ward.id) if m.is_head] if ward else []
            if ward is None or not heads:
                print(f"没有该病区 / no such ward: {ward_name}", file=sys.stderr)
                return 2
            # The sheet is printed on the head nurse's authority: the audit names her.
            actor = Actor(heads[0].user_id, heads[0].display_name)
            stays = await bedside.issue_signs(uow, clock, actor=actor, ward=ward)
            view = await bedside.bedside_view(uow, clock, ward=ward, stays=stays)
            signs = [
                bedside.build_bed_sign(
                    ward,
                    s,
                    view[s.id],
                    now=clock.now(),
                    deep_link=f"https://t.me/{username}?start=s_{s.token}",
                )
                for s in stays
            ]
            await uow.commit()
    finally:
        await database.dispose()
    if not signs:
        print("该病区没有在院患者 / no patients on the ward", file=sys.stderr)
        return 1
    pdf = await asyncio.to_thread(render_signs_pdf, signs, words=bedside.sign_words(ward.locale))
    await asyncio.to_thread(out.write_bytes, pdf)
    print(f"{len(signs)} signs written to {out}")
    return 0


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
    signs = sub.add_parser("signs", help="write a ward's bedside signs to a PDF")
    signs.add_argument("--ward", required=True, help="the ward's name")
    signs.add_argument("--out", type=Path, default=Path("signs.pdf"), help="the PDF to write")
    signs.add_argument("--bot", help="the bot's username (asked from Telegram when omitted)")
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
    if args.command == "signs":
        return asyncio.run(_signs(settings, args.ward, args.out, args.bot))
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
