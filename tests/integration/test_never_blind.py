"""Issue 8 against the local stack: a tweak can never blind the monitor, a secret never leaks."""

from __future__ import annotations

import io
import json
import traceback
from collections.abc import Iterator
from datetime import timedelta

import pytest

from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Fault, Scenario
from tests.support.harness import START, flat_scenario, harness

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


def test_a_peak_seen_late_is_told_as_past_not_as_now(stack: LocalStack) -> None:
    # Ultravox is down while traffic meets the ceiling at 13:00; when it answers again at 13:41
    # the peak is real news, but 41 minutes old: the first words must not say "now at limit".
    scenario = Scenario.from_dict(
        {
            "start": START.isoformat(),
            "account": {"allowedConcurrentCalls": None},
            "segments": [
                {"minutes": 60, "hold": 6},
                {"minutes": 5, "hold": 20},
                {"minutes": 120, "hold": 6},
            ],
            "faults": [
                {
                    "from": "2026-11-24T12:58:00Z",
                    "to": "2026-11-24T13:40:00Z",
                    "status": 503,
                    "retry_after": "0",
                }
            ],
        }
    )
    with harness(stack, scenario, "late", {"concurrency-limit": "20"}) as h:
        h.invoke(START + timedelta(minutes=56))
        for minutes in (61, 81):
            assert h.invoke(START + timedelta(minutes=minutes))["status"] == "ERROR"
        result = h.invoke(START + timedelta(minutes=101))
        assert result["status"] == "AT_LIMIT"
        raised = "[AT_LIMIT] late: reached 20/20 at 13:00 UTC, 41 minutes ago; now 6/20"
        assert raised in h.subjects()
        text = next(m["text"] for m in h.slack.messages if "reached 20/20" in m["text"])
        assert "41 minutes ago; now 6/20" in text and "429" not in text


def test_a_typo_never_stops_judging_and_is_named_once_then_at_the_reminder(
    stack: LocalStack,
) -> None:
    params = {"warning-percent": "60", "renotify-error-minutes": "15"}
    with harness(stack, flat_scenario(20), "typo", params) as h:
        assert h.invoke(T)["status"] == "OK"  # 40 %: the valid configuration is kept
        h.put("warning-percent", "abc")
        statuses = [h.invoke(T + timedelta(minutes=5 * i))["status"] for i in range(1, 5)]
        assert statuses == ["OK"] * 4  # judged every run, not ERROR
        config = [s for s in h.subjects() if s.startswith("[CONFIG]")]
        assert len(config) == 2  # at once, then after renotify-error-minutes (15)
        assert (
            config[0]
            == "[CONFIG] typo: warning-percent invalid; judging with the last valid values"
        )
        assert "warning-percent = 'abc' is not a number" in h.emails()[0]["Message"]
        assert any("warning-percent invalid" in m["text"] for m in h.slack.messages)
        state = h.state()
        assert state["status"] == "OK" and '"warning-percent": "60"' in state["last_valid_config"]
        assert h.api_key not in json.dumps(state)


def test_judging_with_the_last_valid_values_still_raises_a_warning(stack: LocalStack) -> None:
    scenario = Scenario.from_dict(
        {
            "start": START.isoformat(),
            "account": {"allowedConcurrentCalls": None},
            "segments": [{"minutes": 125, "hold": 20}, {"minutes": 60, "hold": 32}],
        }
    )
    with harness(stack, scenario, "rises", {"warning-percent": "60"}) as h:
        assert h.invoke(T)["status"] == "OK"
        h.put("warning-percent", "sixty")
        later = T + timedelta(minutes=10)  # 32 of 50 (64 %) by now
        assert h.invoke(later)["status"] == "WARNING"  # judged with 60, not refused
        assert "[WARNING] rises: 32/50 concurrent calls (64%)" in h.subjects()
