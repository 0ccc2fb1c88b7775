"""What each channel's transport meets: HTTP through the Poster and SNS as a stub, one fault."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import requests
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from ceilingwatch.channels.http import Endpoint, Poster

# Longer than any deadline a test gives: a hung call outlives the run, then lets its thread go.
HANG_SECONDS = 5.0
SNS_URL = "https://sns.us-east-1.amazonaws.com/"


class Fault(StrEnum):
    """What the upstream does with a call, in the words of the fault matrix."""

    NONE = "taken"
    SERVER_ERROR = "5xx"
    THROTTLED = "429"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    REFUSED = "4xx"
    HUNG = "hung"


# SNS in its own words (the query protocol): it throttles with 400 Throttling, not a 429.
SNS_ERRORS = {
    Fault.SERVER_ERROR: (500, "InternalError"),
    Fault.THROTTLED: (400, "Throttling"),
    Fault.REFUSED: (400, "InvalidParameter"),
}
HTTP_STATUS = {Fault.SERVER_ERROR: 503, Fault.THROTTLED: 429, Fault.REFUSED: 400}
# How an echo comes back: as written, URL-encoded, or JSON-escaped ("https:\/\/hooks...").
SPELLINGS: dict[str, Callable[[str], str]] = {
    "as written": lambda text: text,
    "URL-encoded": lambda text: quote(text, safe=""),
    "JSON-escaped": lambda text: text.replace("/", "\\/"),
}


@dataclass(frozen=True)
class Echo:
    """The part of the request an error repeats first (where an excerpt's cut cannot miss it)."""

    part: str = "url"  # or "headers", "payload"
    spelling: str = "as written"

    def text(self, url: str, request: dict[str, Any]) -> str:
        parts = {
            "url": url,
            "headers": json.dumps(request.get("headers")),
            "payload": json.dumps(request.get("json", request), default=str),
        }
        return f"{SPELLINGS[self.spelling](parts[self.part])} is not valid here"


@dataclass
class Upstream:
    """Records every call and answers with its fault; an error repeats part of the request, as
    careless services do, so a channel that passes it on leaks its secret."""

    fault: Fault = Fault.NONE
    echo: Echo = field(default_factory=Echo)
    calls: list[dict[str, Any]] = field(default_factory=list)
    endpoint: Endpoint | None = None  # the Poster's current call: which 2xx means taken
    release: threading.Event = field(default_factory=threading.Event)

    # --- requests.Session, as the Poster uses it ---------------------------------------------
    def post(self, url: str, **request: Any) -> requests.Response:
        self.calls.append({"url": url, **request})
        said = self.echo.text(url, request)
        # requests puts the URL in its exceptions' text; so do these.
        self._raise_or_hang(
            lambda: requests.ReadTimeout(said), lambda: requests.ConnectionError(said)
        )
        if self.fault is Fault.NONE:
            assert self.endpoint is not None, "an HTTP channel that bypasses the Poster"
            body = {"ok": True, "ts": "1764000000.000100", "channel": "C0CEILING1"}
            return _response(min(self.endpoint.taken), json.dumps(body))
        headers = {"Retry-After": "1"} if self.fault is Fault.THROTTLED else {}
        return _response(HTTP_STATUS[self.fault], said, headers)

    # --- the SNS client, as the email channel uses it -----------------------------------------
    def publish(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        self._raise_or_hang(
            lambda: ReadTimeoutError(endpoint_url=SNS_URL),
            lambda: EndpointConnectionError(endpoint_url=SNS_URL),
        )
        if self.fault is Fault.NONE:
            return {"MessageId": "0b6c5f43-3f1d-5d4e-9c7a-000000000001"}
        status, code = SNS_ERRORS[self.fault]
        error = {"Code": code, "Message": self.echo.text(SNS_URL, request)}
        raise ClientError(
            {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}},  # type: ignore[typeddict-item]
            "Publish",
        )

    def _raise_or_hang(
        self, timeout: Callable[[], Exception], unreachable: Callable[[], Exception]
    ) -> None:
        if self.fault is Fault.HUNG:
            # Never answers, whatever timeout it was asked for (a server trickling bytes).
            self.release.wait(HANG_SECONDS)
            raise timeout()
        if self.fault is Fault.TIMEOUT:
            raise timeout()
        if self.fault is Fault.UNREACHABLE:
            raise unreachable()


class UpstreamPoster(Poster):
    """The real Poster over the Upstream, telling it which answers the call's endpoint takes."""

    def post(self, url: str, payload: Any, endpoint: Endpoint, **kwargs: Any) -> requests.Response:
        assert isinstance(self.session, Upstream)
        self.session.endpoint = endpoint
        return super().post(url, payload, endpoint, **kwargs)


def leaked(
    secrets: Iterable[str], said: str, public: Iterable[str] = (), size: int = 12
) -> list[str]:
    """The secrets any of whose private stretches (`size` characters, in any spelling) `said`
    shows: a secret cut short by an excerpt still leaks its beginning."""
    known = [spell(text) for text in public for spell in SPELLINGS.values()]
    # A repr() doubles the backslashes of a JSON-escaped echo; it is no less readable for that.
    texts = (said, said.replace("\\\\", "\\"))
    return [s for s in secrets if any(w in t for w in _private(s, known, size) for t in texts)]


def _private(secret: str, public: list[str], size: int) -> Iterator[str]:
    for spell in SPELLINGS.values():
        spelled = spell(secret)
        for start in range(max(1, len(spelled) - size + 1)):
            window = spelled[start : start + size]
            if not any(window in text for text in public):
                yield window


def _response(status: int, text: str, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = text.encode()
    response.headers.update(headers or {})
    return response
