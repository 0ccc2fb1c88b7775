"""Opt-in: a deployed stack (`AWS_SAM_STACK_NAME`), checked through its own test action."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("AWS_SAM_STACK_NAME"),
    reason="set AWS_SAM_STACK_NAME (and AWS credentials) to test a deployed stack",
)


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(
        StackName=os.environ["AWS_SAM_STACK_NAME"]
    )["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def invoke(outputs: dict[str, str], event: dict[str, Any]) -> dict[str, Any]:
    import boto3

    response = boto3.client("lambda").invoke(
        FunctionName=outputs["CheckFunctionName"], Payload=json.dumps(event).encode()
    )
    body: dict[str, Any] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


def test_the_test_alert_reaches_every_configured_channel(outputs: dict[str, str]) -> None:
    monitor = outputs["ParameterPath"].strip("/").split("/")[-1]
    result = invoke(outputs, {"monitor": monitor, "action": "test"})
    assert result["status"] == "TEST"
    channels = result["notifications"][0]
    assert channels["email"] == "sent"
    assert channels.get("slack", "sent") == "sent"


def test_a_manual_check_judges_the_account(outputs: dict[str, str]) -> None:
    monitor = outputs["ParameterPath"].strip("/").split("/")[-1]
    result = invoke(outputs, {"monitor": monitor})
    assert result["status"] in {"OK", "WARNING", "CRITICAL", "AT_LIMIT", "NO_DATA"}
    assert result["limit"] and result["reason"]
