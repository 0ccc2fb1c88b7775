"""The README's first deploy, offline: secrets first, real parameter values, no failed run."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ceilingwatch.bootstrap import build_dependencies
from ceilingwatch.handler import lambda_handler

from infra.demo.timeline import Context
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import UltravoxSimulator
from infra.standins.slack_catcher import SlackCatcher
from tests.support.harness import START, flat_scenario

REPO = Path(__file__).resolve().parents[2]
API_KEY = "uvx-first-deploy-key"
# What a user answers to `sam deploy --guided`, every parameter set to a non-default value.
ANSWERS = {
    "MonitorName": "default",
    "ConcurrencyLimit": "40",
    "AlertEmail": "oncall@example.com",
    "ScheduleExpression": "cron(2/5 * * * ? *)",
    "TopicKmsArn": "",
    "UltravoxApiBaseUrl": "https://api.ultravox.ai",
    "PagerDutyEventsUrl": "https://events.eu.pagerduty.com/v2/enqueue",
    "LogRetentionInDays": "90",
}

pytestmark = pytest.mark.integration


@pytest.fixture
def world() -> Iterator[tuple[LocalStack, UltravoxSimulator, SlackCatcher]]:
    stack = LocalStack(parameters=ANSWERS)
    stack.serve()
    try:
        with (
            UltravoxSimulator(flat_scenario(12), API_KEY) as ultravox,
            SlackCatcher() as slack,
        ):
            yield stack, ultravox, slack
    finally:
        stack.stop()


def shell_env(
    stack: LocalStack, slack: SlackCatcher, ultravox: UltravoxSimulator
) -> dict[str, str]:
    """A terminal pointed at the local account, as `make local` prints it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "AWS_DEFAULT_REGION": stack.region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "ULTRAVOX_API_BASE_URL": ultravox.base_url,
        "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES": slack.base_url + "/",
    }


# A test action measures nothing, and Powertools says so.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_secrets_then_deploy_then_a_quiet_first_run_and_a_test_alert(
    world: tuple[LocalStack, UltravoxSimulator, SlackCatcher], log: io.StringIO
) -> None:
    stack, ultravox, slack = world
    env = shell_env(stack, slack, ultravox)
    # Step 1 of the README, the command itself, before any stack exists.
    secrets = subprocess.run(
        ["make", "--no-print-directory", "secrets"],  # noqa: S607
        cwd=REPO,
        env=env,
        input=f"{API_KEY}\n{slack.webhook_url()}\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert secrets.returncode == 0, secrets.stdout + secrets.stderr
    assert API_KEY not in secrets.stdout + secrets.stderr
    # Step 2: the template with every parameter answered.
    stack.deploy()
    function = stack.client("lambda").get_function_configuration(
        FunctionName=stack.outputs["CheckFunctionName"]
    )
    variables = function["Environment"]["Variables"]
    assert variables["CEILINGWATCH_PAGERDUTY_EVENTS_URL"] == ANSWERS["PagerDutyEventsUrl"]
    groups = stack.client("logs").describe_log_groups()["logGroups"]
    # The check, interactions, webhook and fan-out functions' groups, all as answered.
    assert len(groups) == 4 and {g.get("retentionInDays") for g in groups} == {90}
    invoke = stack.client("lambda").get_function_event_invoke_config(
        FunctionName=stack.outputs["CheckFunctionName"]
    )
    assert invoke["MaximumEventAgeInSeconds"] == 900
    inbox = stack.subscribe_queue()
    # The first scheduled run after the deploy finds everything it needs.
    function_env = stack.function_environment() | {
        "ULTRAVOX_API_BASE_URL": ultravox.base_url,
        "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES": slack.base_url + "/",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in function_env.items():
            patch.setenv(key, value)
        deps = build_dependencies()
    tick = json.loads((REPO / "events" / "scheduled-tick.json").read_text())
    ultravox.set_clock(START.replace(hour=14, minute=36))
    tick["scheduledTime"] = "2026-11-24T14:36:00Z"
    result = lambda_handler(tick, Context(), dependencies=deps)
    assert result["status"] == "OK" and result["limit"] == 40
    # Step 3: the README's test alert, the sample event as it is, reaches both channels.
    test = json.loads((REPO / "events" / "test-alert.json").read_text())
    lambda_handler(test, Context(), dependencies=deps)
    assert len(slack.messages) == 1 and "TEST" in slack.messages[0]["text"]
    emails = stack.client("sqs").receive_message(QueueUrl=inbox).get("Messages", [])
    assert [json.loads(m["Body"])["Subject"].startswith("[TEST]") for m in emails] == [True]
    doctor = subprocess.run(
        [".venv/bin/ceilingwatch", "doctor", "--monitor", "default"],
        cwd=REPO,
        env=env | {"ALERT_TOPIC_ARN": stack.outputs["AlertTopicArn"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
