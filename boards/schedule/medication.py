"""Medication clock-time policy: the ward's times per frequency and route."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from types import MappingProxyType
from typing import Any

from boards.schedule._common import (
    _check_clock,
    _frequency_key,
    _mapping,
    _route_key,
    _sequence,
    _time_from_json,
    _time_to_json,
)
from boards.schedule.codes import _CLOCK_COUNTS, Frequency, Route
from boards.schedule.errors import PolicyError

TimeTable = Mapping[Frequency, tuple[time, ...]]


def _checked_table(table: Mapping[Frequency, Iterable[time]], *, route: str) -> TimeTable:
    checked: dict[Frequency, tuple[time, ...]] = {}
    for key, values in table.items():
        freq = _frequency_key(key)
        where: dict[str, str | int] = {"freq": freq.value, "route": route}
        if freq not in _CLOCK_COUNTS:
            raise PolicyError("schedule.policy.unscheduled_frequency", **where)
        if isinstance(values, str | time):  # a lone "08:00" is not a list of times
            raise PolicyError("schedule.policy.malformed", path=f"{route or 'times'}.{freq}")
        times = [_check_clock(value, **where) for value in values]
        if not times:
            raise PolicyError("schedule.policy.empty_times", **where)
        seen: set[time] = set()
        for value in times:
            if value in seen:
                raise PolicyError(
                    "schedule.policy.duplicate_time", time=_time_to_json(value), **where
                )
            seen.add(value)
        if len(times) != _CLOCK_COUNTS[freq]:
            raise PolicyError(
                "schedule.policy.wrong_count",
                expected=_CLOCK_COUNTS[freq],
                got=len(times),
                **where,
            )
        checked[freq] = tuple(sorted(times))
    # Canonical order (enum order) so that equal policies hash alike and serialise alike.
    return MappingProxyType({f: checked[f] for f in Frequency if f in checked})


@dataclass(frozen=True, slots=True, kw_only=True)
class MedicationPolicy:
    """Clock times per frequency, with per-route tables overriding single frequencies.

    ``times`` must cover every scheduled frequency (all but st and prn); ``route_times`` may
    cover any subset. Times are ward-local wall-clock times, held sorted.
    """

    times: TimeTable
    route_times: Mapping[Route, TimeTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        times = _checked_table(self.times, route="")
        for freq in _CLOCK_COUNTS:
            if freq not in times:
                raise PolicyError("schedule.policy.missing_frequency", freq=freq.value)
        routes: dict[Route, TimeTable] = {}
        for key, table in self.route_times.items():
            route = _route_key(key)
            routes[route] = _checked_table(table, route=route.value)
        object.__setattr__(self, "times", times)
        object.__setattr__(
            self,
            "route_times",
            MappingProxyType({r: routes[r] for r in Route if routes.get(r)}),
        )

    def __hash__(self) -> int:
        return hash(
            (
                tuple(self.times.items()),
                tuple((r, tuple(t.items())) for r, t in self.route_times.items()),
            )
        )

    def times_for(self, freq: Frequency, route: Route | None = None) -> tuple[time, ...]:
        """The clock times for ``freq`` given by ``route``'s table, else the default table."""
        if freq not in _CLOCK_COUNTS:
            return ()
        if route is not None and freq in (override := self.route_times.get(route, {})):
            return override[freq]
        return self.times[freq]

    def with_times(
        self, freq: Frequency, times: Iterable[time], *, route: Route | None = None
    ) -> MedicationPolicy:
        """A copy with ``freq``'s times replaced (in ``route``'s table when given)."""
        if route is None:
            return MedicationPolicy(
                times={**self.times, freq: tuple(times)}, route_times=self.route_times
            )
        table = {**self.route_times.get(route, {}), freq: tuple(times)}
        return MedicationPolicy(times=self.times, route_times={**self.route_times, route: table})

    def to_dict(self) -> dict[str, Any]:
        return {
            "times": _table_to_json(self.times),
            "route_times": {r.value: _table_to_json(t) for r, t in self.route_times.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> MedicationPolicy:
        """Load a stored policy; frequencies missing from ``times`` keep their defaults."""
        default = default_medication_policy()
        times = {**default.times, **_table_from_json(data.get("times", {}), "medication.times")}
        raw_routes = data.get("route_times")
        if raw_routes is None:
            return cls(times=times, route_times=default.route_times)
        routes = {
            _route_key(route): _table_from_json(table, f"medication.route_times.{route}")
            for route, table in _mapping(raw_routes, "medication.route_times").items()
        }
        return cls(times=times, route_times=routes)


def _table_to_json(table: TimeTable) -> dict[str, list[str]]:
    return {f.value: [_time_to_json(t) for t in times] for f, times in table.items()}


def _table_from_json(raw: object, path: str) -> dict[Frequency, tuple[time, ...]]:
    table: dict[Frequency, tuple[time, ...]] = {}
    for key, values in _mapping(raw, path).items():
        freq = _frequency_key(key)
        items = _sequence(values, f"{path}.{key}")
        table[freq] = tuple(_time_from_json(v, freq=freq.value, path=path) for v in items)
    return table


def default_medication_policy() -> MedicationPolicy:
    """Commonly published Chinese-ward clock times.

    Injections and drips (iv, ivgtt, im, sc) follow the morning rounds: qd 09:00, bid
    09:00/15:00; their other frequencies use the default table.
    """
    t = time
    after_rounds: dict[Frequency, tuple[time, ...]] = {
        Frequency.QD: (t(9),),
        Frequency.BID: (t(9), t(15)),
    }
    return MedicationPolicy(
        times={
            Frequency.QD: (t(8),),
            Frequency.BID: (t(8), t(16)),
            Frequency.TID: (t(8), t(12), t(16)),
            Frequency.QID: (t(8), t(12), t(16), t(20)),
            Frequency.Q4H: (t(8), t(12), t(16), t(20), t(0), t(4)),
            Frequency.Q6H: (t(8), t(14), t(20), t(2)),
            Frequency.Q8H: (t(8), t(16), t(0)),
            Frequency.Q12H: (t(8), t(20)),
            Frequency.QN: (t(20),),
            Frequency.HS: (t(21),),
            Frequency.QOD: (t(8),),
        },
        route_times={
            Route.IVGTT: after_rounds,
            Route.IV: after_rounds,
            Route.IM: after_rounds,
            Route.SC: after_rounds,
        },
    )
