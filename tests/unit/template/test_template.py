"""What a reviewer checks in template.yaml: no secrets, least privilege, alerts wired right."""

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

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
SECRET_WORDS = re.compile(r"key|secret|webhook|token|password", re.IGNORECASE)

# (resource, Sid) of the statements allowed a bare "*" Resource, and why.
JUSTIFIED_STAR_RESOURCES = {
    # In a key policy "*" means the key the policy is attached to.
    ("AlertKey", "AccountAdministersKeyThroughIam"),
    ("AlertKey", "CloudWatchAlarmsPublishToEncryptedTopic"),
    # DescribeParameters has no resource-level permission; it lists names, never values.
    ("FanoutFunctionRole", "ListMonitors"),
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
    # Imported here: samtranslator takes a second to import, and only two tests need it.
    import boto3

    from infra.local_stack.sam_transform import translate

    session = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return translate(TEMPLATE, {"MonitorName": "demo", "ConcurrencyLimit": "50"}, session)


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
        "DigestScheduleExpression",
        "UltravoxApiBaseUrl",
        "TopicKmsArn",
        "PagerDutyEventsUrl",
        "ChatbotTopicArnPattern",
        "LogRetentionInDays",
        "ReservedConcurrency",
        "MaximumConcurrency",
    }
    # Only the monitor's name and its limit have no default: `sam deploy --guided` asks for them.
    assert parameters["TopicKmsArn"]["Default"] == ""
    assert parameters["ConcurrencyLimit"]["Type"] == "Number"
    assert parameters["ConcurrencyLimit"]["MinValue"] == 1
    assert parameters["AlertEmail"]["Default"] == ""
    assert parameters["ScheduleExpression"]["Default"] == "cron(1/5 * * * ? *)"
    # A new account (concurrency quota 10) cannot reserve any: unreserved unless asked.
    assert parameters["ReservedConcurrency"]["Default"] == 0
    assert parameters["DigestScheduleExpression"]["Default"] == "cron(0 9 ? * MON *)"


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
    # ReservedConcurrency 0 leaves the property out: no reservation at all.
    assert fn["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReservesConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    assert template()["Conditions"]["ReservesConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]}]
    }
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
    # Amazon Q Developer's topic: publish only, only where the deployer's pattern says.
    chatbot = by_sid["PublishToAmazonQDeveloper"]
    assert (chatbot["Action"], chatbot["Resource"]) == (
        "sns:Publish",
        {"Fn::If": ["HasChatbotTopic", {"Ref": "ChatbotTopicArnPattern"}, {"Ref": "AlertTopic"}]},
    )
    pattern = re.compile(template()["Parameters"]["ChatbotTopicArnPattern"]["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("arn:aws:sns:eu-west-1:123456789012:cw-*")
    assert not pattern.fullmatch("*") and not pattern.fullmatch("arn:aws:sns:*:*:*")


def fanout() -> dict[str, Any]:
    props: dict[str, Any] = template()["Resources"]["FanoutFunction"]["Properties"]
    return props


def test_one_schedule_ticks_the_fan_out_with_the_scheduler_identity() -> None:
    assert "Schedule" not in function()["Events"] and "DigestSchedule" not in function()["Events"]
    schedule = fanout()["Events"]["Schedule"]
    assert schedule["Type"] == "ScheduleV2"
    props = schedule["Properties"]
    assert props["ScheduleExpressionTimezone"] == "UTC"
    # The fan-out spreads the monitors itself (SQS delays): its own tick is on time.
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    assert props["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert json.loads(props["Input"]) == {
        "scheduledTime": "<aws.scheduler.scheduled-time>",
        "executionId": "<aws.scheduler.execution-id>",
    }


def test_the_check_function_takes_the_fleet_queue_capped_by_a_parameter() -> None:
    event = function()["Events"]["FleetQueue"]
    assert event["Type"] == "SQS"
    props = event["Properties"]
    assert props["Queue"] == {"Fn::GetAtt": ["FleetQueue", "Arn"]}
    assert props["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == 1  # one monitor an invocation: a hang never delays another
    queue = template()["Resources"]["FleetQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }
    assert queue["VisibilityTimeout"] >= 6 * function()["Timeout"]
    parameter = template()["Parameters"]["MaximumConcurrency"]
    assert parameter["MinValue"] == 2 and parameter["MaxValue"] == 1000


def test_parameter_store_changes_under_the_prefix_reach_the_function() -> None:
    rule = function()["Events"]["ParameterChanges"]
    assert rule["Type"] == "EventBridgeRule"
    pattern = rule["Properties"]["Pattern"]
    prefix = function()["Environment"]["Variables"]["CEILINGWATCH_PARAMETER_PREFIX"]
    assert pattern == {
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "detail": {"name": [{"prefix": prefix + "/"}]},
    }
    sample = json.loads((TEMPLATE.parent / "events" / "parameter-change.json").read_text())
    assert sample["source"] == "aws.ssm" and sample["detail"]["name"].startswith(prefix + "/")


def test_sample_scheduled_event_matches_the_fanned_out_event() -> None:
    from ceilingwatch.domain.tick import Tick
    from ceilingwatch.services.fanout import _event

    event = json.loads((TEMPLATE.parent / "events" / "scheduled-tick.json").read_text())
    tick = Tick.from_event(event, datetime(2030, 1, 1, tzinfo=UTC))
    fanned = _event(event["monitor"], event["scheduledTime"], tick)
    # What an old per-monitor schedule sends (with its attempt number) and the fan-out queues.
    assert set(event) - {"attempt"} == set(fanned)


def test_heartbeat_alarm_watches_the_metric_powertools_emits() -> None:
    heartbeat = template()["Resources"]["HeartbeatAlarm"]["Properties"]
    assert (
        heartbeat["Namespace"]
        == function()["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    )
    # The deployment's heartbeat is the fan-out's: each completed tick counts one.
    assert heartbeat["MetricName"] == "FanoutTicks"
    assert heartbeat["Dimensions"] == [{"Name": "service", "Value": "ceilingwatch"}]
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


def dashboard() -> dict[str, Any]:
    body = template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    return dict(json.loads(sub_text(body, MonitorName="demo")))


# What the handler emits: two metrics per monitor, and counts for the whole deployment.
PER_MONITOR = {"PeakCalls", "UtilizationPercent"}
DEPLOYMENT_WIDE = {"NotificationsSent", "NotificationFailures", "RunFailures"}


def test_dashboard_metrics_carry_the_dimensions_the_handler_emits() -> None:
    names = set()
    for widget in dashboard()["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            namespace, name, *dimensions = (m for m in metric if isinstance(m, str))
            names.add(name)
            if name in PER_MONITOR:
                assert dimensions == ["service", "ceilingwatch", "monitor", "demo"], metric
            elif name in DEPLOYMENT_WIDE:
                assert dimensions == ["service", "ceilingwatch"], metric
            else:
                assert namespace == "AWS/Lambda", metric
                assert dimensions == ["FunctionName", "<CheckFunction>"], metric
    assert PER_MONITOR | DEPLOYMENT_WIDE | {"Errors", "Duration"} == names


def test_level_and_limit_come_from_the_decision_lines_not_metrics() -> None:
    queries = [w["properties"]["query"] for w in dashboard()["widgets"] if w["type"] == "log"]
    assert any("decision.level" in q and "decision.limit" in q for q in queries)
    assert all(q.startswith("SOURCE '<CheckFunctionLogGroup>'") for q in queries)


def test_the_count_alarm_matches_the_deployment_wide_count() -> None:
    alarm = template()["Resources"]["NotificationFailuresAlarm"]["Properties"]
    assert alarm["MetricName"] == "NotificationFailures"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "ceilingwatch"}]
    # Sent only when a channel failed: no datapoint is the healthy case.
    assert alarm["TreatMissingData"] == "notBreaching"


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
        "InteractionsFunctionName",
        "SlackInteractivityUrl",
        "UltravoxWebhookUrl",
        "LiveCallsTableName",
        "FanoutFunctionName",
        "FleetQueueUrl",
    }
    assert template()["Outputs"]["SlackInteractivityUrl"]["Value"] == {
        "Fn::GetAtt": ["InteractionsFunctionUrl", "FunctionUrl"]
    }
    assert template()["Outputs"]["ParameterPath"]["Value"] == {
        "Fn::Sub": "/ceilingwatch/${MonitorName}/"
    }


def test_interactions_function_may_only_read_parameters_and_the_state_item() -> None:
    fn = template()["Resources"]["InteractionsFunction"]["Properties"]
    assert fn["Handler"] == "ceilingwatch.interactions.lambda_handler"
    assert fn["FunctionUrlConfig"] == {"AuthType": "NONE"}  # Slack's signature is the auth
    assert fn["Timeout"] <= 5
    granted = {
        s["Sid"]: (sorted(as_list(s["Action"])), s["Resource"])
        for policy in fn["Policies"]
        for s in policy["Statement"]
    }
    assert granted == {
        "ReadMonitorConfiguration": (
            ["ssm:GetParametersByPath"],
            {
                "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
                ":parameter/ceilingwatch/*"
            },
        ),
        "DecryptSecureStringParameters": (
            ["kms:Decrypt"],
            {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"},
        ),
        "ReadWriteAlertState": (
            ["dynamodb:GetItem", "dynamodb:PutItem"],
            {"Fn::GetAtt": ["StateTable", "Arn"]},
        ),
    }
    variables = fn["Environment"]["Variables"]
    assert not any(SECRET_WORDS.search(name) for name in variables)


def test_sam_transform_gives_the_scheduler_only_invoke_and_dead_letter_rights() -> None:
    roles = resources("AWS::IAM::Role", deployed())
    scheduler_roles = [r for name, r in roles.items() if "Schedule" in name]
    assert len(scheduler_roles) == 2  # the checks and the weekly digest
    for scheduler_role in scheduler_roles:
        actions = {
            action
            for policy in scheduler_role["Properties"]["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]
            for action in as_list(statement["Action"])
        }
        assert actions == {"lambda:InvokeFunction", "sqs:SendMessage"}


def test_the_digest_schedule_sends_the_digest_action_on_mondays() -> None:
    schedules = resources("AWS::Scheduler::Schedule", deployed())
    [digest] = [s for s in schedules.values() if "digest" in str(s["Properties"]["Target"])]
    target = digest["Properties"]["Target"]
    sent = json.loads(target["Input"])
    # The fan-out queues the digest for every registered monitor.
    assert sent["action"] == "digest" and "monitor" not in sent
    assert digest["Properties"]["ScheduleExpression"] == {"Ref": "DigestScheduleExpression"}


def test_every_parameter_is_described_in_exactly_one_console_group() -> None:
    groups = template()["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template()["Parameters"])
    for name, parameter in template()["Parameters"].items():
        assert len(parameter.get("Description", "")) > 20, name


def test_pagerduty_host_is_the_us_or_the_eu_one_and_reaches_the_function() -> None:
    parameter = template()["Parameters"]["PagerDutyEventsUrl"]
    assert parameter["Default"] == "https://events.pagerduty.com/v2/enqueue"
    assert parameter["AllowedValues"] == [
        "https://events.pagerduty.com/v2/enqueue",
        "https://events.eu.pagerduty.com/v2/enqueue",
    ]
    variables = function()["Environment"]["Variables"]
    assert variables["CEILINGWATCH_PAGERDUTY_EVENTS_URL"] == {"Ref": "PagerDutyEventsUrl"}


def test_log_retention_is_a_parameter_of_the_values_cloudwatch_accepts() -> None:
    parameter = template()["Parameters"]["LogRetentionInDays"]
    assert parameter["Default"] == 30
    assert {1, 30, 365, 3653} <= set(parameter["AllowedValues"])
    group = template()["Resources"]["CheckFunctionLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert function()["LoggingConfig"]["LogGroup"] == {"Ref": "CheckFunctionLogGroup"}


def test_a_failed_tick_expires_long_before_lambdas_six_hours() -> None:
    invoke = function()["EventInvokeConfig"]
    # Long enough for both retries (Lambda waits about 1 and 2 minutes), short of an hour.
    assert 300 <= invoke["MaximumEventAgeInSeconds"] <= 3600


def test_serverless_repo_metadata_names_files_that_exist_and_the_one_version() -> None:
    from ceilingwatch import __version__

    app = template()["Metadata"]["AWS::ServerlessRepo::Application"]
    root = TEMPLATE.parent
    assert app["SpdxLicenseId"] == "MIT"
    assert (root / app["LicenseUrl"]).read_text(encoding="utf-8").startswith("MIT License")
    assert (root / app["ReadmeUrl"]).read_text(encoding="utf-8").startswith("# ceilingwatch")
    assert app["SemanticVersion"] == __version__
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    [latest] = re.findall(r"^## (\S+)", changelog, re.MULTILINE)[:1]
    assert latest == __version__


def test_sample_events_name_the_monitor_a_default_deploy_creates() -> None:
    # The README invokes the deployed function with these files: a name the stack has no
    # parameters for fails with "concurrency-limit is missing".
    default = template()["Parameters"]["MonitorName"]["Default"]
    for path in sorted((TEMPLATE.parent / "events").glob("*.json")):
        event = json.loads(path.read_text())
        # A Parameter Store change names its monitor in the parameter's path.
        monitor = event.get("monitor") or event["detail"]["name"].split("/")[2]
        assert monitor == default, path.name


@pytest.mark.parametrize("path", [TEMPLATE, TEMPLATE.parent / "infra" / "monitor.yaml"])
def test_templates_and_the_code_agree_on_monitor_names(path: Path) -> None:
    from ceilingwatch.domain.config import MONITOR_NAME, is_monitor_name

    parameter = load(str(path))["Parameters"]["MonitorName"]
    assert parameter["AllowedPattern"] == f"^{MONITOR_NAME.pattern}$"
    for name in ("default", "prod-eu_1", "a" * 64, "prod.eu", "", "-x", "a/b", "a" * 65, "é"):
        assert is_monitor_name(name) is bool(re.fullmatch(parameter["AllowedPattern"], name))


def test_the_slack_app_manifest_asks_only_to_post_and_sends_clicks_to_the_function() -> None:
    manifest = load(str(TEMPLATE.parent / "infra" / "slack-app-manifest.yaml"))
    assert manifest["oauth_config"]["scopes"] == {"bot": ["chat:write"]}
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].startswith("https://")
    assert ".lambda-url." in interactivity["request_url"]
    assert manifest["settings"]["token_rotation_enabled"] is False
