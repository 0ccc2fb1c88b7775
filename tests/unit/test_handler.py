"""The Lambda handler: thin wiring, one decision line, EMF metrics, visible failures, no secrets."""

from __future__ import annotations

import io
import json
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from ceilingwatch.common.errors import AwsServiceError, RunCrashedError, UltravoxAuthError
from ceilingwatch.common.observability import RedactingFormatter, logger, redact
from ceilingwatch.handler import lambda_handler

from tests.support.builders import API_KEY, WEBHOOK
from tests.support.fakes import World

EVENTS = Path(__file__).parents[2] / "events"


@dataclass
class Context:
    function_name: str = "ceilingwatch-check"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ceilingwatch-check"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("opted_in", [False, True])
def test_scheduled_event_is_judged_logged_and_measured(
    log: io.StringIO, capsys: pytest.CaptureFixture[str], opted_in: bool
) -> None:
    world = World()
    world.ultravox.peak_at = lambda start: 48
    assert world.parameters.cfg is not None
    world.parameters.cfg = replace(world.parameters.cfg, monitor_metrics=opted_in)
    event = json.loads((EVENTS / "scheduled-tick.json").read_text())
    result = lambda_handler(event, Context(), dependencies=world.dependencies())
    assert result["status"] == "CRITICAL" and result["utilization"] == 96.0
    decisions = [line for line in lines(log.getvalue()) if line["message"].startswith("decision")]
    assert len(decisions) == 1
    assert decisions[0]["decision"]["reason"].startswith("peak 48 of 50 calls (96%)")
    # Every per-monitor figure is in the decision line, which costs nothing per monitor.
    assert decisions[0]["decision"]["peak"] == 48 and decisions[0]["decision"]["utilization"] == 96
    # Metrics print to stdout, which pytest takes back from the fixture for the test itself.
    emf = [line for line in lines(capsys.readouterr().out) if "_aws" in line]
    per_monitor = [e for e in emf if "monitor" in e]
    # Two custom metrics for a monitor that opted in (monitor-metrics), none otherwise.
    assert {n for e in per_monitor for n in metric_names(e)} == (
        {"PeakCalls", "UtilizationPercent"} if opted_in else set()
    )
    if opted_in:
        assert all(e["monitor"] == "default" for e in per_monitor)
        [utilisation] = [e for e in per_monitor if "UtilizationPercent" in e]
        assert utilisation["UtilizationPercent"] in (96.0, [96.0])
    assert decisions[0]["decision"]["level"] == 2 and decisions[0]["decision"]["limit"] == 50
    # The notification went out: counted once for the whole deployment, not per monitor.
    [sent] = [e for e in emf if "NotificationsSent" in metric_names(e)]
    assert sent["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert "monitor" not in sent and sent["NotificationsSent"] in (2.0, [2.0])


def metric_names(emf: dict[str, Any]) -> set[str]:
    return {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


def test_a_judged_failure_is_stored_and_ends_without_an_exception(
    log: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    # One problem, one signal: the monitor's ERROR and RunFailures, not a Lambda error on top.
    world = World()
    world.ultravox.errors = [
        UltravoxAuthError("Ultravox rejected the API key (HTTP 401)", "put a valid key")
    ]
    result = lambda_handler(
        {"monitor": "prod", "scheduledTime": "2026-11-24T14:36:00Z"},
        Context(),
        dependencies=world.dependencies(),
    )
    assert result["status"] == "ERROR"
    assert world.states.items["prod"].status == "ERROR"
    decision = next(line for line in lines(log.getvalue()) if "decision" in line)
    assert decision["decision"]["fix"] == "put a valid key"
    emf = [line for line in lines(capsys.readouterr().out) if "_aws" in line]
    assert emf[0]["RunFailures"] in (1.0, [1.0])


def test_a_run_that_cannot_store_anything_fails_for_the_retry(log: io.StringIO) -> None:
    world = World()

    def down(monitor: str) -> None:
        raise AwsServiceError("could not read the alert state in DynamoDB table state", "wait")

    world.states.load = down  # type: ignore[method-assign]
    with pytest.raises(AwsServiceError):
        lambda_handler({"monitor": "prod"}, Context(), dependencies=world.dependencies())
    assert "could not read the alert state" in log.getvalue()


def test_secrets_never_reach_the_log(log: io.StringIO) -> None:
    redact(API_KEY, WEBHOOK)
    logger.info(f"oops {API_KEY}", extra={"url": WEBHOOK})
    try:
        raise RuntimeError(WEBHOOK)
    except RuntimeError:
        logger.exception("boom")
    out = log.getvalue()
    assert API_KEY not in out and WEBHOOK not in out
    assert out.count("****") >= 3


def test_a_bad_event_is_logged_with_what_to_fix(log: io.StringIO) -> None:
    from ceilingwatch.common.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        lambda_handler({"monitr": "typo"}, Context(), dependencies=World().dependencies())
    failure = next(line for line in lines(log.getvalue()) if line["message"] == "run failed")
    assert "names no valid monitor" in failure["problem"]
    assert '{"monitor": "prod"}' in failure["fix"]


def test_without_the_xray_sdk_the_handler_is_left_as_it_is() -> None:
    from ceilingwatch.common.observability import UntracedHandler

    def handler(event: dict, context: object) -> str:
        return "judged"

    wrapped = UntracedHandler().capture_lambda_handler(capture_response=False)(handler)
    assert wrapped is handler


def test_an_unexpected_failure_keeps_no_secret_in_what_the_runtime_keeps(log: io.StringIO) -> None:
    # The runtime prints the exception's text, and the dead-letter queue keeps it.
    world = World()

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"proxy said: bad X-API-Key {API_KEY} for {WEBHOOK}")

    world.ultravox.concurrency = crash  # type: ignore[assignment,method-assign]
    RedactingFormatter._secrets.difference_update({API_KEY, WEBHOOK})
    deps = world.dependencies()
    deps.on_secrets = redact  # as the composition root wires it: loading registers them
    with pytest.raises(RunCrashedError) as caught:
        lambda_handler({"monitor": "prod"}, Context(), dependencies=deps)
    text = "".join(traceback.format_exception(caught.value)) + log.getvalue()
    assert API_KEY not in text and WEBHOOK not in text
    assert "RuntimeError: proxy said: bad X-API-Key ****" in str(caught.value)


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"id-{n}", "body": body, "eventSource": "aws:sqs"}
            for n, body in enumerate(bodies)
        ]
    }


def test_an_sqs_batch_reports_only_the_messages_that_failed() -> None:
    world = World()
    world.ultravox.peak_at = lambda start: 10
    good = json.dumps({"monitor": "default", "scheduledTime": "2026-11-24T14:31:00Z"})
    answer = lambda_handler(
        sqs_event("{not json", good, json.dumps({"monitor": "bad name!"})),
        Context(),
        dependencies=world.dependencies(),
    )
    # The poison and the bad event are retried then dead-lettered; the good one was judged.
    assert answer == {"batchItemFailures": [{"itemIdentifier": "id-0"}, {"itemIdentifier": "id-2"}]}
    assert world.states.load("default") is not None


def test_the_test_action_is_claimed_by_lambda_s_request_id_which_its_retry_keeps() -> None:
    world = World()
    deps = world.dependencies()
    event = {"monitor": "prod", "action": "test"}  # as `make test-alert` sends it: no id
    lambda_handler(event, Context(aws_request_id="req-7"), dependencies=deps)
    again = lambda_handler(event, Context(aws_request_id="req-7"), dependencies=deps)
    assert "duplicate" in again["skipped"] and again["notifications"] == []
    assert len(world.email.sent) == len(world.slack.sent) == 1
    assert world.states.items["prod"].told.events == ("req-7",)
    lambda_handler(event, Context(aws_request_id="req-8"), dependencies=deps)
    assert len(world.email.sent) == 2  # a new request is a new test
    context = Context(aws_request_id="req-9")
    named = lambda_handler(event | {"executionId": "ex-1"}, context, dependencies=deps)
    assert named["skipped"] == "" and world.states.items["prod"].told.events[-1] == "ex-1"
