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
