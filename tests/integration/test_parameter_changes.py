"""Changes confirmed at once: the template's rule, and Parameter Store events to the handler."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from ceilingwatch.domain.ports import AlertStates
from ceilingwatch.domain.state import AlertState
from moto.events.models import EventPattern

from infra.local_stack.stack import LocalStack
from tests.support.harness import EVENTS, START, Harness, flat_scenario, harness

T = START + timedelta(hours=2, minutes=1)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "changes", "ConcurrencyLimit": "50"}) as local:
        yield local


def verdicts(h: Harness) -> list[str]:
    """The verdict as email and Slack carry it (the email subject is cut at 100 characters)."""
    mails = [e["Message"].split("Why: ", 1)[1].split("\n", 1)[0] for e in h.emails()]
    posts = [m["text"] for m in h.slack.messages]
    return [m for m in mails if "for " in m] + [p for p in posts if "[CONFIG]" in p]


def test_the_template_sends_parameter_store_changes_to_the_check_function(
    stack: LocalStack,
) -> None:
    events = stack.client("events")
    (rule,) = [r for r in events.list_rules()["Rules"] if "ParameterChanges" in r["Name"]]
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "detail": {"name": [{"prefix": "/ceilingwatch/"}]},
    }
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    function = stack.client("lambda").get_function(FunctionName=target["Arn"])
    assert function["Configuration"]["FunctionArn"] == target["Arn"]
    assert "CheckFunction" in target["Arn"]
    policy = stack.client("lambda").get_policy(FunctionName=target["Arn"])["Policy"]
    assert "events.amazonaws.com" in policy
    # moto's TestEventPattern answers nothing; its own matcher is what its bus would apply.
    pattern = EventPattern.load(rule["EventPattern"])
    sample = json.loads((EVENTS / "parameter-change.json").read_text())
    assert pattern.matches_event(sample)
    elsewhere = sample | {"detail": sample["detail"] | {"name": "/other-app/key"}}
    assert not pattern.matches_event(elsewhere)


def test_an_accepted_change_is_confirmed_with_where_the_calls_are(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(21), "accept") as h:
        h.invoke(T)  # 21 of 50: 42 %
        h.put("warning-percent", "60")
        result = h.change("warning-percent", T + timedelta(minutes=2))
        expected = "warning-percent 80 → 60 for accept: accepted; now at 42 % of the limit"
        assert result["reason"].startswith(expected)
        email, slack = verdicts(h)
        assert email.startswith(expected)
        assert slack.startswith(f"🛠️ [CONFIG] accept: {expected}")
        assert '"warning-percent": "60"' in h.state()["last_valid_config"]


def test_a_refused_change_says_why_and_judging_goes_on(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(21), "refuse") as h:
        h.invoke(T)
        h.put("warning-percent", "abc")
        h.change("warning-percent", T + timedelta(minutes=2))
        email, slack = verdicts(h)
        assert email.startswith(
            "warning-percent 80 → abc for refuse: refused: warning-percent = 'abc' is not a number"
        )
        assert email.endswith("; still judging with 80")
        assert "still judging with 80" in slack
        assert h.invoke(T + timedelta(minutes=5))["status"] == "OK"  # not ERROR


def test_a_changed_secret_is_checked_but_never_echoed(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(21), "secret") as h:
        h.invoke(T)
        h.put("ultravox-api-key", "uvx-typo-in-the-new-key-0000", secure=True)
        h.change("ultravox-api-key", T + timedelta(minutes=2))
        (email,) = [v for v in verdicts(h) if not v.startswith("🛠️")]
        assert email.startswith(
            "ultravox-api-key changed for secret: refused: ultravox-api-key: "
            "Ultravox rejected the API key (HTTP 401)"
        )
        sent = json.dumps(h.emails()) + json.dumps(h.slack.messages)
        assert "uvx-typo-in-the-new-key" not in sent and h.api_key not in sent
        h.put("ultravox-api-key", h.api_key, secure=True)
        h.change("ultravox-api-key", T + timedelta(minutes=3))
        assert "ultravox-api-key changed for secret: accepted" in verdicts(h)[1]


def test_a_change_outside_any_monitor_is_ignored(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(21), "outside") as h:
        result = h.change("nested/deeper", T)
        assert result == {"skipped": "not a monitor's parameter"}
        assert h.emails() == [] and h.slack.messages == []


def config_emails(h: Harness) -> list[str]:
    """The subjects of every email about the configuration: CONFIG notices and verdicts."""
    return [s for s in h.subjects() if s.startswith("[CONFIG]")]


def test_a_value_refused_by_the_change_is_not_told_again_by_the_runs(stack: LocalStack) -> None:
    parameters = {"renotify-error-minutes": "60"}
    with harness(stack, flat_scenario(21), "oncerefused", parameters) as h:
        h.invoke(T)
        h.put("warning-percent", "abc")
        h.change("warning-percent", T + timedelta(minutes=2))
        for minutes in range(5, 60, 5):  # an hour of runs judging with 80: nothing more said
            assert h.invoke(T + timedelta(minutes=minutes))["status"] == "OK"
        assert len(config_emails(h)) == 1, config_emails(h)
        assert sum("[CONFIG]" in m["text"] for m in h.slack.messages) == 1
        h.invoke(T + timedelta(minutes=62))  # the reminder interval has passed: reminded once
        assert len(config_emails(h)) == 2
        assert "warning-percent invalid" in h.emails()[-1]["Message"]


def test_a_value_the_run_told_first_is_not_told_again_by_its_late_change(
    stack: LocalStack,
) -> None:
    with harness(stack, flat_scenario(21), "oncelate") as h:
        h.invoke(T)
        h.put("warning-percent", "abc")
        h.invoke(T + timedelta(minutes=5))  # the run reads it before the change event lands
        assert len(config_emails(h)) == 1
        result = h.change("warning-percent", T + timedelta(minutes=4))
        assert "refused" in result["reason"] and result["suppressed"] == ["config-changed"]
        assert len(config_emails(h)) == 1
        h.put("warning-percent", "xyz")  # a new value is a new problem: told at once
        h.change("warning-percent", T + timedelta(minutes=7))
        assert len(config_emails(h)) == 2


def test_a_value_written_after_the_run_s_tick_and_told_by_the_run_is_not_told_by_its_event(
    stack: LocalStack,
) -> None:
    with harness(stack, flat_scenario(21), "oncewritten") as h:
        h.invoke(T)
        h.put("warning-percent", "abc")  # written after the next run's scheduled time...
        h.invoke(T + timedelta(minutes=5))  # ...and read by it
        result = h.change("warning-percent", T + timedelta(minutes=5, seconds=40))
        assert result["suppressed"] == ["config-changed"], result
        assert len(config_emails(h)) == 1
        assert "warning-percent@" in h.state()["config_problem_versions"]


def test_a_value_changed_back_and_forth_is_a_new_problem_told_again(stack: LocalStack) -> None:
    parameters = {"renotify-error-minutes": "240"}
    with harness(stack, flat_scenario(21), "backforth", parameters) as h:
        h.invoke(T)
        h.put("warning-percent", "abc")
        h.change("warning-percent", T + timedelta(minutes=1))  # refused: told once
        h.invoke(T + timedelta(minutes=5))
        assert len(config_emails(h)) == 1
        # 60, then abc again, between two runs, their events not (yet) delivered: the run
        # reads a newer version of the same words, a new problem, and tells it.
        h.put("warning-percent", "60")
        h.put("warning-percent", "abc")
        h.invoke(T + timedelta(minutes=10))
        assert len(config_emails(h)) == 2
        for minutes in (7, 8):  # the late events: the first is stale, the second the run told
            h.change("warning-percent", T + timedelta(minutes=minutes))
        assert len(config_emails(h)) == 2, config_emails(h)


def test_a_duplicate_change_event_sends_its_verdict_once(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(21), "oncedup") as h:
        h.invoke(T)
        h.put("warning-percent", "60")
        first = h.change("warning-percent", T + timedelta(minutes=2), event_id="evt-1")
        again = h.change("warning-percent", T + timedelta(minutes=2), event_id="evt-1")
        assert first["skipped"] == "" and "duplicate" in again["skipped"]
        assert len(config_emails(h)) == 1
        assert sum("[CONFIG]" in m["text"] for m in h.slack.messages) == 1
        assert "evt-1" in h.state()["handled_events"]


class SerialStates:
    """moto checks a condition, then writes, without a lock: real DynamoDB is atomic per item."""

    def __init__(self, states: AlertStates) -> None:
        self.states, self.lock = states, threading.Lock()

    def load(self, monitor: str) -> AlertState | None:
        return self.states.load(monitor)

    def save(self, state: AlertState, expected_version: int) -> None:
        with self.lock:
            self.states.save(state, expected_version)


def test_a_verdict_during_a_runs_delivery_is_claimed_beside_it(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(42), "beside") as h:  # 84 %: the run raises a WARNING
        assert h.deps is not None
        h.deps.states = SerialStates(h.deps.states)
        h.slack.respond_with(200, delay=3.0)  # the run's Slack post takes 3 s
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(h.invoke, T)
            deadline = time.monotonic() + 10
            while h.slack.attempts == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            h.put("warning-percent", "85")
            verdict = h.change("warning-percent", T + timedelta(seconds=30), event_id="evt-b")
            assert verdict["skipped"] == "" and verdict["notifications"][0]["slack"] == "sent"
            during = h.state()
            # The run still owes Slack its WARNING; the verdict, claimed beside it (its event's
            # id with it), is settled: the run's own writes keep it so.
            assert "raised" in during["outbox"] and "config-changed" not in during["outbox"]
            assert during["handled_events"] == "evt-b"
            assert running.result()["status"] == "WARNING"
        after = h.state()
        assert "outbox" not in after and after["handled_events"] == "evt-b"
        subjects = h.subjects()
        assert sum(s.startswith("[WARNING]") for s in subjects) == 1
        assert len(config_emails(h)) == 1
        texts = [m["text"] for m in h.slack.messages]
        assert sum("[CONFIG]" in t for t in texts) == 1 and len(texts) == 2
