"""A click's answer as state: a snooze or an acknowledgement, and the line that tells it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ceilingwatch.domain.ports import Answer, Click, ClickRefusedError
from ceilingwatch.domain.state import AlertState

SNOOZES = {Answer.SNOOZE_1H: timedelta(hours=1), Answer.SNOOZE_4H: timedelta(hours=4)}


def answer(state: AlertState, click: Click, now: datetime) -> tuple[AlertState, str]:
    """The state after the click, and the line the thread and the root show for it."""
    level = state.judged.level
    if not level.alerting:
        raise ClickRefusedError(f"{state.monitor} is back to OK: nothing to snooze or acknowledge")
    who = f"<@{click.user}>"
    if click.action in SNOOZES:
        until = (now + SNOOZES[click.action]).replace(second=0, microsecond=0)
        said = f"⏸️ snoozed by {who} until {until:%H:%M} UTC: a rise still alerts"
        answers = replace(state.answers, snoozed_until=until, snoozed_by=click.user)
    else:
        spoken = level.name.replace("_", " ")
        said = f"👀 acknowledged by {who} at {spoken}: no more reminders at it; a rise alerts"
        answers = replace(state.answers, acknowledged_level=level, acknowledged_by=click.user)
    return replace(state, answers=answers, version=state.version + 1), said
