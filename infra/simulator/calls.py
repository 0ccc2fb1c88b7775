"""The calls behind the simulator's buckets: a scenario's, opened and ended on minute edges, and
those added since (a campaign), which the buckets, activeCalls and the webhooks all count."""

from __future__ import annotations

import bisect
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from infra.simulator.clock import MINUTE, ceil_to, floor_to, format_time
from infra.simulator.scenario import Scenario

JOIN_DELAY = timedelta(seconds=2)  # created -> joined: the agent picks up
JOIN_TIMEOUT = "30s"
MAX_DURATION = "3600s"
LONGEST = timedelta(seconds=3600)  # MAX_DURATION: no call of the simulator lasts longer
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

    def body(self, event: str) -> bytes:
        """The body Ultravox sends for `event`: the Call object as it stood when that was due."""
        due = {name: at for at, name in self.events()}
        return json.dumps({"event": event, "call": self.as_of(due[event])}).encode()


def one_call(call_id: str, created: datetime, hold: float = 60.0) -> Call:
    """A call as a dialler starts it: joined JOIN_DELAY after it was created, ended `hold`
    seconds after."""
    return Call(call_id, created, created + JOIN_DELAY, created + timedelta(seconds=hold))


def scenario_calls(scenario: Scenario) -> list[Call]:
    """Calls whose count in each minute is that minute's peak: a call opens at a minute's start
    when the count rises, and the oldest calls end at a minute's start when it falls. So
    activeCalls at any moment equals the peak of its minute's bucket. A call reaching its max
    duration ends and another takes its place at once, as a caller who rings again."""
    open_calls: list[tuple[str, datetime]] = []  # oldest first
    made: list[Call] = []
    number = 0
    for index, sample in enumerate(scenario.samples):
        at = scenario.start + index * MINUTE
        while open_calls and open_calls[0][1] + LONGEST <= at:
            call_id, created = open_calls.pop(0)
            made.append(Call(call_id, created, created + JOIN_DELAY, at))
        while len(open_calls) > sample.max_total:
            call_id, created = open_calls.pop(0)
            made.append(Call(call_id, created, created + JOIN_DELAY, at))
        while len(open_calls) < sample.max_total:
            number += 1
            open_calls.append((str(uuid.uuid5(CALL_NAMESPACE, f"{scenario.name}/{number}")), at))
    # The scenario's last calls end with it: after its end it has no calls.
    made += [Call(i, c, c + JOIN_DELAY, scenario.end) for i, c in open_calls]
    return made


AddedMinutes = dict[datetime, tuple[int, float]]  # minute -> (peak, mean) of the added calls


def _until(call: Call) -> datetime:
    return call.ended or call.created + LONGEST


def _by_minute(calls: list[Call]) -> AddedMinutes:
    """Each minute the calls touch: the most open at once (at its start or as one is created)
    and the call-minutes held in it."""
    touched: set[datetime] = set()
    for call in calls:
        first, last = floor_to(call.created, MINUTE), ceil_to(_until(call), MINUTE)
        touched.update(first + n * MINUTE for n in range((last - first) // MINUTE))
    minutes: AddedMinutes = {}
    for minute in sorted(touched):
        end = minute + MINUTE
        inside = [c for c in calls if c.created < end and _until(c) > minute]
        moments = [minute, *(c.created for c in inside if c.created > minute)]
        peak = max(sum(1 for c in inside if c.created <= t < _until(c)) for t in moments)
        held = sum((min(end, _until(c)) - max(minute, c.created)) / MINUTE for c in inside)
        minutes[minute] = (peak, held)
    return minutes


class CallBook:
    """Every call the simulator knows: the scenario's (made once, on first use) and those added
    since (a campaign); looked up by ID and counted at a moment."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._lock = threading.Lock()
        self._calls: dict[str, Call] | None = None
        self._by_start: list[tuple[datetime, str]] = []
        self._added: list[Call] = []
        self._minutes: tuple[tuple[int, int], AddedMinutes] = ((0, 0), {})

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
            self._added.append(call)

    def added_minutes(self, now: datetime) -> AddedMinutes:
        """What the added calls (started by `now`) add to each minute's bucket: their peak in
        it and their mean over it; the scenario's own calls are in its samples already."""
        with self._lock:
            seen = [c for c in self._added if c.created <= now]
            key = (len(self._added), len(seen))
            if self._minutes[0] != key:
                self._minutes = (key, _by_minute(seen))
            return self._minutes[1]

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
