"""The fault matrix: one row per way an outside system misbehaves, against the local stack.

Each row asserts the state the monitor records, the log line that says why, what was sent on
each channel, and that neither secret leaked anywhere. The README's "what happens when" table
is this matrix.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from ceilingwatch.handler import lambda_handler

from infra.demo.timeline import Context
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Fault
from tests.support.harness import START, Harness, flat_scenario, harness

T = START + timedelta(hours=2, minutes=1)


@dataclass
class Row:
    """Given a fault, the run ends in `status`, logs `log`, raises or not, and sends `sent`."""

    name: str
    arrange: Callable[[Harness], None]
    status: str
    log: str
    raises: bool = False
    email: str = "none"  # "sent", "failed", "none"
    slack: str = "none"
    calls: int = 10  # traffic: 10 of 50 is OK, 48 is CRITICAL
    remaining_ms: int = 30_000
    parameters: dict[str, str] = field(default_factory=dict)


def ultravox(kind: str, times: int = 3, **options: Any) -> Callable[[Harness], None]:
    return lambda h: h.ultravox.inject(Fault(kind, **options), times=times)


def slack(status: int, times: int = 2, **options: Any) -> Callable[[Harness], None]:
    return lambda h: h.slack.respond_with(status, times=times, **options)


def aws_error(
    service: str, operation: str, code: str, status: int = 400
) -> Callable[[Harness], None]:
    """Short-circuits one AWS operation with an error, as the service would after retries."""

    def arrange(h: Harness) -> None:
        assert h.deps is not None
        client = {
            "ssm": h.deps.parameters.client,
            "dynamodb": h.deps.states.client,
            "sns": h.deps.channels.keywords["wiring"].sns(),  # type: ignore[attr-defined]
        }[service]

        def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            parsed = {
                "Error": {"Code": code, "Message": f"{code} (injected)"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            }
            return AWSResponse("https://aws.local", status, {}, None), parsed

        client.meta.events.register(f"before-call.{service}.{operation}", answer)

    return arrange


def ssm_value(name: str, value: str | None) -> Callable[[Harness], None]:
    def arrange(h: Harness) -> None:
        if value is None:
            h.stack.client("ssm").delete_parameter(Name=f"/ceilingwatch/{h.monitor}/{name}")
        else:
            h.put(name, value)

    return arrange


# Judged and stored as ERROR: the monitor's own alert, and the invocation ends without an error.
ERROR: dict[str, Any] = {"status": "ERROR", "email": "sent", "slack": "sent"}
# A configuration never valid: a CONFIG notice names the parameter at once, by email (without a
# valid configuration only the topic is known); the ERROR alert waits for the default 3 runs.
CONFIG_ERROR: dict[str, Any] = {"status": "ERROR", "email": "sent"}
CRITICAL_SENT: dict[str, Any] = {"status": "CRITICAL", "calls": 48}

ROWS = [
    # Ultravox
    Row("ultravox 401", ultravox("status", status=401), log="HTTP 401", **ERROR),
    Row("ultravox 403", ultravox("status", status=403), log="HTTP 403", **ERROR),
    Row("ultravox 404", ultravox("status", status=404), log="HTTP 404", **ERROR),
    Row(
        "ultravox 429 then ok",
        ultravox("status", times=1, status=429, retry_after="1"),
        status="OK",
        log="decision: OK",
    ),
    Row("ultravox 429 no Retry-After", ultravox("status", status=429), log="HTTP 429", **ERROR),
    Row("ultravox 500", ultravox("status", status=500), log="HTTP 500", **ERROR),
    Row("ultravox 502", ultravox("status", status=502), log="HTTP 502", **ERROR),
    Row("ultravox 503", ultravox("status", status=503, retry_after="1"), log="HTTP 503", **ERROR),
    Row("ultravox 504", ultravox("status", status=504), log="HTTP 504", **ERROR),
    Row("ultravox 503 once", ultravox("status", times=1, status=503), status="OK", log="decision"),
    Row(
        "ultravox slow past the timeout",
        ultravox("delay", seconds=4.0),
        log="did not answer",
        remaining_ms=8_500,
        **ERROR,
    ),
    Row("ultravox connection reset", ultravox("reset"), log="could not connect", **ERROR),
    Row("ultravox truncated body", ultravox("truncated"), log="could not connect", **ERROR),
    Row("ultravox HTML body", ultravox("html", times=1), log="not JSON", **ERROR),
    Row("ultravox plain text", ultravox("non_json", times=1), log="not JSON", **ERROR),
    Row("ultravox wrong types", ultravox("wrong_types", times=1), log="not an integer", **ERROR),
    Row("ultravox nulls", ultravox("nulls", times=1), log="not an integer", **ERROR),
    Row("ultravox negative counts", ultravox("negative", times=1), log="is negative", **ERROR),
    Row("ultravox missing field", ultravox("missing_field", times=1), log="lacks", **ERROR),
    Row("ultravox unsorted", ultravox("unsorted", times=1), status="OK", log="decision: OK"),
    Row(
        "ultravox duplicates",
        ultravox("duplicates", times=1),
        status="OK",
        log='"merged_duplicates":',
    ),
    Row(
        "ultravox buckets outside the window",
        ultravox("outside_window", times=1),
        status="OK",
        log='"outside_window":2',
    ),
    Row("ultravox very large series", ultravox("huge", times=1), status="OK", log="decision: OK"),
    Row(
        "ultravox answer past the size cap",
        ultravox("oversized", times=1),
        log="went past 8,388,608 bytes, over the 8 MiB limit",
        **ERROR,
    ),
    Row(
        "ultravox buckets off the 5-minute grid",
        ultravox("off_grid", times=1),
        log="off the 5-minute grid",
        **CRITICAL_SENT,
        email="sent",
        slack="sent",
    ),
    Row(
        "ultravox 503 echoing the key",
        ultravox("echo_key", status=503),
        log="HTTP 503: 'upstream refused the request with X-API-Key: ****",
        **ERROR,
    ),
    Row(
        "ultravox 400 echoing the key",
        ultravox("echo_key", status=400),
        log="HTTP 400: 'upstream refused the request with X-API-Key: ****",
        **ERROR,
    ),
    Row(
        "ultravox 200 echoing the key",
        ultravox("echo_key", status=200),
        log="answered text/x-echo-****, not JSON",
        **ERROR,
    ),
    Row("ultravox microseconds", ultravox("microseconds", times=1), status="OK", log="OK"),
    Row("ultravox +00:00 offsets", ultravox("offset", times=1), status="OK", log="decision: OK"),
    Row("ultravox empty series", ultravox("empty", times=1), status="NO_DATA", log="no buckets"),
    # SSM
    Row(
        "ssm missing limit",
        ssm_value("concurrency-limit", None),
        log="concurrency-limit is missing",
        **CONFIG_ERROR,
    ),
    Row(
        "ssm non-numeric limit",
        ssm_value("concurrency-limit", "fifty"),
        log="concurrency-limit = 'fifty' is not a whole number",
        **CONFIG_ERROR,
    ),
    Row(
        "ssm warning above critical",
        lambda h: (ssm_value("warning-percent", "97")(h), ssm_value("critical-percent", "95")(h)),
        log="warning-percent (97) must be below critical-percent (95)",
        **CONFIG_ERROR,
    ),
    Row(
        "ssm throttling",
        aws_error("ssm", "GetParametersByPath", "ThrottlingException"),
        log="ThrottlingException",
        status="ERROR",
    ),
    # DynamoDB: no state, so nothing may be sent; the run fails and is retried.
    Row(
        "dynamodb throttling on read",
        aws_error("dynamodb", "GetItem", "ProvisionedThroughputExceededException"),
        status="",
        log="could not read the alert state",
        raises=True,
        calls=48,
    ),
    Row(
        "dynamodb throttling on write",
        aws_error("dynamodb", "PutItem", "ThrottlingException"),
        status="",
        log="could not write the alert state",
        raises=True,
        calls=48,
    ),
    Row(
        "dynamodb conditional failure",
        aws_error("dynamodb", "PutItem", "ConditionalCheckFailedException"),
        status="",
        log="another run judged this monitor first",
        calls=48,
    ),
    # SNS: Slack still delivers.
    Row(
        "sns throttling",
        aws_error("sns", "Publish", "Throttling"),
        log="SNS refused the message (Throttling)",
        email="failed",
        slack="sent",
        **CRITICAL_SENT,
    ),
    Row(
        "sns authorization error",
        aws_error("sns", "Publish", "AuthorizationError", 403),
        # Permanent: the role is refused, no retry mends it; named, never owed forever.
        log="SNS refused the alert topic's publish (AuthorizationError)",
        email="failed",
        slack="sent",
        **CRITICAL_SENT,
    ),
    Row(
        "every channel fails",
        lambda h: (aws_error("sns", "Publish", "Throttling")(h), slack(500)(h)),
        log="no channel delivered the raised notification",
        raises=True,
        email="failed",
        slack="failed",
        **CRITICAL_SENT,
    ),
    # Slack: email still delivers.
    Row(
        "slack 400",
        slack(400),
        log="rejected the payload",
        email="sent",
        slack="failed",
        **CRITICAL_SENT,
    ),
    Row(
        "slack 403",
        slack(403),
        log="lost its rights",
        email="sent",
        slack="failed",
        **CRITICAL_SENT,
    ),
    Row("slack 404", slack(404), log="revoked", email="sent", slack="failed", **CRITICAL_SENT),
    Row("slack 410", slack(410), log="archived", email="sent", slack="failed", **CRITICAL_SENT),
    Row(
        "slack 429 with Retry-After",
        slack(429, times=1, retry_after="1"),
        log="decision: CRITICAL",
        email="sent",
        slack="sent",
        **CRITICAL_SENT,
    ),
    Row("slack 500", slack(500), log="HTTP 500", email="sent", slack="failed", **CRITICAL_SENT),
    Row(
        "slack timeout",
        slack(200, times=1, delay=6.0),
        log="did not answer",
        email="sent",
        slack="failed",
        **CRITICAL_SENT,
    ),
]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "matrix", "ConcurrencyLimit": "50"}) as local:
        yield local


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_fault(row: Row, stack: LocalStack, log: io.StringIO) -> None:
    monitor = "m-" + "".join(ch if ch.isalnum() else "-" for ch in row.name)
    parameters = {"error-after-runs": "1", **row.parameters}
    with harness(stack, flat_scenario(row.calls), monitor, parameters) as h:
        row.arrange(h)
        h.ultravox.set_clock(T)
        event = {"monitor": monitor, "scheduledTime": T.strftime("%Y-%m-%dT%H:%M:%SZ")}
        failure: BaseException | None = None
        try:
            lambda_handler(event, Context(remaining_ms=row.remaining_ms), dependencies=h.deps)
        except Exception as error:
            failure = error

        assert (failure is not None) == row.raises, f"raised {failure!r}"
        output = log.getvalue()
        assert row.log in output
        stored = _stored(h)
        assert stored.get("status", "") == row.status
        assert _channel(h, output, "email") == row.email
        assert _channel(h, output, "slack") == row.slack
        # Never a secret: not in the log, the exception, the messages, or the stored state.
        webhook = h.slack.webhook_url()
        sent = [*(e["Message"] for e in h.emails()), *map(json.dumps, h.slack.messages)]
        for text in (output, str(failure), repr(failure), *sent, str(stored)):
            assert h.api_key not in text
            assert webhook not in text


def _stored(h: Harness) -> dict[str, str]:
    item = h.stack.client("dynamodb").get_item(
        TableName=h.stack.outputs["StateTableName"], Key={"monitor": {"S": h.monitor}}
    )
    return {k: next(iter(v.values())) for k, v in item.get("Item", {}).items()}


def _channel(h: Harness, output: str, name: str) -> str:
    """What the decision line says of a channel, checked against what really arrived."""
    outcomes = [
        note.get(name, "")
        for line in output.splitlines()
        if '"decision"' in line
        for note in json.loads(line)["decision"]["notifications"]
    ]
    arrived = bool(h.emails()) if name == "email" else bool(h.slack.messages)
    if "sent" in outcomes:
        assert arrived, f"{name} said sent but nothing arrived"
        return "sent"
    return "failed" if any(o.startswith(("failed", "refused")) for o in outcomes) else "none"
