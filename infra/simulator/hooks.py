"""The simulator's /api/webhooks: registered, listed in pages, re-keyed, deleted, their health."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from infra.simulator.clock import format_time

WEBHOOKS_PATH = "/api/webhooks"
EVENTS = ("call.started", "call.joined", "call.ended", "call.billed")
MAX_URL = 200  # characters, as Ultravox documents
MAX_SECRET = 120
PAGE_SIZE = 100
UNHEALTHY_AFTER = 3  # failed deliveries in a row; Ultravox does not say how many
RECENT_FAILURES = 10

Answer = tuple[int, Any]  # status, JSON body (None: no body)


@dataclass
class Webhook:
    """One registered webhook: where to, which events, its secrets and its health."""

    webhook_id: str
    url: str
    events: list[str]
    secrets: list[str] = field(repr=False)
    created: datetime
    agent_id: str | None = None
    status: str = "normal"
    last_status_change: datetime | None = None
    recent_failures: list[dict[str, str]] = field(default_factory=list)
    failures_in_a_row: int = 0

    def public(self) -> dict[str, Any]:
        changed = self.last_status_change
        return {
            "webhookId": self.webhook_id,
            "url": self.url,
            "events": list(self.events),
            "secrets": list(self.secrets),
            "agentId": self.agent_id,
            "created": format_time(self.created),
            "status": self.status,
            "lastStatusChange": None if changed is None else format_time(changed),
            "recentFailures": list(self.recent_failures),
        }


class WebhookRegistry:
    """The account's webhooks, as Ultravox's API manages and validates them."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._hooks: dict[str, Webhook] = {}

    def all(self) -> list[Webhook]:
        with self._lock:
            return list(self._hooks.values())

    def answer(
        self, method: str, path: str, query: Mapping[str, str], body: Any, base_url: str
    ) -> Answer:
        """The answer to a request under /api/webhooks."""
        rest = path.removeprefix(WEBHOOKS_PATH).strip("/")
        if not rest:
            if method == "GET":
                return self._page(query, base_url)
            if method == "POST":
                return self._create(body)
            return HTTPStatus.METHOD_NOT_ALLOWED, {"detail": f'Method "{method}" not allowed.'}
        with self._lock:
            hook = self._hooks.get(rest)
        if hook is None or "/" in rest:
            return HTTPStatus.NOT_FOUND, {"detail": "Not found."}
        if method == "GET":
            return HTTPStatus.OK, hook.public()
        if method == "DELETE":
            with self._lock:
                self._hooks.pop(rest, None)
            return HTTPStatus.NO_CONTENT, None
        if method in ("PATCH", "PUT"):
            return self._update(hook, body, partial=method == "PATCH")
        return HTTPStatus.METHOD_NOT_ALLOWED, {"detail": f'Method "{method}" not allowed.'}

    def _page(self, query: Mapping[str, str], base_url: str) -> Answer:
        hooks = self.all()
        try:
            start = max(0, int(query.get("cursor", "0")))
            size = min(PAGE_SIZE, max(1, int(query.get("pageSize", str(PAGE_SIZE)))))
        except ValueError:
            return HTTPStatus.BAD_REQUEST, {"detail": "Invalid cursor."}
        following = start + size
        more = following < len(hooks)
        next_url = f"{base_url}{WEBHOOKS_PATH}?cursor={following}&pageSize={size}"
        return HTTPStatus.OK, {
            "results": [h.public() for h in hooks[start:following]],
            "next": next_url if more else None,
            "previous": None,
            "total": len(hooks),
        }

    def _create(self, body: Any) -> Answer:
        problems = _problems(body, partial=False)
        if problems:
            return HTTPStatus.BAD_REQUEST, problems
        given = body.get("secrets") or [secrets.token_urlsafe(32)]  # Ultravox makes one if none
        hook = Webhook(
            webhook_id=str(uuid.uuid4()),
            url=body["url"],
            events=list(body["events"]),
            secrets=list(given),
            created=self._clock(),
            agent_id=body.get("agentId"),
        )
        with self._lock:
            self._hooks[hook.webhook_id] = hook
        return HTTPStatus.CREATED, hook.public()

    def _update(self, hook: Webhook, body: Any, *, partial: bool) -> Answer:
        problems = _problems(body, partial=partial)
        if problems:
            return HTTPStatus.BAD_REQUEST, problems
        with self._lock:
            hook.url = body.get("url", hook.url)
            hook.events = list(body.get("events", hook.events))
            hook.secrets = list(body.get("secrets", hook.secrets))
            hook.agent_id = body.get("agentId", hook.agent_id)
        return HTTPStatus.OK, hook.public()

    def record(self, hook: Webhook, failure: str | None) -> None:
        """A delivery's outcome: failures in a row make a webhook unhealthy, a success heals it."""
        now = self._clock()
        with self._lock:
            if failure is None:
                hook.failures_in_a_row = 0
                status = "normal"
            else:
                hook.failures_in_a_row += 1
                hook.recent_failures.append({"timestamp": format_time(now), "failure": failure})
                del hook.recent_failures[:-RECENT_FAILURES]
                unhealthy = hook.failures_in_a_row >= UNHEALTHY_AFTER
                status = "unhealthy" if unhealthy else hook.status
            if status != hook.status:
                hook.status, hook.last_status_change = status, now


def _problems(body: Any, *, partial: bool) -> dict[str, list[str]]:
    """DRF's field errors, for what Ultravox documents of a webhook."""
    if not isinstance(body, dict):
        return {"non_field_errors": ["Invalid data. Expected a dictionary."]}
    problems: dict[str, list[str]] = {}
    required = () if partial else ("url", "events")
    for name in required:
        if name not in body:
            problems[name] = ["This field is required."]
    url = body.get("url")
    if url is not None:
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            problems["url"] = ["Enter a valid URL."]
        elif len(url) > MAX_URL:
            problems["url"] = [f"Ensure this field has no more than {MAX_URL} characters."]
    events = body.get("events")
    if events is not None and (
        not isinstance(events, list) or not events or any(e not in EVENTS for e in events)
    ):
        problems["events"] = [f"Each event must be one of: {', '.join(EVENTS)}."]
    given = body.get("secrets")
    if given is not None and (
        not isinstance(given, list)
        or any(not isinstance(s, str) or not s or len(s) > MAX_SECRET for s in given)
    ):
        problems["secrets"] = [f"Each secret must be 1 to {MAX_SECRET} characters."]
    return problems
