"""A scheduled run's reconcile of the live feed: its count against the account's `activeCalls`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.common.observability import logger
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.live_calls import LiveCount
from ceilingwatch.domain.live_reconcile import Reconciliation, reconcile
from ceilingwatch.domain.ports import LiveCalls, UsageSource

# Claims and sends a notice through the channels; False when it was not told (a muted monitor,
# another run storing first): the lag stays untold, and the next run tells it.
Tell = Callable[[Notification], bool]


def reconcile_live(
    monitor: str,
    source_of: Callable[[], UsageSource],
    live: LiveCalls,
    now: datetime,
    deadline: float,
    *,
    tell: Tell | None = None,
    remind: timedelta | None = None,
) -> str:
    """Reads activeCalls and moves the live count to it; returns what it did, for the log.

    A feed that keeps lagging is told through `tell` (once, then every `remind`). Never fails
    the run: the poll's judgement stands whatever the feed does.
    """
    try:
        source = source_of()
        active = source.account(deadline=deadline).active_calls
        if active is None:
            return "activeCalls not reported"
        count = live.count(monitor, now)
        step = reconcile(len(count.open_calls), active, count.tally, now, remind)
        closed = _lower(monitor, count, step.excess, source, live, now, deadline)
        tally = step.tally
        if step.lagging and not _told(monitor, step, len(count.open_calls), active, now, tell):
            tally = replace(tally, lag_told_at=count.tally.lag_told_at)
        live.save_tally(monitor, tally)
    except MonitorError as error:
        logger.warning("live feed not reconciled", extra={"problem": error.problem})
        return "not reconciled"
    seen = len(count.open_calls)
    return f"live {seen} vs activeCalls {active}: floor {step.tally.offset}, closed {closed}"


def _told(
    monitor: str, step: Reconciliation, live: int, active: int, now: datetime, tell: Tell | None
) -> bool:
    logger.warning(
        "the live feed keeps missing calls: check the Ultravox webhook for this monitor "
        "(`ceilingwatch doctor` shows its status and recent failures)",
        extra={"live": live, "active_calls": active, "runs": step.tally.below_runs},
    )
    if tell is None:
        return False
    # Only a lagging run needs the notice's words: the scheduled tick never imports them.
    from ceilingwatch.domain.live_lag import lag_notice

    return tell(lag_notice(monitor, step.tally.below_runs, live, active, now))


def _lower(
    monitor: str,
    count: LiveCount,
    excess: int,
    source: UsageSource,
    live: LiveCalls,
    now: datetime,
    deadline: float,
) -> int:
    """Closes up to `excess` of the oldest open records that Ultravox says have ended (or never
    had); a call it still runs stays open."""
    if excess <= 0:
        return 0
    oldest = count.open_calls[: excess * 2]
    closing = [c for c in oldest if _ended(source, c.call_id, deadline)][:excess]
    for call in closing:
        live.close(monitor, call.call_id, now)
    return len(closing)


def _ended(source: UsageSource, call_id: str, deadline: float) -> bool:
    call = source.call(call_id, deadline=deadline)
    return call is None or call.get("ended") is not None
