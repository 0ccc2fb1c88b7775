"""Ultravox's REST API: the concurrency series and the account, with timeouts and retries."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from ceilingwatch.common.errors import (
    ConfigurationError,
    InvalidResponseError,
    UltravoxAuthError,
    UltravoxUnavailableError,
)
from ceilingwatch.common.http import retry_after
from ceilingwatch.common.scrub import scrub
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.plan import Subscription
from ceilingwatch.domain.ports import Account
from ceilingwatch.domain.series import Bucket, TimeSeries, parse_time_series

CONCURRENCY_PATH = "/api/accounts/me/usage/concurrency"
ACCOUNT_PATH = "/api/accounts/me"
RETRYABLE = frozenset({429, 500, 502, 503, 504})
TIMEOUT = (3.05, 10.0)  # (connect, read) seconds
MAX_ATTEMPTS = 3
# An hour of 5-minute buckets is under 2 KB; 8 MiB still holds some 60,000 buckets, while
# parsing it stays well inside the function's 128 MB. The body is read as a stream, so a
# bigger answer is refused after 8 MiB, not read whole into memory.
MAX_BODY_BYTES = 8 * 1024 * 1024
ERROR_BODY_BYTES = 4096  # of an error answer: enough for an excerpt


class UltravoxClient:
    """One per execution environment (its session); the key travels per call, so a rotated key
    takes at once and one client serves every monitor (see source.py)."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        key_parameter: str = "the ultravox-api-key parameter",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
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
        if allowed is not None and (isinstance(allowed, bool) or not isinstance(allowed, int)):
            raise InvalidResponseError(f"allowedConcurrentCalls is not an integer: {allowed!r:.30}")
        tier = body.get("subscriptionTier")
        tier = tier if isinstance(tier, str) else None
        return Account(
            allowed_concurrent_calls=allowed,
            active_calls=active if isinstance(active, int) else None,
            subscription_tier=tier,
            subscription=Subscription(
                tier=tier,
                expiration=_moment(body.get("subscriptionExpiration")),
                scheduled_update=_moment(body.get("subscriptionScheduledUpdate")),
                renewal=_moment(body.get("subscriptionRenewal")),
            ),
        )

    def get(
        self, path: str, key: Secret, params: dict[str, str], deadline: float, key_parameter: str
    ) -> Any:
        """GET with retries on 429/5xx and network faults, never sleeping past `deadline`."""
        problem = ""
        started = self._clock()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            timeout = (TIMEOUT[0], max(0.5, min(TIMEOUT[1], deadline - self._clock())))
            wait: float | None = None
            try:
                answer = self._fetch(path, key, params, timeout)
            except requests.Timeout:
                # The time really waited, over every attempt: each one's timeout shrinks with
                # the budget, so the last one alone would understate it.
                problem = (
                    f"Ultravox did not answer {path}: {attempt} attempt(s) timed out, "
                    f"{self._clock() - started:.0f} s in all"
                )
            except requests.RequestException as error:  # refused, reset, truncated body
                problem = f"could not connect to Ultravox at {self.base_url} ({_cause(error)})"
            else:
                if answer.ok:
                    return answer.json(path)
                self._raise_unless_retryable(answer, path, key_parameter or self.key_parameter)
                problem = f"Ultravox answered {path} with HTTP {answer.status}{answer.excerpt()}"
                wait = retry_after(answer.headers.get("Retry-After"), self._now())
            if attempt == MAX_ATTEMPTS:
                break
            wait = wait if wait is not None else _backoff(attempt)
            if self._clock() + wait + 1.0 > deadline:
                problem += f"; retrying after {wait:.0f} s would pass this run's time budget"
                break
            self._sleep(wait)
        raise UltravoxUnavailableError(
            problem,
            "nothing if it clears within a few runs: Ultravox is down or rate-limiting this key; "
            "check status.ultravox.ai and that no other job shares the key",
        )

    def _fetch(
        self, path: str, key: Secret, params: dict[str, str], timeout: tuple[float, float]
    ) -> _Answer:
        try:
            response = self.session.get(
                self.base_url + path,
                params=params,
                headers={"X-API-Key": key.reveal(), "Accept": "application/json"},
                timeout=timeout,
                # requests keeps custom headers across hosts on a redirect: the key with them.
                allow_redirects=False,
                stream=True,
            )
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as error:
            raise self._bad_base_url(f"is not a URL ({type(error).__name__})") from None
        except requests.exceptions.InvalidSchema:
            raise self._bad_base_url("is not http:// or https://") from None
        with response:
            return _Answer.read(response, path, key)

    def _bad_base_url(self, why: str) -> ConfigurationError:
        return ConfigurationError(
            f"the Ultravox base URL {self.base_url[:80]!r} {why}",
            "set ULTRAVOX_API_BASE_URL (the UltravoxApiBaseUrl template parameter) to "
            "an https:// URL such as https://api.ultravox.ai",
        )

    def _raise_unless_retryable(self, answer: _Answer, path: str, key_parameter: str) -> None:
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


@dataclass(frozen=True)
class _Answer:
    """A response read within its size limit, its text from outside scrubbed of the key."""

    status: int
    headers: dict[str, str]
    body: bytes
    secrets: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @classmethod
    def read(cls, response: requests.Response, path: str, key: Secret) -> _Answer:
        limit = MAX_BODY_BYTES if response.ok else ERROR_BODY_BYTES
        declared = response.headers.get("Content-Length", "")
        if response.ok and declared.isdigit() and int(declared) > limit:
            raise _too_big(path, f"declares {int(declared):,} bytes")
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > limit:
                if response.ok:
                    raise _too_big(path, f"went past {limit:,} bytes")
                break  # an error answer: its first bytes are enough to tell what went wrong
        # Headers and body are Ultravox's text, and an upstream may echo the key in either.
        secrets = (key.reveal(),)
        headers = {name: scrub(value, secrets) for name, value in response.headers.items()}
        return cls(response.status_code, headers, bytes(body[:limit]), secrets)

    def json(self, path: str) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            kind = self.headers.get("Content-Type", "no content type").split(";")[0]
            raise InvalidResponseError(
                f"{path} answered {kind[:40]}, not JSON{self.excerpt()}"
            ) from None

    def excerpt(self) -> str:
        """A short, printable slice of the body: enough to recognise, too short to leak much.

        Scrubbed well past the slice shown, so the cut cannot fall inside a secret."""
        text = scrub(self.body[:480].decode("utf-8", "replace"), self.secrets)
        text = "".join(ch if ch.isprintable() else " " for ch in text[:120]).strip()
        return f": {text[:80]!r}" if text else ""


def _too_big(path: str, how: str) -> InvalidResponseError:
    return InvalidResponseError(
        f"the answer to {path} {how}, over the {MAX_BODY_BYTES // (1024 * 1024)} MiB limit, "
        "so it was not parsed",
        "nothing on your side if it passes; if it persists, report to Ultravox that "
        "/usage/concurrency returns more than the hour asked for",
    )


def _cause(error: Exception) -> str:
    text = str(error)
    for marker in ("Connection refused", "Connection reset", "Name or service not known"):
        if marker in text:
            return marker.lower()
    return type(error).__name__
