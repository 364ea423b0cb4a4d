"""Adverse events: recorded by members, corrected or retracted by the head nurse; safety days."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from boards.access import Actor, occupant, record_audit, require_head, require_member
from boards.bedside import remove_line
from boards.errors import BadInput, NotFound
from boards.lines import DEFAULT_LINES, resolve_line
from boards.model import Stay, Ward
from boards.ports import Clock, UnitOfWork
from boards.quality_model import AdverseEvent, EventStatus, EventType, QualitySettings, Severity
from boards.text import clean_field, clean_text, excerpt, fold_traditional
from boards.when import take_when

__all__ = [
    "EVENT_WORDS",
    "SEVERITY_WORDS",
    "EventRequest",
    "SafetyCount",
    "correct_event",
    "event_type",
    "parse_event_args",
    "quality_settings",
    "record_event",
    "retract_event",
    "safety_days",
    "set_safety_types",
    "severity",
    "ward_events",
]

MAX_DETAILS = 500

# What a nurse types for each type and severity (Simplified, English; Traditional folds).
EVENT_WORDS: dict[str, EventType] = {
    "跌倒": EventType.FALL,
    "fall": EventType.FALL,
    "坠床": EventType.BED_FALL,
    "bed_fall": EventType.BED_FALL,
    "bedfall": EventType.BED_FALL,
    "压力性损伤": EventType.PRESSURE_INJURY,
    "压疮": EventType.PRESSURE_INJURY,
    "压伤": EventType.PRESSURE_INJURY,
    "pressure": EventType.PRESSURE_INJURY,
    "pressure_injury": EventType.PRESSURE_INJURY,
    "非计划拔管": EventType.UNPLANNED_REMOVAL,
    "拔管": EventType.UNPLANNED_REMOVAL,
    "脱管": EventType.UNPLANNED_REMOVAL,
    "管路滑脱": EventType.UNPLANNED_REMOVAL,
    "unplanned": EventType.UNPLANNED_REMOVAL,
    "unplanned_removal": EventType.UNPLANNED_REMOVAL,
    "给药错误": EventType.MEDICATION_ERROR,
    "用药错误": EventType.MEDICATION_ERROR,
    "medication": EventType.MEDICATION_ERROR,
    "medication_error": EventType.MEDICATION_ERROR,
    "输液外渗": EventType.EXTRAVASATION,
    "外渗": EventType.EXTRAVASATION,
    "extravasation": EventType.EXTRAVASATION,
    "其他": EventType.OTHER,
    "其它": EventType.OTHER,
    "other": EventType.OTHER,
}
SEVERITY_WORDS: dict[str, Severity] = {
    "无": Severity.NONE,
    "无伤害": Severity.NONE,
    "未遂": Severity.NONE,
    "none": Severity.NONE,
    "轻度": Severity.MINOR,
    "轻": Severity.MINOR,
    "minor": Severity.MINOR,
    "中度": Severity.MODERATE,
    "中": Severity.MODERATE,
    "moderate": Severity.MODERATE,
    "重度": Severity.SEVERE,
    "重": Severity.SEVERE,
    "严重": Severity.SEVERE,
    "severe": Severity.SEVERE,
}


def _word(text: str) -> str:
    return fold_traditional(clean_text(text)).lower()


def event_type(word: str) -> EventType | None:
    return EVENT_WORDS.get(_word(word))


def severity(word: str) -> Severity | None:
    return SEVERITY_WORDS.get(_word(word))


@dataclass(frozen=True, slots=True)
class EventRequest:
    """What `/event <bed> <type> [line] [severity] [time] [details]` asked for."""

    type: EventType
    severity: Severity
    occurred_at: datetime | None
    details: str | None
    line_word: str | None = None


def parse_event_args(words: Sequence[str], *, now: datetime, tz: ZoneInfo) -> EventRequest:
    """The words after the bed: the type, then for 非计划拔管 the line (type or number),
    then an optional severity, an optional time (the one time grammar) and details."""
    if not words:
        raise BadInput("err.missing_args")
    kind = event_type(words[0])
    if kind is None:
        raise BadInput("err.event_type", word=excerpt(clean_text(words[0]), 12))
    rest = list(words[1:])
    line_word = None
    if kind is EventType.UNPLANNED_REMOVAL:
        if not rest:
            raise BadInput("err.event_line")
        line_word = rest.pop(0)
    level = Severity.NONE
    if rest and (found := severity(rest[0])) is not None:
        level = found
        rest.pop(0)
    occurred = None
    if rest and (when := take_when(rest, now=now, tz=tz)) is not None:
        occurred, taken = when
        if occurred > now:
            raise BadInput("err.event_future")
        rest = rest[taken:]
    details = clean_field(" ".join(rest), limit=MAX_DETAILS) if rest else None
    return EventRequest(kind, level, occurred, details or None, line_word)


async def _event_line(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, stay: Stay, word: str
) -> int:
    """The line an unplanned removal names: in place, it is recorded as removed now;
    already removed (by /unline), the last removed line of that type."""
    lines = await uow.lines.of_stays([stay.id])
    kind = resolve_line(word, DEFAULT_LINES)
    present = [ln for ln in lines if ln.present]
    if (kind is not None and any(ln.code == kind.code for ln in present)) or word.isdigit():
        _, removed = await remove_line(
            uow, clock, actor=actor, ward=ward, bed=stay.bed, word_or_number=word
        )
        return removed.id
    if kind is None:
        raise BadInput("err.line_unknown", word=excerpt(clean_text(word), 12))
    gone = [ln for ln in lines if ln.code == kind.code and not ln.present]
    if not gone:
        raise NotFound("err.line_absent", bed=stay.bed, line=excerpt(clean_text(word), 12))
    return max(gone, key=lambda ln: (ln.removed_at or ln.inserted_at, ln.id)).id


def _audit(event: AdverseEvent) -> dict[str, Any]:
    # No name and no details text: the audit says what changed, the row holds the rest.
    return {
        "bed": event.bed,
        "type": event.type.value,
        "severity": event.severity.value,
        "occurred_at": event.occurred_at.isoformat(),
        "line_id": event.line_id,
        "status": event.status.value,
        "details": event.details,
    }


async def record_event(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    request: EventRequest,
) -> tuple[Stay, AdverseEvent]:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    now = clock.now()
    if request.occurred_at is not None and request.occurred_at < stay.admitted_at:
        raise BadInput("err.event_before_admission", bed=stay.bed)
    line_id = None
    if request.line_word is not None:
        line_id = await _event_line(
            uow, clock, actor=actor, ward=ward, stay=stay, word=request.line_word
        )
    event = await uow.events.add(
        AdverseEvent(
            id=0,
            ward_id=ward.id,
            stay_id=stay.id,
            bed=stay.bed,
            type=request.type,
            severity=request.severity,
            details=request.details,
            occurred_at=request.occurred_at or now,
            reported_by=actor.user_id,
            reported_at=now,
            line_id=line_id,
        )
    )
    await record_audit(
        uow, clock, actor, ward.id, "event:add", f"event {event.id}", after=_audit(event)
    )
    return stay, event


async def _ward_event(uow: UnitOfWork, ward: Ward, number: str) -> AdverseEvent:
    text = clean_text(number).lstrip("#＃")
    event = await uow.events.get(int(text)) if text.isdigit() and len(text) < 10 else None
    if event is None or event.ward_id != ward.id:
        raise NotFound("err.event_number", number=excerpt(text, 10))
    return event


async def correct_event(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    number: str,
    words: Sequence[str],
) -> AdverseEvent:
    """The head nurse corrects an event's type, severity or details (type or severity word
    first, anything else is the new details); the old values stay in the audit log."""
    await require_head(uow, ward.id, actor.user_id)
    event = await _ward_event(uow, ward, number)
    if event.status is EventStatus.RETRACTED:
        raise BadInput("err.event_retracted", number=event.id)
    if not words:
        raise BadInput("err.missing_args")
    changes: dict[str, Any] = {}
    if (kind := event_type(words[0])) is not None:
        if kind is EventType.UNPLANNED_REMOVAL or event.type is EventType.UNPLANNED_REMOVAL:
            # The line is part of such an event: retract it and record it again instead.
            raise BadInput("err.event_line_fixed")
        changes["type"] = kind
    elif (level := severity(words[0])) is not None:
        changes["severity"] = level
    else:
        changes["details"] = clean_field(" ".join(words), limit=MAX_DETAILS)
    updated = await uow.events.update(
        dataclasses.replace(event, status=EventStatus.CORRECTED, **changes)
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "event:correct",
        f"event {event.id}",
        before=_audit(event),
        after=_audit(updated),
    )
    return updated


async def retract_event(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    number: str,
    reason: str | None,
) -> AdverseEvent:
    """The head nurse retracts an event recorded in error: kept, marked, no longer counted."""
    await require_head(uow, ward.id, actor.user_id)
    event = await _ward_event(uow, ward, number)
    if event.status is EventStatus.RETRACTED:
        raise BadInput("err.event_retracted", number=event.id)
    updated = await uow.events.update(dataclasses.replace(event, status=EventStatus.RETRACTED))
    after = {**_audit(updated), "reason": clean_field(reason, limit=200) if reason else None}
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "event:retract",
        f"event {event.id}",
        before=_audit(event),
        after=after,
    )
    return updated


async def ward_events(
    uow: UnitOfWork, *, actor: Actor, ward: Ward, since: datetime
) -> tuple[list[AdverseEvent], dict[int, Stay]]:
    """The ward's events since `since`, retracted ones too, with their stays."""
    await require_member(uow, ward.id, actor.user_id)
    events = await uow.events.of_ward(ward.id, since=since)
    stays = await uow.stays.many(sorted({e.stay_id for e in events}))
    return events, {s.id: s for s in stays}


async def quality_settings(uow: UnitOfWork, *, ward: Ward) -> QualitySettings:
    stored = await uow.quality.get(ward.id)
    return stored if stored is not None else QualitySettings(ward_id=ward.id)


async def set_safety_types(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, words: Sequence[str]
) -> QualitySettings:
    """The head nurse chooses the event types the board counts safety days for."""
    await require_head(uow, ward.id, actor.user_id)
    chosen: list[EventType] = []
    for word in words:
        for part in clean_text(word).replace("、", ",").replace("，", ",").split(","):
            if not part:
                continue
            kind = event_type(part)
            if kind is None:
                raise BadInput("err.event_type", word=excerpt(part, 12))
            if kind not in chosen:
                chosen.append(kind)
    if not chosen:
        raise BadInput("err.missing_args")
    current = await quality_settings(uow, ward=ward)
    updated = await uow.quality.put(
        dataclasses.replace(
            current, safety_types=tuple(chosen), updated_at=clock.now(), updated_by=actor.user_id
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "quality:safety_types",
        "ward",
        before={"safety_types": [t.value for t in current.safety_types]},
        after={"safety_types": [t.value for t in updated.safety_types]},
    )
    return updated


@dataclass(frozen=True, slots=True)
class SafetyCount:
    """Days without an event of these types (a 坠床 is a fall: it resets 无跌倒 too)."""

    types: tuple[EventType, ...]
    days: int


def _groups(chosen: Sequence[EventType]) -> list[tuple[EventType, ...]]:
    groups: list[tuple[EventType, ...]] = []
    for kind in chosen:
        if kind is EventType.BED_FALL and EventType.FALL in chosen:
            continue
        if kind is EventType.FALL and EventType.BED_FALL in chosen:
            groups.append((EventType.FALL, EventType.BED_FALL))
        else:
            groups.append((kind,))
    return groups


async def safety_days(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> list[SafetyCount]:
    """Whole ward-local days since the last event of each chosen group (since the ward was
    created when there never was one): an event today makes it 0."""
    settings = await quality_settings(uow, ward=ward)
    last = await uow.events.last_of_types(ward.id, [t.value for t in settings.safety_types])
    tz = ZoneInfo(ward.timezone)
    today = clock.now().astimezone(tz).date()
    counts = []
    for group in _groups(settings.safety_types):
        times = [last[t.value] for t in group if t.value in last]
        since = max(times) if times else ward.created_at
        counts.append(SafetyCount(group, max(0, (today - since.astimezone(tz).date()).days)))
    return counts
