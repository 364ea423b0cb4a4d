"""Quality checks (质控): five domain scores, problems with a category and an owner, closed later.

The head nurse runs them, or a member of the quality group she names; she also keeps the
ward's list of problem categories. Everything is audited; nothing is deleted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from boards.access import Actor, record_audit, require_head, require_member
from boards.errors import BadInput, Forbidden, NotFound
from boards.model import Member, Ward
from boards.ports import Clock, UnitOfWork
from boards.quality.events import quality_settings
from boards.quality_model import QC_DOMAINS, QC_MAX_SCORE, QcProblem, QualityCheck, QualitySettings
from boards.text import clean_field, clean_text, excerpt

__all__ = [
    "DEFAULT_CATEGORIES",
    "QcOverview",
    "add_problem",
    "categories",
    "close_problem",
    "edit_categories",
    "qc_overview",
    "record_check",
    "require_qc",
    "set_qc_member",
]

DEFAULT_CATEGORIES: tuple[str, ...] = (
    "分级护理",
    "专科护理",
    "健康教育",
    "护理安全",
    "护理服务",
    "护理文书",
    "消毒隔离",
    "药品管理",
)
MAX_CATEGORIES = 30
MAX_CATEGORY = 16
MAX_DESCRIPTION = 300


def categories(settings: QualitySettings) -> tuple[str, ...]:
    return settings.qc_categories or DEFAULT_CATEGORIES


async def require_qc(uow: UnitOfWork, ward: Ward, user_id: int) -> Member:
    """The head nurse, or an approved member she named to the quality group."""
    member = await require_member(uow, ward.id, user_id)
    settings = await quality_settings(uow, ward=ward)
    if not member.is_head and user_id not in settings.qc_members:
        raise Forbidden("err.qc_only")
    return member


def _scores(words: Sequence[str]) -> tuple[int, ...]:
    values = [clean_text(w) for w in words[: len(QC_DOMAINS)]]
    if len(values) < len(QC_DOMAINS) or not all(v.isdigit() and len(v) <= 3 for v in values):
        raise BadInput("err.qc_scores", n=len(QC_DOMAINS), max=QC_MAX_SCORE)
    scores = tuple(int(v) for v in values)
    if any(s > QC_MAX_SCORE for s in scores):
        raise BadInput("err.qc_scores", n=len(QC_DOMAINS), max=QC_MAX_SCORE)
    return scores


async def record_check(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, words: Sequence[str]
) -> QualityCheck:
    """`18 17 19 16 20 [note]`: the five domain scores in order, then an optional note."""
    await require_qc(uow, ward, actor.user_id)
    scores = _scores(words)
    rest = words[len(QC_DOMAINS) :]
    note = clean_field(" ".join(rest), limit=MAX_DESCRIPTION) if rest else None
    check = await uow.checks.add(
        QualityCheck(
            id=0,
            ward_id=ward.id,
            checked_at=clock.now(),
            checked_by=actor.user_id,
            scores=scores,
            note=note or None,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "qc:check",
        f"check {check.id}",
        after={"scores": list(scores), "note": check.note},
    )
    return check


async def _member_named(uow: UnitOfWork, ward: Ward, word: str) -> Member:
    text = clean_text(word)
    handle = text.lstrip("@＠").lower()
    for m in await uow.members.of_ward(ward.id):
        if m.approved and (
            m.display_name == text
            or (m.username or "").lower() == handle
            or str(m.user_id) == text
        ):
            return m
    raise NotFound("err.qc_owner", name=excerpt(text, 16))


async def add_problem(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, words: Sequence[str]
) -> tuple[QcProblem, Member]:
    """`类别 负责人 描述`: a problem of the ward's latest check (or of none), open."""
    await require_qc(uow, ward, actor.user_id)
    if len(words) < 3:
        raise BadInput("err.missing_args")
    settings = await quality_settings(uow, ward=ward)
    category = clean_text(words[0])
    if category not in categories(settings):
        raise BadInput(
            "err.qc_category", value=excerpt(category, 16), options="、".join(categories(settings))
        )
    owner = await _member_named(uow, ward, words[1])
    description = clean_field(" ".join(words[2:]), limit=MAX_DESCRIPTION)
    if not description:
        raise BadInput("err.missing_args")
    checks = await uow.checks.of_ward(ward.id)
    problem = await uow.checks.add_problem(
        QcProblem(
            id=0,
            ward_id=ward.id,
            check_id=checks[-1].id if checks else None,
            category=category,
            description=description,
            owner_id=owner.user_id,
            found_at=clock.now(),
            found_by=actor.user_id,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "qc:problem",
        f"problem {problem.id}",
        after={"category": category, "owner": owner.user_id, "description": description},
    )
    return problem, owner


async def close_problem(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, number: str
) -> QcProblem:
    """The quality group, or the problem's owner, closes it once put right."""
    member = await require_member(uow, ward.id, actor.user_id)
    text = clean_text(number).lstrip("#＃")
    problem = await uow.checks.problem(int(text)) if text.isdigit() and len(text) < 10 else None
    if problem is None or problem.ward_id != ward.id:
        raise NotFound("err.qc_problem", number=excerpt(text, 10))
    if problem.owner_id != actor.user_id and not member.is_head:
        await require_qc(uow, ward, actor.user_id)
    if not problem.open:
        raise BadInput("err.qc_closed", number=problem.id)
    closed = await uow.checks.update_problem(
        dataclasses.replace(problem, closed_at=clock.now(), closed_by=actor.user_id)
    )
    await record_audit(uow, clock, actor, ward.id, "qc:close", f"problem {problem.id}")
    return closed


async def set_qc_member(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, add: bool, word: str
) -> tuple[QualitySettings, Member]:
    """The head nurse names (or removes) a member of the quality group."""
    await require_head(uow, ward.id, actor.user_id)
    member = await _member_named(uow, ward, word)
    current = await quality_settings(uow, ward=ward)
    team = [u for u in current.qc_members if u != member.user_id]
    if add:
        team.append(member.user_id)
    updated = await uow.quality.put(
        dataclasses.replace(
            current, qc_members=tuple(team), updated_at=clock.now(), updated_by=actor.user_id
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "qc:team_add" if add else "qc:team_remove",
        f"user {member.user_id}",
    )
    return updated, member


async def edit_categories(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, add: bool, word: str
) -> QualitySettings:
    """The head nurse adds a problem category or removes one (problems keep theirs)."""
    await require_head(uow, ward.id, actor.user_id)
    name = clean_text(word)
    if not name or len(name) > MAX_CATEGORY:
        raise BadInput("err.qc_category_name", max=MAX_CATEGORY)
    current = await quality_settings(uow, ward=ward)
    names = [c for c in categories(current) if c != name]
    if add:
        if len(names) >= MAX_CATEGORIES:
            raise BadInput("err.qc_category_name", max=MAX_CATEGORY)
        names.append(name)
    elif len(names) == len(categories(current)):
        raise BadInput(
            "err.qc_category", value=excerpt(name, 16), options="、".join(categories(current))
        )
    updated = await uow.quality.put(
        dataclasses.replace(
            current, qc_categories=tuple(names), updated_at=clock.now(), updated_by=actor.user_id
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "qc:categories",
        "ward",
        before={"categories": list(categories(current))},
        after={"categories": names},
    )
    return updated


@dataclass(frozen=True, slots=True)
class QcOverview:
    checks: tuple[QualityCheck, ...]
    open_problems: tuple[QcProblem, ...]
    names: dict[int, str]
    settings: QualitySettings


async def qc_overview(uow: UnitOfWork, *, actor: Actor, ward: Ward) -> QcOverview:
    """The last checks, the open problems with their owners, the quality group."""
    await require_qc(uow, ward, actor.user_id)
    settings = await quality_settings(uow, ward=ward)
    names = {m.user_id: m.display_name for m in await uow.members.of_ward(ward.id)}
    checks = await uow.checks.of_ward(ward.id)
    problems = await uow.checks.problems(ward.id, open_only=True)
    return QcOverview(tuple(checks[-3:]), tuple(problems), names, settings)
