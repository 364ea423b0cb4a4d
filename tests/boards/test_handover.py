"""The handover report: I-PASS order, census and task figures, focus patients, the split."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from boards.board import TELEGRAM_TEXT_LIMIT, plain_length
from boards.board_data import BedsideInfo, BedsideLine, BedsideTag, SignStatus
from boards.handover import ActionKind, HandoverReport, assemble_report, render_report
from boards.i18n import texts
from boards.lines import DEFAULT_LINES
from boards.model import (
    Age,
    BoardItem,
    Critical,
    ItemKind,
    NursingLevel,
    PatientLine,
    PatientTag,
    Sex,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
    Ward,
)
from boards.schedule import Shift
from boards.tags import DEFAULT_TAGS

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: the day shift
END = START + timedelta(hours=8)  # 16:00
NEXT_END = END + timedelta(hours=8)  # 24:00
WARD = Ward(1, "普外科一病区", "Asia/Shanghai", "zh_CN", START - timedelta(days=30))
DAY = Shift(code="day", name_zh="白班", name_en="Day shift", start=time(8))
EVENING = Shift(code="evening", name_zh="小夜班", name_en="Evening shift", start=time(16))
ZH, EN = texts("zh_CN"), texts("en")
ALLERGY = next(k for k in DEFAULT_TAGS if k.code == "allergy")
PIV = next(k for k in DEFAULT_LINES if k.code == "piv")


def stay(id_: int, bed: str, name: str, **kw: object) -> Stay:
    fields: dict[str, object] = dict(
        id=id_,
        ward_id=1,
        bed=bed,
        name=name,
        sex=Sex.MALE,
        age=Age(45),
        diagnosis="急性阑尾炎",
        level=NursingLevel.TWO,
        admitted_at=START - timedelta(days=2),
        token=f"t{id_}",
    )
    fields.update(kw)
    return Stay(**fields)  # type: ignore[arg-type]


def task(id_: int, stay_id: int, due: datetime, text: str, **kw: object) -> TaskOccurrence:
    fields: dict[str, object] = dict(
        id=id_,
        ward_id=1,
        stay_id=stay_id,
        kind=TaskKind.MED,
        source_id=1,
        rule_code="",
        planned_at=due,
        due_at=due,
        remind_at=due,
        text=text,
        created_at=START - timedelta(days=1),
    )
    fields.update(kw)
    return TaskOccurrence(**fields)  # type: ignore[arg-type]


def hours(n: float) -> datetime:
    return START + timedelta(hours=n)


STAYS = (
    stay(1, "12", "张三", critical=Critical.CRITICAL, level=NursingLevel.ONE),
    stay(2, "5", "王五"),  # 二级, nothing to do: not a focus patient
    stay(3, "3", "李四", critical=Critical.SERIOUS, diagnosis="肺炎"),
    stay(4, "20", "赵六", status=StayStatus.DISCHARGED, ended_at=hours(2)),
    stay(5, "21", "孙七", status=StayStatus.TRANSFERRED, ended_at=hours(3), transferred_to="ICU"),
    stay(6, "7", "钱八", admitted_at=hours(5), level=NursingLevel.THREE),
    stay(7, "+1", "周九", admitted_at=hours(1), transferred_from="骨科"),
)
TASKS = (
    task(1, 1, hours(1), "头孢呋辛 1.5g ivgtt", status=TaskStatus.DONE, done_at=hours(1.1)),
    task(2, 1, hours(2), "头孢呋辛 1.5g ivgtt", status=TaskStatus.DONE, done_at=hours(3)),
    task(3, 1, hours(4), "阿莫西林 0.5g po", status=TaskStatus.SKIPPED, skip_reason="患者拒绝"),
    task(4, 1, hours(6), "测血糖"),  # still open at the end of the shift
    task(5, 1, hours(9), "阿莫西林 0.5g po"),  # due in the evening shift
    task(6, 3, hours(5), "雾化吸入", status=TaskStatus.SKIPPED, skip_reason="患者拒绝"),
    task(7, 2, hours(7), "测体温", status=TaskStatus.DONE, done_at=hours(7)),
    task(8, 2, hours(30), "测体温"),  # beyond the next shift: not listed
    task(9, 4, hours(1), "出院宣教", status=TaskStatus.CANCELLED),
)
BEDSIDE = {
    1: BedsideInfo(
        1,
        (BedsideTag(ALLERGY, PatientTag(1, 1, "allergy", "青霉素", hours(0.5), 502)),),
        (),
        SignStatus.CURRENT,
        None,
        "",
    ),
    3: BedsideInfo(
        3,
        (),
        (
            BedsideLine(
                1,
                PIV,
                PatientLine(1, 3, "piv", "左前臂", hours(-100), None, 502),
                5,
                True,
                hours(-4),
            ),
        ),
        SignStatus.CURRENT,
        None,
        "",
    ),
}
SURGERIES = (
    Surgery(1, 1, hours(18), "腹腔镜阑尾切除术", SurgeryState.SCHEDULED, START),
    Surgery(2, 3, hours(40), "胸腔镜", SurgeryState.SCHEDULED, START),  # beyond 24 h
)
ITEMS = (BoardItem(1, 6, ItemKind.EXAM, hours(10), "上腹部CT", 502),)


def report(now: datetime = END + timedelta(minutes=1), **kw: object) -> HandoverReport:
    fields: dict[str, object] = dict(
        ward=WARD,
        shift=DAY,
        start=START,
        end=END,
        next_shift=EVENING,
        next_end=NEXT_END,
        now=now,
        stays=STAYS,
        tasks=TASKS,
        bedside=BEDSIDE,
        surgeries=SURGERIES,
        items=ITEMS,
        overdue_after=timedelta(minutes=30),
        tag_names={"allergy": "药物过敏"},
    )
    fields.update(kw)
    return assemble_report(**fields)  # type: ignore[arg-type]


def test_census_counts_the_shift_not_the_day() -> None:
    c = report().census
    assert (c.start, c.admitted, c.transferred_in, c.discharged, c.transferred_out, c.end) == (
        5,
        1,
        1,
        1,
        1,
        5,
    )
    assert (c.critical, c.serious, c.levels[NursingLevel.ONE]) == (1, 1, 1)


def test_who_left_and_who_arrived_in_time_order() -> None:
    r = report()
    assert [(m.stay.bed, m.kind, m.other_ward) for m in r.left] == [
        ("20", "discharged", None),
        ("21", "transferred_out", "ICU"),
    ]
    assert [(m.stay.bed, m.kind, m.other_ward) for m in r.arrived] == [
        ("+1", "transferred_in", "骨科"),
        ("7", "admitted", None),
    ]


def test_focus_patients_by_severity_with_their_action_lists() -> None:
    r = report()
    # 病危 first, then 病重, then whoever has something to do; 5床 has nothing.
    assert [p.stay.bed for p in r.focus] == ["12", "3", "7"]
    first, second, third = r.focus
    assert [(a.kind, a.text) for a in first.actions] == [
        (ActionKind.OVERDUE, "测血糖"),
        (ActionKind.SKIPPED, "阿莫西林 0.5g po"),
        (ActionKind.SURGERY, "腹腔镜阑尾切除术"),
        (ActionKind.NEXT, "阿莫西林 0.5g po"),
    ]
    assert first.actions[1].detail == "患者拒绝"
    assert first.new_tags == ("药物过敏",) and first.allergies == "青霉素"
    assert [(a.kind, a.text, a.detail) for a in second.actions] == [
        (ActionKind.SKIPPED, "雾化吸入", "患者拒绝"),
        (ActionKind.LINE, "外周静脉留置针", "5"),
    ]
    assert [(a.kind, a.text) for a in third.actions] == [(ActionKind.EXAM, "上腹部CT")]


def test_task_figures_of_the_outgoing_shift() -> None:
    f = report().figures
    # On time: 1 and 7; late: 2 (done an hour after it was due); not given: 3 and 6;
    # still open: 4. Cancelled and next-shift tasks are not the shift's.
    assert (f.on_time, f.late, f.skipped, f.open, f.total) == (2, 1, 2, 1, 6)
    assert f.reasons == (("患者拒绝", 2),)


def test_a_running_shift_is_reported_so_far() -> None:
    r = report(now=hours(4.5))
    assert not r.finished and r.as_of == hours(4.5)
    # 钱八 is not here yet; 测血糖 (due 14:00) is still ahead, in this shift.
    assert "7" not in [p.stay.bed for p in r.focus]
    (first, *_) = r.focus
    assert (ActionKind.NEXT, "测血糖") in [(a.kind, a.text) for a in first.actions]
    assert (ActionKind.NEXT, "阿莫西林 0.5g po") not in [(a.kind, a.text) for a in first.actions]
    text = render_report(r, ZH, private=True)[0]
    assert "白班 11月23日 08:00–16:00（截至 12:30）" in text


def test_the_report_reads_in_i_pass_order() -> None:
    (text,) = render_report(report(), ZH, private=True)
    order = [
        "🔄 <b>交班报告</b> · 普外科一病区\n白班 11月23日 08:00–16:00",
        "【本班病区情况】原有 5 · 入院 1 · 转入 1 · 出院 1 · 转出 1 · 现有 <b>5</b>",
        "【离开病区】\n<b>20床</b> 赵六 出院 10:00\n<b>21床</b> 孙七 转至ICU 11:00",
        "【新入病区】\n<b>加1床</b> 周九 自骨科转入 09:00\n<b>7床</b> 钱八 入院 13:00",
        "【重点患者】3 人",
        "▌<b>12床</b> 张三 · <b>病危</b> · 一级护理\n诊断：急性阑尾炎\n⚠ 过敏：青霉素\n"
        "· ⚠ 未执行 14:00 测血糖\n· ✖ 未给 12:00 阿莫西林 0.5g po（患者拒绝）\n"
        "· 手术 明天 02:00 腹腔镜阑尾切除术\n· 小夜班待办：17:00 阿莫西林 0.5g po\n"
        "本班新增标识：药物过敏",
        "▌<b>3床</b> 李四 · <b>病重</b> · 二级护理\n诊断：肺炎\n"
        "· ✖ 未给 13:00 雾化吸入（患者拒绝）\n· 导管超期：外周静脉留置针 留置第5天",
        "▌<b>7床</b> 钱八 · 三级护理\n诊断：急性阑尾炎\n· 检查 18:00 上腹部CT",
        "【白班任务】\n按时 2 · 延迟 1 · 未给 2 · 未完成 1\n未给原因：患者拒绝 2",
    ]
    at = [text.index(part) for part in order]
    assert at == sorted(at)


def test_the_group_copy_is_masked_without_diagnosis_or_allergens() -> None:
    (text,) = render_report(report(), ZH, private=False)
    assert "▌<b>12床</b> 张* · <b>病危</b> · 一级护理\n· ⚠ 未执行" in text
    for secret in ("张三", "李四", "周九", "急性阑尾炎", "肺炎", "青霉素", "诊断", "过敏："):
        assert secret not in text
    assert "本班新增标识：药物过敏" in text
    hidden = render_report(report(group_notes=False), ZH, private=False)[0]
    assert "上腹部CT" not in hidden and "腹腔镜" not in hidden
    assert "· 检查 18:00 （内容请私聊查看）" in hidden


def test_english_reader() -> None:
    (text,) = render_report(report(), EN, private=True)
    assert text.startswith("🔄 <b>Shift handover</b> · 普外科一病区\nDay shift ")
    assert "· Evening shift: 17:00 阿莫西林 0.5g po" in text
    assert "on time 2 · late 1 · not given 2 · still open 1" in text


def test_a_60_bed_ward_is_split_into_bounded_messages() -> None:
    stays = [
        stay(i, str(i), f"患者{i:02d}号", critical=Critical.CRITICAL if i % 5 == 0 else None)
        for i in range(1, 61)
    ]
    tasks = [
        task(i * 10 + k, i, hours(9 + k), f"药物{k} 0.5g ivgtt 第{k}次给药")
        for i in range(1, 61)
        for k in range(4)
    ]
    big = report(stays=stays, tasks=tasks, bedside={}, surgeries=(), items=())
    assert len(big.focus) == 60
    messages = render_report(big, ZH, private=True)
    assert len(messages) > 1
    assert all(plain_length(m) <= TELEGRAM_TEXT_LIMIT - 256 for m in messages)
    assert messages[0].startswith("🔄 <b>交班报告</b>")
    for n, message in enumerate(messages[1:], start=2):
        assert message.startswith(f"🔄 普外科一病区 · 白班交班（续 {n}/{len(messages)}）\n")
    joined = "\n".join(messages)
    # Nobody lost, nobody twice, in order; the figures come last.
    heads = [line for line in joined.split("\n") if line.startswith("▌")]
    assert len(heads) == 60 and len(set(heads)) == 60
    assert messages[-1].rstrip().endswith("未完成 0")
