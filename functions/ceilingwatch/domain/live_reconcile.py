"""The live count held against the account's own `activeCalls`, once a scheduled run."""

from __future__ import annotations

from datetime import datetime, timedelta

from ceilingwatch.common.records import record
from ceilingwatch.domain.live_calls import Tally

ABOVE_RUNS = 2  # a count above activeCalls this many runs in a row is lowered
LAG_RUNS = 3  # a count below it this many runs in a row is a feed that keeps lagging


@record
class Reconciliation:
    """What one run does: the new tally, the open records to look up or close, a lag notice."""

    tally: Tally
    excess: int = 0  # open records beyond activeCalls: the oldest are looked up, then closed
    lagging: bool = False  # the feed has missed calls for LAG_RUNS runs: tell it (or remind)


def reconcile(
    open_calls: int,
    active_calls: int,
    tally: Tally,
    now: datetime,
    remind: timedelta | None = None,
) -> Reconciliation:
    """Raise at once (the live count never under-reads), lower only on the second run above.

    A lag is told once, then again every `remind` (none when it is None or zero) while it lasts.
    """
    if open_calls < active_calls:
        # Calls the feed never heard of: a floor until a run finds them gone.
        below = tally.below_runs + 1
        told = tally.lag_told_at
        lagging = below >= LAG_RUNS and _due(told, now, remind)
        after = Tally(active_calls - open_calls, 0, below, now if lagging else told)
        return Reconciliation(after, lagging=lagging)
    if open_calls > active_calls:
        above = tally.above_runs + 1
        if above < ABOVE_RUNS:
            # Once may be a webhook on its way: an end Ultravox is still retrying.
            return Reconciliation(Tally(0, above, 0, tally.lag_told_at))
        return Reconciliation(Tally(0, 0, 0, tally.lag_told_at), excess=open_calls - active_calls)
    # Level again: the next lag is told afresh.
    return Reconciliation(Tally())


def _due(told: datetime | None, now: datetime, remind: timedelta | None) -> bool:
    if told is None:
        return True
    return remind is not None and remind > timedelta(0) and now - told >= remind
