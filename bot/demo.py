"""`wardboard demo`: the real bot against the local Bot API emulator, playing a scripted shift."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import BaseRateLimiter

from boards.clock import ManualClock
from bot.app import build_application, serving
from bot.config import Settings
from bot.emulator import BotApiEmulator, EmuMessage, EmuUser
from bot.ratelimit import PriorityRateLimiter
from bot.runtime import RUNTIME_KEY, Runtime, WardApplication
from storage.migrate import upgrade
from storage.uow import Database

__all__ = ["DEMO_TOKEN", "Transcript", "run_demo", "running_bot"]

DEMO_TOKEN = "123456789:DEMO-wardboard-offline-token"
_TZ = ZoneInfo("Asia/Shanghai")


class Transcript:
    """The shift as a nurse would read it in her chats, written as plain text."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.lines: list[str] = []

    def _stamp(self) -> str:
        return self.clock.now().astimezone(_TZ).strftime("%H:%M")

    def heading(self, text: str) -> None:
        self.lines += ["", f"── {text} ──"]

    def note(self, text: str) -> None:
        self.lines.append(f"        （{text}）")

    def said(self, who: str, where: str, text: str) -> None:
        self.lines.append(f"[{self._stamp()}] {who} @ {where}: {text}")

    def bot(self, messages: list[EmuMessage], names: dict[int, str]) -> None:
        for message in messages:
            where = names.get(message.chat_id, str(message.chat_id))
            body = message.text.replace("\n", "\n        ")
            if message.photo is not None:
                body = f"[图片 / photo] {body}"
            elif message.document is not None:
                body = f"[文件 / file {message.document.filename}] {body}"
            self.lines.append(f"        WardBoard → {where}: {body}")
            for row in message.buttons():
                self.lines.append("        " + "  ".join(f"[{label}]" for label, _ in row))

    def board(self, title: str, text: str) -> None:
        self.lines += ["", f"📌 {title}", *("    " + line for line in text.splitlines())]

    def text(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


@contextlib.asynccontextmanager
async def running_bot(
    emu: BotApiEmulator,
    database: Database,
    clock: ManualClock,
    *,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    hl7_listen: str = "",
    **settings: object,
) -> AsyncIterator[WardApplication]:
    """The real Application polling the emulator, stopped cleanly on exit.

    `hl7_listen` (`127.0.0.1:0` for a free port) starts the HIS feed's MLLP listener too;
    its port is `runtime.extras["hl7"].port`.
    """
    config = Settings.model_validate(
        {"token": emu.token, "bot_api_url": emu.api_root, "hl7_listen": hl7_listen, **settings}
    )
    application = build_application(
        config, database=database, clock=clock, rate_limiter=rate_limiter
    )
    _track_updates(application, emu)
    async with serving(application, poll_timeout=1):
        yield application


def _track_updates(application: WardApplication, emu: BotApiEmulator) -> None:
    """Tell the emulator when the bot is mid-update, so a scripted user waits for it."""
    processor = application.update_processor
    # Several instances on one emulator (behind a load balancer): busy while any of them is.
    before = emu.busy
    emu.busy = lambda: (
        not application.update_queue.empty()
        or processor.current_concurrent_updates > 0
        or (before is not None and before())
    )


def run_demo(out: Path, *, locale: str = "zh_CN") -> int:
    """Play the shift into a fresh SQLite file in `out`; print and save the transcript."""
    out.mkdir(parents=True, exist_ok=True)
    db_file = out / "wardboard-demo.db"
    db_file.unlink(missing_ok=True)
    text, files = asyncio.run(_play(f"sqlite+aiosqlite:///{db_file}", locale))
    (out / "transcript.txt").write_text(text, encoding="utf-8")
    for name, data in files.items():
        (out / name).write_bytes(data)
    print(text)
    print(f"Transcript written to {out / 'transcript.txt'}")
    return 0


async def _play(url: str, locale: str) -> tuple[str, dict[str, bytes]]:
    await upgrade(url)
    database = Database(url)
    day = datetime.now(_TZ).date()
    clock = ManualClock(datetime.combine(day, time(7, 50), tzinfo=_TZ))
    transcript = Transcript(clock)
    files: dict[str, bytes] = {}
    try:
        async with (
            BotApiEmulator(token=DEMO_TOKEN, bot_username="wardboard_demo_bot") as emu,
            running_bot(
                emu,
                database,
                clock,
                locale=locale,
                board_delay=0.2,
                board_min_interval=0.3,
                dispatch_seconds=0.2,
                # The shift plays in a minute or two: Telegram's per-group minute with it.
                rate_limiter=PriorityRateLimiter(group_time_period=2.0, max_retries=5),
            ) as application,
        ):
            await _shift(emu, application, clock, transcript, files)
    finally:
        await database.dispose()
    return transcript.text(), files


async def _shift(
    emu: BotApiEmulator,
    application: WardApplication,
    clock: ManualClock,
    log: Transcript,
    files: dict[str, bytes],
) -> None:
    runtime = application.bot_data[RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    head = emu.add_user(1001, "王芳", language_code="zh-hans")
    nurse = emu.add_user(1002, "李娜", language_code="zh-hans")
    stranger = emu.add_user(1009, "路人", language_code="zh-hans")
    group = emu.add_group(-1001001, "普外一病区群", members=[head, nurse, stranger])
    names = {
        head.id: "王芳 (私聊)",
        nurse.id: "李娜 (私聊)",
        stranger.id: "路人 (私聊)",
        group.id: "病区群",
    }

    async def say(
        user: EmuUser, text: str, *, in_group: bool = False, minutes: int = 0
    ) -> list[EmuMessage]:
        clock.advance(timedelta(minutes=minutes))
        log.said(user.first_name, "病区群" if in_group else "私聊", text)
        sent = await user.say(text, chat=group if in_group else None)
        log.bot(sent, names)
        return sent

    async def press(user: EmuUser, message: EmuMessage, label: str) -> list[EmuMessage]:
        log.said(
            user.first_name,
            "病区群" if message.chat_id == group.id else "私聊",
            f"（点击「{label}」）",
        )
        sent = await user.press(message, label)
        log.bot(sent, names)
        return sent

    async def show_board(title: str) -> None:
        await runtime.publisher.flush()
        await emu.settle()
        chat = emu.chat(group.id)
        pinned = next((m for m in chat.messages if m.message_id == chat.pinned_message_id), None)
        if pinned is not None:
            log.board(f"{title}（置顶消息，已编辑 {pinned.edit_count} 次）", pinned.text)

    log.heading("护士长建病区、邀请护士")
    await say(head, "/start")
    await say(head, "/newward 普外科一病区 40")
    invite = await say(head, "/invite")
    link = next(word for word in invite[0].text.split() if "?start=" in word)
    payload = link.split("?start=", 1)[1]
    asked = await say(nurse, f"/start {payload}", minutes=2)
    request = next(m for m in asked if m.chat_id == head.id)
    await press(head, request, "批准")

    log.heading("在病区群绑定白板")
    await say(head, "/bind", in_group=True, minutes=1)
    await show_board("白板已发布")

    log.heading("白班：入院、手术、病危")
    await say(nurse, "/admit 12 张三 男 45 急性阑尾炎 二级", minutes=5)
    await say(nurse, "/admit 13 李四 女 40 胆囊结石 二级", minutes=3)
    await say(nurse, "/admit 5 欧阳明华 男 78 肠梗阻 一级", minutes=3)
    await say(nurse, "/admit 12 王五 男 50", minutes=1)
    await say(nurse, "/surgery 12 10:30 腹腔镜阑尾切除术", minutes=2)
    await say(nurse, "/surgery 13 明天 9:00 腹腔镜胆囊切除术", minutes=1)
    await say(nurse, "/critical 5 病危", minutes=2)
    await say(nurse, "/exam 13 15:00 上腹部CT", minutes=2)
    await say(nurse, "/op 5 胃肠减压", minutes=2)
    await say(nurse, "/note 13 明晨空腹抽血", minutes=1)
    await show_board("上午的白板")

    log.heading("手术进展与出院")
    await say(nurse, "/surgery 12 入室", minutes=30)
    await say(nurse, "/surgery 12 返回", minutes=90)
    await say(nurse, "/discharge 99", minutes=5)
    await say(nurse, "/exam 13 25:00 CT", minutes=1)
    log.heading("提醒：按时推送到病区群，点按钮记录执行")
    await say(nurse, "/remind 12 10:30 术后复测血压", minutes=5)
    await say(nurse, "/med 13 阿莫西林 0.5g po tid", minutes=1)
    await say(nurse, "/med 13 阿莫西林 0.5 po tid", minutes=1)
    clock.advance(timedelta(minutes=2))  # 10:30
    await asyncio.sleep(1.0)
    await emu.settle()
    reminder = next(
        (m for m in reversed(emu.chat(group.id).bot_messages()) if m.text.startswith("⏰")), None
    )
    if reminder is not None:
        log.bot([reminder], names)
        clock.advance(timedelta(minutes=2))
        await press(head, reminder, "✅ 12床")
        edited = reminder.text.replace("\n", "\n        ")
        log.lines.append(f"        （群消息已更新 / edited）: {edited}")
    await say(nurse, "/tasks", minutes=1)
    await say(nurse, "/admit 20 赵六 男 33 肺炎 三级", minutes=20)
    first = await say(nurse, "/discharge", minutes=60)
    await press(nurse, first[-1], "20床")
    await say(nurse, "/card 12", minutes=5)
    await say(nurse, "/admit 3 孙七 女 五十", in_group=True, minutes=2)

    log.heading("病区外的人什么也看不到")
    await say(stranger, "/board", minutes=1)
    await say(stranger, f"/start {payload}x")
    log.note("路人也在病区群里，但不是病区成员：群里不回复，只私聊提示一次。")
    await say(stranger, "/card 12", in_group=True, minutes=1)
    log.note("群里不是私密场所：患者详情只在私聊显示。")
    await say(nurse, "/card 12", in_group=True, minutes=1)

    log.heading("警示标识、导管与床头卡")
    await say(nurse, "/tag 12 过敏 青霉素,头孢", minutes=3)
    await say(nurse, "/tag 5 防跌倒", minutes=1)
    await say(nurse, "/tag 5 防压疮", minutes=1)
    await say(nurse, "/line 5 胃管 - 今天 8:30 胃肠减压", minutes=1)
    await say(nurse, "/line 13 PICC 右上臂 11-20 化疗", minutes=1)
    await say(nurse, "/tag 13 飞行", minutes=1)
    sent = await say(nurse, "/sign 12", minutes=1)
    sign = next((m for m in sent if m.photo is not None), None)
    if sign is not None and sign.photo is not None:
        files["sign-bed-12.png"] = sign.photo.data
    sheet = await say(nurse, "/signs", minutes=2)
    document = next((m for m in sheet if m.document is not None), None)
    if document is not None and document.document is not None:
        files["signs.pdf"] = document.document.data
    await say(nurse, "/card 5", minutes=1)

    log.heading("转科：对方病区接收后才转出")
    await say(head, "/newward 骨科病区 30", minutes=2)
    offer = await say(nurse, "/transfer 13 8", minutes=1)
    if offer and offer[-1].buttons():
        sent = await press(nurse, offer[-1], "骨科病区")
        arrival = next((m for m in sent if m.chat_id == head.id), None)
        if arrival is not None:
            await press(head, arrival, "接收")
    await say(head, "/ward 普外科一病区", minutes=1)

    log.heading("护士在私聊查看完整白板")
    await say(nurse, "/board", minutes=5)
    # The board as a picture for the station screen: masked names, as the group sees it.
    sent = await say(nurse, "/board 图片", in_group=True, minutes=1)
    picture = next((m for m in sent if m.photo is not None), None)
    if picture is not None and picture.photo is not None:
        files["board.png"] = picture.photo.data
    await show_board("下午的白板（群里只显示隐去部分的姓名）")
