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
    if not settings.operator_ids():
        from boards.hospital import load_hospital

        probe = Database(settings.resolved_database_url())
        try:
            async with probe.uow() as uow:
                open_hospital = (await load_hospital(uow)).open
        finally:
            await probe.dispose()
        if open_hospital:
            log.warning(
                "no hospital operators (WARDBOARD_ADMINS unset, none added with `wardboard "
                "admin add`): anyone who finds the bot may create a ward"
            )
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
    from boards.access import Actor
    from boards.clock import SystemClock
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


async def _report(settings: Settings, ward_name: str, month: str, out: Path) -> int:
    """`wardboard report`: a ward's month as the bot sends it (text, PNG, CSV), offline."""
    import re

    from boards import quality
    from boards.clock import SystemClock
    from boards.errors import WardError
    from boards.i18n import texts
    from boards.quality.charts import report_png
    from boards.tasks import get_policy
    from storage.migrate import open_database

    database = await open_database(settings.resolved_database_url())
    try:
        async with database.uow() as uow:
            ward = await uow.wards.by_name(ward_name)
            if ward is None:
                print(f"没有该病区 / no such ward: {ward_name}", file=sys.stderr)
                return 2
            try:
                year, number = quality.parse_month(month)
            except WardError:
                print(
                    f"月份应写作 2026-11 / the month is written 2026-11: {month}", file=sys.stderr
                )
                return 2
            report = await quality.monthly_report(
                uow, SystemClock(), actor=None, ward=ward, year=year, month=number
            )
            policy = await get_policy(uow, ward=ward)
    finally:
        await database.dispose()
    t = texts(ward.locale, ward.timezone)
    zh = t.locale.startswith("zh")
    names = {s.code: s.name_zh if zh else s.name_en for s in policy.shifts.shifts}
    label = report.month.period.label
    png = await asyncio.to_thread(report_png, report, t, names)
    text = re.sub(r"</?b>", "", quality.report_text(report, t, names)) + "\n"
    files = {
        f"report-{label}.txt": text.encode("utf-8"),
        f"report-{label}.png": png,
        f"report-{label}.csv": quality.report_csv(report, t),
    }

    def write() -> None:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (out / name).write_bytes(data)

    await asyncio.to_thread(write)
    print(f"report-{label}.txt, .png and .csv written to {out}")
    return 0


async def _admin(settings: Settings, action: str, user_id: int | None, note: str | None) -> int:
    """`wardboard admin add|remove|list`: the hospital's operators, managed from the server."""
    from boards import hospital
    from boards.clock import SystemClock
    from storage.migrate import open_database

    database = await open_database(settings.resolved_database_url())
    clock = SystemClock()
    try:
        async with database.uow() as uow:
            if action == "list":
                configured = settings.operator_ids()
                stored = await uow.operators.all()
                for operator in stored:
                    print(f"{operator.user_id}\t{operator.note or ''}")
                for extra in sorted(configured - {o.user_id for o in stored}):
                    print(f"{extra}\t(WARDBOARD_ADMINS)")
                if not stored and not configured:
                    print(
                        "没有管理员：任何人都可以创建病区 / no operators: anyone may create a ward"
                    )
                return 0
            assert user_id is not None
            if action == "add":
                await hospital.add_operator(uow, clock, user_id=user_id, note=note)
                print(f"operator {user_id} added")
            elif not await hospital.remove_operator(uow, clock, user_id=user_id):
                print(f"{user_id} is not an operator stored here", file=sys.stderr)
                return 1
            else:
                print(f"operator {user_id} removed")
            await uow.commit()
            return 0
    finally:
        await database.dispose()


def _user_id(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise argparse.ArgumentTypeError("a Telegram user id is a positive number")
    return int(text)


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
    report = sub.add_parser("report", help="write a ward's monthly quality report")
    report.add_argument("--ward", required=True, help="the ward's name")
    report.add_argument("--month", required=True, help="the month, e.g. 2026-11")
    report.add_argument("--out", type=Path, default=Path("."), help="the folder to write to")
    admin = sub.add_parser("admin", help="the hospital's operators (create wards, name heads)")
    admin_sub = admin.add_subparsers(dest="action", required=True)
    add = admin_sub.add_parser("add", help="make a Telegram user an operator")
    add.add_argument("user_id", type=_user_id)
    add.add_argument("--note", help="who this is (kept with the id)")
    remove = admin_sub.add_parser("remove", help="remove an operator")
    remove.add_argument("user_id", type=_user_id)
    admin_sub.add_parser("list", help="list the operators")
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
    if args.command == "report":
        return asyncio.run(_report(settings, args.ward, args.month, args.out))
    if args.command == "admin":
        asyncio.run(_migrate(settings))
        return asyncio.run(
            _admin(
                settings, args.action, getattr(args, "user_id", None), getattr(args, "note", None)
            )
        )
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
