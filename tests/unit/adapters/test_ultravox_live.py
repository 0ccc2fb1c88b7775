"""The Ultravox adapter's live-feed calls: activeCalls, a call by ID, and webhook management."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from ceilingwatch.adapters.transport import TransportTimeoutError
from ceilingwatch.adapters.ultravox import UltravoxClient, UltravoxSource
from ceilingwatch.adapters.ultravox.webhooks import Webhooks
from ceilingwatch.common.errors import InvalidResponseError, MonitorError, UltravoxUnavailableError
from ceilingwatch.domain.config import Secret

from tests.support.builders import API_KEY
from tests.unit.adapters.test_adapters_http import answer

WEBHOOK_SECRET = "whsec-unit-0123456789abcdef0123456789abcdef"
HOOK = {
    "webhookId": "wh-1",
    "url": "https://abc.lambda-url.us-east-1.on.aws/prod",
    "events": ["call.started", "call.joined", "call.ended"],
    "status": "unhealthy",
    "recentFailures": [{"timestamp": "2026-11-24T13:00:00Z", "failure": "HTTP 500"}],
    "secrets": [WEBHOOK_SECRET],
}


@dataclass
class Session:
    """Answers each request, whatever its method, with the next scripted item."""

    script: list[Any]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __getattr__(self, method: str) -> Any:
        if method not in ("get", "post", "patch", "delete"):
            raise AttributeError(method)

        def send(url: str, **kwargs: Any) -> requests.Response:
            self.calls.append({"method": method.upper(), "url": url, **kwargs})
            item = self.script.pop(0)
            if isinstance(item, Exception):
                raise item
            return item  # type: ignore[no-any-return]

        return send


def client(script: list[Any]) -> tuple[UltravoxClient, Session]:
    session = Session(script)
    uv = UltravoxClient("http://uv.test", session, sleep=lambda _: None)  # type: ignore[arg-type]
    return uv, session


def hooks(script: list[Any]) -> tuple[Webhooks, Session]:
    uv, session = client(script)
    return Webhooks(uv, Secret(API_KEY), "/ceilingwatch/prod/ultravox-api-key"), session


def test_account_reads_active_calls() -> None:
    uv, _ = client([answer(200, {"activeCalls": 17, "allowedConcurrentCalls": 20})])
    assert uv.account(Secret(API_KEY), deadline=1e9).active_calls == 17


@pytest.mark.parametrize("wrong", ["17", 1.5, True, [3]])
def test_active_calls_of_the_wrong_type_is_an_invalid_response(wrong: object) -> None:
    uv, _ = client([answer(200, {"activeCalls": wrong, "allowedConcurrentCalls": None})])
    with pytest.raises(InvalidResponseError, match="activeCalls is not an integer"):
        uv.account(Secret(API_KEY), deadline=1e9)


def test_a_call_is_read_by_its_id_and_none_when_ultravox_has_none() -> None:
    call = {"callId": "c 1/x", "created": "2026-11-24T13:00:00Z", "ended": None}
    uv, session = client([answer(200, call), answer(404, {"detail": "Not found."})])
    source = UltravoxSource(uv, Secret(API_KEY), "/p/ultravox-api-key")
    assert source.call("c 1/x", deadline=1e9) == call
    assert source.call("gone", deadline=1e9) is None
    # The ID is one path segment, whatever it holds
    assert session.calls[0]["url"] == "http://uv.test/api/calls/c%201%2Fx"
    assert session.calls[0]["headers"]["X-API-Key"] == API_KEY


def test_a_call_that_keeps_failing_is_retried_then_unavailable() -> None:
    uv, session = client([answer(503), answer(502), answer(500)])
    with pytest.raises(UltravoxUnavailableError, match="HTTP 500"):
        uv.call(Secret(API_KEY), "c1", deadline=1e9)
    assert len(session.calls) == 3


def test_webhooks_are_listed_over_every_page_without_leaving_the_base_url() -> None:
    second = dict(HOOK, webhookId="wh-2", status="normal", recentFailures=[])
    elsewhere = "https://elsewhere.test/api/webhooks?cursor=abc"
    page1 = {"results": [HOOK], "next": elsewhere, "total": 2}
    page2 = {"results": [second], "next": None, "total": 2}
    webhooks, session = hooks([answer(200, page1), answer(200, page2)])
    found = webhooks.list(deadline=1e9)
    assert [w.webhook_id for w in found] == ["wh-1", "wh-2"]
    assert found[0].status == "unhealthy" and found[0].recent_failures[0].failure == "HTTP 500"
    assert found[0].secret_count == 1
    # The next page is asked of Ultravox itself, with the key, never of the host `next` names
    assert session.calls[1]["url"] == "http://uv.test/api/webhooks"
    assert session.calls[1]["params"] == {"cursor": "abc"}
    assert WEBHOOK_SECRET not in repr(found)


def test_a_webhook_is_created_with_the_live_events_and_its_secret() -> None:
    webhooks, session = hooks([answer(201, HOOK)])
    made = webhooks.create(HOOK["url"], Secret(WEBHOOK_SECRET), deadline=1e9)  # type: ignore[arg-type]
    assert made.webhook_id == "wh-1"
    sent = session.calls[0]
    assert sent["method"] == "POST" and sent["url"] == "http://uv.test/api/webhooks"
    assert sent["json"] == {
        "url": HOOK["url"],
        "events": ["call.started", "call.joined", "call.ended"],
        "secrets": [WEBHOOK_SECRET],
    }


@pytest.mark.parametrize("failure", [answer(503), answer(500), TransportTimeoutError("slow")])
def test_a_create_is_never_retried_where_ultravox_may_have_made_it(failure: Any) -> None:
    webhooks, session = hooks([failure, answer(201, HOOK)])
    with pytest.raises(UltravoxUnavailableError):
        webhooks.create(HOOK["url"], Secret(WEBHOOK_SECRET), deadline=1e9)  # type: ignore[arg-type]
    assert len(session.calls) == 1  # a second POST could make a second webhook


def test_a_create_refused_with_429_is_retried() -> None:
    webhooks, session = hooks([answer(429, headers={"Retry-After": "0"}), answer(201, HOOK)])
    webhooks.create(HOOK["url"], Secret(WEBHOOK_SECRET), deadline=1e9)  # type: ignore[arg-type]
    assert len(session.calls) == 2


@pytest.mark.parametrize("status", [400, 500, 503])
def test_a_webhook_secret_echoed_back_never_reaches_the_error(status: int) -> None:
    echo = json.dumps({"secrets": [f"{WEBHOOK_SECRET} is not allowed"]}).encode()
    webhooks, _ = hooks([answer(status, echo, {"X-Echo": WEBHOOK_SECRET})])
    with pytest.raises(MonitorError) as caught:
        webhooks.create(HOOK["url"], Secret(WEBHOOK_SECRET), deadline=1e9)  # type: ignore[arg-type]
    text = f"{caught.value} {caught.value.problem} {caught.value.what_to_fix} {caught.value.args}"
    assert WEBHOOK_SECRET not in text and WEBHOOK_SECRET[:12] not in text
    assert "****" in text or status != 400


def test_a_webhook_is_read_rekeyed_and_deleted_and_a_gone_one_is_no_error() -> None:
    rekeyed = dict(HOOK, secrets=["old-secret-aaaaaaaaaaaa", WEBHOOK_SECRET])
    webhooks, session = hooks(
        [answer(200, HOOK), answer(404), answer(200, rekeyed), answer(204), answer(404)]
    )
    assert webhooks.get("wh-1", deadline=1e9) is not None
    assert webhooks.get("wh-9", deadline=1e9) is None
    two = [Secret("old-secret-aaaaaaaaaaaa"), Secret(WEBHOOK_SECRET)]
    assert webhooks.set_secrets("wh-1", two, deadline=1e9).secret_count == 2
    assert webhooks.delete("wh-1", deadline=1e9) is True
    assert webhooks.delete("wh-1", deadline=1e9) is False
    methods = [(c["method"], c["url"].removeprefix("http://uv.test")) for c in session.calls]
    assert methods == [
        ("GET", "/api/webhooks/wh-1"),
        ("GET", "/api/webhooks/wh-9"),
        ("PATCH", "/api/webhooks/wh-1"),
        ("DELETE", "/api/webhooks/wh-1"),
        ("DELETE", "/api/webhooks/wh-1"),
    ]
    assert session.calls[2]["json"] == {"secrets": ["old-secret-aaaaaaaaaaaa", WEBHOOK_SECRET]}
