"""The simulator's scenarios: per-minute traffic from files or generators, as buckets."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from infra.simulator import traffic
from infra.simulator.clock import BUCKETS, MINUTE, ceil_to, floor_to, format_time, parse_time
from infra.simulator.faults import ScheduledFault

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


@dataclass(frozen=True)
class Sample:
    """One minute of traffic: the peak and the mean number of calls in existence."""

    max_total: int
    avg_total: float


def _round_half_up(value: float) -> int:
    return int(value + 0.5)


def _expand_segment(segment: Mapping[str, Any]) -> list[int]:
    if "values" in segment:
        return [int(v) for v in segment["values"]]
    minutes = int(segment["minutes"])
    if "hold" in segment:
        return [int(segment["hold"])] * minutes
    if "from" in segment and "to" in segment:
        low, high = float(segment["from"]), float(segment["to"])
        span = max(minutes - 1, 1)
        return [_round_half_up(low + (high - low) * i / span) for i in range(minutes)]
    raise ValueError(f"segment needs 'values', 'hold' or 'from'/'to': {dict(segment)}")


_SCENARIO_KEYS = {
    "description",
    "start",
    "limit",
    "account",
    "joined_ratio",
    "avg_ratio",
    "omit_empty_buckets",
    "segments",
    "traffic",
    "spikes",
    "faults",
}
# Generated traffic (infra/simulator/traffic.py) for histories too long to write as segments: two
# weeks of business days for the digest, say. Options are the generator's keyword arguments.
TRAFFIC_SHAPES: dict[str, Any] = {
    "weeks": traffic.weeks,
    "business-days": traffic.business_days,
    "steady-ramp": traffic.steady_ramp,
    "sudden-spike": traffic.sudden_spike,
    "flat-plateau": traffic.plateau,
}


def _generated(spec: Mapping[str, Any]) -> traffic.Traffic:
    options = {k: v for k, v in spec.items() if k != "shape"}
    shape = spec.get("shape")
    if shape not in TRAFFIC_SHAPES:
        raise ValueError(f"unknown traffic shape {shape!r}; known: {', '.join(TRAFFIC_SHAPES)}")
    generated: traffic.Traffic = TRAFFIC_SHAPES[shape](**options)
    return generated


@dataclass(frozen=True)
class Scenario:
    """Per-minute traffic from `start`, plus the account and the faults to play."""

    name: str
    description: str
    start: datetime
    samples: tuple[Sample, ...]
    limit: int | None = None
    account: Mapping[str, Any] = field(default_factory=dict)
    joined_ratio: float = 0.85
    omit_empty_buckets: bool = False
    faults: tuple[ScheduledFault, ...] = ()

    @property
    def end(self) -> datetime:
        return self.start + len(self.samples) * MINUTE

    @classmethod
    def load(cls, source: str | Path) -> Scenario:
        """A scenario by name (a file in infra/simulator/scenarios, without .json) or by path."""
        path = Path(source)
        if isinstance(source, str) and path.suffix != ".json" and len(path.parts) == 1:
            path = SCENARIO_DIR / f"{source}.json"
        if not path.is_file():
            raise FileNotFoundError(f"no scenario {source!r}; known: {', '.join(scenario_names())}")
        return cls.from_dict(json.loads(path.read_text()), name=path.stem)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "inline") -> Scenario:
        unknown = set(data) - _SCENARIO_KEYS
        if unknown:
            raise ValueError(f"unknown scenario keys: {sorted(unknown)}")
        generated = _generated(data["traffic"]) if "traffic" in data else None
        start = parse_time(data["start"]) if "start" in data else None
        if start is None:
            if generated is None:
                raise ValueError("a scenario needs a 'start' (or generated 'traffic')")
            start = generated.start
        if start != floor_to(start, MINUTE):
            raise ValueError("scenario start must fall on a minute boundary")
        counts = [c for segment in data.get("segments", ()) for c in _expand_segment(segment)]
        if generated is not None:
            counts = list(generated.minute_peaks) + counts
        if any(c < 0 for c in counts):
            raise ValueError("call counts cannot be negative")
        avg_ratio = float(data.get("avg_ratio", 0.9))
        samples = [Sample(c, c * avg_ratio) for c in counts]
        for spike in data.get("spikes", ()):
            first = (parse_time(spike["at"]) - start) // MINUTE
            for i in range(first, first + int(spike.get("minutes", 1))):
                if not 0 <= i < len(samples):
                    raise ValueError(f"spike outside the scenario: {spike}")
                # A spike is a burst within the minute: it lifts the peak, barely the mean.
                peak = max(samples[i].max_total, int(spike["calls"]))
                samples[i] = Sample(peak, samples[i].avg_total)
        return cls(
            name=name,
            description=str(data.get("description", "")),
            start=start,
            samples=tuple(samples),
            limit=data.get("limit"),
            account=dict(data.get("account", {})),
            joined_ratio=float(data.get("joined_ratio", 0.85)),
            omit_empty_buckets=bool(data.get("omit_empty_buckets", False)),
            faults=tuple(ScheduledFault.from_dict(f) for f in data.get("faults", ())),
        )

    def calls_at(self, moment: datetime) -> int:
        """Peak calls in the minute holding `moment` (0 outside the scenario)."""
        index = (moment - self.start) // MINUTE
        return self.samples[index].max_total if 0 <= index < len(self.samples) else 0

    def series(
        self,
        bucket: str,
        start: datetime,
        end: datetime,
        added: Mapping[datetime, tuple[int, float]] | None = None,
    ) -> list[dict[str, Any]]:
        """Buckets over [start, end); a minute counts if its start lies in the window. `added`:
        calls beyond the scenario's (a campaign), by minute: their peak and mean in it."""
        step = BUCKETS[bucket]
        out = []
        bucket_start = floor_to(start, step)
        while bucket_start < end:
            window_start = ceil_to(max(start, bucket_start), MINUTE)
            window_end = ceil_to(min(end, bucket_start + step), MINUTE)
            minutes = (window_end - window_start) // MINUTE
            if minutes > 0:
                lo = max(0, (window_start - self.start) // MINUTE)
                hi = min(len(self.samples), (window_end - self.start) // MINUTE)
                samples: Sequence[Sample] = self.samples[lo:hi] if lo < hi else ()
                if added:
                    samples = self._with_added(window_start, minutes, added)
                row = self._aggregate(bucket_start, samples, minutes)
                if row["maxTotalCalls"] or not self.omit_empty_buckets:
                    out.append(row)
            bucket_start += step
        return out

    def _with_added(
        self, first: datetime, minutes: int, added: Mapping[datetime, tuple[int, float]]
    ) -> list[Sample]:
        """The window's minutes, each with the added calls on top of the scenario's."""
        out = []
        for n in range(minutes):
            minute = first + n * MINUTE
            index = (minute - self.start) // MINUTE
            own = self.samples[index] if 0 <= index < len(self.samples) else Sample(0, 0.0)
            peak, mean = added.get(minute, (0, 0.0))
            out.append(Sample(own.max_total + peak, own.avg_total + mean))
        return out

    def _aggregate(self, at: datetime, samples: Sequence[Sample], minutes: int) -> dict[str, Any]:
        # Minutes outside the scenario have no calls: they count in the mean as zeros.
        peak = max((s.max_total for s in samples), default=0)
        mean = sum(s.avg_total for s in samples) / minutes
        return {
            "timestamp": format_time(at),
            "maxTotalCalls": peak,
            "maxJoinedCalls": _round_half_up(peak * self.joined_ratio),
            "avgTotalCalls": round(mean, 3),
            "avgJoinedCalls": round(mean * self.joined_ratio, 3),
        }


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))
