"""Exact payloads of the live feed's raises (snapshots): today's tags, and "N calls now, live"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ceilingwatch.channels.pagerduty import format_trigger
from ceilingwatch.channels.teams import format_teams
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.live_alert import live_raise
from ceilingwatch.domain.messages import format_email, format_slack
from ceilingwatch.domain.severity import Level
from ceilingwatch.domain.state import AlertState, Judgement, Told

from tests.support.builders import config
from tests.unit.conftest import Snapshot

from .test_messages import LINKS

NOW = datetime(2026, 11, 24, 14, 36, 12, tzinfo=UTC)


def _live(calls: int, was: Level) -> Notification:
    state = AlertState("prod", Judgement(limit=50), told=Told(level=was))
    outcome = live_raise(state, calls, monitor="prod", now=NOW, config=config())
    assert outcome is not None
    return outcome.notifications[0]


NOTES = {
    "live-raised-at_limit": _live(50, Level.OK),
    "live-escalated-critical": _live(48, Level.WARNING),
}


@pytest.mark.parametrize("name", sorted(NOTES))
def test_live_email(name: str, snapshot: Snapshot) -> None:
    email = format_email(NOTES[name], LINKS)
    snapshot.assert_match(
        f"email-{name}.txt",
        f"Subject: {email.subject}\nAttributes: {email.attributes}\n\n{email.body}",
    )


@pytest.mark.parametrize("name", sorted(NOTES))
def test_live_slack(name: str, snapshot: Snapshot) -> None:
    snapshot.assert_match(f"slack-{name}.json", format_slack(NOTES[name], LINKS))


@pytest.mark.parametrize("name", sorted(NOTES))
def test_live_teams(name: str, snapshot: Snapshot) -> None:
    snapshot.assert_match(f"teams-{name}.json", format_teams(NOTES[name], LINKS))


@pytest.mark.parametrize("name", sorted(NOTES))
def test_live_pagerduty(name: str, snapshot: Snapshot) -> None:
    event = format_trigger(NOTES[name], "ceilingwatch/prod/capacity/20261124T1436Z", LINKS)
    snapshot.assert_match(f"pagerduty-{name}.json", event)
