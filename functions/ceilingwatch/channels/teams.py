"""Microsoft Teams through a Workflows webhook: the Slack message's facts as an Adaptive Card."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ceilingwatch.channels.base import ChannelBuild, Wiring, min_severity, routed
from ceilingwatch.channels.http import Endpoint, Poster
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig, Secret
from ceilingwatch.domain.messages import facts, title
from ceilingwatch.domain.parameters import Parameter, PlugIn
from ceilingwatch.domain.ports import Channel, Context
from ceilingwatch.domain.severity import Severity

# Workflows ("Post to a channel when a webhook request is received") URLs live on these hosts.
WORKFLOWS_HOSTS = (".logic.azure.com", ".powerplatform.com", ".powerautomate.com")
RETIRED_HOST = ".webhook.office.com"
CARD_LIMIT = 28 * 1024  # Teams refuses larger messages
TEAMS = Endpoint(
    "Teams",
    taken=frozenset({200, 202}),
    meanings={
        400: "Teams rejected the card (400)",
        401: "Teams refused the webhook (401): its flow's signature no longer matches",
        403: "Teams refused the webhook (403): the flow lost its rights to the channel",
        404: "Teams does not know this webhook (404): the flow was deleted; create a new one",
    },
)
# The card's colour words; a severity not listed here takes "Default".
COLOURS = {
    Severity.OK: "Good",
    Severity.WARNING: "Warning",
    Severity.NO_DATA: "Warning",
    Severity.CRITICAL: "Attention",
    Severity.AT_LIMIT: "Attention",
    Severity.ERROR: "Attention",
}


def webhook_problem(url: Secret, prefixes: Sequence[str] = ()) -> str:
    """Only Workflows URLs (or a configured stand-in): never a secret to an arbitrary host."""
    text = url.reveal()
    if prefixes:
        if any(text.startswith(prefix) for prefix in prefixes):
            return ""
        return "teams-webhook-url does not start with " + " or ".join(prefixes)
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if host.endswith(RETIRED_HOST):
        return (
            "teams-webhook-url is an Office 365 connector URL, which Microsoft retired: create a "
            "Workflows webhook ('Post to a channel when a webhook request is received')"
        )
    if parts.scheme != "https" or not host.endswith(WORKFLOWS_HOSTS):
        return (
            "teams-webhook-url is not a Teams Workflows URL (https on "
            + ", ".join(f"*{suffix}" for suffix in WORKFLOWS_HOSTS)
            + ")"
        )
    return ""


def _webhook_check(url: Secret, settings: Settings) -> str:
    return webhook_problem(url, settings.teams_webhook_prefixes)


WEBHOOK = Parameter(
    "teams-webhook-url",
    "a Teams Workflows webhook ('Post to a channel when a webhook request is received'): "
    "`https://…logic.azure.com/…`, `…powerplatform.com/…` or `…powerautomate.com/…`",
    Secret,
    secret=True,
    default_text="none (no Teams)",
    check=_webhook_check,
)
MIN_SEVERITY = min_severity("teams", Severity.WARNING, "to Teams")


def build(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    webhook = config.secret(WEBHOOK.name) if config else None
    if config is None or webhook is None:
        return None
    return _webhook_check(webhook, wiring.settings) or TeamsChannel(
        webhook, wiring.poster, min_severity=config.option(MIN_SEVERITY.name)
    )


class TeamsChannel:
    name = "teams"
    parameter = WEBHOOK.name  # named when it keeps failing (a channel problem)

    def __init__(
        self, webhook: Secret, poster: Poster, *, min_severity: Severity = Severity.WARNING
    ) -> None:
        self.webhook = webhook
        self.poster = poster
        self.min_severity = min_severity

    def accepts(self, note: Notification) -> bool:
        return routed(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        self.poster.post(
            self.webhook.reveal(),
            format_teams(note, context.links),
            TEAMS,
            deadline=context.deadline,
            secrets=(self.webhook.reveal(),),
        )
        return context.memory


def format_teams(note: Notification, links: Mapping[str, str]) -> dict[str, Any]:
    """The message Workflows posts: one Adaptive Card, cut to fit Teams' size limit."""
    body = _card_body(note)
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": name, "url": url} for name, url in links.items()
        ],
    }
    message = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
    while _size(message) > CARD_LIMIT and len(body) > 2:
        body.pop(-2)  # the least important blocks go first; the header and the why stay
    if _size(message) > CARD_LIMIT:
        body[1]["text"] = body[1]["text"][: CARD_LIMIT // 2] + "…"
    return message


def _card_body(note: Notification) -> list[dict[str, Any]]:
    """The blocks from the most important down: header, why, episode, fix, detail, figures."""
    header = f"{note.severity.emoji} {title(note)}".strip()
    body: list[dict[str, Any]] = [
        _text(header, weight="Bolder", size="Medium", color=COLOURS.get(note.severity, "Default")),
        _text(f"**Why:** {note.why}"),
    ]
    if note.episode:
        body.append(_text(f"**Episode:** {note.episode}"))
    if note.fix:
        body.append(_text(f"**What to do:** {note.fix}"))
    if note.detail:
        body.append(_monospace(note.detail))
    figures = facts(note)
    if figures:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in figures]})
    body.append(
        _text(f"monitor {note.monitor} · run of {note.at:%H:%M} UTC", isSubtle=True, size="Small")
    )
    return body


def _monospace(detail: str) -> dict[str, Any]:
    # One monospaced line a block: a TextBlock folds single newlines, a heat map needs them.
    lines = detail.rstrip("\n").splitlines()
    return {
        "type": "Container",
        "items": [
            _text(line or " ", fontType="Monospace", size="Small", spacing="None") for line in lines
        ],
    }


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _size(message: Mapping[str, Any]) -> int:
    return len(json.dumps(message, ensure_ascii=False).encode())


PLUGIN: PlugIn[ChannelBuild] = PlugIn("teams", (WEBHOOK, MIN_SEVERITY), build)
