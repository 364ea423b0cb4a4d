"""Order frequency and administration route codes, and the clock times each frequency needs."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


class Frequency(enum.StrEnum):
    """Order frequency codes as written on Chinese-ward medication orders."""

    ST = "st"
    QD = "qd"
    BID = "bid"
    TID = "tid"
    QID = "qid"
    Q4H = "q4h"
    Q6H = "q6h"
    Q8H = "q8h"
    Q12H = "q12h"
    QN = "qn"
    HS = "hs"
    QOD = "qod"
    PRN = "prn"


# How many clock times a ward table must hold for each frequency; st and prn take none
# (st happens at the order's start, prn only when asked for).
_CLOCK_COUNTS: Final[Mapping[Frequency, int]] = MappingProxyType(
    {
        Frequency.QD: 1,
        Frequency.BID: 2,
        Frequency.TID: 3,
        Frequency.QID: 4,
        Frequency.Q4H: 6,
        Frequency.Q6H: 4,
        Frequency.Q8H: 3,
        Frequency.Q12H: 2,
        Frequency.QN: 1,
        Frequency.HS: 1,
        Frequency.QOD: 1,
    }
)


def clock_times_required(freq: Frequency) -> int:
    """The number of clock times a policy holds for ``freq`` (0 for st and prn)."""
    return _CLOCK_COUNTS.get(freq, 0)


class Route(enum.StrEnum):
    """Administration routes (GLOSSARY "route")."""

    PO = "po"  # 口服
    IVGTT = "ivgtt"  # 静脉滴注
    IV = "iv"  # 静脉注射
    IM = "im"  # 肌肉注射
    SC = "sc"  # 皮下注射 (ih)
    TOPICAL = "topical"  # 外用
    INHALED = "inhaled"  # 雾化吸入


def is_external(route: Route) -> bool:
    """True for external-use (外用) medication, which is labelled apart from IV medication."""
    return route is Route.TOPICAL


def is_iv(route: Route) -> bool:
    """True for intravenous routes (drip and push)."""
    return route in (Route.IVGTT, Route.IV)
