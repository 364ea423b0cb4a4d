"""Ports of the ward's quality loop: adverse events, its settings, task facts, QC checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from boards.quality_model import AdverseEvent, QcProblem, QualityCheck, QualitySettings, TaskFact

__all__ = ["AdverseEvents", "QualityChecks", "QualityFacts", "QualitySettingsStore"]


class AdverseEvents(Protocol):
    async def add(self, event: AdverseEvent) -> AdverseEvent:
        """Insert; the id is ignored and the stored one returned."""
        ...

    async def get(self, event_id: int) -> AdverseEvent | None: ...
    async def update(self, event: AdverseEvent) -> AdverseEvent: ...
    async def of_ward(
        self, ward_id: int, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[AdverseEvent]:
        """The ward's events (retracted too) that occurred in [since, until), by time, id."""
        ...

    async def last_of_types(self, ward_id: int, types: Sequence[str]) -> dict[str, datetime]:
        """When each of these types last occurred in the ward, retracted events left out."""
        ...


class QualitySettingsStore(Protocol):
    async def get(self, ward_id: int) -> QualitySettings | None: ...
    async def put(self, settings: QualitySettings) -> QualitySettings: ...


class QualityFacts(Protocol):
    async def tasks(self, ward_id: int, start: datetime, end: datetime) -> list[TaskFact]:
        """The ward's tasks planned, sent or closed in [start, end), cancelled ones left
        out: one light query for the report, however many tasks a year holds."""
        ...


class QualityChecks(Protocol):
    async def add(self, check: QualityCheck) -> QualityCheck:
        """Insert; the id is ignored and the stored one returned."""
        ...

    async def of_ward(
        self, ward_id: int, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[QualityCheck]:
        """The ward's checks in [since, until), oldest first."""
        ...

    async def add_problem(self, problem: QcProblem) -> QcProblem: ...
    async def problem(self, problem_id: int) -> QcProblem | None: ...
    async def update_problem(self, problem: QcProblem) -> QcProblem: ...
    async def problems(
        self, ward_id: int, *, open_only: bool = False, since: datetime | None = None
    ) -> list[QcProblem]:
        """The ward's problems (open ones only, or found since), by id."""
        ...
