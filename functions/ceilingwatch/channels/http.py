"""One way for a channel to POST JSON: a deadline per call and one retry decision for all."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ceilingwatch.common.errors import PermanentChannelError, TransientChannelError
from ceilingwatch.common.http import retry_after
from ceilingwatch.common.records import record
from ceilingwatch.common.scrub import scrub

if TYPE_CHECKING:
    import requests

# Data, not code (as in Alertmanager's notify/): what is worth another try.
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 5.0
MAX_RETRY_WAIT = 5.0  # seconds; a longer Retry-After waits for the next run instead
MIN_CALL_SECONDS = 0.5  # below this, a call cannot finish: leave it owed for the next run
MAX_ATTEMPTS = 2


@record(frozen=False, eq=False)
class Endpoint:
    """A service's answers: which statuses mean it took the message, and what others mean."""

    service: str
    taken: frozenset[int] = frozenset({200})
    meanings: Mapping[int, str] = field(default_factory=dict)


@record(frozen=False, eq=False)
class Poster:
    """POSTs with the deadline the send phase gives; never puts the URL in an error."""

    # Made at the first send: a quiet tick sends nothing and never loads requests.
    session: requests.Session | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def post(
        self,
        url: str,
        payload: Any,
        endpoint: Endpoint,
        *,
        deadline: float,
        secrets: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> requests.Response:
        """POSTs `payload` as JSON, or `body` as given (bytes a signature covers) when set."""
        import requests

        if self.session is None:
            self.session = requests.Session()
        sent: dict[str, Any] = {"json": payload} if body is None else {"data": body}
        problem = f"{endpoint.service} was not tried: no time left in this run"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            left = deadline - self.clock()
            if left < MIN_CALL_SECONDS:
                break
            timeout = (min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left))
            try:
                response = self.session.post(
                    url, headers=headers, timeout=timeout, allow_redirects=False, **sent
                )
            except requests.RequestException as error:
                problem, wait = _unanswered(error, endpoint, timeout), 1.0
            else:
                if response.status_code in endpoint.taken:
                    return response
                problem, wait = self._refused(response, endpoint, secrets)
                if wait > MAX_RETRY_WAIT or self.clock() + wait + MIN_CALL_SECONDS > deadline:
                    problem += f" and asked to wait {wait:.0f} s: left for the next run"
                    break
            if attempt < MAX_ATTEMPTS:
                self.sleep(wait)
        raise TransientChannelError(problem)

    @staticmethod
    def _refused(
        response: requests.Response, endpoint: Endpoint, secrets: Sequence[str]
    ) -> tuple[str, float]:
        """What a refusal means and how long it asks to wait; a permanent one raises at once."""
        status = response.status_code
        meaning = endpoint.meanings.get(status, f"{endpoint.service} answered HTTP {status}")
        if status not in RETRYABLE:
            raise PermanentChannelError(meaning + _excerpt(response, secrets))
        asked = retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        return meaning, asked if asked is not None else 1.0


def _excerpt(response: requests.Response, secrets: Sequence[str]) -> str:
    """A short, printable slice of an error body, with any secret it echoes masked."""
    text = scrub("".join(ch if ch.isprintable() else " " for ch in response.text[:400]), secrets)
    text = text.strip()[:80]
    return f": {text!r}" if text else ""


def _unanswered(
    error: requests.RequestException, endpoint: Endpoint, timeout: tuple[float, float]
) -> str:
    """Why no answer came; a read timeout raises, as the message may have been taken."""
    import requests

    if isinstance(error, requests.ConnectTimeout):
        return f"{endpoint.service} could not be reached within {timeout[0]:.1f} s"
    if isinstance(error, requests.Timeout):
        # It may have taken the message: another try now could show it twice.
        raise TransientChannelError(
            f"{endpoint.service} did not answer within {timeout[1]:.1f} s"
        ) from None
    # The exception's text holds the URL, and the URL may be the secret.
    return f"{endpoint.service} could not be reached ({type(error).__name__})"
