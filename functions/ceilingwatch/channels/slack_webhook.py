"""Slack through an incoming webhook: one POST per message, to Slack's host only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ceilingwatch.channels.base import routed
from ceilingwatch.channels.http import Endpoint, Poster
from ceilingwatch.common.errors import PermanentChannelError
from ceilingwatch.common.settings import SLACK_WEBHOOK_PREFIX
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.messages import format_slack
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.severity import Severity

SLACK = Endpoint(
    "Slack",
    meanings={
        400: "Slack rejected the payload (400)",
        403: "Slack refused the webhook (403): the app lost its rights to the channel",
        404: "Slack does not know this webhook (404): it was revoked; create a new one",
        410: "the webhook's channel is archived (410): create a webhook for a live channel",
    },
)


# `{}` has no text: Slack refuses it without posting, and which refusal proves the webhook lives.
PROBE = Endpoint("Slack", taken=frozenset({400}), meanings={**SLACK.meanings, 200: "Slack posted"})
PROBE_ANSWERS = frozenset({"no_text", "invalid_payload"})


def probe(webhook: Secret, poster: Poster, *, deadline: float) -> str:
    """Slack's refusal of an empty body (`no_text`): the webhook exists, and nothing was posted.

    Raises PermanentChannelError when Slack refuses the webhook itself (404, 410, 403), and
    TransientChannelError when it cannot be reached.
    """
    url = webhook.reveal()
    response = poster.post(url, {}, PROBE, deadline=deadline, secrets=(url,))
    answer = response.text.strip()[:40]
    if answer not in PROBE_ANSWERS:
        raise PermanentChannelError(f"Slack answered an empty probe with 400 {answer!r}")
    return answer


def webhook_problem(url: Secret, allowed_prefixes: Sequence[str]) -> str:
    """Post only to Slack (or a configured stand-in): never a secret to an arbitrary host."""
    if any(url.reveal().startswith(prefix) for prefix in allowed_prefixes):
        return ""
    return (
        "slack-webhook-url does not start with "
        + " or ".join(allowed_prefixes)
        + ": put the incoming-webhook URL Slack gave you"
    )


class SlackWebhookChannel:
    name = "slack"
    parameter = "slack-webhook-url"  # named when it keeps failing (a channel problem)

    def __init__(
        self,
        webhook: Secret,
        poster: Poster,
        *,
        allowed_prefixes: Sequence[str] = (SLACK_WEBHOOK_PREFIX,),
        min_severity: Severity = Severity.WARNING,
    ) -> None:
        self.webhook = webhook
        self.poster = poster
        self.allowed_prefixes = tuple(allowed_prefixes)
        self.min_severity = min_severity

    def accepts(self, note: Notification) -> bool:
        return routed(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        # The registry refuses a foreign host before a channel is built; this guards the secret
        # against any other caller.
        if webhook_problem(self.webhook, self.allowed_prefixes):
            raise PermanentChannelError("slack-webhook-url is not a Slack webhook URL")
        self.poster.post(
            self.webhook.reveal(),
            format_slack(note, context.links),
            SLACK,
            deadline=context.deadline,
            secrets=(self.webhook.reveal(),),
        )
        return context.memory
