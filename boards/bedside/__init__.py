"""Bedside warning tags, lines and QR signs: ward tag catalogues, services, views, sign data."""

from boards.bedside.arguments import parse_line_args, parse_tag_args
from boards.bedside.bed_sign import LEVEL_COLOURS, build_bed_sign, sign_words
from boards.bedside.catalogue import (
    Catalogue,
    add_custom_tag,
    disable_tag,
    disabled_tag_codes,
    enable_tag,
    ward_catalogue,
    ward_tag_kinds,
)
from boards.bedside.issuing import issue_sign, issue_signs, open_sign, scan_sign, stay_by_token
from boards.bedside.patient_lines import CLOCK_SKEW, MAX_PURPOSE, MAX_SITE, add_line, remove_line
from boards.bedside.patient_tags import MAX_DETAIL, tag_patient, untag_patient
from boards.bedside.view import (
    bedside_view,
    board_with_bedside,
)

__all__ = [
    "CLOCK_SKEW",
    "LEVEL_COLOURS",
    "MAX_DETAIL",
    "MAX_PURPOSE",
    "MAX_SITE",
    "Catalogue",
    "add_custom_tag",
    "add_line",
    "bedside_view",
    "board_with_bedside",
    "build_bed_sign",
    "disable_tag",
    "disabled_tag_codes",
    "enable_tag",
    "issue_sign",
    "issue_signs",
    "open_sign",
    "parse_line_args",
    "parse_tag_args",
    "remove_line",
    "scan_sign",
    "sign_words",
    "stay_by_token",
    "tag_patient",
    "untag_patient",
    "ward_catalogue",
    "ward_tag_kinds",
]
