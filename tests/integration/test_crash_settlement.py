"""A crash at any step of the send phase re-sends only what no channel took: a real child process
runs the real handler against the local stack and is SIGKILLed there; Lambda's retry follows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from infra.local_stack.stack import LocalStack
from tests.support.harness import START, Harness, flat_scenario, harness

T = START + timedelta(hours=2, minutes=1)
CHILD = Path(__file__).parents[1] / "support" / "crash_child.py"
REPO = Path(__file__).parents[2]
CHANNELS = ("email", "slack", "pagerduty")  # the CRITICAL raise goes to all three, in this order
STEPS = [
    "claim",
    "claimed",
    *(f"{c}:{when}" for c in CHANNELS for when in ("before", "during", "recorded")),
    "settled",
]
# Lambda retries after a minute; the outbox's grace (above the function's timeout) is what tells
# the retry the crashed run is gone. Here both are one second.
GRACE = "1"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "crash", "ConcurrencyLimit": "50"}) as local:
        yield local


def execution(h: Harness, step: str = "", **fields: str) -> int:
    """One execution environment: a fresh interpreter, the handler built from the environment."""
    h.ultravox.set_clock(T)
    event = {"monitor": h.monitor, "scheduledTime": f"{T:%Y-%m-%dT%H:%M:%SZ}", "executionId": "e"}
    event |= fields
    env = os.environ | h.env | {"CEILINGWATCH_OUTBOX_GRACE": GRACE, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-P", str(CHILD), json.dumps(event), *([step] if step else [])]
    done = subprocess.run(  # noqa: S603 - our own child script, our own arguments
        args, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode in (0, -signal.SIGKILL), done.stderr[-2000:]
    return done.returncode


def taken(h: Harness) -> dict[str, int]:
    return {
        "email": len(h.subjects()),
        "slack": len(h.slack.messages),
        "pagerduty": len(h.pagerduty.events),
    }


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_then_the_retry_delivers_each_channel_exactly_once(
    stack: LocalStack, step: str
) -> None:
    name = f"crash-{step.replace(':', '-')}"
    with harness(stack, flat_scenario(48), name, channels=("slack", "pagerduty")) as h:
        assert execution(h, step) == -signal.SIGKILL, f"the run never reached {step}"
        time.sleep(float(GRACE) + 0.2)
        assert execution(h) == 0
        assert taken(h) == dict.fromkeys(CHANNELS, 1)
        assert h.state()["status"] == "CRITICAL"
        assert "outbox" not in h.state()  # nothing is owed any more


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_one_window_left_is_the_answer_before_its_record_and_it_loses_nothing(
    stack: LocalStack, channel: str
) -> None:
    # The channel has taken it and the process dies before the write lands (milliseconds): no
    # record can say so, so the retry sends it again to that channel, and only to it.
    with harness(
        stack, flat_scenario(48), f"window-{channel}", channels=("slack", "pagerduty")
    ) as h:
        assert execution(h, f"{channel}:answered") == -signal.SIGKILL
        time.sleep(float(GRACE) + 0.2)
        assert execution(h) == 0
        assert taken(h) == dict.fromkeys(CHANNELS, 1) | {channel: 2}


# The test alert's steps: before its claim, then before, during and after each channel's take.
TEST_ALERT_STEPS = ["claim", "email:recorded", "slack:before", "slack:during", "pagerduty:before"]


@pytest.mark.parametrize("step", TEST_ALERT_STEPS)
def test_a_test_alert_crashed_at_any_step_then_retried_reaches_each_channel_once(
    stack: LocalStack, step: str
) -> None:
    name = f"crash-test-{step.replace(':', '-')}"
    with harness(stack, flat_scenario(48), name, channels=("slack", "pagerduty")) as h:
        # Lambda's retry of an invocation carries its id: the claim the retry finds.
        assert execution(h, step, action="test") == -signal.SIGKILL, step
        time.sleep(float(GRACE) + 0.2)
        assert execution(h, action="test") == 0
        # PagerDuty's test is a trigger and its resolve, so it leaves no incident open.
        assert taken(h) == {"email": 1, "slack": 1, "pagerduty": 2}
        assert [e["event_action"] for e in h.pagerduty.events] == ["trigger", "resolve"]
        assert all(s.startswith("[TEST]") for s in h.subjects())
        assert "outbox" not in h.state() and h.state()["handled_events"] == "e"
