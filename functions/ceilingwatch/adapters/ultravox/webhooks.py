"""Ultravox's webhooks, as `live enable` manages them: listed, made, read, re-keyed, deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ceilingwatch.adapters.ultravox.api import MISSING, UltravoxClient
from ceilingwatch.common.errors import InvalidResponseError
from ceilingwatch.common.records import record
from ceilingwatch.domain.config import Secret

WEBHOOKS_PATH = "/api/webhooks"
LIVE_EVENTS = ("call.started", "call.joined", "call.ended")
MAX_PAGES = 50  # at Ultravox's page size, thousands of webhooks: far past any real account


@record
class Failure:
    """One failed delivery, as Ultravox reports it on the webhook."""

    timestamp: str
    failure: str


@record
class Webhook:
    """A webhook without its secrets: they are counted, never kept, so none can be printed."""

    webhook_id: str
    url: str
    events: tuple[str, ...]
    status: str  # "normal" or "unhealthy"
    recent_failures: tuple[Failure, ...] = ()
    secret_count: int | None = None  # None when Ultravox does not show them

    @classmethod
    def parse(cls, body: object) -> Webhook:
        if not isinstance(body, dict) or not isinstance(body.get("webhookId"), str):
            raise InvalidResponseError("a webhook without a webhookId")
        failures = body.get("recentFailures") or []
        secrets = body.get("secrets")
        return cls(
            webhook_id=body["webhookId"],
            url=str(body.get("url", "")),
            events=tuple(str(e) for e in body.get("events") or ()),
            status=str(body.get("status") or "normal"),
            recent_failures=tuple(
                Failure(str(f.get("timestamp", "")), str(f.get("failure", ""))[:200])
                for f in failures
                if isinstance(f, dict)
            ),
            secret_count=len(secrets) if isinstance(secrets, list) else None,
        )


@record
class Webhooks:
    """One account's webhooks, through the client's retries, budgets and scrubbing.

    Each call that sends a secret scrubs it from whatever comes back, as the key is.
    """

    client: UltravoxClient
    key: Secret = field(repr=False)
    key_parameter: str = ""

    def list(self, *, deadline: float) -> list[Webhook]:
        """Every page: `next` is followed by its query only, never to another host."""
        found: list[Webhook] = []
        params: dict[str, str] = {}
        for _ in range(MAX_PAGES):
            page = self._call("GET", WEBHOOKS_PATH, deadline, params=params)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise InvalidResponseError(f"{WEBHOOKS_PATH} is not a page of results")
            found += [Webhook.parse(item) for item in page["results"]]
            following = page.get("next")
            if not isinstance(following, str) or not following:
                return found
            params = dict(parse_qsl(urlsplit(following).query))
        raise InvalidResponseError(f"{WEBHOOKS_PATH} has more than {MAX_PAGES} pages")

    def create(
        self, url: str, secret: Secret, *, deadline: float, events: Sequence[str] = LIVE_EVENTS
    ) -> Webhook:
        body = {"url": url, "events": list(events), "secrets": [secret.reveal()]}
        return Webhook.parse(
            self._call("POST", WEBHOOKS_PATH, deadline, body=body, secrets=(secret,))
        )

    def get(self, webhook_id: str, *, deadline: float) -> Webhook | None:
        body = self._call("GET", _one(webhook_id), deadline, missing_ok=True)
        return None if body is MISSING else Webhook.parse(body)

    def set_secrets(
        self, webhook_id: str, secrets: Sequence[Secret], *, deadline: float
    ) -> Webhook:
        """Ultravox signs with each of `secrets` (a rotation keeps the old beside the new)."""
        body = {"secrets": [s.reveal() for s in secrets]}
        return Webhook.parse(
            self._call("PATCH", _one(webhook_id), deadline, body=body, secrets=tuple(secrets))
        )

    def delete(self, webhook_id: str, *, deadline: float) -> bool:
        """False when it was already gone: deleting twice is no error."""
        return self._call("DELETE", _one(webhook_id), deadline, missing_ok=True) is not MISSING

    def _call(
        self,
        method: str,
        path: str,
        deadline: float,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        secrets: Sequence[Secret] = (),
        missing_ok: bool = False,
    ) -> Any:
        return self.client.request(
            method,
            path,
            self.key,
            deadline=deadline,
            key_parameter=self.key_parameter,
            params=params,
            body=body,
            secrets=secrets,
            missing_ok=missing_ok,
        )


def _one(webhook_id: str) -> str:
    return f"{WEBHOOKS_PATH}/{quote(webhook_id, safe='')}"
