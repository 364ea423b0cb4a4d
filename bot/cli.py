"""The `wardboard` command: run the bot, migrate, play the demo, print signs or the board."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from boards.access import Actor
from boards.model import Ward
from boards.ports import UnitOfWork
from boards.text import BIGINT_MAX, is_number
from bot import cli_data
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


async def _ward(uow: UnitOfWork, name: str) -> Ward | None:
    """The ward a server command names, or None after saying there is none."""
    ward = await uow.wards.by_name(name)
    if ward is None:
        print(f"没有该病区 / no such ward: {name}", file=sys.stderr)
    return ward


async def _ward_and_head(uow: UnitOfWork, name: str) -> tuple[Ward, Actor] | None:
    """The ward and the head nurse on whose authority a server command acts (the audit names
    her), or None after saying there is no such ward (or none with a head nurse)."""
    ward = await uow.wards.by_name(name)
    heads = [m for m in await uow.members.of_ward(ward.id) if m.is_head] if ward else []
    if ward is None or not heads:
        print(f"没有该病区 / no such ward: {name}", file=sys.stderr)
        return None
    return ward, Actor(heads[0].user_id, heads[0].display_name)


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
            found = await _ward_and_head(uow, ward_name)
            if found is None:
                return 2
            ward, actor = found
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


async def _board(settings: Settings, ward_name: str, out: Path, *, full_names: bool) -> int:
    """`wardboard board`: the board picture written from the server, as `/board image`."""
    from boards.clock import SystemClock
    from boards.i18n import texts
    from bot.picture import load_picture, render
    from storage.migrate import open_database

    database = await open_database(settings.resolved_database_url())
    clock = SystemClock()
    try:
        async with database.uow() as uow:
            ward = await _ward(uow, ward_name)
            if ward is None:
                return 2
            t = texts(ward.locale, ward.timezone)
            picture = await load_picture(uow, clock, ward=ward, t=t, private=full_names)
    finally:
        await database.dispose()
    png, report = await render(picture)
    await asyncio.to_thread(out.write_bytes, png)
    names = "full names" if full_names else "masked names"
    print(f"board written to {out} (1920x1080, {names})")
    # The report names beds and lists, never a patient.
    for item in report.truncated:
        print(f"shortened to fit: {item}")
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
    if not is_number(text, most=BIGINT_MAX) or int(text) == 0:
        raise argparse.ArgumentTypeError("a Telegram user id is a positive number")
    return int(text)


async def _import(settings: Settings, ward_name: str, path: Path, apply: bool) -> int:
    """`wardboard import --ward NAME FILE [--yes]`: the preview, and with --yes the import."""
    from zoneinfo import ZoneInfo

    from boards import census
    from boards.clock import SystemClock
    from boards.errors import WardError
    from boards.i18n import texts
    from storage.migrate import open_database

    data = await asyncio.to_thread(path.read_bytes)
    database = await open_database(settings.resolved_database_url())
    clock = SystemClock()
    try:
        async with database.uow() as uow:
            found = await _ward_and_head(uow, ward_name)
            if found is None:
                return 2
            ward, actor = found
            t = texts(ward.locale, ward.timezone)
            try:
                table = census.read_rows(
                    census.read_table(data, path.name),
                    tz=ZoneInfo(ward.timezone),
                    now=clock.now(),
                    bed_count=ward.bed_count,
                )
            except WardError as error:
                print(t(error.key, **error.params), file=sys.stderr)
                return 1
            plan = await census.plan_census(uow, ward=ward, table=table)
            print(census.summary_text(plan, t, source=path.name, escape=str, html_bold=False))
            if not plan.ok:
                return 1
            if not apply or not plan.changes:
                return 0
            # Imported on the head nurse's authority, as the sign sheet is printed: the
            # audit names her, with the source "import".
            result = await census.apply_census(uow, clock, actor=actor, ward=ward, plan=plan)
            await uow.commit()
            print(census.result_text(result, t))
            return 0
    finally:
        await database.dispose()


async def _export(settings: Settings, ward_name: str, out: Path | None) -> int:
    """`wardboard export --ward NAME [--out FILE]`: the census as CSV (UTF-8 with BOM)."""
    from boards import census
    from boards.i18n import texts
    from storage.migrate import open_database

    database = await open_database(settings.resolved_database_url())
    try:
        async with database.uow() as uow:
            ward = await _ward(uow, ward_name)
            if ward is None:
                return 2
            stays = await uow.stays.active(ward.id)
    finally:
        await database.dispose()
    data = census.census_csv(stays, texts(ward.locale, ward.timezone))
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        await asyncio.to_thread(out.write_bytes, data)
        print(f"{len(stays)} patients written to {out}", file=sys.stderr)
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
            ward = await _ward(uow, ward_name)
            if ward is None:
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
    names = {s.code: t.pick(s.name_zh, s.name_en) for s in policy.shifts.shifts}
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
    board = sub.add_parser("board", help="write a ward's board picture (PNG, 1920x1080)")
    board.add_argument("--ward", required=True, help="the ward's name")
    board.add_argument("--out", type=Path, default=Path("board.png"), help="the PNG to write")
    board.add_argument(
        "--full-names",
        action="store_true",
        help="full names, for a screen no visitor sees (masked by default)",
    )
    imp = sub.add_parser("import", help="import a ward's census from a CSV or XLSX file")
    imp.add_argument("--ward", required=True, help="the ward's name")
    imp.add_argument("file", type=Path, help="the census file (CSV in UTF-8 or GBK, or XLSX)")
    imp.add_argument("--yes", action="store_true", help="apply it (without: the preview only)")
    export = sub.add_parser("export", help="write a ward's census as CSV (UTF-8 with BOM)")
    export.add_argument("--ward", required=True, help="the ward's name")
    export.add_argument("--out", type=Path, help="the CSV to write (default: standard output)")
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
    cli_data.add_parsers(sub)
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
    if args.command == "board":
        return asyncio.run(_board(settings, args.ward, args.out, full_names=args.full_names))
    if args.command == "import":
        asyncio.run(_migrate(settings))
        return asyncio.run(_import(settings, args.ward, args.file, args.yes))
    if args.command == "export":
        asyncio.run(_migrate(settings))
        return asyncio.run(_export(settings, args.ward, args.out))
    if args.command == "report":
        return asyncio.run(_report(settings, args.ward, args.month, args.out))
    if args.command == "admin":
        asyncio.run(_migrate(settings))
        return asyncio.run(
            _admin(
                settings, args.action, getattr(args, "user_id", None), getattr(args, "note", None)
            )
        )
    if args.command in cli_data.COMMANDS:
        return cli_data.run(args, settings)
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
