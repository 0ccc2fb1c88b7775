"""Checks requests and responses against our own OpenAPI files of the Ultravox calls, in spec/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from infra.simulator.ultravox import RecordedRequest

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
# Ours, one a call we make: what we depend on, not a copy of Ultravox's schema.
SPEC_FILES = (
    "usage-concurrency.openapi.yaml",
    "accounts-me.openapi.yaml",
    "calls.openapi.yaml",
    "webhooks.openapi.yaml",
)
# The specs' only server: requests are checked as if sent there, whatever host served them.
SERVER_URL = "https://api.ultravox.ai"


class ContractError(AssertionError):
    """A request or response that the OpenAPI files do not allow."""


@cache
def load_spec(name: str) -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_DIR / name))


def specs_for(path: str) -> list[str]:
    """The spec files that document `path`, templated paths (`/api/calls/{call_id}`) matched."""
    return [
        name
        for name in SPEC_FILES
        if any(_matches(str(t), path) for t in (load_spec(name).spec / "paths").keys())  # noqa: SIM118
    ]


def _matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


@dataclass
class _Request:
    method: str
    path: str
    query: Mapping[str, str]
    api_key_present: bool
    host_url: str = SERVER_URL
    body: bytes | None = None
    content_type: str = "application/json"
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        # Only the key's presence is recorded, and presence is all the security check needs.
        headers = Headers({"X-API-Key": "redacted"} if self.api_key_present else {})
        query = ImmutableMultiDict(list(self.query.items()))
        self.parameters = RequestParameters(query=query, header=headers)


@dataclass(frozen=True)
class _Response:
    status_code: int
    data: bytes
    content_type: str
    headers: Headers = field(default_factory=Headers)


def _explain(error: BaseException) -> str:
    """openapi-core keeps the useful part (which field, and why) down its chain of causes."""
    details: list[str] = []
    messages: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None) or ()
        details += [f"{e.json_path}: {e.message}" for e in schema_errors if hasattr(e, "json_path")]
        messages.append(str(cause).removeprefix(f"{type(cause).__name__}: "))
        cause = cause.__cause__
    # Messages can quote the whole payload (50,000 buckets, say): keep each one short.
    found = dict.fromkeys(m[:300] for m in (details or messages) if m)
    return f"{type(error).__name__}: {'; '.join(found)}"


def _check(what: str, name: str, call: Callable[[OpenAPI], object]) -> None:
    try:
        call(load_spec(name))
    except Exception as error:  # openapi-core raises a family of its own errors
        raise ContractError(f"{what} breaks {name}: {_explain(error)}") from error


def _chosen(path: str, specs: Iterable[str] | None) -> list[str]:
    names = list(specs) if specs is not None else specs_for(path)
    if not names:
        raise ContractError(f"no spec in {SPEC_DIR} documents {path}")
    return names


def validate_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    *,
    api_key_present: bool = True,
    specs: Iterable[str] | None = None,
    body: bytes | None = None,
) -> None:
    """Raise ContractError unless every spec that documents `path` (or `specs`) allows it."""
    request = _Request(method.lower(), path, query, api_key_present, body=body)
    for name in _chosen(path, specs):
        _check(f"{method} {path} {dict(query)}", name, lambda api: api.validate_request(request))


def validate_recorded(recorded: RecordedRequest, specs: Iterable[str] | None = None) -> None:
    """Check a request the simulator recorded, e.g. one the monitor made."""
    validate_request(
        recorded.method,
        recorded.path,
        recorded.query,
        api_key_present=recorded.api_key_present,
        specs=specs,
    )


def validate_response(
    method: str,
    path: str,
    query: Mapping[str, str],
    status: int,
    body: bytes,
    content_type: str,
    *,
    specs: Iterable[str] | None = None,
) -> None:
    """Raise ContractError unless the response matches what the spec(s) describe for the call."""
    request = _Request(method.lower(), path, query, api_key_present=True)
    response = _Response(status, body, content_type)
    what = f"{method} {path} -> {status}"
    for name in _chosen(path, specs):
        _check(what, name, lambda api: api.validate_response(request, response))
