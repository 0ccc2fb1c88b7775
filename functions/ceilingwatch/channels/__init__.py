"""The registry: the channels a monitor has configured, each built from its parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ceilingwatch.channels import pagerduty, slack_webhook, teams
from ceilingwatch.channels.base import Channel
from ceilingwatch.channels.email import EmailChannel
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack_app import SlackAppChannel
from ceilingwatch.channels.slack_web import SlackWebApi
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.severity import Severity


@dataclass(frozen=True)
class Wiring:
    """What channels are built from besides a monitor's configuration: one per environment."""

    settings: Settings
    sns: Callable[[], Any]  # the SNS client, built on first use
    poster: Poster = field(default_factory=Poster)


@dataclass(frozen=True)
class Roster:
    """The channels that can deliver, and why any configured one cannot (naming its parameter)."""

    channels: tuple[Channel, ...]
    problems: tuple[str, ...] = ()
    complete: bool = True  # false when the configuration could not be read at all


def _email(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    floor = config.min_severity["email"] if config else Severity.WARNING
    return EmailChannel(wiring.sns, wiring.settings.alert_topic_arn, floor)


def _slack(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    if config is not None and config.slack_bot_token is not None:
        return _slack_app(config, wiring)
    if config is None or config.slack_webhook_url is None:
        return None
    prefixes = wiring.settings.slack_webhook_prefixes
    problem = slack_webhook.webhook_problem(config.slack_webhook_url, prefixes)
    return problem or slack_webhook.SlackWebhookChannel(
        config.slack_webhook_url,
        wiring.poster,
        allowed_prefixes=prefixes,
        min_severity=config.min_severity["slack"],
    )


def _slack_app(config: MonitorConfig, wiring: Wiring) -> Channel | str:
    """A bot token switches Slack from the webhook to the Web API: one thread per episode."""
    if config.slack_bot_token is None or not config.slack_channel_id:
        return (
            f"{config.parameter('slack-bot-token')} is set but "
            f"{config.parameter('slack-channel-id')} is not: put the channel's ID (C...) there"
        )
    api = SlackWebApi(config.slack_bot_token, wiring.poster, wiring.settings.slack_api_url)
    return SlackAppChannel(api, config.slack_channel_id, min_severity=config.min_severity["slack"])


def _teams(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    if config is None or config.teams_webhook_url is None:
        return None
    problem = teams.webhook_problem(
        config.teams_webhook_url, wiring.settings.teams_webhook_prefixes
    )
    return problem or teams.TeamsChannel(
        config.teams_webhook_url, wiring.poster, min_severity=config.min_severity["teams"]
    )


def _pagerduty(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    if config is None or config.pagerduty_routing_key is None:
        return None
    problem = pagerduty.routing_key_problem(config.pagerduty_routing_key)
    return problem or pagerduty.PagerDutyChannel(
        config.pagerduty_routing_key,
        wiring.poster,
        events_url=wiring.settings.pagerduty_events_url,
        min_severity=config.min_severity["pagerduty"],
    )


# A builder returns its channel, None when the monitor has not configured it, or the problem
# (naming the parameter) that keeps it from working. A new channel is one more line here.
REGISTRY: tuple[Callable[[MonitorConfig | None, Wiring], Channel | str | None], ...] = (
    _email,
    _slack,
    _teams,
    _pagerduty,
)


def build_channels(config: MonitorConfig | None, wiring: Wiring) -> Roster:
    channels: list[Channel] = []
    problems: list[str] = []
    for build in REGISTRY:
        built = build(config, wiring)
        if isinstance(built, str):
            problems.append(built)
        elif built is not None:
            channels.append(built)
    return Roster(tuple(channels), tuple(problems), complete=config is not None)
