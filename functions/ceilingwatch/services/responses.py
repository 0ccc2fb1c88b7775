"""A click on a root's button: Slack's signature checked, the click read, its answer as state."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from ceilingwatch.channels.slack_thread import Action
from ceilingwatch.domain.state import AlertState

MAX_AGE = timedelta(minutes=5)  # Slack's advice: older requests may be replays
SNOOZES = {Action.SNOOZE_1H: timedelta(hours=1), Action.SNOOZE_4H: timedelta(hours=4)}
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class ClickRefusedError(Exception):
    """Why a click changes nothing; the text names no secret and echoes no raw input."""


@dataclass(frozen=True)
class Click:
    monitor: str  # from the button's value: only trusted once the root's ts matches it too
    action: Action
    user: str  # Slack's user ID, shown as <@U…>
    channel: str
    ts: str  # the message whose button was clicked


def signature_problem(
    secret: str, headers: Mapping[str, str], body: str, now: datetime
) -> str | None:
    """Slack's v0 signature: HMAC-SHA256 of v0:{timestamp}:{body}, fresh within five minutes."""
    given = headers.get("x-slack-signature", "")
    stamp = headers.get("x-slack-request-timestamp", "")
    if not given or not stamp:
        return "the request carries no Slack signature"
    if not stamp.isdigit():
        return "the request's timestamp is not a number"
    if abs(now.timestamp() - int(stamp)) > MAX_AGE.total_seconds():
        return "the request's timestamp is more than 5 minutes off: a replay, or a wrong clock"
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(f"v0={digest}", given):
        return "the signature does not match slack-signing-secret"
    return None


def monitor_named(body: str) -> str | None:
    """Which monitor a click names, read before its signature is checked (to find the secret)."""
    try:
        click = read_click(body)
    except ClickRefusedError:
        return None
    return click.monitor


def read_click(body: str) -> Click:
    raw = parse_qs(body, max_num_fields=4).get("payload", [""])[0]
    try:
        payload = json.loads(raw)
        action = payload["actions"][0]
        click = Click(
            monitor=str(action["value"]),
            action=Action(action["action_id"]),
            user=str(payload["user"]["id"]),
            channel=str(payload["container"]["channel_id"]),
            ts=str(payload["container"]["message_ts"]),
        )
    except (ValueError, KeyError, IndexError, TypeError):
        raise ClickRefusedError("the request is not a click on a ceilingwatch button") from None
    if not click.monitor or set(click.monitor) - NAME_CHARS or not click.user.isalnum():
        raise ClickRefusedError("the click names no valid monitor or user")
    return click


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
