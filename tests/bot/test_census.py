"""The census by file, end to end: /import, a GBK CSV or an XLSX, the preview, confirm; /export."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from boards import bedside
from boards.model import Stay
from bot.census import sweep_imports
from bot.cli import main
from bot.emulator import EmuMessage
from tests.bot.conftest import GROUP_ID, Shift, Ward

__all__: list[str] = []


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


async def _stays(ward: Ward) -> dict[str, Stay]:
    async with ward.database.uow() as uow:
        return {s.bed: s for s in await uow.stays.active(await ward.ward_id())}


async def _send(ward: Ward, data: bytes, filename: str) -> EmuMessage:
    assert "请发送「普外科一病区」的患者名单文件" in await ward.reply(ward.nurse, "/import")
    sent = await ward.emu.send_document(ward.nurse, data, filename)
    mine = [m for m in sent if m.chat_id == ward.nurse.id]
    assert mine, "no preview"
    return mine[-1]


async def test_a_gbk_csv_is_previewed_then_imported_on_confirm(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 住院号:A1")
    await ward.say(ward.nurse, "/admit 20 王五 男 70")
    data = _csv(
        [
            ["床号", "姓名", "性别", "年龄", "住院号", "诊断", "护理级别", "科室"],
            ["12", "张三", "男", "46", "A1", "急性阑尾炎", "一级", "普外"],
            ["13", "李四", "女", "40", "A2", "肺炎", "二级", "普外"],
        ],
        "gbk",
    )
    preview = await _send(ward, data, "名单.csv")
    text = preview.text
    assert "导入预览：名单.csv" in text
    assert "入院 1 人" in text and "13床 李四" in text
    assert "更新 1 人" in text and "12床 张三（年龄、诊断、护理级别）" in text
    # Beds the file does not list are shown, never discharged.
    assert "文件未列出的在床患者 1 人" in text and "20床 王五" in text
    assert "已忽略的列：科室" in text
    assert set((await _stays(ward)).keys()) == {"12", "20"}  # nothing yet
    confirm = preview.buttons()[0][0][1]
    # Another member of the ward cannot confirm the nurse's import, nor spoil it.
    probe = [m for m in await ward.say(ward.head, "/help") if m.chat_id == ward.head.id][-1]
    forged = await ward.head.press(probe, callback_data=confirm)
    assert "已失效" in forged[-1].text
    assert set((await _stays(ward)).keys()) == {"12", "20"}

    done = [m for m in await ward.nurse.press(preview, "确认导入") if m.chat_id == ward.nurse.id]
    assert "✅ 已导入：入院 1 人，更新 1 人。" in done[-1].text
    stays = await _stays(ward)
    assert set(stays) == {"12", "13", "20"}
    assert (stays["13"].admission_no, stays["13"].diagnosis) == ("A2", "肺炎")
    assert (str(stays["12"].age), stays["12"].diagnosis) == ("46y", "急性阑尾炎")
    board = (await ward.board()).text
    assert "李*" in board and "李四" not in board and "A2" not in board
    async with ward.database.uow() as uow:
        audit = await uow.audit.of_ward(await ward.ward_id())
    imported = [e for e in audit if e.after and e.after.get("source") == "import"]
    assert {e.action for e in imported} == {"stay:admit", "stay:update"}
    assert all(e.actor_id == ward.nurse.id for e in imported)
    # The same preview cannot be applied twice.
    assert preview.buttons() == []  # the buttons go once pressed
    again = await ward.nurse.press(preview, callback_data=confirm)
    assert "已失效" in again[-1].text


async def test_an_import_goes_on_through_another_instance(shift: Shift) -> None:
    """The file awaited after /import, and the preview's confirmation, are the database's:
    the bot restarted (or a second instance behind the balancer) takes the nurse's next step."""
    census = [["床号", "姓名", "性别", "年龄", "住院号"], ["13", "李四", "女", "40", "A2"]]
    async with shift.bot() as ward:
        await ward.ready()
        assert "请发送「普外科一病区」的患者名单文件" in await ward.reply(ward.nurse, "/import")
    async with shift.bot() as ward:
        sent = await ward.emu.send_document(ward.nurse, _csv(census, "gbk"), "名单.csv")
        preview = sent[-1]
        assert "导入预览：名单.csv" in preview.text and "入院 1 人" in preview.text
        assert "13" not in await _stays(ward)
    async with shift.bot() as ward:
        # Pressed by another member, the preview is not hers to take; nothing changes.
        confirm = preview.buttons()[0][0][1]
        probe = [m for m in await ward.say(ward.head, "/help") if m.chat_id == ward.head.id][-1]
        forged = await ward.head.press(probe, callback_data=confirm)
        assert "已失效" in forged[-1].text
        done = await ward.nurse.press(preview, "确认导入")
        assert "✅ 已导入：入院 1 人，更新 0 人。" in done[-1].text
        assert (await _stays(ward))["13"].admission_no == "A2"
        # Taken once: a second press (from a stale copy, on any instance) finds nothing.
        again = await ward.nurse.press(preview, callback_data=confirm)
        assert "已失效" in again[-1].text


async def test_an_unconfirmed_preview_expires_after_half_an_hour(ward: Ward) -> None:
    await ward.ready()
    data = _csv([["床号", "姓名", "性别", "年龄"], ["13", "李四", "女", "40"]], "utf-8")
    preview = await _send(ward, data, "名单.csv")
    confirm = preview.buttons()[0][0][1]
    key = confirm.split(":")[-1]
    ward.clock.advance(timedelta(minutes=29))
    assert await sweep_imports(ward.runtime) == 0
    ward.clock.advance(timedelta(minutes=2))
    late = await ward.nurse.press(preview, callback_data=confirm)
    assert "已失效" in late[-1].text
    assert "13" not in await _stays(ward)
    # The bot's periodic sweep takes the file's cells out of the database.
    assert await sweep_imports(ward.runtime) == 1
    async with ward.database.uow() as uow:
        assert await uow.imports.get(key) is None


async def test_an_xlsx_with_english_headers_and_birth_dates(ward: Ward) -> None:
    await ward.ready()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["Admission No", "Bed", "Name", "Sex", "Date of birth", "Admitted at", "Visit No"]
    )
    sheet.append(
        [20250001, 5, "欧阳娜娜", "F", date(1980, 11, 24), datetime(2026, 11, 20, 9, 30), "V88"]
    )
    # Born 2026-09-01: under a year old on 2026-11-23 (the ward's today), so in months.
    sheet.append(["20250002", "6", "王小宝", "M", datetime(2026, 9, 1), None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    # Sent with /import as its caption, without /import first: the same preview.
    sent = await ward.emu.send_document(
        ward.nurse, buffer.getvalue(), "census.xlsx", caption="/import"
    )
    preview = sent[-1]
    assert "入院 2 人" in preview.text
    await ward.nurse.press(preview, "确认导入")
    stays = await _stays(ward)
    assert (stays["5"].admission_no, str(stays["5"].age)) == ("20250001", "45y")
    assert stays["5"].admitted_at == datetime.fromisoformat("2026-11-20T09:30+08:00")
    assert (stays["6"].admission_no, str(stays["6"].age)) == ("20250002", "2m")
    assert stays["5"].visit_no == "V88" and stays["6"].visit_no is None
    card = await ward.reply(ward.nurse, "/card 5")
    assert "住院号：20250001 · 就诊号：V88" in card and "45岁" in card
    assert "V88" not in (await ward.board()).text


async def test_a_file_with_an_error_changes_nothing_and_names_row_and_column(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 住院号:A1")
    data = _csv(
        [
            ["床号", "姓名", "性别", "年龄", "住院号"],
            ["12", "张三", "男", "50", "A1"],
            ["13", "李四", "女", "五十", "A2"],
            ["14", "赵六", "男", "30", "A1"],
        ],
        "utf-8-sig",
    )
    preview = await _send(ward, data, "名单.csv")
    assert "未做任何更改" in preview.text
    assert "第3行 年龄「五十」无法识别" in preview.text
    assert "第4行 住院号 A1 在第2行已出现" in preview.text
    assert preview.buttons() == []
    stays = await _stays(ward)
    assert set(stays) == {"12"} and str(stays["12"].age) == "45y"
    # A file out of the blue is not imported.
    stray = await ward.emu.send_document(ward.head, data, "名单.csv")
    assert "请先发送 /import，再发送文件" in stray[-1].text
    # The corrected file may follow at once, without /import again.
    fixed = _csv(
        [["床号", "姓名", "性别", "年龄", "住院号"], ["13", "李四", "女", "50", "A2"]], "gbk"
    )
    sent = await ward.emu.send_document(ward.nurse, fixed, "名单.csv")
    assert "入院 1 人" in sent[-1].text and "12床 张三" in sent[-1].text


async def test_a_bed_held_by_a_patient_the_file_does_not_move_is_an_error(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 住院号:A1")
    await ward.say(ward.nurse, "/admit 14 赵六 男 60 住院号:A3")
    # 张三 moves 12 → 14 while 赵六 (A3) goes to 12: a swap is fine.
    swap = _csv(
        [
            ["bed", "name", "sex", "age", "mrn"],
            ["14", "张三", "男", "45", "A1"],
            ["12", "赵六", "男", "60", "A3"],
        ],
        "utf-8",
    )
    preview = await _send(ward, swap, "swap.csv")
    assert "12床→14床 张三（床号）" in preview.text
    await ward.nurse.press(preview, "确认导入")
    stays = await _stays(ward)
    assert (stays["14"].name, stays["12"].name) == ("张三", "赵六")
    taken = _csv([["bed", "name", "sex", "age", "mrn"], ["12", "李四", "女", "40", "A2"]], "utf-8")
    preview = await _send(ward, taken, "taken.csv")
    assert "第2行 12床仍住着住院号 A3 的患者" in preview.text


async def test_identifiers_show_on_the_private_card_only(ward: Ward) -> None:
    await ward.ready()
    assert "已入院" in await ward.reply(ward.nurse, "/admit 12 张三 男 45 阑尾炎 住院号：A123")
    await ward.say(ward.nurse, "/admit 13 李四 女 40 MRN:B77")
    assert "已入院" in await ward.reply(ward.nurse, "/admit 14 王五 男 50", group=True)
    refused = await ward.reply(ward.nurse, "/admit 15 赵六 男 30 住院号:A123")
    assert "住院号 A123 已属于本病区12床的在院患者" in refused
    card = await ward.reply(ward.nurse, "/card 12")
    assert "住院号：A123" in card
    board = await ward.board()
    assert "A123" not in board.text and "B77" not in board.text
    group = "\n".join(m.text for m in ward.emu.chat(GROUP_ID).messages)
    assert "A123" not in group and "B77" not in group
    stays = await _stays(ward)
    assert stays["13"].admission_no == "B77"
    async with ward.database.uow() as uow:
        w = await uow.wards.get(await ward.ward_id())
        assert w is not None
        view = await bedside.bedside_view(uow, ward.clock, ward=w, stays=[stays["12"]])
    sign = bedside.build_bed_sign(
        w, stays["12"], view[stays["12"].id], now=ward.clock.now(), deep_link="https://t.me/x"
    )
    assert "A123" not in repr(sign)


async def test_export_sends_the_census_and_board_as_utf8_with_bom(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 阑尾炎 一级 住院号:A1")
    await ward.say(ward.nurse, "/admit +1 李四 女 3月")
    await ward.say(ward.nurse, "/note 12 =1+1 家属下午来")
    assert "请在与我的私聊中使用 /export" in await ward.reply(ward.nurse, "/export", group=True)
    sent = [m for m in await ward.say(ward.nurse, "/export") if m.document is not None]
    assert [m.document.filename for m in sent if m.document] == [
        "census-20261123.csv",
        "board-20261123.csv",
    ]
    census_file, board_file = (m.document.data for m in sent if m.document)
    assert census_file.startswith(b"\xef\xbb\xbf") and board_file.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(census_file.decode("utf-8-sig"))))
    assert rows[0][:5] == ["床号", "姓名", "性别", "年龄", "住院号"]
    assert rows[1][:7] == ["12", "张三", "男", "45", "A1", "阑尾炎", "一级"]
    assert rows[2][:4] == ["+1", "李四", "女", "3月"]
    assert len(rows) == 3
    board = list(csv.reader(io.StringIO(board_file.decode("utf-8-sig"))))
    assert board[1][:3] == ["12", "张三", "备注"]
    assert board[1][4] == "'=1+1 家属下午来"  # a note is text, never a formula
    # What /export writes imports back unchanged.
    preview = await _send(ward, census_file, sent[0].document.filename if sent[0].document else "")
    assert "无变化 2 人" in preview.text and "没有需要更改的内容" in preview.text


async def test_the_cli_previews_and_applies_an_import(
    ward: Ward,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await ward.ready()
    monkeypatch.setenv("WARDBOARD_DATABASE_URL", database_url)
    path = tmp_path / "名单.csv"
    path.write_bytes(
        _csv([["床号", "姓名", "性别", "年龄"], ["7", "钱七", "男", "33"]], "gb18030")
    )
    args = ["import", "--ward", "普外科一病区", str(path)]
    assert await asyncio.to_thread(main, args) == 0
    assert "入院 1 人" in capsys.readouterr().out
    assert await _stays(ward) == {}
    assert await asyncio.to_thread(main, [*args, "--yes"]) == 0
    assert "已导入：入院 1 人" in capsys.readouterr().out
    assert set(await _stays(ward)) == {"7"}
    out = tmp_path / "out.csv"
    assert (
        await asyncio.to_thread(main, ["export", "--ward", "普外科一病区", "--out", str(out)]) == 0
    )
    assert out.read_bytes().decode("utf-8-sig").splitlines()[1].startswith("7,钱七,男,33")
