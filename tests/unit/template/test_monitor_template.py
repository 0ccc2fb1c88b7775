"""infra/monitor.yaml adds a monitor exactly as template.yaml wires its own, and no more."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load

REPO = Path(__file__).resolve().parents[3]
MONITOR_TEMPLATE = REPO / "infra" / "monitor.yaml"
MAIN_TEMPLATE = REPO / "template.yaml"
SECRET_WORDS = re.compile(r"key|secret|webhook|token|password|credential", re.IGNORECASE)
# The copies must agree on everything that decides when and why an alarm fires.
ALARM_FIELDS = (
    "AlarmName",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
)


@cache
def monitor() -> dict[str, Any]:
    loaded: dict[str, Any] = load(str(MONITOR_TEMPLATE))
    return loaded


@cache
def main() -> dict[str, Any]:
    loaded: dict[str, Any] = load(str(MAIN_TEMPLATE))
    return loaded


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = list(resources(template, kind).values())
    assert len(found) == 1, kind
    properties: dict[str, Any] = found[0]["Properties"]
    return properties


def main_schedule(name: str = "Schedule") -> dict[str, Any]:
    """The deployment's one schedule, now the fan-out's (it queues one event per monitor)."""
    properties: dict[str, Any] = main()["Resources"]["FanoutFunction"]["Properties"]["Events"][
        name
    ]["Properties"]
    return properties


def fanned_out(input_text: str, monitor: str) -> dict[str, Any]:
    """The per-monitor event the fan-out queues for a tick with this schedule input."""
    from ceilingwatch.domain.tick import Tick
    from ceilingwatch.services.fanout import _event

    scheduled = json.loads(input_text)
    tick = Tick.from_event(
        {**scheduled, "monitor": "x", "scheduledTime": ""}, datetime(2026, 1, 1, tzinfo=UTC)
    )
    return _event(monitor, scheduled["scheduledTime"], tick) | {
        "executionId": scheduled["executionId"]
    }


def sub_text(value: Any, **names: str) -> str:
    """The text of a !Sub with the given ${names} filled in."""
    text: str = value["Fn::Sub"]
    return re.sub(r"\$\{([^}!]+)\}", lambda m: names.get(m.group(1), f"<{m.group(1)}>"), text)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements() -> Iterator[dict[str, Any]]:
    for policy in only(monitor(), "AWS::IAM::Role")["Policies"]:
        yield from policy["PolicyDocument"]["Statement"]


def test_the_template_is_plain_cloudformation() -> None:
    assert "Transform" not in monitor()
    assert not [r for r in monitor()["Resources"].values() if "Serverless" in r["Type"]]


def test_parameters_name_the_monitor_and_the_main_stack_outputs() -> None:
    parameters = monitor()["Parameters"]
    assert set(parameters) == {
        "MonitorName",
        "ConcurrencyLimit",
        "ScheduleExpression",
        "DigestScheduleExpression",
        "CheckFunctionArn",
        "DeadLetterQueueArn",
        "AlertTopicArn",
    }
    # The ARNs are the main stack's outputs of the same names: one describe-stacks call fills them.
    assert {"CheckFunctionArn", "DeadLetterQueueArn", "AlertTopicArn"} <= set(main()["Outputs"])
    for name in ("MonitorName", "ConcurrencyLimit", "ScheduleExpression"):
        for field in ("Type", "AllowedPattern", "MinValue"):
            assert parameters[name].get(field) == main()["Parameters"][name].get(field), name
    assert parameters["ScheduleExpression"]["Default"] == "cron(1/5 * * * ? *)"
    digest_default = main()["Parameters"]["DigestScheduleExpression"]["Default"]
    assert parameters["DigestScheduleExpression"]["Default"] == digest_default
    # A second monitor has no sensible default name or limit: both must be chosen.
    assert "Default" not in parameters["MonitorName"]
    assert "Default" not in parameters["ConcurrencyLimit"]


@pytest.mark.parametrize(
    ("parameter", "value", "ok"),
    [
        ("CheckFunctionArn", "arn:aws:lambda:eu-west-1:123456789012:function:cw-Check-1A2B", True),
        ("CheckFunctionArn", "arn:aws:lambda:eu-west-1:123456789012:function:cw:live", False),
        ("CheckFunctionArn", "cw-CheckFunction", False),
        ("DeadLetterQueueArn", "arn:aws:sqs:eu-west-1:123456789012:cw-DeadLetterQueue-X", True),
        ("DeadLetterQueueArn", "https://sqs.eu-west-1.amazonaws.com/123456789012/q", False),
        ("AlertTopicArn", "arn:aws-us-gov:sns:us-gov-west-1:123456789012:cw-AlertTopic-X", True),
        ("AlertTopicArn", "arn:aws:sqs:eu-west-1:123456789012:cw-AlertTopic-X", False),
    ],
)
def test_arn_parameters_accept_only_their_kind(parameter: str, value: str, ok: bool) -> None:
    pattern = monitor()["Parameters"][parameter]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is ok


def test_no_parameter_looks_like_a_secret() -> None:
    for name, parameter in monitor()["Parameters"].items():
        assert not SECRET_WORDS.search(name), name
        assert "NoEcho" not in parameter, name
        assert not SECRET_WORDS.search(str(parameter.get("Default", ""))), name


def test_ssm_parameters_are_the_main_templates_for_the_named_monitor() -> None:
    def paths(template: dict[str, Any]) -> dict[str, Any]:
        found = resources(template, "AWS::SSM::Parameter").values()
        return {
            sub_text(p["Properties"]["Name"], MonitorName="staging"): (
                p["Properties"]["Type"],
                p["Properties"]["Value"],
            )
            for p in found
        }

    # Plus its opt-in to its own metrics, which its heartbeat alarm watches.
    assert paths(monitor()) == paths(main()) | {
        "/ceilingwatch/staging/monitor-metrics": ("String", "true")
    }
    assert paths(monitor()) == {
        "/ceilingwatch/staging/concurrency-limit": ("String", {"Ref": "ConcurrencyLimit"}),
        "/ceilingwatch/staging/warning-percent": ("String", "80"),
        "/ceilingwatch/staging/critical-percent": ("String", "95"),
        "/ceilingwatch/staging/monitor-metrics": ("String", "true"),
    }


def test_schedule_input_carries_the_monitor_and_the_scheduler_identity() -> None:
    target = monitor()["Resources"]["Schedule"]["Properties"]["Target"]
    event = json.loads(sub_text(target["Input"], MonitorName="staging"))
    assert event["monitor"] == "staging"
    assert event["scheduledTime"] == "<aws.scheduler.scheduled-time>"
    assert event["executionId"] == "<aws.scheduler.execution-id>"
    # The same meaning as the fan-out's per-monitor event, so an old stack's tick and the
    # fan-out's are one tick to the handler (the attempt number is extra, and ignored).
    theirs = fanned_out(main_schedule()["Input"], "staging")
    assert {k: v for k, v in event.items() if k != "attempt"} == theirs


def test_schedule_runs_like_the_main_one() -> None:
    ours = monitor()["Resources"]["Schedule"]["Properties"]
    theirs = main_schedule()
    assert ours["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    assert ours["ScheduleExpressionTimezone"] == theirs["ScheduleExpressionTimezone"]
    assert ours["Target"]["RetryPolicy"] == theirs["RetryPolicy"]
    assert ours["Target"]["Arn"] == {"Ref": "CheckFunctionArn"}
    assert ours["Target"]["DeadLetterConfig"] == {"Arn": {"Ref": "DeadLetterQueueArn"}}
    role = next(iter(resources(monitor(), "AWS::IAM::Role")))
    assert ours["Target"]["RoleArn"] == {"Fn::GetAtt": [role, "Arn"]}


def test_the_digest_schedule_is_the_main_ones_for_this_monitor() -> None:
    assert set(resources(monitor(), "AWS::Scheduler::Schedule")) == {"Schedule", "DigestSchedule"}
    ours = monitor()["Resources"]["DigestSchedule"]["Properties"]
    theirs = main_schedule("DigestSchedule")
    assert ours["ScheduleExpression"] == {"Ref": "DigestScheduleExpression"}
    for field in ("ScheduleExpressionTimezone", "FlexibleTimeWindow"):
        assert ours.get(field) == theirs.get(field), field
    assert ours["Target"]["RetryPolicy"] == theirs["RetryPolicy"]
    event = json.loads(sub_text(ours["Target"]["Input"], MonitorName="staging"))
    assert event == fanned_out(theirs["Input"], "staging")
    assert event["action"] == "digest" and event["monitor"] == "staging"
    assert ours["Target"]["Arn"] == {"Ref": "CheckFunctionArn"}


def test_scheduler_role_may_only_invoke_the_function_and_dead_letter_the_tick() -> None:
    role = only(monitor(), "AWS::IAM::Role")
    assert "ManagedPolicyArns" not in role
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    granted = set()
    for statement in role_statements():
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                granted.add((action, json.dumps(resource, sort_keys=True)))
    assert granted == {
        ("lambda:InvokeFunction", json.dumps({"Ref": "CheckFunctionArn"})),
        ("sqs:SendMessage", json.dumps({"Ref": "DeadLetterQueueArn"})),
    }


@pytest.mark.parametrize("alarm", ["HeartbeatAlarm"])
def test_each_alarm_matches_the_main_templates(alarm: str) -> None:
    # Failed channels are counted for the whole deployment: the main stack's alarm covers them.
    assert set(resources(monitor(), "AWS::CloudWatch::Alarm")) == {"HeartbeatAlarm"}
    ours = monitor()["Resources"][alarm]["Properties"]
    theirs = main()["Resources"][alarm]["Properties"]
    # The main stack's heartbeat now watches the fan-out; an old stack's still watches its
    # monitor's own UtilizationPercent, sent while its monitor-metrics parameter says true.
    assert ours["MetricName"] == "UtilizationPercent" and theirs["MetricName"] == "FanoutTicks"
    assert {"Name": "monitor", "Value": {"Ref": "MonitorName"}} in ours["Dimensions"]
    for field in set(ALARM_FIELDS) - {"MetricName", "Dimensions"}:
        assert ours.get(field) == theirs.get(field), field
    assert ours["AlarmActions"] == [{"Ref": "AlertTopicArn"}]
    assert ours["OKActions"] == [{"Ref": "AlertTopicArn"}]
