"""Validation of Ultravox's concurrency series: what is accepted, repaired, or refused and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from ceilingwatch.common.errors import InvalidResponseError
from ceilingwatch.domain.series import (
    ConcurrencyBucket,
    fill_gaps,
    floor_to_bucket,
    parse_time_series,
)

START = datetime(2026, 11, 24, 13, 35, tzinfo=UTC)
END = datetime(2026, 11, 24, 14, 36, tzinfo=UTC)


def row(ts: str = "2026-11-24T14:00:00Z", **fields: Any) -> dict[str, Any]:
    base = {
        "timestamp": ts,
        "maxTotalCalls": 5,
        "maxJoinedCalls": 4,
        "avgTotalCalls": 2.5,
        "avgJoinedCalls": 2.0,
    }
    return base | fields


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param([], "no 'timeSeries' list", id="not an object"),
        pytest.param({"series": []}, "no 'timeSeries' list", id="wrong key"),
        pytest.param({"timeSeries": {}}, "no 'timeSeries' list", id="not a list"),
        pytest.param({"timeSeries": ["x"]}, "timeSeries[0] is not an object", id="row not object"),
        pytest.param(
            {"timeSeries": [{"timestamp": "2026-11-24T14:00:00Z"}]},
            "lacks maxTotalCalls, maxJoinedCalls, avgTotalCalls, avgJoinedCalls",
            id="missing fields",
        ),
        pytest.param(
            {"timeSeries": [row(maxTotalCalls="5")]}, "maxTotalCalls is not an integer", id="string"
        ),
        pytest.param(
            {"timeSeries": [row(maxTotalCalls=None)]}, "maxTotalCalls is not an integer", id="null"
        ),
        pytest.param(
            {"timeSeries": [row(maxTotalCalls=True)]}, "maxTotalCalls is not an integer", id="bool"
        ),
        pytest.param(
            {"timeSeries": [row(maxTotalCalls=2.5)]}, "maxTotalCalls is not an integer", id="frac"
        ),
        pytest.param(
            {"timeSeries": [row(maxJoinedCalls=-1)]}, "maxJoinedCalls is negative", id="negative"
        ),
        pytest.param(
            {"timeSeries": [row(avgTotalCalls="2")]}, "avgTotalCalls is not a number", id="avg str"
        ),
        pytest.param({"timeSeries": [row(avgTotalCalls=float("nan"))]}, "not finite", id="avg nan"),
        pytest.param(
            {"timeSeries": [row(avgTotalCalls=float("inf"))]}, "not finite", id="avg infinity"
        ),
        pytest.param(
            {"timeSeries": [row(maxTotalCalls=float("nan"))]}, "not an integer", id="count nan"
        ),
        pytest.param(
            {"timeSeries": [row(maxTotalCalls=float("inf"))]}, "not an integer", id="count inf"
        ),
        pytest.param({"timeSeries": [row(ts=3)]}, "timestamp is not a string", id="ts number"),
        pytest.param({"timeSeries": [row(ts="yesterday")]}, "not an ISO-8601 time", id="ts text"),
    ],
)
def test_invalid_series_is_refused_with_the_reason(payload: object, message: str) -> None:
    with pytest.raises(InvalidResponseError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_time_series(payload, START, END)


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-11-24T14:00:00Z",
        "2026-11-24T14:00:00+00:00",
        "2026-11-24T14:00:00.000000Z",
        "2026-11-24T15:00:00+01:00",
        "2026-11-24T14:00:00",
    ],
)
def test_timestamp_spellings_all_mean_the_same_bucket(timestamp: str) -> None:
    series = parse_time_series({"timeSeries": [row(ts=timestamp)]}, START, END)
    assert [b.start for b in series.buckets] == [datetime(2026, 11, 24, 14, 0, tzinfo=UTC)]


def test_unsorted_duplicated_and_out_of_window_buckets_are_put_right() -> None:
    payload = {
        "timeSeries": [
            row("2026-11-24T14:10:00Z", maxTotalCalls=7),
            row("2026-11-24T14:00:00Z", maxTotalCalls=3),
            row("2026-11-24T14:10:00Z", maxTotalCalls=9, maxJoinedCalls=1),
            row("2026-11-24T12:00:00Z", maxTotalCalls=50),
            row("2026-11-24T15:00:00Z", maxTotalCalls=50),
        ]
    }
    series = parse_time_series(payload, START, END)
    assert [(b.start.minute, b.max_total_calls) for b in series.buckets] == [(0, 3), (10, 9)]
    assert series.buckets[1].max_joined_calls == 4  # merged by maxima, field by field
    assert (series.ignored_outside_window, series.merged_duplicates) == (2, 1)


def test_buckets_off_the_grid_are_floored_onto_it_and_merged_by_maxima() -> None:
    payload = {
        "timeSeries": [
            row("2026-11-24T14:02:30Z", maxTotalCalls=7),
            row("2026-11-24T14:07:30Z", maxTotalCalls=9),
            row("2026-11-24T14:05:00Z", maxTotalCalls=4, maxJoinedCalls=8),
        ]
    }
    series = parse_time_series(payload, START, END)
    assert [(b.start.minute, b.max_total_calls) for b in series.buckets] == [(0, 7), (5, 9)]
    assert series.buckets[1].max_joined_calls == 8
    assert (series.off_grid, series.merged_duplicates) == (2, 1)


def test_buckets_outside_the_window_are_set_aside_before_any_other_check() -> None:
    outside = {"timestamp": "2026-11-23T10:00:00Z", "maxTotalCalls": "garbage"}
    series = parse_time_series({"timeSeries": [outside, row()]}, START, END)
    assert len(series.buckets) == 1 and series.ignored_outside_window == 1


def test_a_large_series_is_cut_to_the_window() -> None:
    rows = [
        row(f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00Z")
        for day in range(1, 25)
        for hour in range(24)
        for minute in range(0, 60, 5)
    ]
    series = parse_time_series({"timeSeries": rows}, START, END)
    assert len(rows) > 6000
    assert len(series.buckets) == 13


def test_gaps_are_zero_buckets_up_to_now() -> None:
    known = [ConcurrencyBucket(datetime(2026, 11, 24, 14, 0, tzinfo=UTC), 5)]
    filled = fill_gaps(known, START, END)
    assert len(filled) == 13
    assert filled[0].start == START and filled[-1].start == datetime(
        2026, 11, 24, 14, 35, tzinfo=UTC
    )
    assert [b.max_total_calls for b in filled].count(5) == 1
    assert sum(b.max_total_calls for b in filled) == 5


def test_floor_to_bucket() -> None:
    assert floor_to_bucket(datetime(2026, 11, 24, 14, 39, 59, 9, tzinfo=UTC)) == datetime(
        2026, 11, 24, 14, 35, tzinfo=UTC
    )


def test_a_timestamp_seen_before_parses_as_it_did_the_first_time() -> None:
    """Stamps are remembered between runs: the remembered one must be the parsed one, for each
    spelling of an instant, off-grid ones too, and still once the memo has been dropped."""
    payload = {"timeSeries": [row("2026-11-24T14:02:30Z"), row("2026-11-24T15:05:00+01:00")]}
    first = parse_time_series(payload, START, END)
    again = parse_time_series(payload, START, END)
    assert again == first and again.off_grid == 1
    assert [b.start.minute for b in again.buckets] == [0, 5]
    crowd = [
        row(f"2026-11-2{d}T{h:02d}:{m:02d}:00Z")
        for d in (1, 2)
        for h in range(24)
        for m in range(60)
    ]
    parse_time_series({"timeSeries": crowd}, START, END)  # more stamps than the memo keeps
    assert parse_time_series(payload, START, END) == first
