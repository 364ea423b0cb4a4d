"""The three layers import in one direction only."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_boards_imports_neither_telegram_nor_sqlalchemy_nor_outer_layers() -> None:
    assert not _imports("boards") & {"telegram", "sqlalchemy", "alembic", "bot", "storage"}


def test_storage_does_not_talk_telegram() -> None:
    assert not _imports("storage") & {"telegram", "bot"}


def test_bot_does_not_talk_sqlalchemy() -> None:
    assert not _imports("bot") & {"sqlalchemy", "alembic"}


def _calls_of(package: str, methods: set[str]) -> list[str]:
    """`path:line .method(` for every call of one of these methods in the package."""
    found: list[str] = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in methods
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}(")
    return found


def test_the_domain_never_commits_its_caller_owns_the_transaction() -> None:
    # A turn (bot.turn) or a job (bot.transaction) commits; a service that committed inside
    # would split its caller's unit of work in two, with no way back for the rest.
    assert _calls_of("boards", {"commit", "rollback"}) == []
