"""The closed sets a schedule or a person chooses from: a tick's action, the no-data policy."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What a tick asks of a run; the values are what a schedule's input says."""

    CHECK = "check"  # judge the hour and tell what changed
    TEST = "test"  # one labelled test message through every channel
    DIGEST = "digest"  # the weekly capacity digest
    LIVE = "live"  # the live feed's count crossed a level: raise now, judge nothing else


class NoDataPolicy(StrEnum):
    """What an hour without buckets does, once it lasts: nothing, or an alert."""

    QUIET = "quiet"
    ALERT = "alert"
