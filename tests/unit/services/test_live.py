"""The receiver's answers, and the check's live action, against in-memory ports."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ceilingwatch.common.errors import AwsServiceError
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.live_signature import sign
from ceilingwatch.domain.severity import Level
from ceilingwatch.domain.state import AlertState, Judgement, Told
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.live import MAX_BODY_BYTES, Receivers, receive
from ceilingwatch.services.monitor import run

from tests.support.fakes import FakeStates, World
from tests.support.live_fakes import FakeInvoker, FakeLiveCalls

NOW = datetime(2026, 11, 24, 14, 36, 30, tzinfo=UTC)
SECRET = "whsec-prod-3f9a"
OTHER = "whsec-staging-77c1"


def event(call_id: str = "c1", **call: Any) -> bytes:
    created = (NOW - timedelta(seconds=5)).isoformat()
    return json.dumps(
        {"event": "call.started", "call": {"callId": call_id, "created": created, **call}}
    ).encode()


def request(
    body: bytes, *, path: str = "/prod", secret: str = SECRET, at: datetime = NOW, **extra: Any
) -> dict[str, Any]:
    stamp = at.isoformat()
    return {
        "rawPath": path,
        "headers": {
            "X-Ultravox-Webhook-Timestamp": stamp,
            "X-Ultravox-Webhook-Signature": sign(body, stamp, secret),
        },
        "body": body.decode(),
        "isBase64Encoded": False,
        **extra,
    }


class Receiving:
    def __init__(self, told: Level = Level.OK, limit: int = 3) -> None:
        self.calls, self.invoker, self.states = FakeLiveCalls(), FakeInvoker(), FakeStates()
        self.states.items["prod"] = AlertState(
            "prod", Judgement(limit=limit), told=Told(level=told), version=1
        )
        self.deps = Receivers(
            secrets={"prod": (SECRET,), "staging": (OTHER,)}.get,
            calls=self.calls,
            states=self.states,  # type: ignore[arg-type]
            invoker=self.invoker,
            clock=lambda: NOW,
        )

    def __call__(self, req: dict[str, Any]) -> int:
        answer = receive(req, self.deps)
        assert SECRET not in json.dumps(answer)
        return int(answer["statusCode"])


def test_a_verified_event_is_recorded_and_answered_204() -> None:
    r = Receiving()
    assert r(request(event())) == 204
    assert r.calls.open_calls("prod", NOW) == 1


def test_a_duplicate_is_answered_204_and_changes_nothing() -> None:
    r = Receiving()
    r(request(event()))
    assert r(request(event())) == 204
    assert r.calls.writes == 1 and r.calls.open_calls("prod", NOW) == 1


def test_a_start_after_its_end_does_not_reopen_the_call() -> None:
    r = Receiving()
    ended = event(joined=NOW.isoformat(), ended=NOW.isoformat())
    assert r(request(ended)) == 204
    assert r(request(event())) == 204
    assert r.calls.open_calls("prod", NOW) == 0


def test_a_base64_body_as_lambda_sends_binary_is_read() -> None:
    r = Receiving()
    body = event()
    req = request(body) | {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    assert r(req) == 204


@pytest.mark.parametrize(
    ("req", "status"),
    [
        pytest.param(request(event(), secret=OTHER), 401, id="another monitor's secret"),
        pytest.param(request(event(), at=NOW - timedelta(minutes=6)), 401, id="stale"),
        pytest.param(request(event(), at=NOW + timedelta(minutes=6)), 401, id="future"),
        pytest.param(request(event()) | {"headers": {}}, 401, id="unsigned"),
        pytest.param(
            request(event()) | {"body": event("c2").decode()}, 401, id="body swapped after signing"
        ),
        pytest.param(request(event(), path="/nobody"), 404, id="unknown monitor"),
        pytest.param(request(event(), path="/prod/../x"), 404, id="not a monitor's path"),
        pytest.param(request(b'{"event": "call.started"}'), 400, id="no call"),
        pytest.param(request(b"not json"), 400, id="not json"),
        pytest.param(request(b"x" * (MAX_BODY_BYTES + 1)), 413, id="over 256 KiB"),
    ],
)
def test_a_refused_request_writes_nothing_and_starts_nothing(
    req: dict[str, Any], status: int
) -> None:
    r = Receiving(limit=1)  # one call would be news: a refusal must not get that far
    assert r(req) == status
    assert r.calls.writes == 0 and r.invoker.started == []


def test_a_monitor_without_the_secret_is_unknown() -> None:
    r = Receiving()
    r.deps.secrets = lambda monitor: None
    assert r(request(event())) == 404


def test_the_count_crossing_a_level_starts_the_check_once_per_event() -> None:
    r = Receiving(limit=3)  # WARNING at 80%: the third call
    for n in (1, 2):
        r(request(event(f"c{n}")))
    assert r.invoker.started == []
    r(request(event("c3")))
    assert r.invoker.started == ["prod"]


def test_a_count_already_told_starts_nothing() -> None:
    r = Receiving(told=Level.AT_LIMIT, limit=3)
    for n in (1, 2, 3, 4):
        r(request(event(f"c{n}")))
    assert r.invoker.started == []


def test_a_store_failure_is_503_so_ultravox_retries() -> None:
    r = Receiving()
    r.calls.failing = AwsServiceError("table down", "wait")
    assert r(request(event())) == 503


# --- the check's live action ----------------------------------------------------------------


def live_world(open_calls: int, told: Level = Level.OK) -> tuple[World, FakeLiveCalls]:
    world, calls = World(), FakeLiveCalls()
    world.now = NOW
    receiving = Receiving()
    receiving.deps.calls = calls
    for n in range(open_calls):
        receive(request(event(f"c{n}")), receiving.deps)
    world.states.items["prod"] = AlertState(
        "prod", Judgement(limit=50), told=Told(level=told), version=3
    )
    return world, calls


def live(world: World, calls: FakeLiveCalls):
    deps = world.dependencies()
    deps.live = calls
    tick = Tick("prod", NOW.replace(second=0), "", Action.LIVE)
    return run(tick, deps, deadline=time.monotonic() + 20)


def test_the_live_action_tells_the_crossing_through_the_channels() -> None:
    world, calls = live_world(50)
    result = live(world, calls)
    assert [e.subject for e in world.email.emails] == [
        "[AT_LIMIT] prod: 50/50 concurrent calls (100%)"
    ]
    assert "50 calls now, live" in world.email.emails[0].body
    assert result.current == 50
    assert world.states.items["prod"].told.level is Level.AT_LIMIT


def test_the_live_action_twice_tells_once() -> None:
    world, calls = live_world(50)
    live(world, calls)
    live(world, calls)
    assert len(world.email.emails) == 1


def test_the_live_action_never_resolves() -> None:
    world, calls = live_world(0, told=Level.CRITICAL)
    result = live(world, calls)
    assert world.email.emails == [] and "no news" in result.skipped
    assert world.states.items["prod"].told.level is Level.CRITICAL


def test_without_a_live_table_the_live_action_does_nothing() -> None:
    world = World()
    tick = Tick("prod", NOW, "", Action.LIVE)
    result = run(tick, world.dependencies(), deadline=time.monotonic() + 20)
    assert result.skipped and world.email.emails == [] and world.states.items == {}
