"""The calls behind the simulator's buckets: one Call each, opened and ended on minute edges."""

from __future__ import annotations

import bisect
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from infra.simulator.clock import MINUTE, format_time
from infra.simulator.scenario import Scenario

JOIN_DELAY = timedelta(seconds=2)  # created -> joined: the agent picks up
JOIN_TIMEOUT = "30s"
MAX_DURATION = "3600s"
CALL_NAMESPACE = uuid.UUID("0f5b8e2a-61c4-4f0e-9d7a-3c2b1a0e9f88")


@dataclass(frozen=True)
class Call:
    """One call: it holds a slot from `created` until `ended` (None: not ended in the scenario)."""

    call_id: str
    created: datetime
    joined: datetime | None
    ended: datetime | None
    end_reason: str = "hangup"

    def open_at(self, moment: datetime) -> bool:
        return self.created <= moment and (self.ended is None or moment < self.ended)

    def as_of(self, now: datetime) -> dict[str, Any]:
        """The Call object as GET /api/calls/{id} answers at `now`: nothing from the future."""
        joined = self.joined if self.joined is not None and self.joined <= now else None
        ended = self.ended if self.ended is not None and self.ended <= now else None
        return {
            "callId": self.call_id,
            "created": format_time(self.created),
            "joined": None if joined is None else format_time(joined),
            "ended": None if ended is None else format_time(ended),
            "endReason": None if ended is None else self.end_reason,
            "joinTimeout": JOIN_TIMEOUT,
            "maxDuration": MAX_DURATION,
        }

    def events(self) -> Iterator[tuple[datetime, str]]:
        """When each of its webhooks is due, and its event's name."""
        yield self.created, "call.started"
        if self.joined is not None:
            yield self.joined, "call.joined"
        if self.ended is not None:
            yield self.ended, "call.ended"


def scenario_calls(scenario: Scenario) -> list[Call]:
    """Calls whose count in each minute is that minute's peak: a call opens at a minute's start
    when the count rises, and the oldest calls end at a minute's start when it falls. So
    activeCalls at any moment equals the peak of its minute's bucket."""
    open_calls: list[tuple[str, datetime]] = []  # oldest first
    made: list[Call] = []
    number = 0
    for index, sample in enumerate(scenario.samples):
        at = scenario.start + index * MINUTE
        while len(open_calls) > sample.max_total:
            call_id, created = open_calls.pop(0)
            made.append(Call(call_id, created, created + JOIN_DELAY, at))
        while len(open_calls) < sample.max_total:
            number += 1
            open_calls.append((str(uuid.uuid5(CALL_NAMESPACE, f"{scenario.name}/{number}")), at))
    # The scenario's last calls end with it: after its end it has no calls.
    made += [Call(i, c, c + JOIN_DELAY, scenario.end) for i, c in open_calls]
    return made


class CallBook:
    """Every call the simulator knows: the scenario's (made once, on first use) and those added
    since (a campaign); looked up by ID and counted at a moment."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._lock = threading.Lock()
        self._calls: dict[str, Call] | None = None
        self._by_start: list[tuple[datetime, str]] = []

    def _all(self) -> dict[str, Call]:
        with self._lock:
            if self._calls is None:
                made = scenario_calls(self._scenario)
                self._calls = {c.call_id: c for c in made}
                self._by_start = sorted((c.created, c.call_id) for c in made)
            return self._calls

    def add(self, call: Call) -> None:
        calls = self._all()
        with self._lock:
            calls[call.call_id] = call
            bisect.insort(self._by_start, (call.created, call.call_id))

    def get(self, call_id: str) -> Call | None:
        return self._all().get(call_id)

    def active(self, moment: datetime) -> int:
        return sum(1 for call in self.started_by(moment) if call.open_at(moment))

    def started_by(self, moment: datetime) -> list[Call]:
        calls = self._all()
        with self._lock:
            end = bisect.bisect_right(self._by_start, (moment, "\uffff"))
            return [calls[call_id] for _, call_id in self._by_start[:end]]

    def due_between(self, after: datetime, until: datetime) -> list[tuple[datetime, str, Call]]:
        """Every event due in (after, until], in time order: a call ends at most a scenario
        after it starts, so the calls started since `after` minus a day are enough to look at."""
        horizon = after - timedelta(days=1)
        due = [
            (at, event, call)
            for call in self.started_by(until)
            if call.created > horizon or call.ended is None or call.ended > after
            for at, event in call.events()
            if after < at <= until
        ]
        return sorted(due, key=lambda item: (item[0], item[1]))
