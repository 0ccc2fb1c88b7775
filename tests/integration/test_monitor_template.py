"""A second monitor from infra/monitor.yaml beside the main stack, run by the same function."""

from __future__ import annotations

import ast
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from ceilingwatch.handler import lambda_handler
from cfnlint.decode.cfn_yaml import load
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.parsing import clean_json

from infra.demo.timeline import Context
from infra.local_stack.stack import LocalStack
from tests.support.harness import START, flat_scenario, harness

pytestmark = [
    pytest.mark.integration,
    # moto warns for the types it skips whenever it re-reads the stack; SKIPPED_BY_MOTO names them.
    pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning"),
]

MONITOR_TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "monitor.yaml"
MONITOR_STACK = "ceilingwatch-monitor-staging"
SCHEDULE_NAME = f"{MONITOR_STACK}-Schedule"
DIGEST_SCHEDULE_NAME = f"{MONITOR_STACK}-DigestSchedule"
# moto's CloudFormation skips these types; the test creates them through the API from the
# template's own properties, resolved by moto, to prove they point at the main stack.
SKIPPED_BY_MOTO = {
    "Schedule": "AWS::Scheduler::Schedule",
    "DigestSchedule": "AWS::Scheduler::Schedule",
    "HeartbeatAlarm": "AWS::CloudWatch::Alarm",
}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "main", "ConcurrencyLimit": "50"}) as local:
        create_monitor_stack(local, "staging", "20")
        yield local


def create_monitor_stack(stack: LocalStack, monitor: str, limit: str) -> None:
    """What `aws cloudformation deploy` does with infra/monitor.yaml, the ARNs from the outputs."""
    parameters = {
        "MonitorName": monitor,
        "ConcurrencyLimit": limit,
        "CheckFunctionArn": stack.outputs["CheckFunctionArn"],
        "DeadLetterQueueArn": stack.outputs["DeadLetterQueueArn"],
        "AlertTopicArn": stack.outputs["AlertTopicArn"],
    }
    moto_log = logging.getLogger("moto")
    level = moto_log.level
    # moto logs a warning for each type it skips; SKIPPED_BY_MOTO names them.
    moto_log.setLevel(logging.ERROR)
    try:
        stack.client("cloudformation").create_stack(
            StackName=MONITOR_STACK,
            TemplateBody=MONITOR_TEMPLATE.read_text(encoding="utf-8"),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
    finally:
        moto_log.setLevel(level)
    replay_skipped(stack)


def replay_skipped(stack: LocalStack) -> None:
    account = stack.client("sts").get_caller_identity()["Account"]
    # The threaded moto server shares this process's backends, so its resolver is at hand.
    resource_map = (
        cloudformation_backends[account][stack.region].get_stack(MONITOR_STACK).resource_map
    )
    template = load(str(MONITOR_TEMPLATE))
    schedule = clean_json(template["Resources"]["Schedule"]["Properties"], resource_map)
    # CloudFormation names the schedule (the template leaves the name out); so does this.
    stack.client("scheduler").create_schedule(Name=SCHEDULE_NAME, **schedule)
    digest = clean_json(template["Resources"]["DigestSchedule"]["Properties"], resource_map)
    stack.client("scheduler").create_schedule(Name=DIGEST_SCHEDULE_NAME, **digest)
    alarm = clean_json(template["Resources"]["HeartbeatAlarm"]["Properties"], resource_map)
    stack.client("cloudwatch").put_metric_alarm(**alarm)


def resource_types(stack: LocalStack) -> dict[str, tuple[str, str]]:
    summaries = stack.client("cloudformation").list_stack_resources(StackName=MONITOR_STACK)
    return {
        r["LogicalResourceId"]: (r["ResourceType"], r.get("PhysicalResourceId", ""))
        for r in summaries["StackResourceSummaries"]
        if r["LogicalResourceId"]
    }


def policy_document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        document: dict[str, Any] = json.loads(raw)
    except ValueError:
        # moto keeps an inline policy from CloudFormation as the Python repr of its dict.
        document = ast.literal_eval(raw)
    return document


def schedule(stack: LocalStack) -> dict[str, Any]:
    found: dict[str, Any] = stack.client("scheduler").get_schedule(Name=SCHEDULE_NAME)
    return found


def test_the_monitor_stack_is_created_beside_the_main_one(stack: LocalStack) -> None:
    cloudformation = stack.client("cloudformation")
    described = cloudformation.describe_stacks(StackName=MONITOR_STACK)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    assert outputs["ParameterPath"] == "/ceilingwatch/staging/"
    # What moto's CloudFormation itself creates: the parameters and the role, nothing else.
    created = {name: kind for name, (kind, physical) in resource_types(stack).items() if physical}
    assert created == {
        "ConcurrencyLimitParameter": "AWS::SSM::Parameter",
        "WarningPercentParameter": "AWS::SSM::Parameter",
        "CriticalPercentParameter": "AWS::SSM::Parameter",
        "SchedulerRole": "AWS::IAM::Role",
        "MonitorMetricsParameter": "AWS::SSM::Parameter",
    }
    # The rest are the types the fixture replays: nothing in the template is left out.
    declared = {name: r["Type"] for name, r in load(str(MONITOR_TEMPLATE))["Resources"].items()}
    assert declared == created | SKIPPED_BY_MOTO


def test_the_new_monitors_parameters_exist_and_the_main_ones_are_untouched(
    stack: LocalStack,
) -> None:
    ssm = stack.client("ssm")

    def values(monitor: str) -> dict[str, tuple[str, str]]:
        found = ssm.get_parameters_by_path(Path=f"/ceilingwatch/{monitor}")["Parameters"]
        return {p["Name"].rsplit("/", 1)[1]: (p["Type"], p["Value"]) for p in found}

    assert values("staging") == {
        "concurrency-limit": ("String", "20"),
        "warning-percent": ("String", "80"),
        "critical-percent": ("String", "95"),
        "monitor-metrics": ("String", "true"),
    }
    assert values("main")["concurrency-limit"] == ("String", "50")


def test_the_scheduler_role_names_only_the_main_function_and_queue(stack: LocalStack) -> None:
    iam = stack.client("iam")
    role_name = resource_types(stack)["SchedulerRole"][1]
    resources = set()
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        for statement in policy_document(document)["Statement"]:
            resources.add((statement["Action"], statement["Resource"]))
    assert resources == {
        ("lambda:InvokeFunction", stack.outputs["CheckFunctionArn"]),
        ("sqs:SendMessage", stack.outputs["DeadLetterQueueArn"]),
    }


def test_the_schedule_targets_the_main_function_with_the_monitors_input(stack: LocalStack) -> None:
    found = schedule(stack)
    assert found["ScheduleExpression"] == "cron(1/5 * * * ? *)"
    assert found["ScheduleExpressionTimezone"] == "UTC"
    assert found["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 3}
    target = found["Target"]
    assert target["Arn"] == stack.outputs["CheckFunctionArn"]
    assert target["DeadLetterConfig"]["Arn"] == stack.outputs["DeadLetterQueueArn"]
    assert target["RoleArn"].endswith("/" + resource_types(stack)["SchedulerRole"][1])
    assert json.loads(target["Input"])["monitor"] == "staging"


def test_the_heartbeat_alarm_watches_the_new_monitor_and_tells_the_main_topic(
    stack: LocalStack,
) -> None:
    alarms = stack.client("cloudwatch").describe_alarms(
        AlarmNames=["ceilingwatch-staging-heartbeat"]
    )
    (alarm,) = alarms["MetricAlarms"]
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        "service": "ceilingwatch",
        "monitor": "staging",
    }
    assert alarm["AlarmActions"] == [stack.outputs["AlertTopicArn"]]
    # The main stack's own heartbeat is still its own.
    main = stack.client("cloudwatch").describe_alarms(AlarmNames=["ceilingwatch-main-heartbeat"])
    assert len(main["MetricAlarms"]) == 1


def test_the_main_function_runs_the_new_monitor_from_its_schedule_input(stack: LocalStack) -> None:
    # Only the secrets: the limit is the one the monitor stack put in SSM.
    with harness(stack, flat_scenario(5), "staging", limit=None) as h:
        at = START + timedelta(hours=2, minutes=1)
        h.ultravox.set_clock(at)
        # The scheduler fills in its placeholders; the rest of the input is the template's.
        text = schedule(stack)["Target"]["Input"]
        text = text.replace("<aws.scheduler.scheduled-time>", at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        text = text.replace("<aws.scheduler.execution-id>", "staging-exec-1")
        text = text.replace("<aws.scheduler.attempt-number>", "1")
        result = lambda_handler(json.loads(text), Context(), dependencies=h.deps)
        assert result["monitor"] == "staging"
        assert result["limit"] == 20
        assert result["peak"] == 5
        assert result["status"] == "OK"
        assert h.state()["status"] == "OK"


def test_the_digest_schedule_sends_this_monitors_digest_to_the_main_function(
    stack: LocalStack,
) -> None:
    found = stack.client("scheduler").get_schedule(Name=DIGEST_SCHEDULE_NAME)
    assert found["ScheduleExpression"] == "cron(0 9 ? * MON *)"
    assert found["Target"]["Arn"] == stack.outputs["CheckFunctionArn"]
    assert json.loads(found["Target"]["Input"])["action"] == "digest"
    assert json.loads(found["Target"]["Input"])["monitor"] == "staging"
