"""PagerDuty through Events API v2: one incident per episode, from its trigger to its resolve."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ceilingwatch.channels.base import (
    ChannelBuild,
    Wiring,
    min_severity,
    takes_incident,
    tell_incident,
)
from ceilingwatch.channels.http import Endpoint, Poster
from ceilingwatch.common.settings import PAGERDUTY_EVENTS_URL, Settings
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig, Secret
from ceilingwatch.domain.messages import facts, title
from ceilingwatch.domain.parameters import Parameter, PlugIn
from ceilingwatch.domain.ports import Channel, Context
from ceilingwatch.domain.severity import Severity

PAGERDUTY = Endpoint(
    "PagerDuty",
    taken=frozenset({202}),
    meanings={
        400: "PagerDuty refused the event as invalid (400)",
        429: "PagerDuty is rate-limiting this routing key (429)",
    },
)
# Events API v2's severity words; a severity not listed here is sent as "warning".
SEVERITY = {
    Severity.WARNING: "warning",
    Severity.CRITICAL: "critical",
    Severity.AT_LIMIT: "critical",
    Severity.ERROR: "error",
    Severity.NO_DATA: "warning",
    Severity.TEST: "info",
}
SUMMARY_LIMIT = 1024


def routing_key_problem(key: Secret) -> str:
    """An Events v2 integration key is 32 letters and digits; the problem never shows the value."""
    value = key.reveal()
    if len(value) == 32 and value.isascii() and value.isalnum():
        return ""
    return (
        "pagerduty-routing-key is not an Events API v2 integration key (32 letters and digits): "
        "copy the Integration Key of the service's Events API V2 integration"
    )


def _routing_key_check(key: Secret, settings: Settings) -> str:
    """Before put-secrets stores a key: the same rule, in a line a terminal shows whole."""
    if not routing_key_problem(key):
        return ""
    return "a PagerDuty Events v2 routing key is 32 letters and digits"


ROUTING_KEY = Parameter(
    "pagerduty-routing-key",
    "the Integration Key (32 letters and digits) of a service's Events API V2 integration: "
    "one incident per episode, triggered and resolved",
    Secret,
    secret=True,
    default_text="none (no PagerDuty)",
    check=_routing_key_check,
)
MIN_SEVERITY = min_severity("pagerduty", Severity.CRITICAL, "to PagerDuty (incidents only)")


def build(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    key = config.secret(ROUTING_KEY.name) if config else None
    if config is None or key is None:
        return None
    return routing_key_problem(key) or PagerDutyChannel(
        key,
        wiring.poster,
        events_url=wiring.settings.pagerduty_events_url,
        min_severity=config.option(MIN_SEVERITY.name),
    )


class PagerDutyChannel:
    """Keeps one open incident key per stream in its memory: capacity, and the monitor's health,
    so a broken monitor can never resolve a capacity incident, nor the reverse."""

    name = "pagerduty"
    parameter = ROUTING_KEY.name  # named when it keeps failing (a channel problem)

    def __init__(
        self,
        routing_key: Secret,
        poster: Poster,
        *,
        events_url: str = PAGERDUTY_EVENTS_URL,
        min_severity: Severity = Severity.CRITICAL,
    ) -> None:
        self.routing_key = routing_key
        self.poster = poster
        self.events_url = events_url
        self.min_severity = min_severity

    def accepts(self, note: Notification) -> bool:
        return takes_incident(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        # A test proves the routing key and leaves no incident open behind it.
        return tell_incident(
            note,
            context.memory,
            lambda key: self._send(format_trigger(note, key, context.links), context),
            lambda key: self._send(self._resolve(key), context),
        )

    def _send(self, event: dict[str, Any], context: Context) -> None:
        self.poster.post(
            self.events_url,
            {"routing_key": self.routing_key.reveal(), **event},
            PAGERDUTY,
            deadline=context.deadline,
            secrets=(self.routing_key.reveal(),),
        )

    @staticmethod
    def _resolve(key: str) -> dict[str, Any]:
        return {"event_action": "resolve", "dedup_key": key}


def format_trigger(note: Notification, key: str, links: Mapping[str, str]) -> dict[str, Any]:
    """A trigger event (without its routing key): the why as the summary, the figures as details."""
    details: dict[str, Any] = {label.lower(): value for label, value in facts(note)}
    r = note.reading
    if r is not None:
        details |= {
            "peak": r.calls,
            "limit": r.limit,
            "utilisation_percent": round(r.percent, 1),
            "warning_percent": r.thresholds.warning,
            "critical_percent": r.thresholds.critical,
        }
    if note.fix:
        details["what_to_do"] = note.fix
    details["links"] = dict(links)
    return {
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {
            "summary": f"{title(note)}: {note.why}"[:SUMMARY_LIMIT],
            "source": f"ceilingwatch/{note.monitor}",
            "severity": SEVERITY.get(note.severity, "warning"),
            "timestamp": note.at.isoformat(),
            "component": "ultravox-concurrency",
            "class": note.kind.value,
            "custom_details": details,
        },
        "links": [{"href": url, "text": name} for name, url in links.items()],
    }


PLUGIN: PlugIn[ChannelBuild] = PlugIn("pagerduty", (ROUTING_KEY, MIN_SEVERITY), build)
