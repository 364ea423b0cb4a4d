"""A printed sign's fingerprint is stored with the print: its digest must not drift."""

from __future__ import annotations

from datetime import UTC, datetime

from boards.bedside.view import _fingerprint
from boards.board_data import BedsideLine, BedsideTag
from boards.lines import DEFAULT_LINES
from boards.model import Age, NursingLevel, PatientLine, PatientTag, Sex, Stay, Ward
from boards.tags import DEFAULT_TAGS

__all__: list[str] = []

AT = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)  # 01:30 on the 23rd in Shanghai
WARD = Ward(1, "普外科一病区", "Asia/Shanghai", "zh_CN", AT)


def _stay(bed: str = "12", name: str = "欧阳明华") -> Stay:
    return Stay(1, 1, bed, name, Sex.FEMALE, Age(78), "肠梗阻", NursingLevel.ONE, AT, "tok12")


def _bedside() -> tuple[list[BedsideTag], list[BedsideLine]]:
    allergy = next(k for k in DEFAULT_TAGS if k.code == "allergy")
    fall = next(k for k in DEFAULT_TAGS if k.code == "fall")
    picc = next(k for k in DEFAULT_LINES if k.code == "picc")
    tags = [
        BedsideTag(fall, PatientTag(2, 1, "fall", None, AT, 7)),
        BedsideTag(allergy, PatientTag(1, 1, "allergy", "青霉素", AT, 7)),
    ]
    line = PatientLine(1, 1, "picc", "右上臂", AT, "化疗", 7)
    return tags, [BedsideLine(1, picc, line, 3, False, None)]


def test_the_digest_of_what_a_sign_shows_is_the_one_printed_signs_hold() -> None:
    # Stored with every print since signs were first printed: a change to the digest (or
    # to what goes in it) marks every sign of every ward outdated at once. Change it only
    # deliberately, and this value with it.
    tags, lines = _bedside()
    assert _fingerprint(WARD, _stay(), tags, lines) == (
        "0f0cce7841bbdad7ed5fa1ca5888b6f6dd9cc8df563b5dfca829341016010d0e"
    )


def test_what_the_sign_shows_changes_the_digest_and_nothing_else_does() -> None:
    tags, lines = _bedside()
    printed = _fingerprint(WARD, _stay(), tags, lines)
    assert _fingerprint(WARD, _stay(), list(reversed(tags)), lines) == printed  # order
    assert _fingerprint(WARD, _stay(name="欧阳敏华"), tags, lines) == printed  # 欧**华 both
    assert _fingerprint(WARD, _stay(bed="14"), tags, lines) != printed
    assert _fingerprint(WARD, _stay(), tags[:1], lines) != printed
    assert _fingerprint(WARD, _stay(), tags, []) != printed
