"""One record per call, read from the Call object itself: it only moves forward, and expires."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from ceilingwatch.common.records import record

DEFAULT_MAX_DURATION = timedelta(seconds=3600)
DEFAULT_JOIN_TIMEOUT = timedelta(seconds=30)
# Past the call's own end by Ultravox's rules: clocks differ, and an end may be late.
MARGIN = timedelta(seconds=120)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class CallStage(IntEnum):
    """Where a call is; ordered, so a record only moves to a higher stage."""

    CREATED = 1
    JOINED = 2
    ENDED = 3


class BadEventError(ValueError):
    """A body that is not `{"event": ..., "call": {...}}` with a usable Call object."""


@record(frozen=False, eq=False)
class CallRecord:
    """What the live count keeps of one call: its stage and when an open record stops counting."""

    call_id: str
    stage: CallStage
    created: datetime
    expires: datetime

    @property
    def open(self) -> bool:
        return self.stage is not CallStage.ENDED

    def counts(self, now: datetime) -> bool:
        return self.open and now < self.expires


def parse_duration(text: Any, default: timedelta) -> timedelta:
    """A protobuf duration as the API writes it ("30s", "3600s", "1.5s"); None is the default."""
    if text is None:
        return default
    match = _DURATION.match(str(text))
    if match is None:
        raise BadEventError("a call duration is not like '30s'")
    return timedelta(seconds=float(match.group(1)))


def record_of(body: Any) -> CallRecord:
    """The record a webhook body makes: its stage from the Call's own fields, not the event."""
    if not isinstance(body, Mapping) or not isinstance(body.get("event"), str):
        raise BadEventError('the body is not {"event": ..., "call": {...}}')
    call = body.get("call")
    if not isinstance(call, Mapping):
        raise BadEventError('the body is not {"event": ..., "call": {...}}')
    call_id = call.get("callId")
    if not isinstance(call_id, str) or not call_id or len(call_id) > 100:
        raise BadEventError("the call has no callId")
    created = _time(call.get("created"), "created")
    if call.get("ended") is not None:
        stage = CallStage.ENDED
    elif call.get("joined") is not None:
        stage = CallStage.JOINED
    else:
        stage = CallStage.CREATED
    max_duration = parse_duration(call.get("maxDuration"), DEFAULT_MAX_DURATION)
    join_timeout = parse_duration(call.get("joinTimeout"), DEFAULT_JOIN_TIMEOUT)
    # Never joined, the call ends at its join timeout; joined (or ended), at its max duration.
    lasts = join_timeout if stage is CallStage.CREATED else max_duration
    return CallRecord(call_id, stage, created, created + lasts + MARGIN)


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise BadEventError(f"the call has no {name} time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadEventError(f"the call's {name} time is not ISO-8601") from None
    if moment.tzinfo is None:
        raise BadEventError(f"the call's {name} time has no time zone")
    return moment


@record
class Tally:
    """The reconcile's memory per monitor: the floor that keeps the live count from under-reading
    `activeCalls`, and how many runs in a row the feed read above or below it."""

    offset: int = 0
    above_runs: int = 0
    below_runs: int = 0
    lag_told_at: datetime | None = None  # when the lagging feed was last told, this lag


@record(frozen=False, eq=False)
class LiveCount:
    """The open records in call order (oldest first), and the reconcile's tally."""

    open_calls: tuple[CallRecord, ...]
    tally: Tally = Tally()

    @property
    def calls(self) -> int:
        return len(self.open_calls) + self.tally.offset
