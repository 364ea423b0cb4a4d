"""Parsers for what nurses type: beds, sex, age, nursing level, critical (times: boards.when)."""

from __future__ import annotations

import functools
import re
import unicodedata

from boards.errors import BadInput
from boards.model import Age, Critical, NursingLevel, Sex
from boards.text import clean_text, excerpt, fold_traditional, has_invisible

__all__ = [
    "MAX_NAME",
    "MAX_TEXT",
    "bed_sort_key",
    "check_text",
    "parse_admission_no",
    "parse_age",
    "parse_bed",
    "parse_critical",
    "parse_level",
    "parse_name",
    "parse_sex",
]

MAX_NAME = 30
MAX_TEXT = 200

# ASCII digits only (after NFKC, so full-width ones count): a bed is a label on the wall.
_BED = re.compile(r"(?:([0-9]{1,3})|(?:\+|加床?)([0-9]{1,2}))(?:床|号床|號床)?")


def parse_bed(text: str, *, bed_count: int | None = None) -> str:
    """Normalise `12`, `12床`, `１２`, `+1`, `加1`, `加床1` to `12` / `+1`.

    A bed label holding an invisible character (1\u200b2) is refused, not cleaned: the
    bed names the patient every command acts on, so it must be what the nurse sees.
    """
    m = None if has_invisible(text) else _BED.fullmatch(clean_text(text))
    if not m:
        raise BadInput("err.bed_form", bed=excerpt(text, 12))
    if m.group(1) is not None:
        number = int(m.group(1))
        if number == 0 or (bed_count is not None and number > bed_count):
            raise BadInput("err.bed_range", bed=str(number), count=bed_count or 999)
        return str(number)
    extra = int(m.group(2))
    if extra == 0:
        raise BadInput("err.bed_form", bed=excerpt(text, 12))
    return f"+{extra}"


@functools.lru_cache(maxsize=4096)
def bed_sort_key(bed: str) -> tuple[int, int]:
    """Numbered beds in order, extra beds after them (kept: a board sorts by it often)."""
    if bed.startswith("+"):
        return (1, int(bed[1:]))
    return (0, int(bed)) if bed.isdigit() else (2, 0)


_SEX = {
    "男": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "男性": Sex.MALE,
    "女": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "女性": Sex.FEMALE,
}


def parse_sex(text: str) -> Sex:
    sex = _SEX.get(fold_traditional(clean_text(text)).lower())
    if sex is None:
        raise BadInput("err.sex_form", value=excerpt(text, 12))
    return sex


_AGE = re.compile(r"([0-9]{1,3})(岁|歲|y|yrs?|月|个月|個月|m|mo|天|d)?", re.IGNORECASE)
_AGE_UNIT = {"月": "m", "个月": "m", "個月": "m", "m": "m", "mo": "m", "天": "d", "d": "d"}
_AGE_MAX = {"y": 130, "m": 35, "d": 60}


def parse_age(text: str) -> Age:
    m = _AGE.fullmatch(clean_text(text))
    if not m:
        raise BadInput("err.age_form", value=excerpt(text, 12))
    unit = _AGE_UNIT.get((m.group(2) or "").lower(), "y")
    value = int(m.group(1))
    if value > _AGE_MAX[unit] or (value == 0 and unit != "d"):
        raise BadInput("err.age_form", value=excerpt(text, 12))
    return Age(value, unit)


_LEVELS: dict[str, NursingLevel] = {}
for _level, _words in {
    NursingLevel.SPECIAL: ("特级护理", "特级", "特", "特級護理", "特級", "special", "s", "0"),
    NursingLevel.ONE: (
        "一级护理",
        "一级",
        "一",
        "一級護理",
        "一級",
        "1",
        "i",
        "1级",
        "level1",
        "l1",
    ),
    NursingLevel.TWO: (
        "二级护理",
        "二级",
        "二",
        "二級護理",
        "二級",
        "2",
        "ii",
        "2级",
        "level2",
        "l2",
    ),
    NursingLevel.THREE: (
        "三级护理",
        "三级",
        "三",
        "三級護理",
        "三級",
        "3",
        "iii",
        "3级",
        "level3",
        "l3",
    ),
}.items():
    for _word in _words:
        _LEVELS[_word] = _level


def parse_level(text: str) -> NursingLevel | None:
    """A nursing level, or None when the text is not one (so it can be a diagnosis)."""
    return _LEVELS.get(fold_traditional(clean_text(text)).lower())


_CRITICAL: dict[str, Critical | None] = {
    "病危": Critical.CRITICAL,
    "危": Critical.CRITICAL,
    "critical": Critical.CRITICAL,
    "病重": Critical.SERIOUS,
    "重": Critical.SERIOUS,
    "serious": Critical.SERIOUS,
    "off": None,
    "取消": None,
    "解除": None,
    "无": None,
    "none": None,
    "clear": None,
}


def parse_critical(text: str) -> Critical | None:
    key = fold_traditional(clean_text(text)).lower()
    if key not in _CRITICAL:
        raise BadInput("err.critical_form", value=excerpt(text, 12))
    return _CRITICAL[key]


def parse_name(text: str) -> str:
    """A patient's name, cleaned (boards.text): what the nurse sees, nothing invisible.

    A name with no letter at all (empty once cleaned, only digits or symbols) is refused:
    it cannot be checked against a wristband.
    """
    name = clean_text(text)
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise BadInput("err.name_form")
    if len(name) > MAX_NAME:
        raise BadInput("err.too_long", limit=MAX_NAME)
    return name


def check_text(text: str, *, limit: int = MAX_TEXT) -> str:
    """Free text (a diagnosis, a note, a procedure), cleaned; refused empty or too long.

    Nothing invisible is kept, but compatibility forms are (no NFKC): in clinical text
    they carry meaning that NFKC would lose (WBC 12×10⁹/L would read 12×109/L; ①②, m²).
    """
    clean = clean_text(text, nfkc=False)
    if not clean:
        raise BadInput("err.text_empty")
    if len(clean) > limit:
        raise BadInput("err.too_long", limit=limit)
    return clean


_ADMISSION_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.]{0,31}")


def parse_admission_no(text: str) -> str:
    """A 住院号 / MRN as hospitals print them: letters, digits and - _ / . (32 at most)."""
    value = clean_text(text)
    if not _ADMISSION_NO.fullmatch(value):
        raise BadInput("err.admission_no_form", value=excerpt(text, 20))
    return value
