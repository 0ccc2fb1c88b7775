"""The simulator's misbehaviours: transport and status faults, and payload mutations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from infra.simulator.clock import BUCKETS, ceil_to, floor_to, format_time, parse_time

# Loud enough that a client which trusts out-of-window buckets visibly misbehaves.
OUTSIDE_WINDOW_CALLS = 999

FaultKind = Literal[
    "status",
    "delay",
    "reset",
    "truncated",
    "html",
    "non_json",
    "wrong_types",
    "nulls",
    "negative",
    "unsorted",
    "duplicates",
    "outside_window",
    "missing_field",
    "empty",
    "huge",
    "microseconds",
    "offset",
    "off_grid",
    "oversized",
    "echo_key",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
COUNT_FIELDS = ("maxTotalCalls", "maxJoinedCalls", "avgTotalCalls", "avgJoinedCalls")
MUTATIONS = frozenset(FAULT_KINDS) - {
    "status",
    "delay",
    "reset",
    "truncated",
    "html",
    "non_json",
    "oversized",
    "echo_key",
}
OFF_GRID_SHIFT = timedelta(minutes=2, seconds=30)  # buckets stamped :02:30, :07:30, ...


@dataclass(frozen=True)
class Fault:
    """One misbehaviour. `status` uses status/retry_after/body, `delay` seconds, `huge` count,
    `oversized` size (bytes, sent chunked, so only a client that counts can stop), `echo_key`
    status (the key the request carried comes back in the body and in two headers)."""

    kind: FaultKind
    status: int = 503
    retry_after: str | None = None
    body: str | None = None
    seconds: float = 0.0
    count: int = 50_000
    size: int = 32 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")

    @property
    def mutates(self) -> bool:
        """Payload mutations rewrite a real, successful series; the rest replace the answer."""
        return self.kind in MUTATIONS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        # A bare {"status": 503} is the common case in scenario files.
        kind = data.get("kind", "status" if "status" in data else None)
        if kind is None:
            raise ValueError(f"fault needs a 'kind' or a 'status': {dict(data)}")
        known = {"status", "retry_after", "body", "seconds", "count", "size"}
        return cls(kind=kind, **{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class ScheduledFault:
    """A fault applied to every request while the simulated clock is in [start, end)."""

    start: datetime
    end: datetime
    fault: Fault

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduledFault:
        rest = {k: v for k, v in data.items() if k not in ("from", "to")}
        return cls(parse_time(data["from"]), parse_time(data["to"]), Fault.from_dict(rest))


def mutate(
    kind: str, series: list[dict[str, Any]], bucket: str, start: datetime, end: datetime, count: int
) -> dict[str, Any]:
    """Apply a payload mutation to a copy of a series; most touch every bucket."""
    step = BUCKETS[bucket]
    rows = [dict(row) for row in series]
    match kind:
        case "wrong_types":
            for row in rows:
                row["maxTotalCalls"] = str(row["maxTotalCalls"])
        case "nulls":
            for row in rows:
                row.update(dict.fromkeys(COUNT_FIELDS))
        case "negative":
            for row in rows:
                row["maxTotalCalls"] = -1 - row["maxTotalCalls"]
        case "missing_field":
            for row in rows:
                del row["maxTotalCalls"]
        case "microseconds":
            for row in rows:
                row["timestamp"] = row["timestamp"].replace("Z", ".000000Z")
        case "offset":
            for row in rows:
                row["timestamp"] = row["timestamp"].replace("Z", "+00:00")
        case "off_grid":
            for row in rows:
                row["timestamp"] = format_time(parse_time(row["timestamp"]) + OFF_GRID_SHIFT)
        case "unsorted":
            # The newest bucket first: a client that takes series[-1] as "now" is fooled.
            rows = rows[-1:] + rows[:-1]
        case "duplicates":
            rows = [copy for row in rows for copy in (row, dict(row))]
        case "outside_window":
            loud = dict.fromkeys(COUNT_FIELDS, OUTSIDE_WINDOW_CALLS)
            before = {"timestamp": format_time(floor_to(start, step) - step), **loud}
            after = {"timestamp": format_time(ceil_to(end, step)), **loud}
            rows = [before, *rows, after]
        case "empty":
            rows = []
        case "huge":
            first = parse_time(rows[0]["timestamp"]) if rows else floor_to(start, step)
            pad = max(count - len(rows), 0)
            zeros = dict.fromkeys(COUNT_FIELDS, 0)
            stamps = (format_time(first - (pad - i) * step) for i in range(pad))
            rows = [{"timestamp": stamp, **zeros} for stamp in stamps] + rows
        case _:
            raise ValueError(f"not a payload mutation: {kind}")
    return {"timeSeries": rows}
