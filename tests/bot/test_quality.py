"""The quality loop through the real bot: events, safety days on the board, reports."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, Ward


async def _audit_actions(database: Database, ward_id: int) -> list[str]:
    async with database.uow() as uow:
        return [e.action for e in await uow.audit.of_ward(ward_id, limit=100)]


async def _line_care(database: Database, ward_id: int) -> list[str]:
    async with database.uow() as uow:
        stays = await uow.stays.active(ward_id)
        pending = await uow.tasks.pending_of_stays([s.id for s in stays])
    return [t.text for t in pending if t.kind.value == "line_care"]


async def test_an_event_is_private_resets_safety_days_and_is_corrected_never_deleted(
    ward: Ward,
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 二级")
    ward.clock.advance(timedelta(days=37))
    assert "🛡 无跌倒 37 天" in await ward.reply(ward.nurse, "/board")

    # In the group: refused, nothing recorded, nothing of the patient shown.
    group_before = len(ward.emu.chat(GROUP_ID).messages)
    refusal = await ward.reply(ward.nurse, "/event 12 跌倒 轻度", group=True)
    assert "张三" not in refusal and "跌倒" not in refusal

    sent = await ward.say(ward.nurse, "/event 12 跌倒 轻度 1小时前 如厕时滑倒")
    mine = "\n".join(m.text for m in sent if m.chat_id == ward.nurse.id)
    # The event's number is the one the head nurse corrects it by (the database's id).
    number = re.search(r"#(\d+) ", mine)
    assert number is not None
    n = number.group(1)
    assert mine == (
        "✅ 已登记安全事件（已通知护士长）：\n"
        f"#{n} 12月30日 07:00 12床 张三 跌倒（轻度）：如厕时滑倒"
    )
    told = "\n".join(m.text for m in sent if m.chat_id == ward.head.id)
    assert "新的安全事件（报告人 李娜）" in told and "12床 张三 跌倒（轻度）" in told
    board = (await ward.board()).text
    assert "🛡 无跌倒 0 天" in board and "张三" not in board
    # The group got the board edit and the refusal, no message about the event.
    group_new = [m for m in ward.emu.chat(GROUP_ID).messages[group_before:] if m.from_bot]
    assert [m.text for m in group_new] == [refusal]

    listed = await ward.reply(ward.nurse, "/events")
    assert f"#{n} 12月30日 07:00 12床 张三 跌倒（轻度）：如厕时滑倒" in listed
    assert "🛡 无跌倒 0 天" in listed

    # Only the head nurse corrects or retracts.
    assert "护士长" in await ward.reply(ward.nurse, f"/events 撤销 {n}")
    fixed = await ward.reply(ward.head, f"/events 更正 {n} 中度")
    assert f"#{n} 12月30日 07:00 12床 张三 跌倒（中度）：如厕时滑倒 〔已更正〕" in fixed
    gone = await ward.reply(ward.head, f"/events 撤销 {n} 录入错误")
    assert "〔已撤销〕" in gone and "不再计入" in gone
    assert "🛡 无跌倒 37 天" in (await ward.board()).text
    assert "已撤销，不能再修改" in await ward.reply(ward.head, f"/events 更正 {n} 重度")
    assert "〔已撤销〕" in await ward.reply(ward.nurse, "/events")

    ward_id = await ward.ward_id()
    actions = await _audit_actions(ward.database, ward_id)
    assert {"event:add", "event:correct", "event:retract"} <= set(actions)
    async with ward.database.uow() as uow:
        kept = await uow.events.of_ward(ward_id)
    assert [e.status.value for e in kept] == ["retracted"]

    # The head nurse chooses what the board counts.
    assert "压力性损伤" in await ward.reply(ward.head, "/events 安全天数 压力性损伤 跌倒")
    assert "🛡 无压力性损伤 37 天 · 无跌倒 37 天" in (await ward.board()).text


async def test_an_unplanned_removal_names_its_line_and_takes_it_out(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/line 12 胃管")
    assert await _line_care(ward.database, await ward.ward_id())
    assert "导管" in await ward.reply(ward.nurse, "/event 12 非计划拔管")
    assert "早于 12 床患者入院时间" in await ward.reply(ward.nurse, "/event 12 跌倒 昨天 22:00")
    done = await ward.reply(ward.nurse, "/event 12 非计划拔管 胃管 轻度 患者自行拔出")
    assert "12床 张三 非计划拔管（轻度）：患者自行拔出" in done
    assert "胃管" not in await ward.reply(ward.nurse, "/card 12")
    # The tube is out: its care tasks went with it.
    assert not await _line_care(ward.database, await ward.ward_id())
    assert "没有事件类型「摔倒」" in await ward.reply(ward.nurse, "/event 12 摔倒")


async def test_the_monthly_report_as_text_chart_and_csv(ward: Ward) -> None:
    # 11-23 08:00: two patients; 13 leaves on the 25th. An implanted port in 12 (its first
    # flush is due in 28 days: no task in November).
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/admit 13 李四 女 40")
    await ward.say(ward.nurse, "/line 12 输液港")
    ward.clock.advance(timedelta(days=1))
    await ward.say(ward.nurse, "/event 12 跌倒")
    ward.clock.advance(timedelta(days=1, hours=2))
    await ward.say(ward.nurse, "/discharge 13")
    ward.clock.advance(timedelta(days=7))  # 12-02 10:00

    # By hand: 12 is there at 24:00 of the 23rd..30th (8), 13 of the 23rd and 24th (2);
    # the port 8 line days; one fall in 10 patient days is 100 per 1,000.
    sent = await ward.say(ward.head, "/report")
    text = "\n".join(m.text for m in sent if m.text)
    assert "普外科一病区 · 2026-11 护理质量月报" in text
    assert "患者日 10（患者 2 人）· 导管日 8 · 器械使用率 0.80" in text
    assert "导管日（使用率）：输液港 8（0.80）" in text
    assert "安全事件 1：跌倒 1（100.00/千患者日）" in text
    assert "非计划拔管 0 · 0.00/千导管日" in text
    assert "全部任务：及时率 —（按时 0/0" in text
    assert "患者日：10｜0｜0" in text

    photo = next(m for m in sent if m.photo is not None)
    assert photo.photo is not None
    with Image.open(io.BytesIO(photo.photo.data)) as image:
        assert image.size == (2000, 900)
    document = next(m for m in sent if m.document is not None)
    assert document.document is not None and document.document.filename == "report-2026-11.csv"
    rows = list(csv.reader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    assert rows[0] == ["指标", "分类", "2026-11", "2026-10", "2025-11"]
    assert ["患者日", "", "10", "0", "0"] in rows
    assert ["导管日", "输液港", "8", "0", "0"] in rows
    assert ["每千患者日事件", "跌倒", "100.00", "", ""] in rows

    assert "无法识别月份" in await ward.reply(ward.head, "/report 2026-13")


async def test_two_periods_compared_with_the_test_named(ward: Ward) -> None:
    await ward.ready()
    for bed in ("1", "2", "3"):
        await ward.say(ward.nurse, f"/admit {bed} 病人{bed} 男 60")
    await ward.say(ward.nurse, "/event 1 坠床")
    answer = await ward.reply(ward.nurse, "/report 2026-10 vs 2026-11")
    assert "2026-10：发生事件的患者 0/0（0.0%）" in answer
    assert "2026-11：发生事件的患者 1/3（33.3%）" in answer
    assert "Fisher 确切概率法（双侧）：P = 1.0000" in answer
    assert "差异无统计学意义" in answer


async def test_the_report_command_writes_the_month_offline(
    ward: Ward, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    ward.clock.advance(timedelta(days=2))
    await ward.say(ward.nurse, "/event 12 压力性损伤 轻度")
    monkeypatch.setenv("WARDBOARD_DATABASE_URL", database_url)
    args = ["report", "--ward", "普外科一病区", "--month", "2026-11", "--out", str(tmp_path)]
    assert await asyncio.to_thread(main, args) == 0
    text = (tmp_path / "report-2026-11.txt").read_text(encoding="utf-8")
    assert "📊 普外科一病区 · 2026-11 护理质量月报" in text and "<b>" not in text
    assert "安全事件 1：压力性损伤 1" in text
    with Image.open(tmp_path / "report-2026-11.png") as image:
        assert image.size == (2000, 900)
    assert "压力性损伤" in (tmp_path / "report-2026-11.csv").read_text(encoding="utf-8-sig")
    bad = ["report", "--ward", "无此病区", "--month", "2026-11", "--out", str(tmp_path)]
    assert await asyncio.to_thread(main, bad) == 2
    worse = ["report", "--ward", "普外科一病区", "--month", "11月", "--out", str(tmp_path)]
    assert await asyncio.to_thread(main, worse) == 2


async def test_quality_checks_scores_problems_owners_and_the_quality_group(ward: Ward) -> None:
    await ward.ready()
    # A nurse is not in the quality group until the head nurse names her.
    assert "只有护士长或她指定的质控员" in await ward.reply(ward.nurse, "/qc")
    assert "李娜 已加入质控组" in await ward.reply(ward.head, "/qc 质控员 新增 李娜")
    assert "质控员：李娜" in await ward.reply(ward.nurse, "/qc")

    done = await ward.reply(ward.nurse, "/qc 评分 18 17 19 16 20 夜班抽查")
    assert done == (
        "✅ 已记录检查 #1：分级护理 18 · 专科护理 17 · 健康教育 19 · 护理安全 16 · 护理服务 20，"
        "合计 90"
    )
    assert "请按顺序写 5 个分数" in await ward.reply(ward.nurse, "/qc 评分 18 17 19 16 21")

    sent = await ward.say(ward.nurse, "/qc 问题 护理文书 王芳 护理记录缺签名")
    mine = "\n".join(m.text for m in sent if m.chat_id == ward.nurse.id)
    assert mine == "✅ 已登记问题 #1〔护理文书〕，负责人 王芳（已私信通知）"
    told = "\n".join(m.text for m in sent if m.chat_id == ward.head.id)
    assert "质控问题 #1〔护理文书〕由您负责整改：护理记录缺签名" in told
    assert "没有类别「书写」" in await ward.reply(ward.nurse, "/qc 问题 书写 王芳 x")
    assert "没有成员「张三」" in await ward.reply(ward.nurse, "/qc 问题 护理文书 张三 x")

    # The ward's own categories.
    assert "跌倒预防" in await ward.reply(ward.head, "/qc 类别 新增 跌倒预防")
    assert "护士长" in await ward.reply(ward.nurse, "/qc 类别 新增 其他")
    await ward.say(ward.nurse, "/qc 问题 跌倒预防 李娜 床栏未拉起")

    overview = await ward.reply(ward.head, "/qc")
    assert "检查 #1 11月23日：分级护理 18 · 专科护理 17" in overview
    assert "未整改问题 2" in overview
    assert "#1 〔护理文书〕护理记录缺签名（负责人 王芳，11月23日）" in overview
    assert "#2 〔跌倒预防〕床栏未拉起（负责人 李娜，11月23日）" in overview

    # The owner closes her own problem; a closed one stays closed.
    assert "问题 #2 已整改关闭" in await ward.reply(ward.nurse, "/qc 关闭 2")
    assert "已经关闭" in await ward.reply(ward.head, "/qc 关闭 2")
    assert "未整改问题 1" in await ward.reply(ward.head, "/qc")
    # The month's report carries the checks' means and the problems by category.
    await ward.say(ward.head, "/qc 评分 20 19 19 18 20")
    sent = await ward.say(ward.head, "/report 2026-11")
    text = "\n".join(m.text for m in sent if m.text)
    assert (
        "质控：本月检查 2 次，平均 分级护理 19.0 · 专科护理 18.0 · 健康教育 19.0 · 护理安全 17.0"
        " · 护理服务 20.0；发现问题 护理文书 1 · 跌倒预防 1；未整改 1"
    ) in text
    document = next(m for m in sent if m.document is not None)
    assert document.document is not None
    rows = list(csv.reader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    assert ["质控平均分", "护理安全", "2026-11", "17.0"] in rows
    assert ["质控平均分", "护理安全", "2026-10", ""] in rows
    assert ["质控问题", "护理文书", "1", "", ""] in rows
    assert "李娜 已退出质控组" in await ward.reply(ward.head, "/qc 质控员 删除 李娜")
    assert "只有护士长或她指定的质控员" in await ward.reply(ward.nurse, "/qc 评分 1 1 1 1 1")

    actions = await _audit_actions(ward.database, await ward.ward_id())
    assert {"qc:check", "qc:problem", "qc:close", "qc:team_add", "qc:categories"} <= set(actions)
