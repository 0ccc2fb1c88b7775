"""Issue 8 against the local stack: a tweak can never blind the monitor, a secret never leaks."""

from __future__ import annotations

import io
import json
import traceback
from collections.abc import Iterator
from datetime import timedelta

import pytest

from infra.local_stack import LocalStack
from infra.ultravox_sim import Fault

from .harness import START, flat_scenario, harness

T = START + timedelta(hours=2, minutes=1)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "blind", "ConcurrencyLimit": "50"}) as local:
        yield local


def test_lowering_warning_alone_warns_instead_of_failing(stack: LocalStack) -> None:
    # Traffic at 60 %; warning 80 -> 50 with no recovery set: its recovery follows (40 %).
    with harness(stack, flat_scenario(30), "tweak") as h:
        assert h.invoke(T)["status"] == "OK"
        h.put("warning-percent", "50")
        result = h.invoke(T + timedelta(minutes=5))
        assert result["status"] == "WARNING"
        assert h.subjects() == ["[WARNING] tweak: 30/50 concurrent calls (60%)"]


def test_a_foreign_webhook_host_is_named_and_the_rest_keeps_working(
    stack: LocalStack, log: io.StringIO
) -> None:
    with harness(stack, flat_scenario(48), "foreign", channels=()) as h:
        h.put("slack-webhook-url", "https://evil.example.com/x", secure=True)
        result = h.invoke(T)
        assert result["status"] == "CRITICAL"
        assert h.subjects() == [
            "[CRITICAL] foreign: 48/50 concurrent calls (96%)",
            "[WARNING] foreign: a channel cannot deliver",
        ]
        notice = h.emails()[1]["Message"]
        assert "slack-webhook-url does not start with" in notice  # at once, named
        assert "slack" not in result["notifications"][0]  # never posted to the foreign host
        assert "evil.example.com" not in log.getvalue() + notice


@pytest.mark.parametrize("status", [503, 200])
def test_a_key_echoed_by_ultravox_reaches_nothing(
    stack: LocalStack, log: io.StringIO, status: int
) -> None:
    # The upstream reflects the key in its body, in X-Echo-Api-Key and in its Content-Type.
    with harness(stack, flat_scenario(10), f"echo{status}", {"error-after-runs": "1"}) as h:
        h.ultravox.inject(Fault("echo_key", status=status), times=3)
        failure: BaseException | None = None
        try:
            h.invoke(T)
        except Exception as error:  # what the runtime prints and the dead-letter queue keeps
            failure = error
        state = h.state()
        assert state["status"] == "ERROR" and "****" in state["last_error"]
        places = {
            "log": log.getvalue(),
            "exception": "".join(traceback.format_exception(failure)) if failure else "",
            "state": json.dumps(state),
            "email": json.dumps(h.emails()),
            "slack": json.dumps(h.slack.messages),
        }
        assert h.subjects() == [f"[ERROR] echo{status}: ceilingwatch cannot judge the ceiling"]
        assert len(h.slack.messages) == 1
        for place, text in places.items():
            assert h.api_key not in text, place
            assert h.api_key[:12] not in text, place  # not even a cut-off prefix
