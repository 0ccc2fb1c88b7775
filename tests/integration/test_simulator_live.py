"""The simulator's live side over real sockets: activeCalls, calls, webhooks, signed events."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from infra.simulator.ultravox import (
    CONCURRENCY_PATH,
    FAST_RETRIES,
    UltravoxSimulator,
    WebhookFault,
    parse_time,
)

pytestmark = pytest.mark.integration

KEY = "live-sim-key"
SECRET = "whsec-live-0123456789"
# rising-to-ceiling climbs through 12:55-13:05: new calls start on each minute's edge.
RISING = datetime(2026, 11, 24, 12, 58, 30, tzinfo=UTC)


class Receiver:
    """A webhook receiver that records each request and answers with scripted statuses."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answered in turn; 204 once they run out
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "raw": raw})
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook/prod"
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()

    def events(self) -> list[tuple[str, str]]:
        return [(b["event"], b["call"]["callId"]) for b in map(self.body, self.received)]

    @staticmethod
    def body(request: dict[str, Any]) -> Any:
        return json.loads(request["raw"])


@pytest.fixture
def sim() -> Iterator[UltravoxSimulator]:
    with UltravoxSimulator("rising-to-ceiling", KEY, webhook_retries=FAST_RETRIES) as simulator:
        simulator.set_clock(RISING)
        yield simulator


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    catcher = Receiver()
    yield catcher
    catcher.server.shutdown()


def call(sim: UltravoxSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", {"X-API-Key": KEY})
    return requests.request(method, sim.base_url + path, headers=headers, timeout=5, **kwargs)


def register(sim: UltravoxSimulator, url: str, secrets: list[str] | None = None) -> str:
    body = {"url": url, "events": ["call.started", "call.joined", "call.ended"]}
    answer = call(sim, "POST", "/api/webhooks", json={**body, "secrets": secrets or [SECRET]})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["webhookId"])


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_active_calls_is_the_peak_of_the_minute_being_served(sim: UltravoxSimulator) -> None:
    for moment in ("2026-11-24T12:30:10", "2026-11-24T13:02:40", "2026-11-24T13:27:59"):
        at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        sim.set_clock(at)
        minute = at.replace(second=0)
        series = call(
            sim,
            "GET",
            "/api/accounts/me/usage/concurrency",
            params={"bucket": "minute", "start": minute.isoformat(), "end": at.isoformat()},
        ).json()["timeSeries"]
        active = call(sim, "GET", "/api/accounts/me").json()["activeCalls"]
        assert active == series[-1]["maxTotalCalls"] > 0, moment


def test_a_call_is_served_as_of_now_and_an_unknown_one_is_404(sim: UltravoxSimulator) -> None:
    sim.set_clock(RISING)
    known = sim.live.calls.started_by(RISING)[-1]
    got = call(sim, "GET", f"/api/calls/{known.call_id}").json()
    assert got["callId"] == known.call_id and got["ended"] is None
    assert got["joinTimeout"] == "30s" and got["maxDuration"] == "3600s"
    assert call(sim, "GET", "/api/calls/no-such-call").status_code == 404
    assert call(sim, "GET", f"/api/calls/{known.call_id}", headers={}).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "https://x.test/" + "a" * 190}, "url"),
        ({"secrets": ["s" * 121]}, "secrets"),
        ({"events": ["call.exploded"]}, "events"),
        ({"events": []}, "events"),
        ({"url": "ftp://x.test/hook"}, "url"),
    ],
)
def test_a_webhook_the_api_would_refuse_is_a_400_naming_the_field(
    sim: UltravoxSimulator, change: dict[str, Any], field: str
) -> None:
    body = {"url": "https://x.test/hook", "events": ["call.started"], "secrets": ["ok"], **change}
    answer = call(sim, "POST", "/api/webhooks", json=body)
    assert answer.status_code == 400 and field in answer.json()
    assert call(sim, "GET", "/api/webhooks").json()["total"] == 0


def test_webhooks_are_paged_read_rekeyed_and_deleted(sim: UltravoxSimulator) -> None:
    ids = [register(sim, f"https://x.test/hook/{n}") for n in range(3)]
    first = call(sim, "GET", "/api/webhooks", params={"pageSize": "2"}).json()
    assert first["total"] == 3 and len(first["results"]) == 2 and first["next"]
    rest = requests.get(first["next"], headers={"X-API-Key": KEY}, timeout=5).json()
    assert [h["webhookId"] for h in first["results"] + rest["results"]] == ids
    patched = call(sim, "PATCH", f"/api/webhooks/{ids[0]}", json={"secrets": ["a", "b"]})
    assert patched.json()["secrets"] == ["a", "b"] and patched.json()["status"] == "normal"
    assert call(sim, "DELETE", f"/api/webhooks/{ids[0]}").status_code == 204
    assert call(sim, "GET", f"/api/webhooks/{ids[0]}").status_code == 404
    assert call(sim, "GET", "/api/webhooks", headers={"X-API-Key": "bad"}).status_code == 401


def test_events_of_the_calls_behind_the_buckets_are_sent_signed(
    sim: UltravoxSimulator, receiver: Receiver
) -> None:
    register(sim, receiver.url, [SECRET, "whsec-second"])
    sim.set_clock(RISING, rate=60.0)  # a minute a second: the 12:59 edge comes at once
    wait_for(lambda: any(e == "call.started" for e, _ in receiver.events()))
    request = receiver.received[0]
    stamp = request["headers"]["X-Ultravox-Webhook-Timestamp"]
    signatures = request["headers"]["X-Ultravox-Webhook-Signature"].split(",")
    for secret, signature in zip([SECRET, "whsec-second"], signatures, strict=True):
        mac = hmac.new(secret.encode(), request["raw"] + stamp.encode(), hashlib.sha256)
        assert hmac.compare_digest(mac.hexdigest(), signature)
    body = receiver.body(request)
    assert set(body) == {"event", "call"} and body["call"]["created"].startswith("2026-11-24T12:59")
    # Stamped with the simulator's own now, as Ultravox stamps its own: when it was due, or after.
    sent_at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert datetime.fromisoformat(body["call"]["created"]) <= sent_at <= sim.now()
    assert call(sim, "GET", f"/api/calls/{body['call']['callId']}").status_code == 200


def test_a_failing_receiver_gets_retries_and_the_webhook_turns_unhealthy_then_heals(
    sim: UltravoxSimulator, receiver: Receiver
) -> None:
    hook = register(sim, receiver.url)
    receiver.statuses = [500, 500, 500]
    sim.live.dispatcher.send("call.started", {"callId": "c-retry"})
    wait_for(lambda: len(receiver.received) == 4)  # three failures, then the retry that lands
    assert receiver.events() == [("call.started", "c-retry")] * 4
    attempts = [s.attempt for s in sim.webhooks_sent]
    assert attempts == [0, 1, 2, 3]
    shown = call(sim, "GET", f"/api/webhooks/{hook}").json()
    assert [f["failure"] for f in shown["recentFailures"]] == ["HTTP 500"] * 3
    assert shown["status"] == "normal" and shown["lastStatusChange"] is not None


def test_a_receiver_that_never_answers_2xx_leaves_the_webhook_unhealthy(
    sim: UltravoxSimulator, receiver: Receiver
) -> None:
    hook = register(sim, receiver.url)
    receiver.statuses = [401] * 10
    sim.live.dispatcher.send("call.ended", {"callId": "c-refused"})
    wait_for(lambda: len(receiver.received) == 1 + len(FAST_RETRIES))
    wait_for(lambda: call(sim, "GET", f"/api/webhooks/{hook}").json()["status"] == "unhealthy")


def test_webhook_faults_on_demand(sim: UltravoxSimulator, receiver: Receiver) -> None:
    register(sim, receiver.url)
    send = sim.live.dispatcher.send
    sim.inject_webhook_fault(WebhookFault("duplicate"))
    send("call.started", {"callId": "dup"})
    sim.inject_webhook_fault(WebhookFault("reorder"))
    send("call.joined", {"callId": "first"})
    send("call.started", {"callId": "second"})
    sim.inject_webhook_fault(WebhookFault("lose_end"))
    send("call.joined", {"callId": "kept"})
    send("call.ended", {"callId": "lost"})
    wait_for(lambda: len(receiver.received) == 5)
    assert receiver.events() == [
        ("call.started", "dup"),
        ("call.started", "dup"),
        ("call.started", "second"),
        ("call.joined", "first"),
        ("call.joined", "kept"),
    ]


@pytest.mark.parametrize(("kind", "off"), [("stale", -600.0), ("future", 600.0)])
def test_a_stale_or_future_timestamp_is_still_correctly_signed(
    sim: UltravoxSimulator, receiver: Receiver, kind: Any, off: float
) -> None:
    register(sim, receiver.url)
    sim.inject_webhook_fault(WebhookFault(kind))
    sim.live.dispatcher.send("call.started", {"callId": kind})
    wait_for(lambda: len(receiver.received) == 1)
    request = receiver.received[0]
    stamp = request["headers"]["X-Ultravox-Webhook-Timestamp"]
    sent_at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs((sent_at - sim.now()).total_seconds() - off) < 1  # the clock stands still
    mac = hmac.new(SECRET.encode(), request["raw"] + stamp.encode(), hashlib.sha256)
    assert request["headers"]["X-Ultravox-Webhook-Signature"] == mac.hexdigest()


def test_a_forged_signature_and_a_late_retry(sim: UltravoxSimulator, receiver: Receiver) -> None:
    register(sim, receiver.url)
    sim.inject_webhook_fault(WebhookFault("forged"))
    sim.live.dispatcher.send("call.started", {"callId": "forged"})
    wait_for(lambda: len(receiver.received) == 1)
    request = receiver.received[0]
    stamp = request["headers"]["X-Ultravox-Webhook-Timestamp"]
    mac = hmac.new(SECRET.encode(), request["raw"] + stamp.encode(), hashlib.sha256)
    assert request["headers"]["X-Ultravox-Webhook-Signature"] != mac.hexdigest()
    sim.inject_webhook_fault(WebhookFault("late", seconds=0.5))
    started = time.monotonic()
    sim.live.dispatcher.send("call.ended", {"callId": "late"})
    wait_for(lambda: len(receiver.received) == 2)
    assert time.monotonic() - started >= 0.5  # the first attempt was lost on the way
    assert [s.status for s in sim.webhooks_sent if s.call_id == "late"] == [None, 204]


def test_a_batch_campaign_starts_its_calls_within_seconds(
    sim: UltravoxSimulator, receiver: Receiver
) -> None:
    register(sim, receiver.url)
    sim.set_clock(RISING)
    before = call(sim, "GET", "/api/accounts/me").json()["activeCalls"]
    made = sim.live.campaign(20, within=1.0)
    sim.set_clock(RISING + timedelta(seconds=1.5))
    assert call(sim, "GET", "/api/accounts/me").json()["activeCalls"] == before + 20
    wait_for(lambda: {c for e, c in receiver.events() if e == "call.started"} >= set(made))


def open_by_webhooks(receiver: Receiver) -> dict[str, dict[str, Any]]:
    """Each call as its latest webhook left it (an ended call stays ended), the open ones."""
    latest: dict[str, dict[str, Any]] = {}
    for body in map(receiver.body, receiver.received):
        call_id = body["call"]["callId"]
        if latest.get(call_id, {}).get("ended") is None:
            latest[call_id] = body["call"]
    return {i: c for i, c in latest.items() if c["ended"] is None}


def test_the_buckets_active_calls_calls_and_webhooks_agree(
    sim: UltravoxSimulator, receiver: Receiver
) -> None:
    sim.set_clock(sim.scenario.start - timedelta(seconds=1))  # heard from its first call on
    register(sim, receiver.url)
    first = datetime(2026, 11, 24, 12, 55, tzinfo=UTC)  # the 13:00 turnover of the first calls
    made = sim.live.campaign(
        20, within=5.0, hold=180.0, start=first + timedelta(minutes=2, seconds=20)
    )
    seen: dict[datetime, int] = {}  # each minute's most activeCalls, sampled every 10 s
    for step in range(60):
        at = first + timedelta(seconds=10 * step)
        sim.set_clock(at)
        sim.live.dispatcher.settle()
        active = call(sim, "GET", "/api/accounts/me").json()["activeCalls"]
        assert len(open_by_webhooks(receiver)) == active, at
        minute = at.replace(second=0)
        seen[minute] = max(seen.get(minute, 0), active)
    window = {"start": first.isoformat(), "end": sim.now().isoformat()}
    minutes = call(sim, "GET", CONCURRENCY_PATH, params={"bucket": "minute", **window}).json()
    assert {parse_time(b["timestamp"]): b["maxTotalCalls"] for b in minutes["timeSeries"]} == seen
    fives = call(sim, "GET", CONCURRENCY_PATH, params={"bucket": "5min", **window}).json()
    peaks = [b["maxTotalCalls"] for b in fives["timeSeries"]]
    assert peaks == [max(list(seen.values())[:5]), max(list(seen.values())[5:])]
    assert peaks[0] == sim.scenario.calls_at(first + timedelta(minutes=4)) + 20  # the campaign's
    # What the webhooks told of every call is what GET /api/calls/{id} says of it now.
    told = {b["call"]["callId"]: b["call"] for b in map(receiver.body, receiver.received)}
    assert set(made) <= set(told) and not set(made) & set(open_by_webhooks(receiver))
    for call_id in list(told)[-40:]:
        assert call(sim, "GET", f"/api/calls/{call_id}").json() == told[call_id], call_id
    # No call outlives the maxDuration its Call object gives: the scenario's calls turn over.
    calls = sim.live.calls.started_by(sim.scenario.end)
    assert all(c.ended and c.ended - c.created <= timedelta(seconds=3600) for c in calls)
