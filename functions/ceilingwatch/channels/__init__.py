"""The channel registry: the channels a monitor has configured, each built from its parameters."""

from __future__ import annotations

from ceilingwatch.channels import chatbot, email, pagerduty, slack, teams, webhook
from ceilingwatch.channels.base import ChannelBuild, Wiring
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.parameters import PlugIn
from ceilingwatch.domain.ports import Channel, Roster

__all__ = ["REGISTRY", "Wiring", "build_channels"]

# Each channel module declares its parameters and its build: a new channel is one more line.
REGISTRY: tuple[PlugIn[ChannelBuild], ...] = (
    email.PLUGIN,
    slack.PLUGIN,
    teams.PLUGIN,
    pagerduty.PLUGIN,
    webhook.PLUGIN,
    chatbot.PLUGIN,
)


def build_channels(config: MonitorConfig | None, wiring: Wiring) -> Roster:
    channels: list[Channel] = []
    problems: list[str] = []
    for plugin in REGISTRY:
        built = plugin.build(config, wiring)
        if isinstance(built, str):
            problems.append(built)
        elif built is not None:
            channels.append(built)
    return Roster(tuple(channels), tuple(problems), complete=config is not None)
