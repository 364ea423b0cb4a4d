"""Memoised functions and patient text: what may hold it is registered, and forgotten."""

from __future__ import annotations

import ast
from pathlib import Path

from boards.bedside.view import _digest
from boards.memo import forget_patient_text
from boards.picture.draw import _badge_image, _drawable, _width

ROOT = Path(__file__).resolve().parents[2]
# Plain caches, each of what carries no patient: fonts, catalogues (and their names' lookup
# keys), colours, bed numbers, single characters, a clock time's policy, and the process's
# own start.
NO_PATIENT_TEXT = {
    "_font_family",
    "_font_file",
    "_font",
    "catalogue",
    "_texts",
    "_daily_policy",
    "bed_sort_key",
    "_dropped",
    "_traditional_to_simplified",
    "_simplified_to_traditional",
    "default_ward_policy",
    "_has_glyph",
    "_ink",
    "settle_heap",
    "_keys",
    "_line_keys",
}


def _decorated() -> dict[str, str]:
    """Every function in boards/, bot/ and storage/ under a cache decorator: name -> which."""
    found: dict[str, str] = {}
    for package in ("boards", "bot", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    name = ast.unparse(target)
                    if name.split(".")[-1] in {"lru_cache", "cache", "patient_text_cache"}:
                        found[node.name] = name.split(".")[-1]
    return found


def test_every_cache_either_holds_no_patient_text_or_is_forgotten_by_retention() -> None:
    plain = {name for name, how in _decorated().items() if how != "patient_text_cache"}
    # A new plain cache is a question to answer: does what it keeps name a patient? If so,
    # `patient_text_cache` (retention empties it); if not, it belongs in the list above.
    assert plain == NO_PATIENT_TEXT
    assert {n for n, how in _decorated().items() if how == "patient_text_cache"} == {
        "_digest",
        "_drawable",
        "_width",
        "_badge_image",
    }


def test_forgetting_empties_every_cache_that_held_a_name() -> None:
    _digest("病区", "12", "张*", "男", "45", None, "tok", (("allergy", "青霉素"),), ())
    _drawable("张三 青霉素")
    _width("张三", 4.8, False)
    _badge_image("青霉素", "#ff0000", 20.0, 8.0, 4.8, "#ffffff")
    assert forget_patient_text() >= 4
    for cached in (_digest, _drawable, _width, _badge_image):
        assert cached.cache_info().currsize == 0, cached
