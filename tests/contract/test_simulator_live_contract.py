"""The simulator's live-feed answers (a call, the webhooks) against our OpenAPI files in spec/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from infra.simulator.ultravox import FAST_RETRIES, UltravoxSimulator
from tests.support.openapi_contract import (
    ContractError,
    specs_for,
    validate_request,
    validate_response,
)

KEY = "contract-live-key"
CLOCK = datetime(2026, 11, 24, 13, 2, 30, tzinfo=UTC)
HOOK = {
    "url": "https://abc.lambda-url.us-east-1.on.aws/prod",
    "events": ["call.started", "call.joined", "call.ended"],
    "secrets": ["whsec-contract"],
}


@pytest.fixture(scope="module")
def sim() -> Iterator[UltravoxSimulator]:
    with UltravoxSimulator("rising-to-ceiling", KEY, webhook_retries=FAST_RETRIES) as simulator:
        simulator.set_clock(CLOCK)
        yield simulator


def exchange(
    sim: UltravoxSimulator, method: str, path: str, body: Any = None, **query: str
) -> requests.Response:
    """Send a request the spec allows, and check the simulator's answer against the spec."""
    raw = None if body is None else json.dumps(body).encode()
    validate_request(method, path, query, body=raw)
    answer = requests.request(
        method,
        sim.base_url + path,
        params=query,
        data=raw,
        headers={"X-API-Key": KEY, "Content-Type": "application/json"},
        timeout=5,
    )
    kind = answer.headers.get("Content-Type", "application/json").split(";")[0]
    validate_response(method, path, query, answer.status_code, answer.content, kind)
    return answer


def test_the_spec_files_document_the_live_calls() -> None:
    assert specs_for("/api/calls/abc") == ["calls.openapi.yaml"]
    assert specs_for("/api/webhooks") == ["webhooks.openapi.yaml"]
    assert specs_for("/api/webhooks/wh-1") == ["webhooks.openapi.yaml"]


def test_a_call_and_a_missing_one_conform(sim: UltravoxSimulator) -> None:
    known = sim.live.calls.started_by(CLOCK)[-1].call_id
    assert exchange(sim, "GET", f"/api/calls/{known}").status_code == 200
    assert exchange(sim, "GET", "/api/calls/nope").status_code == 404


def test_the_webhook_calls_conform(sim: UltravoxSimulator) -> None:
    made = exchange(sim, "POST", "/api/webhooks", HOOK)
    assert made.status_code == 201
    hook = made.json()["webhookId"]
    assert exchange(sim, "GET", "/api/webhooks", pageSize="1").status_code == 200
    assert exchange(sim, "GET", f"/api/webhooks/{hook}").status_code == 200
    rekeyed = exchange(sim, "PATCH", f"/api/webhooks/{hook}", {"secrets": ["a", "b"]})
    assert rekeyed.status_code == 200
    assert exchange(sim, "DELETE", f"/api/webhooks/{hook}").status_code == 204
    assert exchange(sim, "GET", f"/api/webhooks/{hook}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {**HOOK, "url": "https://x.test/" + "a" * 190},
        {**HOOK, "secrets": ["s" * 121]},
        {**HOOK, "events": ["call.exploded"]},
    ],
)
def test_what_the_spec_refuses_the_simulator_refuses_too(
    sim: UltravoxSimulator, body: dict[str, Any]
) -> None:
    with pytest.raises(ContractError):
        validate_request("POST", "/api/webhooks", {}, body=json.dumps(body).encode())
    answer = requests.post(
        sim.base_url + "/api/webhooks", json=body, headers={"X-API-Key": KEY}, timeout=5
    )
    assert answer.status_code == 400
