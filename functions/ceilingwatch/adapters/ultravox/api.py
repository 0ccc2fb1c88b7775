"""Ultravox's REST API: the concurrency series and the account, with timeouts and retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple
from urllib.parse import quote

from ceilingwatch.adapters.transport import (
    BadUrlError,
    Session,
    TransportError,
    TransportTimeoutError,
    Urllib3Session,
)
from ceilingwatch.adapters.ultravox.answer import MAX_BODY_BYTES, Answer, cause
from ceilingwatch.common.errors import (
    ConfigurationError,
    InvalidResponseError,
    UltravoxAuthError,
    UltravoxUnavailableError,
)
from ceilingwatch.common.http import retry_after
from ceilingwatch.common.records import record
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.plan import Subscription
from ceilingwatch.domain.ports import Account
from ceilingwatch.domain.series import Bucket, TimeSeries, parse_time_series

CONCURRENCY_PATH = "/api/accounts/me/usage/concurrency"
ACCOUNT_PATH = "/api/accounts/me"
CALLS_PATH = "/api/calls/"  # + the call's ID
RETRYABLE = frozenset({429, 500, 502, 503, 504})
TIMEOUT = (3.05, 10.0)  # (connect, read) seconds
MAX_ATTEMPTS = 3
MISSING: Final = object()  # what `request` answers a 404 with, where one is allowed
__all__ = ["ACCOUNT_PATH", "CALLS_PATH", "CONCURRENCY_PATH", "MAX_BODY_BYTES", "UltravoxClient"]


class UltravoxClient:
    """One per execution environment (its session); the key travels per call, so a rotated key
    takes at once and one client serves every monitor (see source.py)."""

    def __init__(
        self,
        base_url: str,
        session: Session | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        key_parameter: str = "the ultravox-api-key parameter",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or Urllib3Session()
        self._sleep = sleep
        self._clock = clock
        self.key_parameter = key_parameter

    def concurrency(
        self,
        key: Secret,
        start: datetime,
        end: datetime,
        *,
        deadline: float,
        bucket: Bucket = Bucket.FIVE_MINUTES,
        key_parameter: str = "",
    ) -> TimeSeries:
        """`5min` buckets for a run; `hour` buckets for the weekly digest's two weeks.

        `key_parameter` is where a rejected key's fix tells to look (this client's by default).
        """
        params = {"bucket": bucket.value, "start": _iso(start), "end": _iso(end)}
        body = self.get(CONCURRENCY_PATH, key, params, deadline, key_parameter)
        return parse_time_series(body, start, end)

    def account(self, key: Secret, *, deadline: float, key_parameter: str = "") -> Account:
        body = self.get(ACCOUNT_PATH, key, {}, deadline, key_parameter)
        if not isinstance(body, dict):
            raise InvalidResponseError("the account is not a JSON object")
        allowed = body.get("allowedConcurrentCalls")
        active = body.get("activeCalls")
        for name, value in (("allowedConcurrentCalls", allowed), ("activeCalls", active)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidResponseError(f"{name} is not an integer: {value!r:.30}")
        tier = body.get("subscriptionTier")
        tier = tier if isinstance(tier, str) else None
        return Account(
            allowed_concurrent_calls=allowed,
            active_calls=active,
            subscription_tier=tier,
            subscription=Subscription(
                tier=tier,
                expiration=_moment(body.get("subscriptionExpiration")),
                scheduled_update=_moment(body.get("subscriptionScheduledUpdate")),
                renewal=_moment(body.get("subscriptionRenewal")),
            ),
        )

    def call(
        self, key: Secret, call_id: str, *, deadline: float, key_parameter: str = ""
    ) -> Mapping[str, Any] | None:
        """The Call object as Ultravox holds it now, or None when it has no such call (404)."""
        path = CALLS_PATH + quote(call_id, safe="")
        body = self.request(
            "GET", path, key, deadline=deadline, key_parameter=key_parameter, missing_ok=True
        )
        if body is MISSING:
            return None
        if not isinstance(body, dict):
            raise InvalidResponseError(f"the call {call_id[:40]!r} is not a JSON object")
        return body

    def get(
        self, path: str, key: Secret, params: dict[str, str], deadline: float, key_parameter: str
    ) -> Any:
        """GET with retries on 429/5xx and network faults, never sleeping past `deadline`."""
        return self.request(
            "GET", path, key, deadline=deadline, key_parameter=key_parameter, params=params
        )

    def request(
        self,
        method: str,
        path: str,
        key: Secret,
        *,
        deadline: float,
        key_parameter: str = "",
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        secrets: Sequence[Secret] = (),
        missing_ok: bool = False,
    ) -> Any:
        """One call with retries, never sleeping past `deadline`; MISSING for a 404 if allowed.

        GET and DELETE are retried on 429/5xx and network faults. POST and PATCH only where
        Ultravox surely did nothing (429, a refused connection): a second webhook must not be
        made because the first one's answer was lost. `secrets` (a webhook's) are scrubbed
        from every answer, as the key is.
        """
        call = _Call(method, path, params or {}, body, (key, *secrets))
        started = self._clock()
        problem = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            tried = self._try(call, deadline, started, attempt, key_parameter, missing_ok)
            if tried.done:
                return tried.value
            problem = tried.problem
            if not tried.retry or attempt == MAX_ATTEMPTS:
                break
            wait = tried.wait if tried.wait is not None else _backoff(attempt)
            if self._clock() + wait + 1.0 > deadline:
                problem += f"; retrying after {wait:.0f} s would pass this run's time budget"
                break
            self._sleep(wait)
        raise UltravoxUnavailableError(
            problem,
            "nothing if it clears within a few runs: Ultravox is down or rate-limiting this key; "
            "check status.ultravox.ai and that no other job shares the key",
        )

    def _try(
        self,
        call: _Call,
        deadline: float,
        started: float,
        attempt: int,
        key_parameter: str,
        missing_ok: bool,
    ) -> _Tried:
        """One attempt: its answer, or why it failed and whether another may be tried."""
        timeout = (TIMEOUT[0], max(0.5, min(TIMEOUT[1], deadline - self._clock())))
        try:
            answer = self._fetch(call, timeout)
        except TransportTimeoutError:
            # The time really waited, over every attempt: each one's timeout shrinks with
            # the budget, so the last one alone would understate it.
            problem = (
                f"Ultravox did not answer {call.method} {call.path}: {attempt} attempt(s) timed "
                f"out, {self._clock() - started:.0f} s in all"
            )
            return _Tried(problem=problem, retry=call.idempotent)
        except TransportError as error:  # refused, reset, truncated body
            problem = f"could not connect to Ultravox at {self.base_url} ({cause(error)})"
            return _Tried(problem=problem, retry=call.idempotent or "refused" in problem)
        if answer.ok:
            return _Tried(done=True, value=None if answer.status == 204 else answer.json(call.path))
        if answer.status == 404 and missing_ok:
            return _Tried(done=True, value=MISSING)
        self._raise_unless_retryable(answer, call.path, key_parameter or self.key_parameter)
        problem = f"Ultravox answered {call.method} {call.path} with HTTP {answer.status}"
        return _Tried(
            problem=problem + answer.excerpt(),
            retry=call.idempotent or answer.status == 429,
            wait=retry_after(answer.headers.get("Retry-After"), self._now()),
        )

    def _fetch(self, call: _Call, timeout: tuple[float, float]) -> Answer:
        headers = {"X-API-Key": call.secrets[0].reveal(), "Accept": "application/json"}
        try:
            # By its method's name, so a session stand-in need only have the methods used.
            send = getattr(self.session, call.method.lower())
            extra = {} if call.body is None else {"json": call.body}
            response = send(
                self.base_url + call.path,
                params=call.params,
                headers=headers,
                **extra,
                timeout=timeout,
                # A redirect would carry the key's header to wherever it points.
                allow_redirects=False,
                stream=True,
            )
        except BadUrlError as error:
            raise self._bad_base_url(str(error)) from None
        with response:
            return Answer.read(response, call.path, tuple(s.reveal() for s in call.secrets))

    def _bad_base_url(self, why: str) -> ConfigurationError:
        return ConfigurationError(
            f"the Ultravox base URL {self.base_url[:80]!r} {why}",
            "set ULTRAVOX_API_BASE_URL (the UltravoxApiBaseUrl template parameter) to "
            "an https:// URL such as https://api.ultravox.ai",
        )

    def _raise_unless_retryable(self, answer: Answer, path: str, key_parameter: str) -> None:
        status = answer.status
        if status in RETRYABLE:
            return
        if status == 401:
            raise UltravoxAuthError(
                "Ultravox rejected the API key (HTTP 401)",
                f"put a valid key in {key_parameter} (SecureString)",
            )
        if status == 403:
            raise UltravoxAuthError(
                "the API key lacks the rights to read account usage (HTTP 403)",
                f"put a key with account access in {key_parameter}",
            )
        if status == 404:
            raise InvalidResponseError(
                f"{path} was not found (HTTP 404) at {self.base_url}",
                "check ULTRAVOX_API_BASE_URL (the UltravoxApiBaseUrl template parameter)",
            )
        raise InvalidResponseError(f"{path} answered HTTP {status}{answer.excerpt()}")

    def _now(self) -> datetime:
        return datetime.now(UTC)


def _backoff(attempt: int) -> float:
    """0.5 s, 1 s, 2 s, at most 4 s, each jittered between half and one and a half times."""
    jitter = 0.5 + random.random()  # noqa: S311  # nosec B311 - jitter, not cryptography
    return min(4.0, 0.5 * 2.0 ** (attempt - 1)) * jitter


def _moment(value: object) -> datetime | None:
    """A plan date, or None: the plan fields feed a notice, never a reason to fail the run."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Tried(NamedTuple):
    """One attempt's end: the value (done), or the problem, and whether to try again and when."""

    done: bool = False
    value: Any = None
    problem: str = ""
    retry: bool = False
    wait: float | None = None


@record(frozen=False, eq=False)
class _Call:
    """What one request sends; its secrets (the key first) never appear in its repr."""

    method: str
    path: str
    params: Mapping[str, str]
    body: Mapping[str, Any] | None = field(repr=False)
    secrets: tuple[Secret, ...] = field(repr=False)

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "DELETE")
