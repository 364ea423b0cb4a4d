"""The `wardboard` command as an operator meets it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from bot.cli import main
from tests.bot.conftest import Ward


def test_run_refuses_to_start_without_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WARDBOARD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "WARDBOARD_TOKEN 未设置" in err and "wardboard demo" in err


def test_a_bad_setting_names_the_variable_not_its_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARDBOARD_LOCALE", "fr-secret")
    with pytest.raises(SystemExit) as exited:
        main(["migrate"])
    assert str(exited.value) == "Invalid configuration: WARDBOARD_LOCALE"


def test_the_demo_plays_a_shift_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDBOARD_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    transcript = (tmp_path / "out" / "transcript.txt").read_text(encoding="utf-8")
    assert "✅ 已入院：12床 张三" in transcript
    assert "12床已有患者。" in transcript
    assert "📌 下午的白板" in transcript and "欧**华" in transcript
    assert (tmp_path / "out" / "signs.pdf").stat().st_size > 10_000
    with Image.open(tmp_path / "out" / "board.png") as board:
        assert board.size == (1920, 1080)
    # No token and no patient data in what the demo logs.
    assert "DEMO-wardboard" not in done.stderr and "张三" not in done.stderr


async def test_signs_command_prints_the_ward_sheet(
    ward: Ward, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/admit 14 李四 女 40")
    monkeypatch.setenv("WARDBOARD_DATABASE_URL", database_url)
    out = tmp_path / "sheet.pdf"
    args = ["signs", "--ward", "普外科一病区", "--out", str(out), "--bot", "wardboard_test_bot"]
    assert await asyncio.to_thread(main, args) == 0
    pdf = pypdfium2.PdfDocument(out.read_bytes())
    assert len(pdf) == 1  # two A6 signs on one A4 page
    pdf.close()
    assert "未打印" not in await ward.reply(ward.nurse, "/board")
    bad = ["signs", "--ward", "无此病区", "--out", str(out), "--bot", "x_bot"]
    assert await asyncio.to_thread(main, bad) == 2


@pytest.mark.parametrize("admins", ["", "7123456789"])
async def test_run_warns_once_at_start_when_anyone_may_create_a_ward(
    tmp_path: Path, admins: str
) -> None:
    # `wardboard run` with no hospital operator (none set, none added) tells the IT person
    # at start that the hospital is open to whoever finds the bot; with one, it does not.
    from bot.emulator import BotApiEmulator

    token = "123456789:RUN-wardboard-test"
    async with BotApiEmulator(token=token, bot_username="wardboard_run_bot") as emu:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDBOARD_")}
        env.update(
            WARDBOARD_TOKEN=token,
            WARDBOARD_BOT_API_URL=emu.api_root,
            WARDBOARD_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
            WARDBOARD_ADMINS=admins,
        )
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert child.stderr is not None
        lines: list[str] = []
        try:
            async with asyncio.timeout(120):
                while not any("WardBoard is running" in line for line in lines):
                    line = (await child.stderr.readline()).decode()
                    assert line, "".join(lines)[-2000:]
                    lines.append(line)
        finally:
            child.terminate()
            _, rest = await asyncio.wait_for(child.communicate(), 60)
    logged = "".join(lines) + (rest or b"").decode()
    warned = logged.count("no hospital operators")
    assert warned == (0 if admins else 1), logged[-2000:]
    assert token.split(":")[1] not in logged  # nor the token, whatever it logs
