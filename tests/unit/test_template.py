"""What a reviewer checks in template.yaml: no secrets, least privilege, alerts wired right."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
SECRET_WORDS = re.compile(r"key|secret|webhook|token|password", re.IGNORECASE)

# (resource, Sid) of the statements allowed a bare "*" Resource, and why.
JUSTIFIED_STAR_RESOURCES = {
    # In a key policy "*" means the key the policy is attached to.
    ("AlertKey", "AccountAdministersKeyThroughIam"),
    ("AlertKey", "CloudWatchAlarmsPublishToEncryptedTopic"),
}
# (resource, Sid) of the statements allowed a wildcard action, and why.
JUSTIFIED_STAR_ACTIONS = {
    # The account root keeps full control of its own key (AWS's default key policy); without
    # it the key could become unmanageable.
    ("AlertKey", "AccountAdministersKeyThroughIam"),
}


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = load(str(TEMPLATE))
    return loaded


@cache
def deployed() -> dict[str, Any]:
    """The template after the SAM transform: what CloudFormation really creates."""
    # Imported here: moto and samtranslator take seconds to import, and only two tests need them.
    from infra.local_stack import LocalStack

    return LocalStack(TEMPLATE).cloudformation_template()


def resources(kind: str, source: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    items = (source or template())["Resources"].items()
    return {name: r for name, r in items if r["Type"] == kind}


def function() -> dict[str, Any]:
    props: dict[str, Any] = template()["Resources"]["CheckFunction"]["Properties"]
    return props


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements() -> Iterator[tuple[str, dict[str, Any]]]:
    """(owner, statement) for every policy statement, before and after the SAM transform."""
    for policy in function()["Policies"]:
        for statement in policy["Statement"]:
            yield "CheckFunction", statement
    for name, key in resources("AWS::KMS::Key").items():
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            yield name, statement
    for name, topic_policy in resources("AWS::SNS::TopicPolicy").items():
        for statement in topic_policy["Properties"]["PolicyDocument"]["Statement"]:
            yield name, statement
    # The roles SAM generates (function, scheduler) and the statements it adds to them.
    for name, role in resources("AWS::IAM::Role", deployed()).items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield name, statement


def sub_text(value: Any, **names: str) -> str:
    """The text of a !Sub with the given ${names} filled in."""
    text: str = value["Fn::Sub"]
    return re.sub(r"\$\{([^}!]+)\}", lambda m: names.get(m.group(1), f"<{m.group(1)}>"), text)


def test_no_parameter_asks_for_a_secret() -> None:
    for name, parameter in template()["Parameters"].items():
        assert not SECRET_WORDS.search(name), name
        assert "NoEcho" not in parameter, name


def test_parameters_are_only_what_a_user_must_choose() -> None:
    parameters = template()["Parameters"]
    assert set(parameters) == {
        "MonitorName",
        "ConcurrencyLimit",
        "AlertEmail",
        "ScheduleExpression",
        "UltravoxApiBaseUrl",
        "TopicKmsArn",
        "PagerDutyEventsUrl",
    }
    # Only the monitor's name and its limit have no default: `sam deploy --guided` asks for them.
    assert parameters["TopicKmsArn"]["Default"] == ""
    assert parameters["ConcurrencyLimit"]["Type"] == "Number"
    assert parameters["ConcurrencyLimit"]["MinValue"] == 1
    assert parameters["AlertEmail"]["Default"] == ""
    assert parameters["ScheduleExpression"]["Default"] == "cron(1/5 * * * ? *)"


def test_pagerduty_region_is_a_choice_of_pagerdutys_own_hosts() -> None:
    parameter = template()["Parameters"]["PagerDutyEventsUrl"]
    assert parameter["Default"] == "https://events.pagerduty.com/v2/enqueue"
    assert parameter["AllowedValues"] == [
        "https://events.pagerduty.com/v2/enqueue",
        "https://events.eu.pagerduty.com/v2/enqueue",
    ]
    variables = template()["Resources"]["CheckFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["CEILINGWATCH_PAGERDUTY_EVENTS_URL"] == {"Ref": "PagerDutyEventsUrl"}


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("default", True),
        ("prod-eu_1", True),
        ("a" * 64, True),
        ("", False),
        ("a/b", False),
        ("-lead", False),
        ("a b", False),
        ("a" * 65, False),
    ],
)
def test_monitor_name_is_a_safe_path_segment(name: str, ok: bool) -> None:
    pattern = template()["Parameters"]["MonitorName"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, name)) is ok


def test_function_environment_holds_no_secret() -> None:
    variables = function()["Environment"]["Variables"]
    for name, value in variables.items():
        assert not SECRET_WORDS.search(name), name
        # Plain values are fixed settings; the rest refer to stack resources or parameters.
        assert isinstance(value, str) or set(value) <= {"Ref", "Fn::Sub"}, name
    assert variables["CEILINGWATCH_PARAMETER_PREFIX"] == "/ceilingwatch"
    assert variables["STATE_TABLE_NAME"] == {"Ref": "StateTable"}
    assert variables["ALERT_TOPIC_ARN"] == {"Ref": "AlertTopic"}
    assert variables["CEILINGWATCH_DASHBOARD_NAME"] == {"Fn::Sub": "ceilingwatch-${MonitorName}"}


def test_function_settings() -> None:
    fn = function()
    assert fn["Runtime"] == "python3.13"
    assert fn["Architectures"] == ["arm64"]
    assert fn["MemorySize"] == 128
    assert fn["Tracing"] == "Active"
    assert 1 <= fn["ReservedConcurrentExecutions"] <= 10
    assert fn["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    assert fn["EventInvokeConfig"]["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }


def test_no_secret_is_created_in_the_template() -> None:
    for name, parameter in resources("AWS::SSM::Parameter").items():
        assert parameter["Properties"]["Type"] == "String", name
        path = sub_text(parameter["Properties"]["Name"], MonitorName="demo")
        assert not re.search(r"api-key|webhook", path), path
    paths = {
        sub_text(p["Properties"]["Name"], MonitorName="demo"): p["Properties"]["Value"]
        for p in resources("AWS::SSM::Parameter").values()
    }
    assert paths == {
        "/ceilingwatch/demo/concurrency-limit": {"Ref": "ConcurrencyLimit"},
        "/ceilingwatch/demo/warning-percent": "80",
        "/ceilingwatch/demo/critical-percent": "95",
    }


def test_every_statement_names_its_resources() -> None:
    seen = set()
    for owner, statement in statements():
        sid = statement.get("Sid")
        if statement["Effect"] == "Allow" and "*" in as_list(statement["Resource"]):
            assert (owner, sid) in JUSTIFIED_STAR_RESOURCES, (owner, statement)
            seen.add((owner, sid))
        for action in as_list(statement["Action"]):
            if action == "*" or action.endswith(":*"):
                assert (owner, sid) in JUSTIFIED_STAR_ACTIONS, (owner, statement)
    # A justification for a statement that no longer exists is stale.
    assert seen == JUSTIFIED_STAR_RESOURCES


def test_function_policy_is_least_privilege() -> None:
    by_sid = {s["Sid"]: s for owner, s in statements() if owner == "CheckFunction"}
    ssm = by_sid["ReadMonitorConfiguration"]
    assert ssm["Action"] == ["ssm:GetParametersByPath"]
    assert ssm["Resource"]["Fn::Sub"].endswith(":parameter/ceilingwatch/*")
    decrypt = by_sid["DecryptSecureStringParameters"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"
    }
    state = by_sid["ReadWriteAlertState"]
    assert sorted(state["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert state["Resource"] == {"Fn::GetAtt": ["StateTable", "Arn"]}
    assert by_sid["PublishAlerts"]["Resource"] == {"Ref": "AlertTopic"}
    # The key the stack creates, or the one the user names instead: never any other.
    assert by_sid["EncryptAlertsForTopic"]["Resource"] == {
        "Fn::If": ["CreateAlertKey", {"Fn::GetAtt": ["AlertKey", "Arn"]}, {"Ref": "TopicKmsArn"}]
    }


def test_schedule_input_carries_the_monitor_and_the_scheduler_identity() -> None:
    schedule = function()["Events"]["Schedule"]
    assert schedule["Type"] == "ScheduleV2"
    props = schedule["Properties"]
    assert props["ScheduleExpressionTimezone"] == "UTC"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    assert props["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    payload = json.loads(sub_text(props["Input"], MonitorName="demo"))
    assert payload == {
        "monitor": "demo",
        "scheduledTime": "<aws.scheduler.scheduled-time>",
        "executionId": "<aws.scheduler.execution-id>",
        "attempt": "<aws.scheduler.attempt-number>",
    }


def test_sample_scheduled_event_matches_the_schedule_input() -> None:
    event = json.loads((TEMPLATE.parent / "events" / "scheduled-tick.json").read_text())
    payload = json.loads(sub_text(function()["Events"]["Schedule"]["Properties"]["Input"]))
    assert set(event) == set(payload)


def test_heartbeat_alarm_watches_the_metric_powertools_emits() -> None:
    heartbeat = template()["Resources"]["HeartbeatAlarm"]["Properties"]
    assert (
        heartbeat["Namespace"]
        == function()["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    )
    assert heartbeat["MetricName"] == "UtilizationPercent"
    assert heartbeat["Dimensions"] == [
        {"Name": "service", "Value": "ceilingwatch"},
        {"Name": "monitor", "Value": {"Ref": "MonitorName"}},
    ]
    assert heartbeat["Statistic"] == "SampleCount"
    assert heartbeat["Period"] * heartbeat["EvaluationPeriods"] == 900
    assert heartbeat["TreatMissingData"] == "breaching"


def test_every_alarm_notifies_the_topic_both_ways() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")
    assert set(alarms) == {
        "FunctionErrorsAlarm",
        "DeadLetterQueueAlarm",
        "HeartbeatAlarm",
        "NotificationFailuresAlarm",
    }
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertTopic"}], name
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlertTopic"}], name


def test_dashboard_metrics_carry_the_monitor_dimensions() -> None:
    body = json.loads(
        sub_text(
            template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"],
            MonitorName="demo",
        )
    )
    names = set()
    for widget in body["widgets"]:
        for metric in widget["properties"]["metrics"]:
            namespace, name, *dimensions = (m for m in metric if isinstance(m, str))
            names.add(name)
            if namespace == "Ceilingwatch":
                assert dimensions == ["service", "ceilingwatch", "monitor", "demo"], metric
            else:
                assert dimensions == ["FunctionName", "<CheckFunction>"], metric
    assert {"PeakCalls", "ConcurrencyLimit", "UtilizationPercent", "AlertLevel"} <= names
    assert {"Errors", "Duration"} <= names


def test_stored_data_is_encrypted() -> None:
    table = template()["Resources"]["StateTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "monitor", "KeyType": "HASH"}]
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert template()["Resources"]["AlertTopic"]["Properties"]["KmsMasterKeyId"] == {
        "Fn::If": ["CreateAlertKey", {"Ref": "AlertKey"}, {"Ref": "TopicKmsArn"}]
    }
    assert template()["Resources"]["AlertKey"]["Properties"]["EnableKeyRotation"] is True
    queue = template()["Resources"]["DeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_email_subscription_only_with_an_address() -> None:
    subscription = template()["Resources"]["AlertEmailSubscription"]
    assert subscription["Condition"] == "HasAlertEmail"
    assert subscription["Properties"]["Protocol"] == "email"


def test_outputs() -> None:
    assert set(template()["Outputs"]) == {
        "CheckFunctionName",
        "CheckFunctionArn",
        "StateTableName",
        "AlertTopicArn",
        "DeadLetterQueueUrl",
        "DeadLetterQueueArn",
        "ParameterPath",
        "DashboardName",
    }
    assert template()["Outputs"]["ParameterPath"]["Value"] == {
        "Fn::Sub": "/ceilingwatch/${MonitorName}/"
    }


def test_sam_transform_gives_the_scheduler_only_invoke_and_dead_letter_rights() -> None:
    roles = resources("AWS::IAM::Role", deployed())
    [scheduler_role] = [r for name, r in roles.items() if "Schedule" in name]
    actions = {
        action
        for policy in scheduler_role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in as_list(statement["Action"])
    }
    assert actions == {"lambda:InvokeFunction", "sqs:SendMessage"}
