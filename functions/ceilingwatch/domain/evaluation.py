"""Peaks of maxTotalCalls held against the limit: levels, headroom and the shape of the hour."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from ceilingwatch.common.records import record
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket
from ceilingwatch.domain.severity import Level


def percent(calls: int, limit: int) -> float:
    return 100.0 * calls / limit


def classify(calls: int, limit: int, thresholds: Thresholds) -> Level:
    if calls >= limit:
        return Level.AT_LIMIT
    share = percent(calls, limit)
    if share >= thresholds.critical:
        return Level.CRITICAL
    if share >= thresholds.warning:
        return Level.WARNING
    return Level.OK


def recovery_percent(level: Level, thresholds: Thresholds) -> float:
    """Below this share of the limit a level may end; below its own entry point, for hysteresis."""
    return {
        Level.AT_LIMIT: 100.0,
        Level.CRITICAL: thresholds.critical_recovery,
        Level.WARNING: thresholds.warning_recovery,
        Level.OK: 0.0,
    }[level]


def lowered(level: Level, calls: int, limit: int, thresholds: Thresholds) -> Level:
    """The level after recovery: step down while `calls` is below the current step's recovery."""
    while level.alerting and percent(calls, limit) < recovery_percent(level, thresholds):
        level = Level(level - 1)
    return level


def highest(buckets: tuple[ConcurrencyBucket, ...]) -> ConcurrencyBucket | None:
    """The bucket with the most calls; the earliest one on a tie, when the ceiling was first met."""
    best: ConcurrencyBucket | None = None
    for bucket in buckets:
        if best is None or bucket.max_total_calls > best.max_total_calls:
            best = bucket
    return best


@record
class Evaluation:
    """One run's view of the hour: every 5-minute slot up to `now`, the newest maybe in progress.

    What it derives from its fields is worked out once (cached): one run asks for it many times.
    """

    buckets: tuple[ConcurrencyBucket, ...]
    limit: int
    thresholds: Thresholds
    now: datetime

    @cached_property
    def completed(self) -> tuple[ConcurrencyBucket, ...]:
        opened_by = self.now - BUCKET  # a bucket opened by then has ended by now (completed_by)
        return tuple(b for b in self.buckets if b.start <= opened_by)

    @cached_property
    def in_progress(self) -> ConcurrencyBucket | None:
        newest = self.buckets[-1] if self.buckets else None
        return newest if newest is not None and not newest.completed_by(self.now) else None

    @cached_property
    def peak(self) -> ConcurrencyBucket:
        """The hour's highest bucket, for context: what the sparkline and the headline show."""
        best = highest(self.buckets)
        if best is None:
            raise ValueError("an evaluation needs at least one bucket")
        return best

    def fresh(self, seen_through: datetime | None) -> tuple[ConcurrencyBucket, ...]:
        """Buckets not yet judged, plus the one in progress last time: it may have grown since."""
        if seen_through is None:
            return self.buckets
        return tuple(b for b in self.buckets if b.start >= seen_through)

    def recent(self, completed_buckets: int) -> tuple[ConcurrencyBucket, ...]:
        """The last N completed buckets and the one in progress: what a recovery is judged on."""
        recent = self.completed[-completed_buckets:]
        return recent + ((self.in_progress,) if self.in_progress is not None else ())

    @cached_property
    def current_calls(self) -> int:
        """What "now" is: the newest completed bucket and the one in progress."""
        return max((b.max_total_calls for b in self.recent(1)), default=0)

    def is_past(self, bucket: ConcurrencyBucket) -> bool:
        """A peak that is no longer the news: older than the newest completed bucket and at a
        higher level than the calls now, so a message must not speak of it in the present
        tense. A peak a call or two above now, at the same level, is still the present."""
        if bucket in self.recent(1):
            return False
        now = classify(self.current_calls, self.limit, self.thresholds)
        return classify(bucket.max_total_calls, self.limit, self.thresholds) > now

    def level_of(self, buckets: tuple[ConcurrencyBucket, ...]) -> Level:
        top = highest(buckets)
        return (
            Level.OK if top is None else classify(top.max_total_calls, self.limit, self.thresholds)
        )

    @property
    def newest_start(self) -> datetime:
        return self.buckets[-1].start

    def trend(self) -> str:
        """Rising, falling or steady: the last three completed peaks against the three before."""
        peaks = [b.max_total_calls for b in self.completed]
        if len(peaks) < 6:
            return "steady"
        before, after = sum(peaks[-6:-3]) / 3, sum(peaks[-3:]) / 3
        # A change of under 5 % of the limit is noise at these call counts.
        if after - before >= self.limit * 0.05:
            return "rising"
        if before - after >= self.limit * 0.05:
            return "falling"
        return "steady"
