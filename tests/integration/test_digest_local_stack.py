"""The weekly digest action through the real handler: moto, the simulator's two weeks, Slack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario
from tests.support.harness import harness

HISTORY = Scenario.load("two-weeks")
# Monday 09:00 UTC, as the template's default digest schedule runs.
MONDAY_9 = HISTORY.end + timedelta(hours=9)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "weekly", "ConcurrencyLimit": "50"}) as local:
        yield local


def test_the_digest_goes_to_email_and_slack_and_judges_nothing(stack: LocalStack) -> None:
    with harness(stack, HISTORY, "digest") as h:
        result = h.invoke(MONDAY_9, "exec-digest", action="digest")
        assert result["status"] == "DIGEST"
        [subject] = h.subjects()
        assert re.fullmatch(
            r"\[WEEKLY\] digest: peak \d+/50 \(\d+%\) on (Mon|Tue|Wed|Thu|Fri) \d\d:\d[05] UTC",
            subject,
        )
        body = h.emails()[0]["Message"]
        for part in ("Highest peak", "Utilisation", "Busiest hours", "Outlook", "Plan risk"):
            assert part in body
        assert "lapses on Thu 03 Dec" in body
        [slack] = h.slack.messages
        assert slack["text"].startswith("📈 [WEEKLY] digest: peak")
        # Only its claim was written: a digest is not a judgement.
        state = h.state()
        assert state["handled_events"] == "exec-digest" and state["level"] == "OK"
        assert "last_tick" not in state and "outbox" not in state
        hourly = [r for r in h.ultravox.requests if r.query.get("bucket") == "hour"]
        assert len(hourly) == 1 and len(h.ultravox.requests) == 3


def test_an_unknown_action_names_the_three(stack: LocalStack) -> None:
    from ceilingwatch.common.errors import ConfigurationError

    with (
        harness(stack, HISTORY, "badaction") as h,
        pytest.raises(ConfigurationError, match='"check" \\(the default\\), "test" or "digest"'),
    ):
        h.invoke(MONDAY_9, action="weekly")


def test_a_duplicate_scheduler_delivery_sends_the_digest_once(stack: LocalStack) -> None:
    with harness(stack, HISTORY, "digestdup") as h:
        h.invoke(MONDAY_9, "exec-weekly-1", action="digest")
        again = h.invoke(MONDAY_9, "exec-weekly-1", action="digest")
        assert "duplicate" in again["skipped"] and again["notifications"] == []
        assert len(h.subjects()) == 1 and len(h.slack.messages) == 1
        # The next week's execution is another digest.
        h.invoke(MONDAY_9 + timedelta(minutes=1), "exec-weekly-2", action="digest")
        assert len(h.subjects()) == 2


def test_a_digest_slack_refused_is_owed_to_slack_alone_not_resent_to_email(
    stack: LocalStack,
) -> None:
    with harness(stack, HISTORY, "digestowed") as h:
        h.rebuild(CEILINGWATCH_OUTBOX_GRACE="0")
        h.slack.respond_with(500, times=10)
        result = h.invoke(MONDAY_9, "exec-owed", action="digest")  # email took it: no failure
        assert "problem" not in result and len(h.subjects()) == 1
        assert '"owed":["slack"]' in h.state()["outbox"]
        h.slack.heal()
        h.invoke(MONDAY_9, "exec-owed", action="digest")  # Lambda's retry: Slack alone
        assert len(h.subjects()) == 1 and len(h.slack.messages) == 1
        assert "outbox" not in h.state()
