"""The local stack stands template.yaml up in moto on loopback, with every resource the app uses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local_stack.stack import LocalStack

pytestmark = pytest.mark.integration

PARAMETERS = {"MonitorName": "itest", "ConcurrencyLimit": "42", "AlertEmail": "oncall@example.com"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters=PARAMETERS, stack_name="ceilingwatch-itest") as local:
        yield local


def alarm(stack: LocalStack, name: str) -> dict[str, Any]:
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert len(alarms) == 1, name
    found: dict[str, Any] = alarms[0]
    return found


def test_stack_is_created_from_the_template_with_its_outputs(stack: LocalStack) -> None:
    status = stack.client("cloudformation").describe_stacks(StackName="ceilingwatch-itest")
    assert status["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert set(stack.outputs) == {
        "CheckFunctionName",
        "CheckFunctionArn",
        "StateTableName",
        "AlertTopicArn",
        "DeadLetterQueueUrl",
        "DeadLetterQueueArn",
        "ParameterPath",
        "DashboardName",
        "InteractionsFunctionName",
        "SlackInteractivityUrl",
        "UltravoxWebhookUrl",
        "LiveCallsTableName",
        "FanoutFunctionName",
        "FleetQueueUrl",
    }
    assert stack.outputs["ParameterPath"] == "/ceilingwatch/itest/"
    assert stack.endpoint_url.startswith("http://127.0.0.1:")
    # Whatever moto's CloudFormation skips is created through the API, nothing is left out.
    assert stack.skipped == []


def test_non_secret_parameters_hold_the_given_values(stack: LocalStack) -> None:
    found = stack.client("ssm").get_parameters_by_path(Path="/ceilingwatch/itest")["Parameters"]
    values = {p["Name"]: (p["Type"], p["Value"]) for p in found}
    assert values == {
        "/ceilingwatch/itest/concurrency-limit": ("String", "42"),
        "/ceilingwatch/itest/warning-percent": ("String", "80"),
        "/ceilingwatch/itest/critical-percent": ("String", "95"),
    }


def test_state_table_is_keyed_by_monitor(stack: LocalStack) -> None:
    table = stack.client("dynamodb").describe_table(TableName=stack.outputs["StateTableName"])
    assert table["Table"]["KeySchema"] == [{"AttributeName": "monitor", "KeyType": "HASH"}]
    assert table["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_alert_topic_is_encrypted_with_the_stack_key(stack: LocalStack) -> None:
    sns = stack.client("sns")
    attributes = sns.get_topic_attributes(TopicArn=stack.outputs["AlertTopicArn"])["Attributes"]
    key = stack.client("kms").describe_key(KeyId=attributes["KmsMasterKeyId"])["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER"
    aliases = stack.client("kms").list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/ceilingwatch/itest"]
    assert stack.client("kms").get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    policy = json.loads(attributes["Policy"])
    assert any(
        s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} for s in policy["Statement"]
    )


def test_dead_letter_queue_keeps_failures_for_two_weeks(stack: LocalStack) -> None:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.outputs["DeadLetterQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["QueueArn"] == stack.outputs["DeadLetterQueueArn"]
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert attributes["SqsManagedSseEnabled"] == "true"


def test_email_subscription_exists_when_an_address_is_given(stack: LocalStack) -> None:
    subscriptions = stack.client("sns").list_subscriptions_by_topic(
        TopicArn=stack.outputs["AlertTopicArn"]
    )["Subscriptions"]
    assert ("email", "oncall@example.com") in {
        (s["Protocol"], s["Endpoint"]) for s in subscriptions
    }


def test_heartbeat_alarm_fires_on_silence(stack: LocalStack) -> None:
    heartbeat = alarm(stack, "ceilingwatch-itest-heartbeat")
    # The deployment's heartbeat: the fan-out's ticks, for every monitor at once.
    assert (heartbeat["Namespace"], heartbeat["MetricName"]) == ("Ceilingwatch", "FanoutTicks")
    assert heartbeat["Dimensions"] == [{"Name": "service", "Value": "ceilingwatch"}]
    assert heartbeat["Statistic"] == "SampleCount"
    assert (heartbeat["Period"], heartbeat["EvaluationPeriods"]) == (300, 3)
    assert heartbeat["TreatMissingData"] == "breaching"
    assert heartbeat["ComparisonOperator"] == "LessThanThreshold"
    assert heartbeat["AlarmActions"] == heartbeat["OKActions"] == [stack.outputs["AlertTopicArn"]]


def test_function_and_queue_alarms_watch_the_stack_resources(stack: LocalStack) -> None:
    errors = alarm(stack, "ceilingwatch-itest-function-errors")
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [
        {"Name": "FunctionName", "Value": stack.outputs["CheckFunctionName"]}
    ]
    assert errors["TreatMissingData"] == "notBreaching"
    dead_letters = alarm(stack, "ceilingwatch-itest-dead-letters")
    queue_name = stack.outputs["DeadLetterQueueArn"].rsplit(":", 1)[1]
    assert dead_letters["Dimensions"] == [{"Name": "QueueName", "Value": queue_name}]
    assert dead_letters["MetricName"] == "ApproximateNumberOfMessagesVisible"
    for found in (errors, dead_letters):
        assert found["AlarmActions"] == found["OKActions"] == [stack.outputs["AlertTopicArn"]]


def test_failed_async_invocations_go_to_the_dead_letter_queue(stack: LocalStack) -> None:
    config = stack.client("lambda").get_function_event_invoke_config(
        FunctionName=stack.outputs["CheckFunctionName"]
    )
    assert config["MaximumRetryAttempts"] == 2
    assert (
        config["DestinationConfig"]["OnFailure"]["Destination"]
        == (stack.outputs["DeadLetterQueueArn"])
    )


def test_schedule_passes_the_monitor_and_the_scheduler_identity(stack: LocalStack) -> None:
    scheduler = stack.client("scheduler")
    schedules = {
        s["ScheduleExpression"]: s
        for s in (
            scheduler.get_schedule(Name=summary["Name"])
            for summary in scheduler.list_schedules()["Schedules"]
        )
    }
    assert set(schedules) == {"cron(1/5 * * * ? *)", "cron(0 9 ? * MON *)"}
    digest = schedules["cron(0 9 ? * MON *)"]
    assert json.loads(digest["Target"]["Input"])["action"] == "digest"
    fanout = stack.client("lambda").get_function(FunctionName=stack.outputs["FanoutFunctionName"])
    assert digest["Target"]["Arn"] == fanout["Configuration"]["FunctionArn"]
    schedule = schedules["cron(1/5 * * * ? *)"]
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    # The deployment's one schedule ticks the fan-out, which names each monitor in its message.
    assert schedule["Target"]["Arn"] == fanout["Configuration"]["FunctionArn"]
    assert schedule["Target"]["DeadLetterConfig"]["Arn"] == stack.outputs["DeadLetterQueueArn"]
    assert json.loads(schedule["Target"]["Input"]) == {
        "scheduledTime": "<aws.scheduler.scheduled-time>",
        "executionId": "<aws.scheduler.execution-id>",
    }


def test_dashboard_exists(stack: LocalStack) -> None:
    dashboard = stack.client("cloudwatch").get_dashboard(
        DashboardName=stack.outputs["DashboardName"]
    )
    assert "UtilizationPercent" in dashboard["DashboardBody"]


def test_function_environment_is_the_templates_and_reaches_moto(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = stack.function_environment()
    assert env["STATE_TABLE_NAME"] == stack.outputs["StateTableName"]
    assert env["ALERT_TOPIC_ARN"] == stack.outputs["AlertTopicArn"]
    assert env["CEILINGWATCH_PARAMETER_PREFIX"] == "/ceilingwatch"
    assert env["POWERTOOLS_SERVICE_NAME"] == "ceilingwatch"
    assert env["AWS_ENDPOINT_URL"] == stack.endpoint_url
    # A plain boto3 client, as the handler builds one, finds the stack through the environment.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    table = boto3.client("dynamodb").describe_table(TableName=env["STATE_TABLE_NAME"])
    assert table["Table"]["TableName"] == env["STATE_TABLE_NAME"]


def test_subscribed_queue_receives_the_sns_envelope(stack: LocalStack) -> None:
    inbox = stack.subscribe_queue("itest-inbox")
    stack.client("sns").publish(
        TopicArn=stack.outputs["AlertTopicArn"],
        Subject="[CRITICAL] itest: 41 of 42 calls",
        Message="peak 41 of 42 calls (98 %)",
        MessageAttributes={"level": {"DataType": "String", "StringValue": "CRITICAL"}},
    )
    messages = stack.client("sqs").receive_message(
        QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=1
    )["Messages"]
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Subject"] == "[CRITICAL] itest: 41 of 42 calls"
    assert envelope["Message"] == "peak 41 of 42 calls (98 %)"
    assert envelope["MessageAttributes"]["level"] == {"Type": "String", "Value": "CRITICAL"}
