"""HTTP for usage sources: a small session over urllib3, which botocore has loaded already."""

# requests costs a cold start about 20 ms CPU of imports; a tick's one HTTP call needs none.

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError


class TransportError(Exception):
    """No answer: refused, reset or cut short. Its text is urllib3's, which may quote the URL."""


class TransportTimeoutError(TransportError):
    """No answer within the timeout."""


class BadUrlError(Exception):
    """The URL cannot be sent: not a URL, or not http(s)."""


class Response(Protocol):
    """What the client reads of an answer, streamed (requests' names, so a test may use one)."""

    status_code: int

    @property
    def ok(self) -> bool: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    def iter_content(self, chunk_size: int) -> Iterator[bytes]: ...
    def __enter__(self) -> Response: ...
    def __exit__(self, *exc: object) -> None: ...


class Session(Protocol):
    """The client's seam: one method per HTTP method, with requests' keywords."""

    def get(self, url: str, **options: Any) -> Response: ...


class Urllib3Session:
    """One connection pool for the execution environment; redirects never followed (the key
    travels in a header), no retries of its own (the client decides those)."""

    def __init__(self) -> None:
        self.pool = urllib3.PoolManager(retries=False)

    def get(self, url: str, **options: Any) -> _Answer:
        return self.send("GET", url, **options)

    def post(self, url: str, **options: Any) -> _Answer:
        return self.send("POST", url, **options)

    def patch(self, url: str, **options: Any) -> _Answer:
        return self.send("PATCH", url, **options)

    def delete(self, url: str, **options: Any) -> _Answer:
        return self.send("DELETE", url, **options)

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
        params: Mapping[str, str] | None = None,
        json: Any = None,
        **_: Any,  # allow_redirects, stream: always False and True here
    ) -> _Answer:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BadUrlError("is not http:// or https://" if parts.scheme else "is not a URL")
        if not parts.hostname:
            raise BadUrlError("is not a URL (no host)")
        headers, body = dict(headers), None
        if json is not None:
            headers["Content-Type"], body = "application/json", _encode(json)
        query = "?" + urlencode(params) if params else ""
        try:
            raw = self.pool.request(
                method,
                url + query,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                redirect=False,
                retries=False,
                preload_content=False,
            )
        except Exception as error:
            raise _fault(error) from None
        return _Answer(raw)


class _Answer:
    """An urllib3 answer as the client reads it: status, headers, the body in chunks."""

    def __init__(self, raw: urllib3.BaseHTTPResponse) -> None:
        self.raw = raw
        self.status_code = raw.status
        self.headers = raw.headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 400

    def iter_content(self, chunk_size: int) -> Iterator[bytes]:
        try:
            yield from self.raw.stream(chunk_size)
        except Exception as error:
            raise _fault(error) from None

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.release_conn()


def _encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def _fault(error: Exception) -> Exception:
    """urllib3's failure as the client's: a refused connection is not a timeout (urllib3's
    NewConnectionError is a ConnectTimeoutError for history's sake)."""
    if isinstance(error, NewConnectionError):
        return TransportError(str(error))
    if isinstance(error, TimeoutError):
        return TransportTimeoutError(str(error))
    if isinstance(error, HTTPError | OSError):
        return TransportError(str(error))
    return error
