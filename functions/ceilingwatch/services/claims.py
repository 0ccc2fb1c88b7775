"""What a run owes: claimed with a conditional write, delivered, settled; never sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from ceilingwatch.domain.alerts import AlertState


def delivering(state: AlertState, now: datetime, grace: timedelta) -> bool:
    """An outbox younger than the grace belongs to a live run; an older one to a dead run."""
    since = state.outbox_since or now
    return bool(state.outbox) and now - since < grace
