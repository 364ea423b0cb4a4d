"""The three layers import in one direction only."""

import ast
from pathlib import Path

from boards.ports import UnitOfWork

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


# The bot's actions: parse, call a boards/ service (or a query of boards.queries), reply.
# Plumbing may read the repositories itself: the turn (who acts, where), the publisher and
# the group's state (jobs of their own), flood control and the CLI.
_ACTIONS = (
    "bedside_handlers",
    "dialogue",
    "handlers",
    "membership",
    "policy",
    "reminders",
    "routing",
    "transfers",
)
# (module, repository) pairs an action may still use, each with its reason. None today.
_ACTIONS_MAY_USE: dict[tuple[str, str], str] = {}


def _repository_uses(source: str) -> list[tuple[int, str]]:
    """(line, repository) for each `uow.<repository>` / `x.uow.<repository>` in the code."""
    repositories = set(UnitOfWork.__annotations__)
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Attribute) and node.attr in repositories):
            continue
        owner = node.value
        if (isinstance(owner, ast.Name) and owner.id == "uow") or (
            isinstance(owner, ast.Attribute) and owner.attr == "uow"
        ):
            found.append((node.lineno, node.attr))
    return found


def test_the_repository_check_sees_a_turn_reading_a_repository() -> None:
    source = "async def f(tn, uow):\n    await tn.uow.stays.get(1)\n    await uow.wards.many([])\n"
    assert _repository_uses(source) == [(2, "stays"), (3, "wards")]


def test_bot_actions_call_services_not_repositories() -> None:
    found = [
        f"bot/{module}.py:{line} uow.{repository}"
        for module in _ACTIONS
        for line, repository in _repository_uses(
            (ROOT / "bot" / f"{module}.py").read_text(encoding="utf-8")
        )
        if (module, repository) not in _ACTIONS_MAY_USE
    ]
    assert found == []
