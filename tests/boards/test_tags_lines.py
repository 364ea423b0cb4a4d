"""Warning-tag and line catalogues: contents, name lookup, dwell-time arithmetic."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from boards.lines import (
    DEFAULT_LINES,
    due_at,
    due_date,
    dwell_days,
    is_overdue,
    line_candidates,
    resolve_line,
)
from boards.signs import contrast_ratio, text_colour_for
from boards.tags import DEFAULT_TAGS, TagKind, normalise_key, resolve_tag, tag_candidates

SHANGHAI = ZoneInfo("Asia/Shanghai")
TAGS = {t.code: t for t in DEFAULT_TAGS}
LINES = {k.code: k for k in DEFAULT_LINES}
ISOLATIONS = ("isolation_contact", "isolation_droplet", "isolation_airborne")
# Words that deliberately name several kinds and must be refused.
AMBIGUOUS_TAG_WORDS = {"隔离", "隔離", "isolation"}

# ----------------------------------------------------------------------------- tags


def test_tag_catalogue_has_the_ward_set() -> None:
    expected = {
        "fall": "防跌倒",
        "bed_fall": "防坠床",
        "allergy": "药物过敏",
        "line_dislodgement": "防导管脱落",
        "pressure_injury": "防压疮",
        "isolation_contact": "接触隔离",
        "isolation_droplet": "飞沫隔离",
        "isolation_airborne": "空气隔离",
        "nil_by_mouth": "禁食",
        "no_fluids": "禁饮",
        "bleeding": "出血风险",
        "aspiration": "防误吸",
        "scald": "防烫伤",
        "wandering": "防走失",
    }
    for code, name in expected.items():
        assert TAGS[code].name_zh == name
    assert len(TAGS) == len(DEFAULT_TAGS), "codes are unique"
    assert TAGS["allergy"].has_detail


@pytest.mark.parametrize("kind", DEFAULT_TAGS, ids=lambda k: k.code)
def test_tag_badges_and_colours(kind: TagKind) -> None:
    assert re.fullmatch(r"#[0-9A-F]{6}", kind.colour)
    assert 1 <= len(kind.badge_zh) <= 4
    assert all("\u4e00" <= ch <= "\u9fff" for ch in kind.badge_zh)
    assert 1 <= len(kind.badge_en) <= 10
    # The badge text stays readable on screen and on a black-and-white printer: WCAG AA
    # contrast, and far apart once the printer turns the fill to grey.
    ink = text_colour_for(kind.colour)
    assert contrast_ratio(kind.colour, ink) >= 4.5
    grey = Image.new("RGB", (1, 1), kind.colour).convert("L").getpixel((0, 0))
    ink_grey = 0 if ink == "#000000" else 255
    assert isinstance(grey, int)
    assert abs(grey - ink_grey) >= 128


def test_tag_colour_must_be_hex() -> None:
    with pytest.raises(ValueError, match="RRGGBB"):
        TagKind("x", "x", "x", "red", "x", "X")


@pytest.mark.parametrize("kind", DEFAULT_TAGS, ids=lambda k: k.code)
def test_every_name_of_a_tag_resolves_to_it(kind: TagKind) -> None:
    for name in (
        kind.code,
        kind.name_zh,
        kind.name_en,
        kind.badge_zh,
        kind.badge_en,
        *kind.aliases,
    ):
        if name in AMBIGUOUS_TAG_WORDS:
            continue
        assert resolve_tag(name, DEFAULT_TAGS) is kind, name
        assert resolve_tag(name.upper(), DEFAULT_TAGS) is kind, name
        assert resolve_tag(f"  {name} ", DEFAULT_TAGS) is kind, name


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("过敏", "allergy"),
        ("跌倒", "fall"),
        ("坠床", "bed_fall"),
        ("导管", "line_dislodgement"),
        ("压疮", "pressure_injury"),
        ("压力性损伤", "pressure_injury"),
        ("接触隔离", "isolation_contact"),
        ("飞沫隔离", "isolation_droplet"),
        ("空气隔离", "isolation_airborne"),
        ("Contact isolation", "isolation_contact"),
        ("isolation_contact", "isolation_contact"),
        ("ISOLATION-AIRBORNE", "isolation_airborne"),
        ("ＦＡＬＬ", "fall"),  # full-width Latin from a Chinese IME
        ("Bed Fall", "bed_fall"),
        ("NBM", "nil_by_mouth"),
        ("禁水", "no_fluids"),
        ("防墜床", "bed_fall"),  # zh_TW
        ("防管路滑脫", "line_dislodgement"),
        ("防非计划拔管", "line_dislodgement"),
    ],
)
def test_resolve_tag_examples(text: str, code: str) -> None:
    found = resolve_tag(text, DEFAULT_TAGS)
    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["隔离", "隔離", "isolation", "Isolation"])
def test_isolation_alone_is_ambiguous(text: str) -> None:
    assert resolve_tag(text, DEFAULT_TAGS) is None
    assert [k.code for k in tag_candidates(text, DEFAULT_TAGS)] == list(ISOLATIONS)


@pytest.mark.parametrize("text", ["", "   ", "foo", "防", "过", "fal"])
def test_resolve_tag_refuses_unknown_and_partial(text: str) -> None:
    assert resolve_tag(text, DEFAULT_TAGS) is None


def test_resolve_tag_searches_only_the_kinds_given() -> None:
    ward_set = [TAGS["fall"], TAGS["isolation_contact"]]
    assert resolve_tag("过敏", ward_set) is None
    # With one isolation kind in use, 隔离 is no longer ambiguous.
    assert resolve_tag("隔离", ward_set) is TAGS["isolation_contact"]


def test_tag_names_do_not_collide() -> None:
    seen: dict[str, str] = {}
    for kind in DEFAULT_TAGS:
        for name in {
            kind.code,
            kind.name_zh,
            kind.name_en,
            kind.badge_zh,
            kind.badge_en,
            *kind.aliases,
        }:
            key = normalise_key(name)
            if name in AMBIGUOUS_TAG_WORDS:
                continue
            assert seen.setdefault(key, kind.code) == kind.code, name


# ----------------------------------------------------------------------------- lines


def test_line_catalogue() -> None:
    assert set(LINES) == {
        "piv",
        "picc",
        "cvc",
        "port",
        "urinary",
        "ngt",
        "drain",
        "chest_drain",
        "ett",
        "trach",
    }
    assert LINES["piv"].max_dwell_days == 4  # 96 h
    assert LINES["port"].max_dwell_days is None
    assert {k.code for k in DEFAULT_LINES if k.route_group == "iv"} == {
        "piv",
        "picc",
        "cvc",
        "port",
    }
    for kind in DEFAULT_LINES:
        assert kind.max_dwell_days is None or kind.max_dwell_days > 0
        assert resolve_line(kind.code, DEFAULT_LINES) is kind
        assert resolve_line(kind.name_zh, DEFAULT_LINES) is kind
        assert resolve_line(kind.name_en, DEFAULT_LINES) is kind
        assert resolve_line(kind.abbr.lower(), DEFAULT_LINES) is kind
        for alias in kind.aliases:
            assert line_candidates(alias, DEFAULT_LINES) == (kind,), alias


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("留置针", "piv"),
        ("PICC", "picc"),
        ("picc", "picc"),
        ("CVC", "cvc"),
        ("尿管", "urinary"),
        ("导尿管", "urinary"),
        ("胃管", "ngt"),
        ("鼻胃管", "ngt"),
        ("引流管", "drain"),
        ("胸腔闭式引流管", "chest_drain"),
        ("胸管", "chest_drain"),
        ("输液港", "port"),
        ("气管插管", "ett"),
        ("气切", "trach"),
        ("Chest Tube", "chest_drain"),
    ],
)
def test_resolve_line_examples(text: str, code: str) -> None:
    found = resolve_line(text, DEFAULT_LINES)
    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["", "导管", "管", "catheter", "tube"])
def test_resolve_line_refuses_vague_words(text: str) -> None:
    assert resolve_line(text, DEFAULT_LINES) is None


def _sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)


def test_dwell_days_counts_the_insertion_day_as_day_1() -> None:
    inserted = _sh(2025, 11, 20, 8, 0)
    assert dwell_days(inserted, inserted, SHANGHAI) == 1
    assert dwell_days(inserted, _sh(2025, 11, 20, 23, 59), SHANGHAI) == 1
    assert dwell_days(inserted, _sh(2025, 11, 21, 0, 0), SHANGHAI) == 2
    assert dwell_days(inserted, _sh(2025, 11, 24, 12, 0), SHANGHAI) == 5


def test_dwell_days_uses_the_ward_calendar_not_utc() -> None:
    # 23:30 UTC is 07:30 the next morning in Shanghai: both times fall on 21 Nov there.
    inserted = datetime(2025, 11, 20, 23, 30, tzinfo=UTC)
    now = datetime(2025, 11, 21, 15, 0, tzinfo=UTC)
    assert dwell_days(inserted, now, SHANGHAI) == 1
    assert dwell_days(inserted, now, ZoneInfo("UTC")) == 2


def test_dwell_days_across_a_dst_change() -> None:
    ny = ZoneInfo("America/New_York")  # clocks went forward on 9 March 2025
    inserted = datetime(2025, 3, 8, 12, 0, tzinfo=ny)
    assert dwell_days(inserted, datetime(2025, 3, 10, 0, 30, tzinfo=ny), ny) == 3


def test_dwell_days_rejects_naive_and_backwards_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        dwell_days(datetime(2025, 11, 20), _sh(2025, 11, 21), SHANGHAI)
    with pytest.raises(ValueError, match="before"):
        dwell_days(_sh(2025, 11, 21, 8), _sh(2025, 11, 20, 8), SHANGHAI)
    # Seconds of clock skew on the same day are tolerated.
    assert dwell_days(_sh(2025, 11, 21, 8, 0, 5), _sh(2025, 11, 21, 8, 0, 0), SHANGHAI) == 1


def test_overdue_after_the_limit_in_hours() -> None:
    inserted = _sh(2025, 11, 20, 22, 0)
    limit = LINES["piv"].max_dwell_days
    assert due_at(inserted, limit) == inserted + timedelta(hours=96)
    assert not is_overdue(inserted, inserted + timedelta(hours=95, minutes=59), limit)
    assert is_overdue(inserted, inserted + timedelta(hours=96), limit)
    assert not is_overdue(inserted, inserted + timedelta(days=3000), None)
    assert due_at(inserted, None) is None
    with pytest.raises(ValueError):
        due_at(inserted, 0)
    with pytest.raises(ValueError, match="aware"):
        is_overdue(inserted, datetime(2025, 11, 30), limit)


def test_due_date_for_labels() -> None:
    assert due_date(date(2025, 11, 20), 4) == date(2025, 11, 24)
    assert due_date(date(2025, 12, 30), 4) == date(2026, 1, 3)
    assert due_date(date(2025, 11, 20), None) is None
