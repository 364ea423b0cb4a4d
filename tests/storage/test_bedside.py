"""Bedside services on a real database: tags, lines, ward tag settings, signs and QR tokens."""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image

from boards import services
from boards.access import Actor
from boards.bedside import (
    LEVEL_COLOURS,
    add_custom_tag,
    add_line,
    bedside_view,
    build_bed_sign,
    disable_tag,
    enable_tag,
    issue_sign,
    issue_signs,
    open_sign,
    remove_line,
    sign_words,
    stay_by_token,
    tag_patient,
    untag_patient,
    ward_tag_kinds,
)
from boards.board_data import BedsideInfo, SignStatus
from boards.clock import ManualClock
from boards.errors import BadInput, Conflict, Forbidden, NotFound, WardError
from boards.model import (
    Age,
    Member,
    MemberStatus,
    NursingLevel,
    PatientLine,
    PatientTag,
    Role,
    Sex,
    SignPrint,
    Stay,
    Ward,
    WardTagSetting,
)
from boards.ports import UnitOfWork
from boards.signs import render_sign_png
from boards.tags import DEFAULT_TAGS
from storage import Database
from tests.storage.factories import create_ward

__all__: list[str] = []

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 23, 6, 30, tzinfo=UTC)  # 14:30 in the ward
HEAD = Actor(7_123_456_789, "李护士长")
NURSE = Actor(42, "王护士")
STRANGER = Actor(99, "外人")


def _local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@dataclasses.dataclass
class Ctx:
    db: Database
    clock: ManualClock
    ward: Ward
    stay: Stay

    def uow(self) -> Any:
        return self.db.uow()

    async def do(self, service: Any, **kwargs: Any) -> Any:
        """Run one service in its own committed transaction, as a bot turn would."""
        async with self.db.uow() as uow:
            result = await service(uow, self.clock, ward=self.ward, **kwargs)
            await uow.commit()
            return result

    async def refused(self, service: Any, **kwargs: Any) -> WardError:
        """Run a service that must refuse; return the refusal (nothing is committed)."""
        with pytest.raises(WardError) as caught:
            await self.do(service, **kwargs)
        return caught.value

    async def view(self, stay: Stay | None = None) -> BedsideInfo:
        wanted = stay or self.stay
        async with self.db.uow() as uow:
            current = await uow.stays.get(wanted.id)
            assert current is not None
            return (await bedside_view(uow, self.clock, ward=self.ward, stays=[current]))[
                wanted.id
            ]

    async def actions(self) -> list[str]:
        async with self.db.uow() as uow:
            return [e.action for e in reversed(await uow.audit.of_ward(self.ward.id, 500))]


@pytest.fixture
async def ctx(database: Database) -> AsyncIterator[Ctx]:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD, bed_count=40)
        await uow.members.put(
            Member(ward.id, NURSE.user_id, NURSE.name, Role.NURSE, MemberStatus.APPROVED, NOW)
        )
        stay = await services.admit(
            uow,
            clock,
            actor=NURSE,
            ward=ward,
            bed="12",
            name="张小三",
            sex=Sex.MALE,
            age=Age(67),
            level=NursingLevel.ONE,
        )
        await uow.commit()
    yield Ctx(database, clock, ward, stay)


async def _present_tags(ctx: Ctx) -> list[PatientTag]:
    async with ctx.uow() as uow:
        tags: list[PatientTag] = await uow.tags.present([ctx.stay.id])
        return tags


# --- tags ----------------------------------------------------------------------------------


async def test_tag_update_and_untag(ctx: Ctx) -> None:
    stay, fall = await ctx.do(tag_patient, actor=NURSE, bed="12", word="跌倒")
    assert (stay.id, fall.code, fall.detail, fall.added_by) == (ctx.stay.id, "fall", None, 42)
    _, allergy = await ctx.do(
        tag_patient, actor=NURSE, bed="12", word="过敏", detail=" 青霉素,  头孢 "
    )
    assert allergy.detail == "青霉素, 头孢"

    info = await ctx.view()
    # Catalogue order, whatever the order they went up in.
    assert [t.kind.code for t in info.tags] == ["fall", "allergy"]
    assert info.allergies == "青霉素, 头孢"

    # Tagging again changes the detail in place.
    _, changed = await ctx.do(
        tag_patient, actor=NURSE, bed="12", word="药物过敏", detail="青霉素、碘造影剂"
    )
    assert changed.id == allergy.id and changed.detail == "青霉素、碘造影剂"
    refusal = await ctx.refused(
        tag_patient, actor=NURSE, bed="12", word="allergy", detail="青霉素、碘造影剂"
    )
    assert isinstance(refusal, Conflict) and refusal.key == "err.unchanged"

    _, removed = await ctx.do(untag_patient, actor=NURSE, bed="12", word="防跌倒")
    assert removed.id == fall.id and removed.removed_at == NOW and removed.removed_by == 42
    assert [t.code for t in await _present_tags(ctx)] == ["allergy"]
    refusal = await ctx.refused(untag_patient, actor=NURSE, bed="12", word="fall")
    assert isinstance(refusal, NotFound) and refusal.key == "err.tag_absent"
    assert refusal.params == {"bed": "12", "tag": "fall"}

    # The same kind can go up again once the old one came off.
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="FALL")
    assert sorted(t.code for t in await _present_tags(ctx)) == ["allergy", "fall"]

    async with ctx.uow() as uow:
        entries = await uow.audit.of_ward(ctx.ward.id)
    update = next(e for e in entries if e.action == "tag:update")
    assert update.before == {"tag": "allergy", "detail": "青霉素, 头孢"}
    assert update.after == {"tag": "allergy", "detail": "青霉素、碘造影剂"}
    assert update.target == "bed 12" and update.actor_id == 42
    assert [e.action for e in reversed(entries) if e.action.startswith("tag:")] == [
        "tag:add",
        "tag:add",
        "tag:update",
        "tag:remove",
        "tag:add",
    ]


@pytest.mark.parametrize(
    ("word", "detail", "error", "key"),
    [
        ("隔离", None, BadInput, "err.tag_ambiguous"),
        ("防飞天", None, BadInput, "err.tag_unknown"),
        ("过敏", None, BadInput, "err.tag_detail_needed"),
        ("过敏", "   ", BadInput, "err.tag_detail_needed"),
        ("禁食", None, BadInput, "err.tag_detail_needed"),
        ("过敏", "青" * 101, BadInput, "err.too_long"),
        ("防跌倒", "高" * 101, BadInput, "err.too_long"),
    ],
)
async def test_tag_refusals_change_nothing(
    ctx: Ctx, word: str, detail: str | None, error: type[WardError], key: str
) -> None:
    before = await ctx.actions()
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="12", word=word, detail=detail)
    assert type(refusal) is error and refusal.key == key
    assert await _present_tags(ctx) == []
    assert await ctx.actions() == before


async def test_refusal_parameters_read_well(ctx: Ctx) -> None:
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="12", word="隔离")
    assert refusal.params == {"word": "隔离", "options": "接触隔离、飞沫隔离、空气隔离"}
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="12", word="过敏")
    assert refusal.params == {"tag": "药物过敏"}
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="12", word="x" * 500)
    assert refusal.params == {"word": "x" * 16}
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="12", word="过敏", detail="a" * 101)
    assert refusal.params == {"limit": 100}


async def test_untag_a_vague_word_when_only_one_fits(ctx: Ctx) -> None:
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="接触隔离")
    _, removed = await ctx.do(untag_patient, actor=NURSE, bed="12", word="隔离")
    assert removed.code == "isolation_contact"

    await ctx.do(tag_patient, actor=NURSE, bed="12", word="飞沫隔离")
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="空气隔离")
    refusal = await ctx.refused(untag_patient, actor=NURSE, bed="12", word="isolation")
    assert refusal.key == "err.tag_ambiguous"
    assert refusal.params["options"] == "飞沫隔离、空气隔离"
    refusal = await ctx.refused(untag_patient, actor=NURSE, bed="12", word="飞天")
    assert refusal.key == "err.tag_unknown"


async def test_only_members_tag_and_only_occupied_beds(ctx: Ctx) -> None:
    refusal = await ctx.refused(tag_patient, actor=STRANGER, bed="12", word="防跌倒")
    assert isinstance(refusal, Forbidden) and refusal.key == "err.not_member"
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="13", word="防跌倒")
    assert isinstance(refusal, NotFound) and refusal.params == {"bed": "13"}
    refusal = await ctx.refused(add_line, actor=STRANGER, bed="12", word="PICC")
    assert isinstance(refusal, Forbidden)


async def test_two_present_tags_of_one_kind_are_refused_by_the_database(ctx: Ctx) -> None:
    tag = PatientTag(0, ctx.stay.id, "fall", None, NOW, 42)
    with pytest.raises(Conflict) as caught:
        async with ctx.uow() as uow:
            await uow.tags.add(tag)
            await uow.tags.add(tag)
    assert caught.value.key == "err.changed_meanwhile"
    async with ctx.uow() as uow:
        first = await uow.tags.add(tag)
        await uow.tags.update(dataclasses.replace(first, removed_at=NOW, removed_by=42))
        # Removed ones do not count.
        second = await uow.tags.add(tag)
        await uow.commit()
    assert await _present_tags(ctx) == [second]


# --- the ward's tag settings ---------------------------------------------------------------


async def test_disable_and_enable_default_tags(ctx: Ctx) -> None:
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="防跌倒")
    refusal = await ctx.refused(disable_tag, actor=NURSE, word="防跌倒")
    assert isinstance(refusal, Forbidden) and refusal.key == "err.head_only"

    kind = await ctx.do(disable_tag, actor=HEAD, word="跌倒")
    assert kind.code == "fall"
    async with ctx.uow() as uow:
        kinds = await ward_tag_kinds(uow, ward=ctx.ward)
    assert [k.code for k in kinds] == [k.code for k in DEFAULT_TAGS if k.code != "fall"]

    # Nobody can put it up any more, but the one already up stays visible and removable.
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="12", word="防跌倒")
    assert refusal.key == "err.tag_disabled"
    assert [t.kind.code for t in (await ctx.view()).tags] == ["fall"]
    refusal = await ctx.refused(disable_tag, actor=HEAD, word="fall")
    assert isinstance(refusal, Conflict) and refusal.key == "err.unchanged"
    await ctx.do(untag_patient, actor=NURSE, bed="12", word="防跌倒")

    await ctx.do(enable_tag, actor=HEAD, word="防跌倒")
    refusal = await ctx.refused(enable_tag, actor=HEAD, word="防跌倒")
    assert refusal.key == "err.unchanged"
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="防跌倒")
    refusal = await ctx.refused(disable_tag, actor=HEAD, word="隔离")
    assert refusal.key == "err.tag_ambiguous"

    async with ctx.uow() as uow:
        entries = await uow.audit.of_ward(ctx.ward.id)
    toggles = [(e.action, e.target, e.after) for e in reversed(entries) if "ward_tag" in e.action]
    assert toggles == [
        ("ward_tag:disable", "fall", {"enabled": False}),
        ("ward_tag:enable", "fall", {"enabled": True}),
    ]


async def test_custom_tags(ctx: Ctx) -> None:
    refusal = await ctx.refused(add_custom_tag, actor=NURSE, name_zh="防拔管自行")
    assert isinstance(refusal, Forbidden)

    kind = await ctx.do(
        add_custom_tag,
        actor=HEAD,
        name_zh="防自行拔管",
        name_en="Self-extubation risk",
        colour="蓝",
        badge_en="SELF-EXTUB",
    )
    assert (kind.code, kind.colour, kind.badge_zh, kind.badge_en) == (
        "custom_1",
        "#1565C0",
        "防自行拔管",
        "SELF-EXTUB",
    )
    second = await ctx.do(
        add_custom_tag,
        actor=HEAD,
        name_zh="透析",
        colour="#a0f",
        has_detail=True,
        code="dialysis",
    )
    assert (second.code, second.colour, second.name_en, second.has_detail) == (
        "dialysis",
        "#AA00FF",
        "透析",
        True,
    )
    async with ctx.uow() as uow:
        kinds = await ward_tag_kinds(uow, ward=ctx.ward)
    assert [k.code for k in kinds[-2:]] == ["custom_1", "dialysis"]

    await ctx.do(tag_patient, actor=NURSE, bed="12", word="self-extubation risk")
    refusal = await ctx.refused(tag_patient, actor=NURSE, bed="12", word="透析")
    assert refusal.key == "err.tag_detail_needed"
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="透析", detail="周一三五")
    info = await ctx.view()
    assert [(t.kind.code, t.tag.detail) for t in info.tags] == [
        ("custom_1", None),
        ("dialysis", "周一三五"),
    ]

    for kwargs, key in (
        ({"name_zh": "防自行拔管"}, "err.tag_exists"),
        ({"name_zh": "新标识", "badge_zh": "跌倒"}, "err.tag_exists"),
        ({"name_zh": "新标识", "code": "fall"}, "err.tag_exists"),
        ({"name_zh": "新标识", "code": "Bad Code"}, "err.tag_code_form"),
        ({"name_zh": "新标识", "colour": "淡紫"}, "err.colour_form"),
        ({"name_zh": "  "}, "err.tag_name_form"),
        ({"name_zh": "--"}, "err.tag_name_form"),
        ({"name_zh": "长" * 17}, "err.too_long"),
    ):
        refusal = await ctx.refused(add_custom_tag, actor=HEAD, **kwargs)
        assert refusal.key == key, kwargs

    # Another ward knows nothing of this ward's tags.
    async with ctx.uow() as uow:
        other = await create_ward(uow, ctx.clock, HEAD, "骨科")
        assert await ward_tag_kinds(uow, ward=other) == DEFAULT_TAGS
        await uow.commit()
    assert (await ctx.actions()).count("ward_tag:add") == 2


# --- lines ---------------------------------------------------------------------------------


async def test_lines_add_number_dwell_and_remove(ctx: Ctx) -> None:
    _, picc = await ctx.do(
        add_line,
        actor=NURSE,
        bed="12",
        word="picc",
        site="右上臂",
        inserted_at=_local(2025, 11, 20, 10),
        purpose="化疗",
    )
    # Before the admission is fine: lines come from ED and theatre.
    assert picc.inserted_at < ctx.stay.admitted_at
    await ctx.do(
        add_line,
        actor=NURSE,
        bed="12",
        word="留置针",
        site="左前臂",
        inserted_at=_local(2025, 11, 19, 10),
    )
    await ctx.do(add_line, actor=NURSE, bed="12", word="留置针", site="右手背")
    _, urinary = await ctx.do(add_line, actor=NURSE, bed="12", word="尿管")
    assert urinary.inserted_at == NOW and urinary.site is None and urinary.purpose is None

    info = await ctx.view()
    assert [(ln.number, ln.kind.code, ln.dwell_day, ln.overdue) for ln in info.lines] == [
        (1, "picc", 4, False),
        (2, "piv", 5, True),  # 96 h passed at 10:00 today
        (3, "piv", 1, False),
        (4, "urinary", 1, False),
    ]
    assert info.lines[1].due_at == _local(2025, 11, 23, 10)
    assert info.lines[3].due_at is None

    before = await ctx.actions()
    refusal = await ctx.refused(remove_line, actor=NURSE, bed="12", word_or_number="留置针")
    assert isinstance(refusal, BadInput) and refusal.key == "err.line_which"
    assert refusal.params == {"bed": "12", "line": "留置针", "options": "2（左前臂）、3（右手背）"}
    assert await ctx.actions() == before

    _, removed = await ctx.do(remove_line, actor=NURSE, bed="12", word_or_number="2")
    assert removed.site == "左前臂" and removed.removed_at == NOW and removed.removed_by == 42
    # Numbers stay with their lines: 3 is still the right-hand cannula.
    assert [ln.number for ln in (await ctx.view()).lines] == [1, 3, 4]
    _, removed = await ctx.do(remove_line, actor=NURSE, bed="12", word_or_number="静脉留置针")
    assert removed.site == "右手背"
    _, removed = await ctx.do(remove_line, actor=NURSE, bed="12", word_or_number="#4")
    assert removed.code == "urinary"
    assert [ln.kind.code for ln in (await ctx.view()).lines] == ["picc"]

    for word, error, key in (
        ("2", NotFound, "err.line_number"),
        ("9号", NotFound, "err.line_number"),
        ("胃管", NotFound, "err.line_absent"),
        ("管子", BadInput, "err.line_unknown"),
    ):
        refusal = await ctx.refused(remove_line, actor=NURSE, bed="12", word_or_number=word)
        assert type(refusal) is error and refusal.key == key, word

    # Removed lines keep their rows.
    async with ctx.uow() as uow:
        rows = await uow.lines.of_stays([ctx.stay.id])
    assert [(ln.code, ln.present) for ln in rows] == [
        ("picc", True),
        ("piv", False),
        ("piv", False),
        ("urinary", False),
    ]
    actions = await ctx.actions()
    assert actions.count("line:add") == 4 and actions.count("line:remove") == 3


async def test_line_refusals(ctx: Ctx) -> None:
    for kwargs, key in (
        ({"word": "管子"}, "err.line_unknown"),
        ({"word": "PICC", "inserted_at": NOW + timedelta(minutes=6)}, "err.inserted_future"),
        ({"word": "PICC", "site": "左" * 31}, "err.too_long"),
        ({"word": "PICC", "purpose": "化" * 101}, "err.too_long"),
    ):
        refusal = await ctx.refused(add_line, actor=NURSE, bed="12", **kwargs)
        assert isinstance(refusal, BadInput) and refusal.key == key, kwargs
    assert (await ctx.view()).lines == ()
    # A phone a few minutes fast is not in the future; the line is on day 1.
    await ctx.do(
        add_line, actor=NURSE, bed="12", word="PICC", inserted_at=NOW + timedelta(minutes=4)
    )
    assert [ln.dwell_day for ln in (await ctx.view()).lines] == [1]


# --- signs ---------------------------------------------------------------------------------


async def test_sign_goes_stale_and_current_again(ctx: Ctx) -> None:
    assert (await ctx.view()).sign is SignStatus.MISSING
    await ctx.do(issue_sign, actor=NURSE, bed="12")
    info = await ctx.view()
    assert (info.sign, info.needs_reprint, info.printed_at) == (SignStatus.CURRENT, False, NOW)

    await ctx.do(tag_patient, actor=NURSE, bed="12", word="防跌倒")
    assert (await ctx.view()).needs_reprint
    await ctx.do(issue_sign, actor=NURSE, bed="12")
    assert not (await ctx.view()).needs_reprint

    # Derived from what the sign shows: off and on again leaves the printed sign right.
    await ctx.do(untag_patient, actor=NURSE, bed="12", word="防跌倒")
    assert (await ctx.view()).needs_reprint
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="防跌倒")
    assert not (await ctx.view()).needs_reprint

    await ctx.do(add_line, actor=NURSE, bed="12", word="PICC")
    assert (await ctx.view()).needs_reprint
    await ctx.do(issue_sign, actor=NURSE, bed="12")

    # A name correction the masked name does not show needs no reprint; a bed move does.
    async with ctx.uow() as uow:
        stay = await uow.stays.get(ctx.stay.id)
        assert stay is not None
        await uow.stays.update(dataclasses.replace(stay, name="张晓三"))
        await uow.commit()
    assert not (await ctx.view()).needs_reprint
    await ctx.do(services.move_bed, actor=NURSE, bed="12", new_bed="15")
    assert (await ctx.view()).needs_reprint
    # Time passing changes the dwell day on the card, not the printed insertion date.
    await ctx.do(issue_sign, actor=NURSE, bed="15")
    ctx.clock.advance(timedelta(days=3))
    assert not (await ctx.view()).needs_reprint


async def test_new_token_revokes_the_old_sign(ctx: Ctx) -> None:
    old = ctx.stay.token
    async with ctx.uow() as uow:
        assert await stay_by_token(uow, token=old) == ctx.stay
    await ctx.do(issue_sign, actor=NURSE, bed="12")
    fresh = await ctx.do(issue_sign, actor=NURSE, bed="12", new_token=True)
    assert fresh.token != old and fresh.id == ctx.stay.id
    assert (await ctx.view()).sign is SignStatus.CURRENT

    async with ctx.uow() as uow:
        assert await stay_by_token(uow, token=old) is None
        assert await stay_by_token(uow, token=fresh.token) == fresh
        for bad in ("", "a b", "x" * 65, "../../etc", "токен"):
            assert await stay_by_token(uow, token=bad) is None
        ward, stay = await open_sign(uow, actor=NURSE, token=fresh.token)
        assert (ward.id, stay.id) == (ctx.ward.id, ctx.stay.id)
        # Outsiders and dead links get one and the same answer.
        for actor, token in ((STRANGER, fresh.token), (NURSE, old), (NURSE, "nope")):
            with pytest.raises(NotFound) as caught:
                await open_sign(uow, actor=actor, token=token)
            assert caught.value.key == "err.link_invalid" and caught.value.params == {}
        entries = await uow.audit.of_ward(ctx.ward.id)
    prints = [e for e in reversed(entries) if e.action == "sign:print"]
    assert [e.after for e in prints] == [{"new_token": False}, {"new_token": True}]
    # The audit log never holds a token: its readers must not be able to open cards.
    assert not any(old in repr(e) or fresh.token in repr(e) for e in entries)

    await ctx.do(services.discharge, actor=NURSE, bed="12")
    async with ctx.uow() as uow:
        assert await stay_by_token(uow, token=fresh.token) is None


async def test_issue_signs_for_the_whole_ward(ctx: Ctx) -> None:
    async with ctx.uow() as uow:
        other = await services.admit(
            uow,
            ctx.clock,
            actor=NURSE,
            ward=ctx.ward,
            bed="+1",
            name="李四",
            sex=Sex.FEMALE,
            age=Age(8, "m"),
        )
        await uow.commit()
    stays = await ctx.do(issue_signs, actor=NURSE)
    assert [s.bed for s in stays] == ["12", "+1"]
    assert (await ctx.view(other)).sign is SignStatus.CURRENT
    refusal = await ctx.refused(issue_signs, actor=NURSE, beds=["12", "30"])
    assert isinstance(refusal, NotFound) and refusal.params == {"bed": "30"}


class _Counting:
    """A repository wrapper counting the calls the view makes."""

    def __init__(self, inner: Any, name: str, calls: Counter[str]) -> None:
        self._inner, self._name, self._calls = inner, name, calls

    def __getattr__(self, attr: str) -> Any:
        self._calls[f"{self._name}.{attr}"] += 1
        return getattr(self._inner, attr)


async def test_view_is_one_query_per_table(ctx: Ctx) -> None:
    async with ctx.uow() as uow:
        for bed in ("1", "2", "3", "4"):
            await services.admit(
                uow,
                ctx.clock,
                actor=NURSE,
                ward=ctx.ward,
                bed=bed,
                name="王五",
                sex=Sex.MALE,
                age=Age(50),
            )
        await uow.commit()
    for bed in ("1", "2", "3", "4", "12"):
        await ctx.do(tag_patient, actor=NURSE, bed=bed, word="防跌倒")
        await ctx.do(add_line, actor=NURSE, bed=bed, word="留置针")
    await ctx.do(issue_signs, actor=NURSE)

    calls: Counter[str] = Counter()
    async with ctx.uow() as uow:
        stays = await uow.stays.active(ctx.ward.id)
        for name in ("tags", "lines", "ward_tags", "signs"):
            setattr(uow, name, _Counting(getattr(uow, name), name, calls))
        view = await bedside_view(uow, ctx.clock, ward=ctx.ward, stays=stays)
    assert len(view) == 5 and all(len(i.tags) == len(i.lines) == 1 for i in view.values())
    assert all(i.sign is SignStatus.CURRENT for i in view.values())
    assert calls == Counter(
        {"tags.present": 1, "lines.of_stays": 1, "ward_tags.of_ward": 1, "signs.of_stays": 1}
    )
    async with ctx.uow() as uow:
        assert await bedside_view(uow, ctx.clock, ward=ctx.ward, stays=[]) == {}


def _decode(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [
        b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode
    ]


async def test_bed_sign_renders_and_its_qr_opens_the_card(ctx: Ctx) -> None:
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="过敏", detail="青霉素、头孢类")
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="防跌倒")
    await ctx.do(tag_patient, actor=NURSE, bed="12", word="禁食", detail="自22:00起")
    await ctx.do(
        add_line,
        actor=NURSE,
        bed="12",
        word="PICC",
        site="右上臂",
        inserted_at=_local(2025, 11, 20, 23, 30),
        purpose="化疗",
    )
    await ctx.do(add_line, actor=NURSE, bed="12", word="引流管", purpose="术后引流")
    stay = await ctx.do(issue_sign, actor=NURSE, bed="12", new_token=True)
    info = await ctx.view()
    link = f"https://t.me/WardBoardBot?start={stay.token}"

    sign = build_bed_sign(ctx.ward, stay, info, deep_link=link, now=ctx.clock.now())
    assert (sign.ward_name, sign.bed_label, sign.masked_name, sign.sex, sign.age) == (
        "普外科一病区",
        "12",
        "张*三",
        "男",
        "67岁",
    )
    assert (sign.nursing_level, sign.level_colour) == ("一级护理", LEVEL_COLOURS[NursingLevel.ONE])
    assert [(t.text, t.detail) for t in sign.tags] == [
        ("防跌倒", None),
        ("过敏", None),
        ("禁食", "自22:00起"),
    ]
    assert sign.allergies == "青霉素、头孢类"
    assert [
        (ln.name, ln.inserted, ln.dwell_limit_days, ln.purpose, ln.external) for ln in sign.lines
    ] == [
        ("PICC 右上臂", date(2025, 11, 20), 365, "化疗", False),
        ("引流管", date(2025, 11, 23), None, "术后引流", True),
    ]
    assert _decode(render_sign_png(sign, dpi=200, words=sign_words(ctx.ward.locale))) == [link]

    english = build_bed_sign(ctx.ward, stay, info, deep_link=link, now=NOW, locale="en")
    assert (english.nursing_level, english.sex, english.age) == ("Level 1", "M", "67y")
    assert [t.text for t in english.tags] == ["FALL", "ALLERGY", "NBM"]
    assert english.lines[0].name == "PICC 右上臂"
    assert _decode(render_sign_png(english, dpi=200, words=sign_words("en"))) == [link]

    # An extra bed without a level: 加1床, and a plain white band is not drawn.
    async with ctx.uow() as uow:
        extra = await services.admit(
            uow,
            ctx.clock,
            actor=NURSE,
            ward=ctx.ward,
            bed="+1",
            name="Li Si",
            sex=Sex.FEMALE,
            age=Age(40),
        )
        view = await bedside_view(uow, ctx.clock, ward=ctx.ward, stays=[extra])
    bare = build_bed_sign(ctx.ward, extra, view[extra.id], deep_link=link, now=NOW)
    assert (bare.bed_label, bare.masked_name, bare.nursing_level, bare.tags, bare.lines) == (
        "加1",
        "L. S***",
        "",
        (),
        (),
    )
    assert bare.allergies is None
    assert _decode(render_sign_png(bare, dpi=200)) == [link]


async def test_uow_protocol_fits(database: Database) -> None:
    uow: UnitOfWork = database.uow()
    async with uow:
        assert await uow.signs.of_stays([]) == [] and await uow.tags.present([]) == []
        assert await uow.lines.of_stays([]) == [] and await uow.ward_tags.of_ward(1) == []


async def test_bedside_repositories_round_trip(ctx: Ctx) -> None:
    local = NOW.astimezone(SHANGHAI)
    async with ctx.uow() as uow:
        line = await uow.lines.add(
            PatientLine(0, ctx.stay.id, "picc", "右上臂", local, "化疗", HEAD.user_id)
        )
        assert line.inserted_at == NOW and line.inserted_at.tzinfo is UTC
        setting = WardTagSetting(ctx.ward.id, "fall", False, local)
        assert await uow.ward_tags.put(setting) == dataclasses.replace(setting, created_at=NOW)
        # Added later: settings list oldest first.
        custom = WardTagSetting(
            ward_id=ctx.ward.id,
            code="custom_1",
            enabled=True,
            created_at=NOW + timedelta(minutes=1),
            name_zh="透析",
            name_en="Dialysis",
            colour="#1565C0",
            badge_zh="透析",
            badge_en="DIALYSIS",
            has_detail=True,
        )
        await uow.ward_tags.put(custom)
        # put replaces: one row per ward and code.
        await uow.ward_tags.put(dataclasses.replace(setting, enabled=True))
        sign = SignPrint(ctx.stay.id, NOW, HEAD.user_id, "a" * 64)
        await uow.signs.put(sign)
        await uow.signs.put(dataclasses.replace(sign, fingerprint="b" * 64))
        with pytest.raises(LookupError):
            await uow.lines.update(dataclasses.replace(line, id=line.id + 100))
        with pytest.raises(LookupError):
            await uow.tags.update(PatientTag(404, ctx.stay.id, "fall", None, NOW, 1))
        await uow.commit()
    async with ctx.uow() as uow:
        assert await uow.lines.of_stays([ctx.stay.id, 404]) == [line]
        assert await uow.ward_tags.of_ward(ctx.ward.id) == [
            dataclasses.replace(setting, enabled=True, created_at=NOW),
            custom,
        ]
        assert await uow.signs.of_stays([ctx.stay.id]) == [
            dataclasses.replace(sign, fingerprint="b" * 64)
        ]
    # A sign for a stay that does not exist breaks a foreign key.
    with pytest.raises(Conflict):
        async with ctx.uow() as uow:
            await uow.signs.put(dataclasses.replace(sign, stay_id=404))
