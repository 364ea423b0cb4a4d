"""The whiteboard: census arithmetic, masking in the group copy, condensing long boards."""

from datetime import UTC, datetime, timedelta

from boards.board import TELEGRAM_TEXT_LIMIT, plain_length, render_board
from boards.board_data import BoardData, census
from boards.i18n import texts
from boards.model import (
    Age,
    BoardItem,
    Critical,
    ItemKind,
    NursingLevel,
    Sex,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    Ward,
)

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00 Shanghai
YESTERDAY = NOW - timedelta(days=1)
WARD = Ward(1, "普外科一病区", "Asia/Shanghai", "zh_CN", YESTERDAY)
ZH = texts("zh_CN")


def stay(id_: int, bed: str, name: str, *, admitted: datetime = YESTERDAY, **kw: object) -> Stay:
    fields: dict[str, object] = dict(
        id=id_,
        ward_id=1,
        bed=bed,
        name=name,
        sex=Sex.MALE,
        age=Age(45),
        diagnosis="急性阑尾炎",
        level=NursingLevel.TWO,
        admitted_at=admitted,
        token=f"t{id_}",
    )
    fields.update(kw)
    return Stay(**fields)  # type: ignore[arg-type]


def shift_data() -> BoardData:
    active = (
        stay(1, "12", "张三", admitted=NOW - timedelta(hours=3)),
        stay(2, "5", "欧阳明华", critical=Critical.CRITICAL, level=NursingLevel.ONE),
        stay(3, "+1", "李四", admitted=NOW - timedelta(hours=1), transferred_from="骨科"),
        stay(4, "7", "王五", critical=Critical.SERIOUS),
    )
    ended = (
        stay(5, "20", "赵六", status=StayStatus.DISCHARGED, ended_at=NOW - timedelta(hours=2)),
        stay(
            6,
            "21",
            "孙七",
            status=StayStatus.TRANSFERRED,
            ended_at=NOW - timedelta(hours=1),
            transferred_to="ICU",
        ),
    )
    surgeries = (
        Surgery(1, 1, NOW + timedelta(hours=1), "腹腔镜阑尾切除术", SurgeryState.SCHEDULED, NOW),
        Surgery(2, 4, YESTERDAY - timedelta(days=1), "胃大部切除术", SurgeryState.BACK, NOW),
    )
    items = (
        BoardItem(1, 2, ItemKind.NOTE, NOW - timedelta(minutes=5), "明晨空腹抽血", 9),
        BoardItem(2, 1, ItemKind.EXAM, NOW + timedelta(hours=2), "CT", 9),
    )
    return BoardData(WARD, NOW, active, ended, surgeries, items)


def test_census_line_adds_up() -> None:
    c = census(shift_data())
    assert (c.admitted, c.transferred_in, c.discharged, c.transferred_out, c.current) == (
        1,
        1,
        1,
        1,
        4,
    )
    # 原有 = those here at midnight: 5, 7 and the two who left today.
    assert c.start == 4
    assert (c.critical, c.serious, c.surgeries) == (1, 1, 1)
    assert c.levels[NursingLevel.ONE] == 1 and c.levels[NursingLevel.TWO] == 3


def test_group_copy_masks_names_and_hides_diagnoses() -> None:
    text = render_board(shift_data(), ZH, private=False)
    assert "原有 4 · 入院 1 · 出院 1 · 转入 1 · 转出 1 · 现有 <b>4</b>" in text
    assert "张*" in text and "欧**华" in text
    for secret in ("张三", "欧阳明华", "急性阑尾炎"):
        assert secret not in text
    assert "腹腔镜阑尾切除术" in text and "15:00" in text
    assert "术后第2天" in text
    assert "转出至ICU" in text and "（自骨科转入）" in text
    assert "<b>5床</b> 欧**华 <b>病危</b>" in text


def test_private_copy_shows_full_names_and_diagnoses() -> None:
    text = render_board(shift_data(), ZH, private=True)
    assert "张三" in text and "急性阑尾炎" in text


def test_english_board() -> None:
    text = render_board(shift_data(), texts("en"), private=False)
    assert "Start 4 · Admitted 1" in text and "Bed 12" in text and "post-op day 2" in text


def test_a_huge_board_is_condensed_by_whole_lines_not_cut() -> None:
    active = tuple(
        stay(
            i,
            str(i),
            f"患者{i:03d}号",
            admitted=NOW - timedelta(minutes=i),
            critical=Critical.SERIOUS if i % 2 else None,
        )
        for i in range(1, 301)
    )
    items = tuple(BoardItem(i, i, ItemKind.NOTE, NOW, "备注" * 40, 9) for i in range(1, 301))
    data = BoardData(WARD, NOW, active, (), (), items)
    full = render_board(data, ZH, private=True)
    assert plain_length(full) <= TELEGRAM_TEXT_LIMIT
    assert "…另有" in full
    notes = [line for line in full.splitlines() if "备注备注" in line]
    assert notes and all(line.endswith(" " + "备注" * 40) for line in notes)
