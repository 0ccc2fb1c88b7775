"""Changes confirmed at once: the template's rule, and Parameter Store events to the handler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
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
