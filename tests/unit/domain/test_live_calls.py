"""The call record: its stage from the Call object, forward only, and when it stops counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ceilingwatch.domain.live_calls import (
    MARGIN,
    BadEventError,
    CallStage,
    parse_duration,
    record_of,
)

CREATED = "2026-07-01T12:00:00Z"
AT = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def body(event: str = "call.started", **call: Any) -> dict[str, Any]:
    return {"event": event, "call": {"callId": "c1", "created": CREATED, **call}}


@pytest.mark.parametrize(
    ("fields", "stage"),
    [
        ({}, CallStage.CREATED),
        ({"joined": None, "ended": None}, CallStage.CREATED),
        ({"joined": "2026-07-01T12:00:05Z"}, CallStage.JOINED),
        ({"joined": "2026-07-01T12:00:05Z", "ended": "2026-07-01T12:03:00Z"}, CallStage.ENDED),
        ({"ended": "2026-07-01T12:00:30Z", "endReason": "unjoined"}, CallStage.ENDED),
    ],
)
def test_the_stage_comes_from_the_call_not_the_event_name(
    fields: dict[str, Any], stage: CallStage
) -> None:
    # The event's name says "started" throughout: only the Call's own fields decide.
    assert record_of(body("call.started", **fields)).stage is stage


def test_stages_are_ordered_created_joined_ended() -> None:
    assert CallStage.CREATED < CallStage.JOINED < CallStage.ENDED


def test_a_call_never_joined_stops_counting_after_its_join_timeout_and_a_margin() -> None:
    record = record_of(body(joinTimeout="45s"))
    assert record.expires == AT + timedelta(seconds=45) + MARGIN
    assert record.counts(record.expires - timedelta(seconds=1))
    assert not record.counts(record.expires)


def test_a_joined_call_stops_counting_after_its_max_duration_and_a_margin() -> None:
    record = record_of(body(joined="2026-07-01T12:00:05Z", maxDuration="600s"))
    assert record.expires == AT + timedelta(seconds=600) + MARGIN


def test_defaults_are_thirty_seconds_to_join_and_an_hour_in_all() -> None:
    assert record_of(body()).expires == AT + timedelta(seconds=30) + MARGIN
    assert record_of(body(joined=CREATED)).expires == AT + timedelta(seconds=3600) + MARGIN


def test_an_ended_call_never_counts() -> None:
    record = record_of(body(joined=CREATED, ended=CREATED))
    assert not record.open
    assert not record.counts(AT)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("3600s", 3600), ("1.5s", 1.5), (None, 7)]
)
def test_durations_read_as_the_api_writes_them(text: str | None, seconds: float) -> None:
    assert parse_duration(text, timedelta(seconds=7)) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["30", "s", "-1s", "1m", "thirty seconds"])
def test_a_duration_not_in_seconds_is_a_bad_event(text: str) -> None:
    with pytest.raises(BadEventError):
        parse_duration(text, timedelta(0))


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "call.started",
        {"event": "call.started"},
        {"call": {"callId": "c1", "created": CREATED}},
        {"event": "call.started", "call": []},
        {"event": 3, "call": {"callId": "c1", "created": CREATED}},
        {"event": "call.started", "call": {"created": CREATED}},
        {"event": "call.started", "call": {"callId": "", "created": CREATED}},
        {"event": "call.started", "call": {"callId": "c1"}},
        {"event": "call.started", "call": {"callId": "c1", "created": "noon"}},
        {"event": "call.started", "call": {"callId": "c1", "created": "2026-07-01T12:00:00"}},
    ],
)
def test_a_body_that_is_not_an_event_with_a_call_is_refused(payload: Any) -> None:
    with pytest.raises(BadEventError):
        record_of(payload)
