"""Modules stay small and say what they are for: under 600 lines, one summary sentence on top."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 600

# A sentence ends at a full stop after a word and before a capital: "J. S***" (an initial in
# the masking module's example) does not end one.
_SENTENCE_END = re.compile(r"[a-z0-9)\]`'\"][.!?]\s+[A-Z]")


def _modules() -> list[Path]:
    # Migrations are Alembic's generated shape, not ours to split.
    return [
        path
        for package in ("boards", "storage", "bot")
        for path in sorted((ROOT / package).rglob("*.py"))
        if not {"migrations", "tests"} & set(path.relative_to(ROOT).parts)
    ]


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def one_sentence_summary(docstring: str | None) -> bool:
    """True when the docstring's first line is a whole sentence, and the only one there."""
    if not docstring:
        return False
    first, *rest = docstring.split("\n")
    first = first.strip()
    return (
        bool(first)
        and first[-1] in ".!?"
        and not _SENTENCE_END.search(first)
        and (not rest or not rest[0].strip())
    )


def test_no_module_is_over_the_limit() -> None:
    over = {
        str(path.relative_to(ROOT)): lines
        for path in _modules()
        if (lines := _lines(path)) > LIMIT
    }
    assert not over, f"over {LIMIT} lines: {over}"


def test_every_module_starts_with_a_one_sentence_docstring() -> None:
    assert len(_modules()) > 40  # the walk finds the packages at all
    missing = [
        str(path.relative_to(ROOT))
        for path in _modules()
        if not one_sentence_summary(
            ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
        )
    ]
    assert not missing, f"no one-sentence docstring line on top: {missing}"


@pytest.mark.parametrize(
    ("docstring", "expected"),
    [
        ("Clocks: the system clock for production, a settable one for the demo and tests.", True),
        ("Masking for signs: 张*, 张*三, J. S***.\n\nMore detail follows here.", True),
        (None, False),
        ("", False),
        ("Clocks for production and tests", False),
        ("Clocks for production. And a settable one for tests.", False),
        ("Clocks for production and for the demo,\nand a settable one for tests.", False),
    ],
)
def test_the_summary_rule(docstring: str | None, expected: bool) -> None:
    assert one_sentence_summary(docstring) is expected
