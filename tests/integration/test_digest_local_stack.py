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


def test_the_digest_goes_to_email_and_slack_and_changes_no_state(stack: LocalStack) -> None:
    with harness(stack, HISTORY, "digest") as h:
        result = h.invoke(MONDAY_9, action="digest")
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
        # no alert state was written: a digest is not a judgement
        table = stack.client("dynamodb")
        item = table.get_item(
            TableName=stack.outputs["StateTableName"], Key={"monitor": {"S": "digest"}}
        )
        assert "Item" not in item
        hourly = [r for r in h.ultravox.requests if r.query.get("bucket") == "hour"]
        assert len(hourly) == 1 and len(h.ultravox.requests) == 3


def test_an_unknown_action_names_the_three(stack: LocalStack) -> None:
    from ceilingwatch.common.errors import ConfigurationError

    with (
        harness(stack, HISTORY, "badaction") as h,
        pytest.raises(ConfigurationError, match='"check" \\(the default\\), "test" or "digest"'),
    ):
        h.invoke(MONDAY_9, action="weekly")
