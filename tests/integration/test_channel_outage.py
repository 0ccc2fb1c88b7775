"""A channel down for a whole ramp is that channel's problem, not a failed run every tick."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from ceilingwatch.domain.alerts import Kind

from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario
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
        for at in TICKS:
            h.invoke(at, f"exec-{at:%H%M}")  # raises if the run failed: none may
        subjects = h.subjects()
        for word in ("[WARNING]", "[CRITICAL]", "[AT_LIMIT]", "[OK]"):
            assert sum(s.startswith(word) for s in subjects) == 1, subjects
        assert h.slack.messages == []
        owed = h.state().get("outbox", "")
        assert '"taken":true' in owed and Kind.RESOLVED.value in owed
        h.slack.heal()
        h.invoke(TICKS[-1] + timedelta(minutes=5), "exec-back")
        assert h.slack.messages, "Slack back: what it missed goes out"
        assert "outbox" not in h.state()
