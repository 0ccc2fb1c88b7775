"""A channel down for a whole ramp is that channel's problem, not a failed run every tick."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from ceilingwatch.domain.alerts import Kind

from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario
from tests.integration.test_slack_app import slack_app
from tests.support.harness import START, harness

# Quiet, then WARNING, CRITICAL and AT_LIMIT, then quiet for long enough to resolve.
RAMP = Scenario.from_dict(
    {
        "start": START.isoformat(),
        "account": {"allowedConcurrentCalls": None},
        "segments": [
            {"minutes": 120, "hold": 10},
            {"minutes": 30, "hold": 42},
            {"minutes": 30, "hold": 48},
            {"minutes": 30, "hold": 50},
            {"minutes": 70, "hold": 10},
        ],
    }
)
TICKS = [START + timedelta(hours=2, minutes=1 + 5 * i) for i in range(32)]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "outage", "ConcurrencyLimit": "50"}) as local:
        yield local


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (429, "60")], ids=["500", "429"])
def test_slack_down_for_a_whole_ramp_fails_no_run_and_email_is_on_time(
    stack: LocalStack, status: int, retry_after: str | None
) -> None:
    with harness(stack, RAMP, f"outage-{status}") as h:
        # Ticks come 5 minutes apart as deployed, past the outbox's grace; here milliseconds.
        h.rebuild(CEILINGWATCH_OUTBOX_GRACE="0")
        h.slack.respond_with(status, times=10_000, retry_after=retry_after)
        told: dict[str, str] = {}
        for at in TICKS:
            h.invoke(at, f"exec-{at:%H%M}")  # raises if the run failed: none may
            for subject in h.subjects():
                told.setdefault(subject, f"{at:%H:%M}")
        levels = [s for s in told if not s.startswith("[WARNING] outage-")] + [
            s for s in told if s.startswith("[WARNING] outage-") and "channel" not in s
        ]
        for word in ("[WARNING]", "[CRITICAL]", "[AT_LIMIT]", "[OK]"):
            assert sum(s.startswith(word) and "channel" not in s for s in levels) == 1, told
        # Email on time: each level the tick it was judged, whatever Slack answered.
        assert told[next(s for s in told if s.startswith("[WARNING]"))] == "14:01", told
        notices = [e for e in h.emails() if "cannot deliver" in e["Message"]]
        assert len(notices) == 1, [e["Subject"] for e in notices]
        assert "slack-webhook-url: Slack " in notices[0]["Message"]
        # Told by the run that found Slack failing again while it owed (the second), not later.
        assert told[notices[0]["Subject"]] == "14:06", told
        assert h.slack.messages == []
        owed = h.state()["outbox"]
        # Bounded: Slack owes the episode as it stands, one message, not the ramp's pile.
        assert owed.count('"owed":["slack"]') == 1 and Kind.RESOLVED.value in owed
        h.slack.heal()
        h.invoke(TICKS[-1] + timedelta(minutes=5), "exec-back")
        (back,) = h.slack.messages
        assert "sent late: this channel missed raised WARNING at 14:01 UTC" in back["text"]
        assert back["text"].startswith("✅") or "resolved" in back["text"].lower(), back["text"]
        state = h.state()
        assert "outbox" not in state and "channel_failures" not in state


def test_a_revoked_slack_token_is_named_once_through_email(stack: LocalStack) -> None:
    with slack_app(stack, RAMP, "revoked") as (h, api):
        h.rebuild(CEILINGWATCH_OUTBOX_GRACE="0")
        h.put("slack-bot-token", "xoxb-revoked-token-0000000000", secure=True)
        for at in TICKS:
            result = h.invoke(at, f"exec-{at:%H%M}")  # raises if the run failed: none may
            assert "problem" not in result
            if at == TICKS[0]:  # the run that met the refusal names it
                kinds = [n["kind"] for n in result["notifications"]]
                assert kinds == ["raised", "channel-problem"], kinds
        notices = [e for e in h.emails() if "cannot deliver" in e["Message"]]
        assert len(notices) == 1, [e["Subject"] for e in notices]
        message = notices[0]["Message"]
        assert "slack-bot-token: Slack refused chat.postMessage (invalid_auth)" in message
        assert "xoxb-revoked" not in json.dumps(h.emails())
        assert api.roots() == []
