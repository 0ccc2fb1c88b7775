"""A figure with its spread: the median, the quartiles and the extremes of interleaved samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """Samples of one figure, summarised: the median, the interquartile range, min and max."""

    median: float
    q1: float
    q3: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        if not samples:
            raise ValueError("no samples")
        values = sorted(samples)
        if len(values) == 1:
            q1 = q3 = values[0]
        else:
            q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        return cls(statistics.median(values), q1, q3, values[0], values[-1], len(values))

    def text(self, unit: str = "ms", digits: int = 1) -> str:
        """`12.3 ms (IQR 11.9-12.8, 11.2-14.0, n=15)`: the median, then its spread."""
        f = f"{{:.{digits}f}}"
        median, q1, q3 = f.format(self.median), f.format(self.q1), f.format(self.q3)
        low, high = f.format(self.low), f.format(self.high)
        return f"{median} {unit} (IQR {q1}-{q3}, range {low}-{high}, n={self.n})".replace("  ", " ")


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """The spread of pair-by-pair ratios: each pair ran back to back, so drift cancels."""
    return Spread.of([a / b for a, b in zip(numerators, denominators, strict=True)])
