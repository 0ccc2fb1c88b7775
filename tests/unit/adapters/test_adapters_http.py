"""The Ultravox and Slack adapters against scripted HTTP answers: retries, budgets, and errors."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from ceilingwatch.adapters.transport import TransportError, TransportTimeoutError
from ceilingwatch.adapters.ultravox import MAX_BODY_BYTES, UltravoxClient
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack_webhook import SlackWebhookChannel, webhook_problem
from ceilingwatch.common.errors import (
    ChannelError,
    ConfigurationError,
    InvalidResponseError,
    MonitorError,
    UltravoxAuthError,
    UltravoxUnavailableError,
)
from ceilingwatch.common.http import retry_after
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.series import Bucket

from tests.support.builders import API_KEY, WEBHOOK, notification

START = datetime(2026, 11, 24, 13, 35, tzinfo=UTC)
END = datetime(2026, 11, 24, 14, 36, tzinfo=UTC)
GOOD = {
    "timeSeries": [
        {
            "timestamp": "2026-11-24T14:30:00Z",
            "maxTotalCalls": 7,
            "maxJoinedCalls": 6,
            "avgTotalCalls": 3.5,
            "avgJoinedCalls": 3.0,
        }
    ]
}


def answer(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = (
        (body if isinstance(body, bytes) else json.dumps(body).encode())
        if body is not None
        else b""
    )
    response._content_consumed = True  # the body is there, as after a streamed read
    response.headers.update(headers or {})
    return response


@dataclass
class ScriptedSession:
    """Answers each request with the next scripted item; an exception is raised instead."""

    script: list[Any]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def _next(self, **request: Any) -> requests.Response:
        self.calls.append(request)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._next(url=url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._next(url=url, **kwargs)


@dataclass
class FakeTime:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client(
    script: list[Any], clock: FakeTime | None = None
) -> tuple[UltravoxClient, ScriptedSession, FakeTime]:
    session, time = ScriptedSession(script), clock or FakeTime()
    uv = UltravoxClient(
        "http://uv.test/",
        session,
        sleep=time.sleep,
        clock=time.clock,  # type: ignore[arg-type]
        key_parameter="/ceilingwatch/prod/ultravox-api-key",
    )
    return uv, session, time


def fetch(uv: UltravoxClient, deadline: float = 25.0) -> Any:
    return uv.concurrency(Secret(API_KEY), START, END, deadline=deadline)


def test_the_request_is_explicit_and_authenticated() -> None:
    uv, session, _ = client([answer(200, GOOD)])
    series = fetch(uv)
    assert [b.max_total_calls for b in series.buckets] == [7]
    call = session.calls[0]
    assert call["url"] == "http://uv.test/api/accounts/me/usage/concurrency"
    assert call["params"] == {
        "bucket": "5min",
        "start": "2026-11-24T13:35:00Z",
        "end": "2026-11-24T14:36:00Z",
    }
    assert call["headers"]["X-API-Key"] == API_KEY
    assert call["timeout"][0] > 0 and call["timeout"][1] > 0


@pytest.mark.parametrize(
    ("first", "waited"),
    [
        (answer(429, {"detail": "slow down"}, {"Retry-After": "2"}), 2.0),
        (
            answer(503, {"detail": "capacity"}, {"Retry-After": "Tue, 24 Nov 2099 14:36:00 GMT"}),
            None,
        ),
        (answer(500), None),
        (TransportError("Connection refused"), None),
        (TransportTimeoutError("slow"), None),
    ],
)
def test_transient_failures_are_retried(first: Any, waited: float | None) -> None:
    uv, session, time = client([first, answer(200, GOOD)])
    if waited is None and isinstance(first, requests.Response) and "Retry-After" in first.headers:
        # An HTTP-date far in the future is past the budget: no retry, a clear error.
        with pytest.raises(UltravoxUnavailableError, match="time budget"):
            fetch(uv)
        return
    assert len(fetch(uv).buckets) == 1
    assert len(session.calls) == 2
    if waited is not None:
        assert time.slept == [waited]


def test_retries_are_bounded_and_the_error_says_what_happened() -> None:
    uv, session, _ = client([answer(503, {"detail": "no capacity"})] * 3)
    with pytest.raises(UltravoxUnavailableError) as caught:
        fetch(uv)
    assert len(session.calls) == 3
    assert "HTTP 503" in str(caught.value) and "no capacity" in str(caught.value)


def test_retry_after_past_the_budget_is_not_waited_for() -> None:
    uv, session, time = client([answer(429, None, {"Retry-After": "120"})])
    with pytest.raises(UltravoxUnavailableError, match="time budget"):
        fetch(uv, deadline=20.0)
    assert time.slept == [] and len(session.calls) == 1


@pytest.mark.parametrize(
    ("status", "error", "fix"),
    [
        (401, UltravoxAuthError, "put a valid key in /ceilingwatch/prod/ultravox-api-key"),
        (403, UltravoxAuthError, "put a key with account access"),
        (404, InvalidResponseError, "check ULTRAVOX_API_BASE_URL"),
        (400, InvalidResponseError, ""),
    ],
)
def test_client_errors_are_not_retried_and_say_what_to_fix(
    status: int, error: type, fix: str
) -> None:
    uv, session, _ = client([answer(status, {"detail": "nope"})])
    with pytest.raises(error) as caught:
        fetch(uv)
    assert len(session.calls) == 1
    assert fix in caught.value.what_to_fix
    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b"", "not JSON"),
        (b'{"timeSeries": [{"timestamp": "2026', "not JSON"),
        (json.dumps({"timeSeries": [{"timestamp": "2026-11-24T14:30:00Z"}]}).encode(), "lacks"),
    ],
)
def test_bad_bodies_are_invalid_responses(body: bytes, problem: str) -> None:
    uv, _, _ = client([answer(200, body, {"Content-Type": "text/html"})])
    with pytest.raises(InvalidResponseError, match=problem):
        fetch(uv)


def streamed(status: int, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    """A response whose body is still on the wire: read only as far as the client reads."""
    response = requests.Response()
    response.status_code = status
    response.raw = io.BytesIO(body)
    response.headers.update(headers or {})
    return response


class CountingBody(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.handed_out = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.handed_out += len(chunk)
        return chunk


def test_an_answer_past_the_size_limit_is_refused_before_parsing() -> None:
    body = CountingBody(b'{"timeSeries": [' + b" " * (3 * MAX_BODY_BYTES) + b"]}")
    response = streamed(200, b"")
    response.raw = body
    uv, _, _ = client([response])
    with pytest.raises(InvalidResponseError, match="went past 8,388,608 bytes, over the 8 MiB"):
        fetch(uv)
    assert body.handed_out < MAX_BODY_BYTES + 128 * 1024  # stopped reading, not read whole


def test_a_declared_length_past_the_limit_is_refused_unread() -> None:
    uv, _, _ = client([streamed(200, b"{}", {"Content-Length": str(50 * 1024 * 1024)})])
    with pytest.raises(InvalidResponseError, match="declares 52,428,800 bytes"):
        fetch(uv)


@pytest.mark.parametrize(
    ("status", "where"),
    [(503, "an error body"), (400, "an error body"), (200, "a non-JSON body")],
)
def test_a_key_echoed_by_the_upstream_never_reaches_the_error(status: int, where: str) -> None:
    echo = f"<p>bad request for key {API_KEY}</p>".encode()
    headers = {"Content-Type": f"text/{API_KEY}"}
    uv, _, _ = client([streamed(status, echo, headers) for _ in range(3)])
    with pytest.raises(MonitorError) as caught:
        fetch(uv)
    text = f"{caught.value} {caught.value.problem} {caught.value.args}"
    assert API_KEY not in text and API_KEY[:8] not in text, where
    assert "****" in text


def test_account_reads_the_ceiling_and_accepts_null() -> None:
    uv, _, _ = client(
        [answer(200, {"allowedConcurrentCalls": None, "activeCalls": 3, "subscriptionTier": "PRO"})]
    )
    account = uv.account(Secret(API_KEY), deadline=25.0)
    assert account.allowed_concurrent_calls is None and account.active_calls == 3


def test_account_reads_the_plan_dates_and_ignores_unreadable_ones() -> None:
    body = {
        "allowedConcurrentCalls": 20,
        "subscriptionTier": "pro",
        "subscriptionExpiration": "2026-12-03T00:00:00Z",
        "subscriptionScheduledUpdate": "next week",
        "subscriptionRenewal": None,
    }
    uv, _, _ = client([answer(200, body)])
    plan = uv.account(Secret(API_KEY), deadline=25.0).subscription
    assert plan.tier == "pro"
    assert plan.expiration == datetime(2026, 12, 3, tzinfo=UTC)
    assert plan.scheduled_update is None and plan.renewal is None


def test_hourly_history_asks_for_hour_buckets() -> None:
    counts = ("maxTotalCalls", "maxJoinedCalls", "avgTotalCalls", "avgJoinedCalls")
    rows = [{"timestamp": "2026-11-24T14:00:00Z", **dict.fromkeys(counts, 7)}]
    uv, session, _ = client([answer(200, {"timeSeries": rows})])
    start, end = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
    series = uv.concurrency(Secret(API_KEY), start, end, deadline=25.0, bucket=Bucket.HOUR)
    assert [b.max_total_calls for b in series.buckets] == [7]
    assert session.calls[0]["params"]["bucket"] == "hour"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("5", 5.0), ("Tue, 24 Nov 2026 14:36:10 GMT", 10.0), ("soon", None)],
)
def test_retry_after_reads_seconds_and_http_dates(
    header: str | None, seconds: float | None
) -> None:
    assert retry_after(header, datetime(2026, 11, 24, 14, 36, tzinfo=UTC)) == seconds


class Slack:
    """The webhook channel over a scripted session, with time that passes only when slept."""

    def __init__(self, script: list[Any], url: str = WEBHOOK) -> None:
        self.session, self.time = ScriptedSession(script), FakeTime()
        poster = Poster(self.session, sleep=self.time.sleep, clock=self.time.clock)  # type: ignore[arg-type]
        self.channel = SlackWebhookChannel(Secret(url), poster)

    def send(self) -> None:
        self.channel.deliver(notification(), Context({}, deadline=25.0))


def slack(script: list[Any]) -> tuple[Slack, ScriptedSession, FakeTime]:
    notifier = Slack(script)
    return notifier, notifier.session, notifier.time


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (400, b"invalid_payload", "rejected the payload"),
        (403, b"action_prohibited", "lost its rights"),
        (404, b"no_service", "revoked"),
        (410, b"channel_is_archived", "archived"),
    ],
)
def test_slack_permanent_errors_are_not_retried(status: int, body: bytes, problem: str) -> None:
    notifier, session, _ = slack([answer(status, body)])
    with pytest.raises(ChannelError, match=problem) as caught:
        notifier.send()
    assert len(session.calls) == 1
    assert WEBHOOK not in str(caught.value)


def test_slack_429_waits_as_asked_then_delivers() -> None:
    notifier, session, time = slack(
        [answer(429, b"rate_limited", {"Retry-After": "1"}), answer(200, b"ok")]
    )
    notifier.send()
    assert time.slept == [1.0] and len(session.calls) == 2


def test_slack_5xx_twice_fails_without_the_url() -> None:
    notifier, session, _ = slack([answer(500), answer(503)])
    with pytest.raises(ChannelError, match="HTTP 503") as caught:
        notifier.send()
    assert len(session.calls) == 2 and WEBHOOK not in str(caught.value)


def test_slack_timeout_is_not_retried_to_avoid_a_double_post() -> None:
    notifier, session, _ = slack([requests.ReadTimeout(f"HTTPSConnectionPool {WEBHOOK}")])
    with pytest.raises(ChannelError, match="did not answer") as caught:
        notifier.send()
    assert len(session.calls) == 1 and WEBHOOK not in str(caught.value)


def test_slack_connection_errors_never_carry_the_url() -> None:
    notifier, _, _ = slack([requests.ConnectionError(f"refused {WEBHOOK}")] * 2)
    with pytest.raises(ChannelError) as caught:
        notifier.send()
    assert WEBHOOK not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/hooks.slack.com/x",
        "http://hooks.slack.com/services/x",
        "https://hooks.slack.com.evil.io/x",
    ],
)
def test_slack_posts_only_to_slack(url: str) -> None:
    notifier = Slack([answer(200, b"ok")], url)
    problem = webhook_problem(Secret(url), ("https://hooks.slack.com/",))
    assert "does not start with https://hooks.slack.com/" in problem and url not in problem
    with pytest.raises(ChannelError, match="not a Slack webhook URL") as caught:
        notifier.send()
    assert notifier.session.calls == [] and url not in str(caught.value)


@dataclass
class HangingSession:
    """A server that never answers: each request waits out its read timeout on the fake clock."""

    time: FakeTime

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        self.time.now += kwargs["timeout"][1]
        raise TransportTimeoutError("read timed out")


def test_a_hung_server_reports_the_time_really_waited() -> None:
    time = FakeTime()
    uv = UltravoxClient(
        "http://uv.test",
        HangingSession(time),
        sleep=time.sleep,
        clock=time.clock,  # type: ignore[arg-type]
    )
    with pytest.raises(UltravoxUnavailableError) as caught:
        fetch(uv, deadline=30.0)
    # Three attempts and the waits between them ran the whole budget, not the last timeout.
    waited = round(time.now)
    assert waited >= 25
    assert f"timed out, {waited} s in all" in caught.value.problem


@pytest.mark.parametrize("base_url", ["api.ultravox.ai", "http://", "ftp://uv.test"])
def test_a_malformed_base_url_is_a_configuration_error_not_retried(base_url: str) -> None:
    uv = UltravoxClient(base_url, sleep=lambda s: pytest.fail("retried"))
    with pytest.raises(ConfigurationError) as caught:
        fetch(uv)
    assert "ULTRAVOX_API_BASE_URL" in caught.value.what_to_fix


def test_a_scrubbed_error_keeps_its_kind_and_loses_every_secret() -> None:
    error = UltravoxUnavailableError(f"HTTP 503: 'echo {API_KEY} and {WEBHOOK}'", "wait")
    clean = error.scrubbed([API_KEY, WEBHOOK])
    assert type(clean) is UltravoxUnavailableError and clean.what_to_fix == "wait"
    assert str(clean) == "HTTP 503: 'echo **** and ****'. Fix: wait"
    assert clean.args == ("HTTP 503: 'echo **** and ****'",)
    assert error.scrubbed(["not-in-the-text"]) is error
