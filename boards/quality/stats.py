"""Two proportions compared as a nursing paper would: Fisher's exact test or Yates' chi-square."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

__all__ = [
    "Comparison",
    "Method",
    "compare_proportions",
    "fisher_exact",
    "yates_chi_square",
]

# Tables whose probability is within this relative distance of the observed one count as
# "as extreme": floating point makes equal hypergeometric terms differ in the last bits.
_RELATIVE_TOLERANCE = 1e-7


class Method(enum.StrEnum):
    """The test used to compare two proportions."""

    FISHER = "fisher"
    YATES = "yates"


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p of Fisher's exact test for the 2×2 table [[a, b], [c, d]].

    Exactly from the hypergeometric distribution with the margins fixed: the sum of the
    probabilities of every table no more likely than the one observed (R's fisher.test).
    """
    if min(a, b, c, d) < 0:
        raise ValueError("counts must not be negative")
    row1, col1, n = a + b, a + c, a + b + c + d
    if n == 0:
        return 1.0
    low, high = max(0, col1 - (n - row1)), min(row1, col1)
    log_total = _log_choose(n, col1)

    def probability(x: int) -> float:
        return math.exp(_log_choose(row1, x) + _log_choose(n - row1, col1 - x) - log_total)

    observed = probability(a)
    p = sum(
        q
        for q in (probability(x) for x in range(low, high + 1))
        if q <= observed * (1 + _RELATIVE_TOLERANCE)
    )
    return min(1.0, p)


def yates_chi_square(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Pearson's chi-square with Yates' continuity correction (1 df): (statistic, p)."""
    n = a + b + c + d
    rows, cols = (a + b, c + d), (a + c, b + d)
    if n == 0 or 0 in rows or 0 in cols:
        return 0.0, 1.0
    corrected = max(0.0, abs(a * d - b * c) - n / 2)
    statistic = n * corrected**2 / (rows[0] * rows[1] * cols[0] * cols[1])
    # The chi-square distribution with one degree of freedom: P(X > x) = erfc(sqrt(x / 2)).
    return statistic, math.erfc(math.sqrt(statistic / 2))


@dataclass(frozen=True, slots=True)
class Comparison:
    """Events among patients in two periods, the test chosen for them, and its p."""

    events_a: int
    total_a: int
    events_b: int
    total_b: int
    test: Method
    p: float
    statistic: float | None = None  # the chi-square value, for Yates

    @property
    def share_a(self) -> float:
        return self.events_a / self.total_a if self.total_a else 0.0

    @property
    def share_b(self) -> float:
        return self.events_b / self.total_b if self.total_b else 0.0


def compare_proportions(events_a: int, total_a: int, events_b: int, total_b: int) -> Comparison:
    """Chi-square with Yates' correction when every expected count is at least 5, else
    Fisher's exact test (the rule nursing papers follow for small counts)."""
    if not (0 <= events_a <= total_a and 0 <= events_b <= total_b):
        raise ValueError("events must be between 0 and the number of patients")
    a, b, c, d = events_a, total_a - events_a, events_b, total_b - events_b
    n = a + b + c + d
    rows, cols = (a + b, c + d), (a + c, b + d)
    expected = [r * k / n for r in rows for k in cols] if n else [0.0]
    if n and min(expected) >= 5:
        statistic, p = yates_chi_square(a, b, c, d)
        return Comparison(events_a, total_a, events_b, total_b, Method.YATES, p, statistic)
    return Comparison(
        events_a, total_a, events_b, total_b, Method.FISHER, fisher_exact(a, b, c, d)
    )
