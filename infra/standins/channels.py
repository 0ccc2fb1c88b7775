"""Every channel's stand-in in one `with`, and the environment and parameters that reach them."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Self

from infra.standins.alert_source import AlertSourceStandin
from infra.standins.loopback import LoopbackService, RecordingStandin
from infra.standins.pagerduty import PagerDutyStandin
from infra.standins.slack_catcher import SlackCatcher
from infra.standins.teams import TeamsStandin

# The webhook channels; email goes through SNS, which the local stack stands in for.
CHANNELS = ("slack", "teams", "pagerduty", "webhook")
# The SecureString that turns each channel on, under /ceilingwatch/<monitor>/.
SECRET_PARAMETERS = {
    "slack": "slack-webhook-url",
    "teams": "teams-webhook-url",
    "pagerduty": "pagerduty-routing-key",
    "webhook": "webhook-url",
}


class ChannelStandins(LoopbackService):
    """The Slack catcher, the Teams workflow, PagerDuty's Events API and the alert sources."""

    def __init__(self) -> None:
        self.slack = SlackCatcher()
        self.teams = TeamsStandin()
        self.pagerduty = PagerDutyStandin()
        self.webhook = AlertSourceStandin()
        self._stack = contextlib.ExitStack()

    def start(self) -> Self:
        with contextlib.ExitStack() as starting:
            for standin in (self.slack, self.teams, self.pagerduty, self.webhook):
                starting.enter_context(standin)
            self._stack = starting.pop_all()  # all up: stop() takes them down
        return self

    def stop(self) -> None:
        self._stack.close()

    def environment(self) -> dict[str, str]:
        """The function's environment that lets it post to these stand-ins instead of the
        real services (which it refuses to send a secret to otherwise)."""
        return {
            "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES": f"{self.slack.base_url}/services/",
            "CEILINGWATCH_TEAMS_WEBHOOK_PREFIXES": f"{self.teams.base_url}/workflows/",
            "CEILINGWATCH_PAGERDUTY_EVENTS_URL": self.pagerduty.events_url,
        }

    def secure_parameters(self, channels: Collection[str] = CHANNELS) -> dict[str, str]:
        """The SecureString parameters (short names) that configure `channels` for a monitor."""
        values = {
            "slack": self.slack.webhook_url(),
            "teams": self.teams.webhook_url,
            "pagerduty": self.pagerduty.routing_key,
            "webhook": self.webhook.webhook_url(),
        }
        unknown = set(channels) - set(values)
        if unknown:
            raise ValueError(f"no stand-in for {sorted(unknown)}; there are {CHANNELS}")
        secure = {SECRET_PARAMETERS[name]: values[name] for name in CHANNELS if name in channels}
        if "webhook" in channels and self.webhook.signing_secret is not None:
            secure["webhook-signing-secret"] = self.webhook.signing_secret
        return secure

    def secrets(self) -> tuple[str, ...]:
        """What must never show in a log, a message, the state or an exception."""
        return tuple(self.secure_parameters().values())

    def __getitem__(self, channel: str) -> RecordingStandin:
        """The stand-in of a channel by its name: "slack", "teams" or "pagerduty"."""
        standins: dict[str, RecordingStandin] = {
            "slack": self.slack,
            "teams": self.teams,
            "pagerduty": self.pagerduty,
            "webhook": self.webhook,
        }
        return standins[channel]

    def clear(self) -> None:
        """Forget what every stand-in received and every scripted fault."""
        for standin in (self.slack, self.teams, self.pagerduty, self.webhook):
            standin.clear()
