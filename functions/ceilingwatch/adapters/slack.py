"""Slack incoming webhooks: one POST per message, checked destination, one polite retry."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import requests

from ceilingwatch.adapters.ultravox import retry_after
from ceilingwatch.config import Secret
from ceilingwatch.errors import ChannelError

SLACK_WEBHOOK_PREFIX = "https://hooks.slack.com/"
TIMEOUT = (3.05, 5.0)
MAX_RETRY_WAIT = 5.0  # seconds; a longer Retry-After is not worth a run's time budget
SLACK_ERRORS = {
    400: "Slack rejected the payload (400)",
    403: "Slack refused the webhook (403): the app lost its rights to the channel",
    404: "Slack does not know this webhook (404): it was revoked; create a new one",
    410: "the webhook's channel is archived (410): create a webhook for a live channel",
}


def check_webhook(url: Secret, allowed_prefixes: Sequence[str]) -> None:
    """Post only to Slack (or a configured stand-in): never a secret to an arbitrary host."""
    if not any(url.reveal().startswith(prefix) for prefix in allowed_prefixes):
        raise ChannelError(
            "the slack-webhook-url parameter does not start with "
            + " or ".join(allowed_prefixes)
            + "; put the incoming-webhook URL Slack gave you"
        )


class SlackNotifier:
    name = "slack"

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        allowed_prefixes: Sequence[str] = (SLACK_WEBHOOK_PREFIX,),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session or requests.Session()
        self.allowed_prefixes = tuple(allowed_prefixes)
        self._sleep = sleep

    def send(self, webhook: Secret, payload: dict[str, Any]) -> str:
        check_webhook(webhook, self.allowed_prefixes)
        problem = ""
        for attempt in (1, 2):
            wait = 1.0
            try:
                response = self.session.post(
                    webhook.reveal(), json=payload, timeout=TIMEOUT, allow_redirects=False
                )
            except requests.Timeout:
                # Slack may still post it: a retry could show the message twice.
                raise ChannelError(f"Slack did not answer within {TIMEOUT[1]:.0f} s") from None
            except requests.RequestException as error:
                # The exception text holds the URL, and the URL is the secret: name only the kind.
                problem = f"Slack could not be reached ({type(error).__name__})"
            else:
                status = response.status_code
                if status == 200:
                    return "ok"
                if status in SLACK_ERRORS:
                    body = response.text[:40].strip()
                    raise ChannelError(
                        f"{SLACK_ERRORS[status]}: {body!r}" if body else SLACK_ERRORS[status]
                    )
                problem = f"Slack answered HTTP {status}"
                wait = retry_after(response.headers.get("Retry-After"), datetime.now(UTC)) or 1.0
                if wait > MAX_RETRY_WAIT:
                    problem += f" and asked to wait {wait:.0f} s"
                    break
            if attempt == 1:
                self._sleep(wait)
        raise ChannelError(problem)
