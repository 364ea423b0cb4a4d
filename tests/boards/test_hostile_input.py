"""Hostile input against every parser: a value or a readable refusal, never a crash.

Arbitrary Unicode (control, bidi, zero-width, private-use, unassigned, lone surrogates,
combining marks), HTML's special characters and 10,000-character input, for every parser
of what nurses type. Each one returns a value whose texts are clean (boards.text: nothing
invisible, within the length limits) or raises a WardError whose key both catalogues hold
and whose parameters fill it. Masking reveals no more than GLOSSARY.md allows, whatever
invisible characters a name holds.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from boards import schedule
from boards.bedside import parse_line_args, parse_tag_args
from boards.commands import (
    SurgeryArgs,
    parse_admit,
    parse_bed_only,
    parse_critical_args,
    parse_item,
    parse_move,
    parse_surgery,
)
from boards.errors import BadInput, WardError
from boards.i18n import LOCALES, catalogue
from boards.lines import DEFAULT_LINES, line_candidates, resolve_line
from boards.masking import _is_syllabic, mask_name  # which rule applies: its own test
from boards.model import ItemKind
from boards.parsing import (
    MAX_NAME,
    MAX_TEXT,
    check_text,
    parse_age,
    parse_bed,
    parse_critical,
    parse_level,
    parse_name,
    parse_sex,
)
from boards.tags import DEFAULT_TAGS, normalise_key, resolve_tag, tag_candidates
from boards.tasks import MAX_DOSE, MAX_DRUG, MAX_REMIND_TEXT, parse_med_args, parse_remind_args
from boards.text import clean_text, excerpt, graphemes, has_invisible, is_clean, visible_len
from boards.transfers import parse_transfer_request
from boards.when import parse_clock, parse_when

T = TypeVar("T")

# --- what a hostile (or careless) keyboard sends -------------------------------------------

# Characters that draw nothing: format (zero-width, BOM, soft hyphen, bidi embeddings,
# overrides, isolates and marks, tag characters), control, private-use, unassigned,
# surrogates, and default-ignorables of other categories.
_INVISIBLE = [
    *"\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u061c\u200e\u200f",
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    "\U000e0001",
    "\U000e0041",
    *"\x00\x07\x08\x1b\x7f\x9b",
    *"\ue000\uf8ff",
    "\U000f0000",
    "\U0010fffd",
    *"\ud800\udfff\u0378\ufffe",
    *"\u034f\ufe0f\u3164\u115f\uffa0",
    "\U000e0100",
]
_SPACES = [*"\t\n\r\x0b\x0c\x1c\x85\u2028\u2029\u3000\xa0\u2800\u200a"]
_HTML = ["<", ">", "&", '"', "'", "<b>", "</b>", "&lt;", '<a href="tg://x">', "<!--"]
_MARKS = ["\u0301", "\u0308", "¨", "\u20dd", "\u0e49"]
_HOSTILE = [*_INVISIBLE, *_SPACES, *_HTML, *_MARKS]

# Words the parsers know, by the slot they fill, so that hostile characters reach past the
# first check: a command's arguments are drawn slot by slot, each a known word, a known
# word with hostile characters inside, or anything at all.
_BEDS = ["12", "12床", "１２", "+1", "加床2", "0", "40", "41", "999", "⑫"]
_NAMES = ["张三", "欧阳娜华", "李", "John", "Tan Ah Kow", "<b>张</b>", "&amp;"]
_SEXES = ["男", "女", "f", "M"]
_AGES = ["45", "45岁", "8个月", "10天", "0", "200"]
_LEVELS = ["二级", "一级", "特级", "3"]
_CRITICAL = ["病危", "病重", "off", "很重"]
_TEXTS = ["急性阑尾炎", "腹腔镜阑尾切除术", "上腹部CT", "明晨空腹抽血", "<b>加压</b>", "&lt;"]
_WHEN = [
    *("14:30", "明天", "明天 9:00", "9:00", "8点半", "0830", "11-24", "11月24日", "24:00"),
    *("2026-11-24 09:00", "0001-01-01 00:00", "9999-12-31 23:59", "0001-01-01", "00:00"),
]
_SURGERY_WORDS = ["入室", "返回", "取消", "back"]
_WARDS = ["普外科一病区", "心内科"]
_TAGS = ["过敏", "药物过敏", "drug", "allergy", "隔离", "禁食", "过敏:青霉素", ":", "："]
_LINES = ["PICC", "留置针", "iv", "cannula", "尿管", "左前臂", "-", "昨天", "化疗"]
_DRUGS = ["头孢呋辛", "0.9%", "NS", "维生素", "B12"]
_DOSES = ["0.5g", "500", "mg", "1/2片", "480万U"]
_ROUTES = ["ivgtt", "静滴", "po", "i.v.", "gtt"]
_FREQS = ["bid", "q8h", "每日2次", "qd", "st"]
_REMIND = ["30分钟后", "+2h", "每天", "daily", "每天8点", "15:30", "测血糖"]
_WORDS = [
    *_BEDS, *_NAMES, *_SEXES, *_AGES, *_LEVELS, *_CRITICAL, *_TEXTS, *_WHEN,
    *_SURGERY_WORDS, *_WARDS, *_TAGS, *_LINES, *_DRUGS, *_DOSES, *_ROUTES, *_FREQS, *_REMIND,
]  # fmt: skip

_char = st.one_of(
    st.characters(),
    st.sampled_from([h for h in _HOSTILE if len(h) == 1]),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
)


@st.composite
def _dirtied(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    word = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(word)))
        word = word[:at] + draw(st.sampled_from(_HOSTILE)) + word[at:]
    return word


_known = st.sampled_from(_WORDS)
_word = st.one_of(_known, _dirtied(_known), st.text(_char, max_size=12))
_long = st.builds(
    lambda piece: (piece * 10_000)[:10_000],
    st.one_of(st.sampled_from(_WORDS + _HOSTILE), st.text(_char, min_size=1, max_size=5)),
)


_Args = st.SearchStrategy[list[str]]


def _weighted(*choices: tuple[st.SearchStrategy[T], int]) -> st.SearchStrategy[T]:
    """One of the strategies, in proportion to its weight (one_of does not promise that)."""
    pool = [strategy for strategy, weight in choices for _ in range(weight)]
    return st.integers(0, len(pool) - 1).flatmap(lambda i: pool[i])


def _slot(*vocabularies: list[str]) -> st.SearchStrategy[str]:
    # Mostly known words, so that a whole command gets through often enough to be checked.
    known = st.sampled_from([w for words in vocabularies for w in words])
    return _weighted((known, 5), (_dirtied(known), 3), (_word, 2))


def _form(*slots: st.SearchStrategy[str], tail: st.SearchStrategy[str] = _word) -> _Args:
    """A command's arguments slot by slot and a tail of up to four words, or anything:
    a list of words, one 10,000-character word among them, or 10,000 characters' worth."""
    shaped = st.builds(
        lambda head, rest: [*head, *rest], st.tuples(*slots), st.lists(tail, max_size=4)
    )
    return _weighted((shaped, 4), (_anything, 1))


_anything: _Args = st.one_of(
    st.lists(_word, max_size=8),
    st.builds(
        lambda head, long, tail: [*head, long, *tail],
        st.lists(_word, max_size=4),
        _long,
        st.lists(_word, max_size=3),
    ),
    st.builds(lambda word: [word] * max(1, 10_000 // max(1, len(word))), _dirtied(_known)),
)
_bed = _weighted((st.sampled_from(_BEDS), 1), (_slot(_BEDS), 1))
_text = st.one_of(_slot(_WORDS), _long, st.text(_char))
_bed_count = st.sampled_from([None, 40])
_now = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
_tz = st.sampled_from(
    [ZoneInfo(name) for name in ("Asia/Shanghai", "Asia/Kathmandu", "America/New_York", "UTC")]
)

_T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
_SH = ZoneInfo("Asia/Shanghai")

_hostile_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _calendar_edges(test: Callable[..., None]) -> Callable[..., None]:
    """Always try the calendar's ends: they have no UTC instant in some zones."""
    for text, zone in (("0001-01-01 00:00", "Asia/Shanghai"), ("9999-12-31 23:59", "Etc/GMT+12")):
        test = example(text=text, now=datetime(2000, 1, 1, tzinfo=UTC), tz=ZoneInfo(zone))(test)
    return test


# --- what every answer must be ----------------------------------------------------------


def _refusal_is_readable(error: WardError) -> None:
    """Both catalogues hold the key, its text takes the parameters, and what the
    parameters echo of the input is clean and short."""
    for locale in LOCALES:
        table = catalogue(locale)
        assert error.key in table, (locale, error.key)
        table[error.key].format(**error.params)
    for value in error.params.values():
        if isinstance(value, str):
            assert is_clean(value) and len(value) <= 60, (error.key, value)


def _answer(call: Callable[[], T]) -> T | None:
    """The parser's value, or None after checking that its refusal is readable."""
    try:
        return call()
    except WardError as error:
        _refusal_is_readable(error)
        return None


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _texts(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _texts(item)


_DRAWS_NOTHING = frozenset({"Cc", "Cf", "Co", "Cn", "Cs"})


def _assert_clean(value: object) -> None:
    """Every text in the value is clean; free text may keep compatibility forms (10⁹/L)."""
    for text in _texts(value):
        assert text, value
        assert not any(unicodedata.category(ch) in _DRAWS_NOTHING for ch in text), text
        assert is_clean(text, nfkc=False), text


_BED = re.compile(r"\+[1-9][0-9]?|[1-9][0-9]{0,2}")


def _assert_bed(bed: str, bed_count: int | None) -> None:
    assert _BED.fullmatch(bed), bed
    assert bed.startswith("+") or bed_count is None or int(bed) <= bed_count


# --- the review's case, and the decisions on beds -------------------------------------------


def test_an_invisible_character_in_a_name_is_not_a_character() -> None:
    admitted = parse_admit(["12", "张\u200b三", "男", "45"], bed_count=40)
    assert admitted.name == "张三"
    assert mask_name(admitted.name) == mask_name("张\u200b三") == "张*"
    assert parse_admit(["12", "\u202e李四五\u202c", "女", "40"], bed_count=40).name == "李四五"


def test_free_text_keeps_what_compatibility_forms_mean_and_loses_what_is_invisible() -> None:
    # NFKC would turn 10⁹/L into 109/L: free text is cleaned without it.
    assert check_text("WBC 12×10⁹/L\u200b，体表面积1.8m²") == "WBC 12×10⁹/L，体表面积1.8m²"
    note = parse_item(["12", "①禁食\u202e", "②备皮"], ItemKind.NOTE, bed_count=40, now=_T0, tz=_SH)
    assert note.text == "①禁食 ②备皮"
    assert parse_tag_args(["过敏", "青霉素，\u2066头孢\u2069"]) == ("过敏", "青霉素，头孢")
    # Names, beds and the words commands read are NFKC'd: Ｊｏｈｎ is John.
    assert parse_name("Ｊｏｈｎ\u200b") == "John"


@pytest.mark.parametrize("name", ["\u200b", "\u202e\u202c", "\u3164", "123", "<>", "***"])
def test_a_name_without_a_letter_is_refused(name: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_name(name)
    assert caught.value.key == "err.name_form"


def test_words_that_are_only_invisible_are_not_words() -> None:
    admitted = parse_admit(["12", "\u200b", "张三", "\u2060", "男", "45", "\ufeff"], bed_count=40)
    assert (admitted.name, admitted.diagnosis) == ("张三", None)
    assert parse_bed_only(["12", "\u200b"], bed_count=40) == "12"


@pytest.mark.parametrize(("typed", "bed"), [("１２", "12"), ("＋１", "+1"), ("⑫", "12")])
def test_full_width_beds_read_as_ascii(typed: str, bed: str) -> None:
    assert parse_bed(typed) == bed


@pytest.mark.parametrize("typed", ["1\u200b2", "\u202e21", "12\u200f", "\ufeff12", "1\x002"])
def test_a_bed_with_an_invisible_character_is_refused_and_echoed_clean(typed: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_bed(typed)
    assert caught.value.key == "err.bed_form"
    assert not has_invisible(caught.value.params["bed"])


@pytest.mark.parametrize("typed", ["١٢", "१२", "๑๒"])
def test_beds_are_written_in_ascii_digits(typed: str) -> None:
    with pytest.raises(BadInput):
        parse_bed(typed)


# --- every parser, against everything --------------------------------------------------------


@_hostile_settings
@given(text=_text, args=_form(_bed, _bed, tail=_bed), bed_count=_bed_count)
def test_bed_parsers(text: str, args: list[str], bed_count: int | None) -> None:
    bed = _answer(lambda: parse_bed(text, bed_count=bed_count))
    if bed is not None:
        assert not has_invisible(text)
        _assert_bed(bed, bed_count)
    only = _answer(lambda: parse_bed_only(args, bed_count=bed_count))
    if only is not None:
        _assert_bed(only, bed_count)
    moved = _answer(lambda: parse_move(args, bed_count=bed_count))
    if moved is not None:
        for one in moved:
            _assert_bed(one, bed_count)


@_hostile_settings
@given(
    args=_form(
        _bed, _slot(_NAMES), _slot(_SEXES), _slot(_AGES), tail=_slot(_TEXTS, _LEVELS, _NAMES)
    ),
    bed_count=_bed_count,
)
def test_parse_admit(args: list[str], bed_count: int | None) -> None:
    admitted = _answer(lambda: parse_admit(args, bed_count=bed_count))
    if admitted is None:
        return
    _assert_clean(admitted)
    _assert_bed(admitted.bed, bed_count)
    assert is_clean(admitted.name) and len(admitted.name) <= MAX_NAME
    assert any(unicodedata.category(ch).startswith("L") for ch in admitted.name)
    assert admitted.diagnosis is None or len(admitted.diagnosis) <= MAX_TEXT


@_hostile_settings
@given(args=_form(_bed, _slot(_BEDS, _WARDS), tail=_slot(_WARDS, _BEDS)), bed_count=_bed_count)
def test_parse_transfer_request(args: list[str], bed_count: int | None) -> None:
    transfer = _answer(lambda: parse_transfer_request(args, bed_count=bed_count))
    if transfer is None:
        return
    _assert_clean(transfer)
    _assert_bed(transfer.bed, bed_count)
    if transfer.target_bed is not None:
        _assert_bed(transfer.target_bed, None)


@_hostile_settings
@given(
    args=_form(_bed, _slot(_WHEN, _SURGERY_WORDS), tail=_slot(_WHEN, _TEXTS)),
    bed_count=_bed_count,
    now=_now,
    tz=_tz,
)
def test_parse_surgery(
    args: list[str], bed_count: int | None, now: datetime, tz: ZoneInfo
) -> None:
    surgery = _answer(lambda: parse_surgery(args, bed_count=bed_count, now=now, tz=tz))
    if surgery is None:
        return
    _assert_clean(surgery)
    if isinstance(surgery, SurgeryArgs):
        assert len(surgery.procedure) <= MAX_TEXT
        assert surgery.at.utcoffset() is not None


@_hostile_settings
@given(args=_form(_bed, _slot(_CRITICAL), tail=_slot(_CRITICAL)), bed_count=_bed_count)
def test_parse_critical_args(args: list[str], bed_count: int | None) -> None:
    _assert_clean(_answer(lambda: parse_critical_args(args, bed_count=bed_count)))


@_hostile_settings
@given(
    args=_form(_bed, _slot(_WHEN, _TEXTS), tail=_slot(_WHEN, _TEXTS)),
    kind=st.sampled_from(ItemKind),
    bed_count=_bed_count,
    now=_now,
    tz=_tz,
)
def test_parse_item(
    args: list[str], kind: ItemKind, bed_count: int | None, now: datetime, tz: ZoneInfo
) -> None:
    item = _answer(lambda: parse_item(args, kind, bed_count=bed_count, now=now, tz=tz))
    if item is None:
        return
    _assert_clean(item)
    assert len(item.text) <= MAX_TEXT
    assert (item.at is not None) == (kind is ItemKind.EXAM)


@_hostile_settings
@given(args=_form(_slot(_TAGS), tail=_slot(_TAGS, _DRUGS, _TEXTS)))
def test_parse_tag_args(args: list[str]) -> None:
    # The detail's length limit is tag_patient's check (the service), not the parser's.
    _assert_clean(_answer(lambda: parse_tag_args(args, kinds=DEFAULT_TAGS)))


@_hostile_settings
@given(args=_form(_slot(_LINES), tail=_slot(_LINES, _WHEN, _TEXTS)), now=_now, tz=_tz)
def test_parse_line_args(args: list[str], now: datetime, tz: ZoneInfo) -> None:
    # Site and purpose lengths are add_line's check (the service), not the parser's.
    line = _answer(lambda: parse_line_args(args, now=now, tz=tz))
    if line is None:
        return
    _assert_clean(line)
    assert line[2].tzinfo is UTC


@_hostile_settings
@given(
    args=_form(
        _slot(_DRUGS),
        _slot(_DOSES, _DRUGS),
        _slot(_ROUTES, _DOSES),
        _slot(_FREQS, _ROUTES),
        tail=_slot(_FREQS, _WHEN),
    ),
    now=_now,
    tz=_tz,
)
def test_parse_med_args(args: list[str], now: datetime, tz: ZoneInfo) -> None:
    order = _answer(lambda: parse_med_args(args, now=now, tz=tz))
    if order is None:
        return
    _assert_clean(order)
    assert len(order.drug) <= MAX_DRUG and len(order.dose) <= MAX_DOSE


@_hostile_settings
@given(args=_form(_slot(_REMIND, _WHEN), tail=_slot(_REMIND, _WHEN, _TEXTS)), now=_now, tz=_tz)
def test_parse_remind_args(args: list[str], now: datetime, tz: ZoneInfo) -> None:
    reminder = _answer(lambda: parse_remind_args(args, now=now, tz=tz))
    if reminder is None:
        return
    _assert_clean(reminder)
    assert len(reminder.text) <= MAX_REMIND_TEXT


@_hostile_settings
@given(text=_text, now=_now, tz=_tz)
@_calendar_edges
def test_word_parsers(text: str, now: datetime, tz: ZoneInfo) -> None:
    for parse in (parse_sex, parse_age, parse_level, parse_critical):
        _answer(functools.partial(parse, text))
    name = _answer(lambda: parse_name(text))
    if name is not None:
        _assert_clean(name)
        assert is_clean(name) and len(name) <= MAX_NAME
    free = _answer(lambda: check_text(text))
    if free is not None:
        _assert_clean(free)
        assert len(free) <= MAX_TEXT
    assert isinstance(_answer(lambda: parse_clock(text)), time | None)
    when = _answer(lambda: parse_when(text, now=now, tz=tz))
    assert when is None or when.utcoffset() is not None


@_hostile_settings
@given(text=_text, now=_now, tz=_tz)
@_calendar_edges
def test_policy_parsers(text: str, now: datetime, tz: ZoneInfo) -> None:
    assert isinstance(_answer(lambda: schedule.parse_clock(text)), time | None)
    assert isinstance(_answer(lambda: schedule.parse_frequency(text)), schedule.Frequency | None)
    assert isinstance(_answer(lambda: schedule.parse_route(text)), schedule.Route | None)
    when = _answer(lambda: schedule.parse_when(text, now=now, tz=tz))
    assert when is None or when.utcoffset() is not None


@_hostile_settings
@given(text=_text)
def test_tag_and_line_lookups(text: str) -> None:
    assert not has_invisible(normalise_key(text))
    assert resolve_tag(text, DEFAULT_TAGS) in (None, *DEFAULT_TAGS)
    assert set(tag_candidates(text, DEFAULT_TAGS)) <= set(DEFAULT_TAGS)
    assert resolve_line(text, DEFAULT_LINES) in (None, *DEFAULT_LINES)
    assert set(line_candidates(text, DEFAULT_LINES)) <= set(DEFAULT_LINES)


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("过\u200b敏", "allergy"), ("\u202e防跌倒", "fall"), ("ＰＩＣＣ\u2060", "picc")],
)
def test_lookups_see_through_invisible_characters(typed: str, kind: str) -> None:
    found = resolve_tag(typed, DEFAULT_TAGS) or resolve_line(typed, DEFAULT_LINES)
    assert found is not None and found.code == kind


# --- masking ----------------------------------------------------------------------------

_name_chars = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(categories=["Lu", "Ll"]),
    st.sampled_from(" ·"),
)
_names = st.text(_name_chars, min_size=1, max_size=12)
# What can hide inside a stored name without being seen: none of it is whitespace.
_hidden = st.sampled_from(_INVISIBLE)


@st.composite
def _hidden_in(draw: st.DrawFn, name: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(name)))
        name = name[:at] + draw(_hidden) + name[at:]
    return name


@given(st.data())
def test_hidden_characters_change_nothing_in_a_masked_name(data: st.DataObject) -> None:
    name = data.draw(_names)
    dirty = data.draw(_hidden_in(name))
    assert mask_name(dirty) == mask_name(name)


@pytest.mark.parametrize(
    ("stored", "masked"),
    [
        ("张\u200b三", "张*"),
        ("张\u202e三", "张*"),
        ("\u202e三张", "三*"),
        ("欧\u200d阳\u2066娜\u2069华", "欧**华"),
        ("张\u0301三", "张\u0301*"),  # a mark is part of its letter, not a character
        ("\u0301张三", "张*"),
        ("J\u200bohn S\u202emith", "J. S***"),
    ],
)
def test_stored_dirty_names_mask_as_they_look(stored: str, masked: str) -> None:
    assert mask_name(stored) == masked


@given(st.text(st.one_of(_char, _name_chars)))
def test_masking_reveals_no_more_than_the_glossary_allows(name: str) -> None:
    masked = mask_name(name)
    assert not has_invisible(masked)
    visible = clean_text(name, nfkc=False)
    if not visible:
        assert masked == ""
        return
    assert "*" in masked
    revealed = [c for c in graphemes(masked) if c not in ("*", ".", " ")]
    clusters = graphemes(visible.replace(" ", ""))
    if any(map(_is_syllabic, visible)) or ("*" in visible and " " not in visible):
        # 张* for two characters, 张*三 / 欧**华 for more: the first and the last.
        assert len(revealed) <= (1 if len(clusters) <= 2 else 2)
        assert masked.startswith(clusters[0])
    else:
        # Latin names: one initial a word, J. S***.
        assert len(revealed) <= len(visible.split(" "))


@pytest.mark.parametrize("pile", ["🏻" * 10000, "a" + "\u0301" * 10000, "张" + "\u20dd" * 5000])
def test_a_pile_of_marks_is_cut_like_any_text(pile: str) -> None:
    # Found by Hypothesis: marks (or skin-tone modifiers) attached without bound made one
    # "character" of ten thousand, so an echoed refusal quoted all of it.
    assert len(excerpt(pile)) <= 16 * 5
    assert visible_len(pile) > 16
