"""In-memory stand-ins for the live feed's ports: call records with the store's forward rule."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ceilingwatch.domain.live_calls import CallRecord, CallStage, LiveCount, Tally


@dataclass
class FakeLiveCalls:
    """What LiveCallStore does, in a dict: a record only moves to a later stage."""

    records: dict[tuple[str, str], CallRecord] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)
    writes: int = 0
    failing: Exception | None = None

    def record(self, monitor: str, call: CallRecord) -> bool:
        if self.failing is not None:
            raise self.failing
        kept = self.records.get((monitor, call.call_id))
        if kept is not None and kept.stage >= call.stage:
            return False
        self.records[(monitor, call.call_id)] = call
        self.writes += 1
        return call.open and kept is None

    def count(self, monitor: str, now: datetime) -> LiveCount:
        calls = sorted(
            (c for (m, _), c in self.records.items() if m == monitor and c.counts(now)),
            key=lambda c: (c.created, c.call_id),
        )
        return LiveCount(tuple(calls), self.tallies.get(monitor, Tally()))

    def close(self, monitor: str, call_id: str, now: datetime) -> None:
        kept = self.records.get((monitor, call_id))
        if kept is not None and kept.open:
            self.records[(monitor, call_id)] = replace(kept, stage=CallStage.ENDED)
            self.writes += 1

    def save_tally(self, monitor: str, tally: Tally) -> None:
        self.tallies[monitor] = tally
        self.writes += 1

    def open_calls(self, monitor: str, now: datetime) -> int:
        return self.count(monitor, now).calls


@dataclass
class FakeInvoker:
    started: list[str] = field(default_factory=list)

    def live(self, monitor: str) -> None:
        self.started.append(monitor)
