"""Ultravox concurrency buckets: parsed, validated and put in order before anything judges them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ceilingwatch.common.errors import InvalidResponseError
from ceilingwatch.common.records import record


class Bucket(StrEnum):
    """The bucket sizes Ultravox's usage endpoint takes; the values are its query words."""

    MINUTE = "minute"
    FIVE_MINUTES = "5min"
    HOUR = "hour"
    DAY = "day"

    @property
    def span(self) -> timedelta:
        return _SPANS[self]


_SPANS = {
    Bucket.MINUTE: timedelta(minutes=1),
    Bucket.FIVE_MINUTES: timedelta(minutes=5),
    Bucket.HOUR: timedelta(hours=1),
    Bucket.DAY: timedelta(days=1),
}
BUCKET = Bucket.FIVE_MINUTES.span  # what a run judges on
FIELDS = ("timestamp", "maxTotalCalls", "maxJoinedCalls", "avgTotalCalls", "avgJoinedCalls")


@record
class ConcurrencyBucket:
    """One 5-minute bucket; `start` is its opening instant, as Ultravox stamps it."""

    start: datetime
    max_total_calls: int
    max_joined_calls: int = 0
    avg_total_calls: float = 0.0
    avg_joined_calls: float = 0.0

    @property
    def end(self) -> datetime:
        return self.start + BUCKET

    def completed_by(self, now: datetime) -> bool:
        return self.end <= now


@record
class TimeSeries:
    """The buckets of one window, ascending and one per slot, with what validation set aside."""

    buckets: tuple[ConcurrencyBucket, ...]
    ignored_outside_window: int = 0
    merged_duplicates: int = 0
    off_grid: int = 0


def floor_to_bucket(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def parse_time_series(payload: object, window_start: datetime, window_end: datetime) -> TimeSeries:
    """Validate a `/usage/concurrency` body and keep the buckets that open inside the window.

    Neither order, uniqueness nor alignment is documented, so none is required: a bucket off
    the 5-minute grid is floored onto it, buckets are sorted, and two for one slot are merged by
    their maxima (the cautious reading for alerting). A bucket outside the window is set aside
    on its timestamp alone, before any other work, so a huge answer costs little.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("timeSeries"), list):
        raise InvalidResponseError("the body has no 'timeSeries' list")
    by_start: dict[datetime, ConcurrencyBucket] = {}
    ignored = merged = off_grid = 0
    for index, row in enumerate(payload["timeSeries"]):
        if not isinstance(row, dict):
            raise InvalidResponseError(f"timeSeries[{index}] is not an object")
        if "timestamp" not in row:
            raise InvalidResponseError(f"timeSeries[{index}] lacks timestamp")
        stamped, start = _stamp(index, row["timestamp"])
        if not window_start <= start < window_end:
            ignored += 1
            continue
        off_grid += start != stamped
        bucket = _parse_bucket(index, row, start)
        earlier = by_start.get(start)
        if earlier is not None:
            merged += 1
            bucket = _merge(earlier, bucket)
        by_start[start] = bucket
    return TimeSeries(tuple(by_start[slot] for slot in sorted(by_start)), ignored, merged, off_grid)


def fill_gaps(
    buckets: Iterable[ConcurrencyBucket], window_start: datetime, now: datetime
) -> tuple[ConcurrencyBucket, ...]:
    """One bucket per slot up to `now`: the API may leave out buckets that had no calls."""
    known = {b.start: b for b in buckets}
    slots = []
    slot = floor_to_bucket(window_start)
    while slot < now:
        bucket = known.get(slot)
        slots.append(bucket if bucket is not None else ConcurrencyBucket(slot, 0))
        slot += BUCKET
    return tuple(slots)


# A timestamp's text -> (its UTC instant, its slot): an hour's answer repeats eleven of the
# last run's twelve stamps, and parsing them is most of what parsing a bucket costs.
_STAMPS: dict[str, tuple[datetime, datetime]] = {}
_STAMPS_KEPT = 512  # a day's answer and then some; the whole memo is dropped past it


def _stamp(index: int, value: object) -> tuple[datetime, datetime]:
    known = _STAMPS.get(value) if type(value) is str else None
    if known is None:
        stamped = _parse_timestamp(index, value)
        known = (stamped, floor_to_bucket(stamped))
        if len(_STAMPS) >= _STAMPS_KEPT:
            _STAMPS.clear()
        _STAMPS[value] = known  # type: ignore[index]  # a str: _parse_timestamp checked it
    return known


def _parse_bucket(index: int, row: dict[str, object], start: datetime) -> ConcurrencyBucket:
    missing = [field for field in FIELDS if field not in row]
    if missing:
        raise InvalidResponseError(f"timeSeries[{index}] lacks {', '.join(missing)}")
    return ConcurrencyBucket(  # by position: a run parses an hour of these
        start,
        _count(index, row, "maxTotalCalls"),
        _count(index, row, "maxJoinedCalls"),
        _average(index, row, "avgTotalCalls"),
        _average(index, row, "avgJoinedCalls"),
    )


def _parse_timestamp(index: int, value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidResponseError(f"timeSeries[{index}].timestamp is not a string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidResponseError(
            f"timeSeries[{index}].timestamp is not an ISO-8601 time: {value[:40]!r}"
        ) from None
    # Ultravox speaks UTC; a bare timestamp is read as UTC rather than as the host's zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _count(index: int, row: dict[str, object], field: str) -> int:
    value = row[field]
    if type(value) is int and value >= 0:  # what Ultravox sends: settled at once, every bucket
        return value
    # bool is an int in Python, but never a call count; NaN and Infinity parse as JSON floats.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise InvalidResponseError(f"timeSeries[{index}].{field} is not an integer: {value!r:.40}")
    if value < 0:
        raise InvalidResponseError(f"timeSeries[{index}].{field} is negative: {value}")
    return int(value)


def _average(index: int, row: dict[str, object], field: str) -> float:
    value = row[field]
    if type(value) is float and 0 <= value < math.inf:  # the usual case (NaN fails both)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidResponseError(f"timeSeries[{index}].{field} is not a number: {value!r:.40}")
    if value < 0 or not math.isfinite(value):
        raise InvalidResponseError(
            f"timeSeries[{index}].{field} is negative or not finite: {value}"
        )
    return float(value)


def _merge(a: ConcurrencyBucket, b: ConcurrencyBucket) -> ConcurrencyBucket:
    return ConcurrencyBucket(
        start=a.start,
        max_total_calls=max(a.max_total_calls, b.max_total_calls),
        max_joined_calls=max(a.max_joined_calls, b.max_joined_calls),
        avg_total_calls=max(a.avg_total_calls, b.avg_total_calls),
        avg_joined_calls=max(a.avg_joined_calls, b.avg_joined_calls),
    )
