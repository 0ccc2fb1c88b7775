"""Slack's parameters and build: the app (a thread an episode) with a bot token, else a webhook."""

from __future__ import annotations

from ceilingwatch.channels.base import ChannelBuild, Wiring, min_severity
from ceilingwatch.channels.slack_webhook import SlackWebhookChannel, webhook_problem
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig, Secret
from ceilingwatch.domain.parameters import Parameter, PlugIn
from ceilingwatch.domain.ports import Channel
from ceilingwatch.domain.severity import Severity


def bot_token(raw: str) -> Secret:
    if not raw.startswith("xoxb-"):
        raise ValueError("must be the app's Bot User OAuth Token, which starts with xoxb-")
    return Secret(raw)


def channel_id(raw: str) -> str:
    # Public channels start with C, private ones with G; a name such as #alerts is not an ID.
    if not (raw[:1] in ("C", "G") and 9 <= len(raw) <= 20 and raw.isalnum() and raw.isupper()):
        raise ValueError(
            "must be a channel ID such as C0123456789 (channel details > About), not a name"
        )
    return raw


def _webhook_check(url: Secret, settings: Settings) -> str:
    """Before put-secrets stores a webhook: Slack's host (or the deployment's stand-in) only."""
    prefixes = settings.slack_webhook_prefixes
    if not webhook_problem(url, prefixes):
        return ""
    return "the Slack webhook URL does not start with " + " or ".join(prefixes)


WEBHOOK = Parameter(
    "slack-webhook-url",
    "Slack incoming webhook; must start with `https://hooks.slack.com/` (checked when the "
    "configuration is read: another host turns Slack off and the run names the parameter; "
    "nothing is posted there)",
    Secret,
    secret=True,
    default_text="none (email only)",
    check=_webhook_check,
)
BOT_TOKEN = Parameter(
    "slack-bot-token",
    "the Slack app's Bot User OAuth Token (`xoxb-...`): switches Slack from the webhook to the "
    "app (one thread per incident)",
    bot_token,
    secret=True,
)
CHANNEL_ID = Parameter(
    "slack-channel-id",
    "the channel's ID (`C...`, channel details > About), not its name",
    channel_id,
    "",
    kept=True,
    default_text="none (required with the token)",
)
SIGNING_SECRET = Parameter(
    "slack-signing-secret",
    "the app's Signing Secret: only clicks Slack signed with it act",
    Secret,
    secret=True,
    default_text="none (buttons refused)",
)
MIN_SEVERITY = min_severity("slack", Severity.WARNING, "to Slack")


def build(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    if config is None:
        return None
    if config.secret(BOT_TOKEN.name) is not None:
        return _app(config, wiring)
    webhook = config.secret(WEBHOOK.name)
    if webhook is None:
        return None
    prefixes = wiring.settings.slack_webhook_prefixes
    problem = webhook_problem(webhook, prefixes)
    return problem or SlackWebhookChannel(
        webhook,
        wiring.poster,
        allowed_prefixes=prefixes,
        min_severity=config.option(MIN_SEVERITY.name),
    )


def _app(config: MonitorConfig, wiring: Wiring) -> Channel | str:
    """A bot token switches Slack from the webhook to the Web API: one thread per episode."""
    token, channel = config.secret(BOT_TOKEN.name), config.text(CHANNEL_ID.name)
    if token is None or not channel:
        return (
            f"{config.parameter(BOT_TOKEN.name)} is set but "
            f"{config.parameter(CHANNEL_ID.name)} is not: put the channel's ID (C...) there"
        )
    # Only a monitor with the app loads it (its threads and Web API): not every tick's cold start.
    from ceilingwatch.channels.slack_app import SlackAppChannel
    from ceilingwatch.channels.slack_web import SlackWebApi

    api = SlackWebApi(token, wiring.poster, wiring.settings.slack_api_url)
    return SlackAppChannel(api, channel, min_severity=config.option(MIN_SEVERITY.name))


PLUGIN: PlugIn[ChannelBuild] = PlugIn(
    "slack", (WEBHOOK, BOT_TOKEN, CHANNEL_ID, SIGNING_SECRET, MIN_SEVERITY), build
)
