"""The real handler, over real sockets, against moto's server, the simulator and the catcher."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from ceilingwatch.common.errors import DeliveryError
from ceilingwatch.handler import lambda_handler

from infra.demo.timeline import Context
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Fault
from tests.support.harness import START, flat_scenario, harness
from tests.support.openapi_contract import validate_request

T = START + timedelta(hours=2, minutes=1)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "itest", "ConcurrencyLimit": "50"}) as local:
        yield local


def test_a_critical_peak_reaches_email_and_slack(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(48), "critical") as h:
        result = h.invoke(T)
        assert result["status"] == "CRITICAL"
        assert h.subjects() == ["[CRITICAL] critical: 48/50 concurrent calls (96%)"]
        attributes = h.emails()[0]["MessageAttributes"]
        assert attributes["severity"]["Value"] == "CRITICAL"
        assert len(h.slack.messages) == 1
        assert h.slack.messages[0]["text"].startswith("🟠 [CRITICAL] critical: 48/50")
        assert h.state()["status"] == "CRITICAL"


def test_the_same_tick_delivered_twice_sends_one_message(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(48), "twice") as h:
        h.invoke(T, "exec-1")
        second = h.invoke(T, "exec-1")
        assert second["skipped"].startswith("tick already judged")
        h.invoke(T + timedelta(minutes=5))  # the next tick, same level: not news either
        assert len(h.subjects()) == 1 and len(h.slack.messages) == 1


def test_two_overlapping_runs_of_one_tick_send_one_message(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(48), "overlap") as h:
        # Both runs read the empty state, then wait on Ultravox, then race to write.
        h.ultravox.inject(Fault("delay", seconds=0.5), times=2)
        h.ultravox.set_clock(T)
        results: list[dict] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                results.append(h.invoke(T, "exec-overlap"))
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert errors == []
        skipped = sorted(r["skipped"] for r in results)
        assert skipped == ["", "another run judged this monitor first"]
        assert len(h.subjects()) == 1 and len(h.slack.messages) == 1


def test_slack_down_still_emails(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(48), "slackdown") as h:
        h.slack.respond_with(500, times=2)
        result = h.invoke(T)
        assert result["notifications"][0]["slack"] == "failed: Slack answered HTTP 500"
        assert len(h.subjects()) == 1


def test_sns_down_still_posts_to_slack(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(48), "snsdown") as h:
        h.rebuild(ALERT_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:no-such-topic")
        result = h.invoke(T)
        assert result["notifications"][0]["email"].startswith("failed: SNS refused the message")
        assert len(h.slack.messages) == 1


def test_every_channel_down_fails_the_run_and_the_retry_delivers(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(48), "alldown") as h:
        h.rebuild(ALERT_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:no-such-topic")
        h.slack.respond_with(500, times=2)
        with pytest.raises(DeliveryError, match="stays owed"):
            h.invoke(T)
        assert "raised" in h.state()["outbox"]
        h.rebuild(CEILINGWATCH_OUTBOX_GRACE="0")  # the retry comes after the failed run's timeout
        h.invoke(T)  # Lambda's retry of the same event
        assert len(h.subjects()) == 1 and len(h.slack.messages) == 1
        assert "outbox" not in h.state()


def test_a_bad_key_is_stored_as_error_and_alerts_on_the_third_run(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(10), "badkey") as h:
        h.put("ultravox-api-key", "uvx-wrong-key-000000", secure=True)
        for i in range(3):
            # Judged and stored: the ERROR alert is the signal, not a Lambda error as well.
            result = h.invoke(T + timedelta(minutes=5 * i))
            assert result["status"] == "ERROR" and "HTTP 401" in result["problem"]
        assert h.subjects() == ["[ERROR] badkey: ceilingwatch cannot judge the ceiling"]
        body = h.emails()[0]["Message"]
        assert "put a valid key in /ceilingwatch/badkey/ultravox-api-key" in body
        assert h.state()["status"] == "ERROR"
        h.put("ultravox-api-key", h.api_key, secure=True)
        h.invoke(T + timedelta(minutes=15))
        assert h.subjects()[-1].startswith("[OK] badkey: ceilingwatch is judging again")


def test_a_missing_limit_is_named(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(10), "nolimit") as h:
        h.stack.client("ssm").delete_parameter(Name="/ceilingwatch/nolimit/concurrency-limit")
        result = h.invoke(T)
        assert result["status"] == "ERROR"
        assert "/ceilingwatch/nolimit/concurrency-limit is missing" in result["problem"]
        # Never valid, so nothing to judge with: a CONFIG notice says so at once.
        (subject,) = h.subjects()
        assert subject == "[CONFIG] nolimit: concurrency-limit invalid; nothing can be judged"


def test_a_changed_threshold_takes_effect_on_the_next_run(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(30), "tune") as h:
        h.invoke(T)
        h.put("warning-percent", "55")
        h.put("warning-recovery-percent", "50")
        h.invoke(T + timedelta(minutes=5))
        assert h.subjects() == ["[WARNING] tune: 30/50 concurrent calls (60%)"]


def test_the_test_action_reaches_every_channel_once_claimed_by_lambda_s_request_id(
    stack: LocalStack,
) -> None:
    with harness(stack, flat_scenario(10), "testalert") as h:
        assert h.deps is not None
        event = {"monitor": h.monitor, "action": "test"}  # as `make test-alert` sends it
        context = Context()
        first = lambda_handler(event, context, dependencies=h.deps)
        # Lambda's retry (or a duplicate delivery) of the same invocation: its request id.
        again = lambda_handler(event, context, dependencies=h.deps)
        assert first["status"] == "TEST" and "duplicate" in again["skipped"]
        assert h.subjects() == ["[TEST] testalert: test alert from ceilingwatch"]
        assert len(h.slack.messages) == 1
        assert h.slack.messages[0]["text"].startswith("🧪 [TEST]")
        state = h.state()
        assert state["handled_events"] == context.aws_request_id and "outbox" not in state
        assert "last_tick" not in state  # nothing judged
        lambda_handler(event, Context(), dependencies=h.deps)  # a new request: a new test
        assert len(h.subjects()) == 2


def test_the_client_requests_match_the_openapi_document(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(10), "contract") as h:
        h.invoke(T)
        requests = h.ultravox.requests
        assert {r.path for r in requests} == {
            "/api/accounts/me/usage/concurrency",
            "/api/accounts/me",
        }
        for request in requests:
            assert request.api_key_present
            validate_request(request.method, request.path, request.query)
        series = next(r for r in requests if r.path.endswith("/concurrency"))
        assert series.query == {
            "bucket": "5min",
            "start": "2026-11-24T13:00:00Z",
            "end": "2026-11-24T14:01:00Z",
        }
