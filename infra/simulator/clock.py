"""The simulator's time: ISO-8601 both ways, bucket grids, and the bucket sizes it serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BUCKETS: dict[str, timedelta] = {
    "minute": MINUTE,
    "5min": timedelta(minutes=5),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}


def parse_time(text: str) -> datetime:
    """ISO-8601 to an aware UTC datetime; naive values are taken as UTC, like the API's default."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_time(moment: datetime) -> str:
    # isoformat is quicker than strftime, which counts when a `huge` fault formats 50,000 times.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def floor_to(moment: datetime, step: timedelta) -> datetime:
    return EPOCH + (moment - EPOCH) // step * step


def ceil_to(moment: datetime, step: timedelta) -> datetime:
    return EPOCH - (EPOCH - moment) // step * step


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
