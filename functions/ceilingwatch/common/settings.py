"""The function's environment, parsed once into one frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from ceilingwatch.common.errors import ConfigurationError

SLACK_WEBHOOK_PREFIX = "https://hooks.slack.com/"
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SLACK_API_URL = "https://slack.com/api/"
# https, or loopback for the local stand-ins: where a secret may travel.
SAFE_URL_PREFIXES = ("https://", "http://127.0.0.1", "http://localhost")


@dataclass(frozen=True)
class Settings:
    """Deployment-wide, non-secret settings; per-monitor ones live in SSM."""

    state_table_name: str
    alert_topic_arn: str
    parameter_prefix: str = "/ceilingwatch"
    ultravox_base_url: str = "https://api.ultravox.ai"
    slack_webhook_prefixes: tuple[str, ...] = (SLACK_WEBHOOK_PREFIX,)
    # Empty: Teams' own Workflows hosts; a local stand-in sets its own prefix.
    teams_webhook_prefixes: tuple[str, ...] = ()
    pagerduty_events_url: str = PAGERDUTY_EVENTS_URL
    slack_api_url: str = SLACK_API_URL
    config_max_age_seconds: int = 60
    region: str = "us-east-1"
    dashboard_name: str = ""
    # How long a claimed notification may wait before another run takes over its delivery:
    # longer than the function's 30 s timeout, so only a dead run's outbox is taken over.
    outbox_grace: timedelta = timedelta(seconds=60)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        missing = [name for name in ("STATE_TABLE_NAME", "ALERT_TOPIC_ARN") if not env.get(name)]
        if missing:
            raise ConfigurationError(
                f"the function's environment lacks {', '.join(missing)}",
                "deploy with template.yaml, which sets them, or export them when running locally",
            )
        max_age = env.get("CEILINGWATCH_CONFIG_MAX_AGE", "60")
        if not max_age.isdigit():
            raise ConfigurationError(
                f"CEILINGWATCH_CONFIG_MAX_AGE is not whole seconds: {max_age[:20]!r}",
                "set it to a number of seconds such as 60",
            )
        grace = env.get("CEILINGWATCH_OUTBOX_GRACE", "60")
        if not grace.isdigit():
            raise ConfigurationError(
                f"CEILINGWATCH_OUTBOX_GRACE is not whole seconds: {grace[:20]!r}",
                "set it to a number of seconds above the function's timeout, such as 60",
            )
        prefixes = env.get("CEILINGWATCH_SLACK_WEBHOOK_PREFIXES", SLACK_WEBHOOK_PREFIX)
        pagerduty = env.get("CEILINGWATCH_PAGERDUTY_EVENTS_URL", "") or PAGERDUTY_EVENTS_URL
        if not pagerduty.startswith(SAFE_URL_PREFIXES):
            raise ConfigurationError(
                "CEILINGWATCH_PAGERDUTY_EVENTS_URL is not an https URL",
                f"set it to {PAGERDUTY_EVENTS_URL} or the EU host events.eu.pagerduty.com",
            )
        slack_api = env.get("CEILINGWATCH_SLACK_API_URL", "") or SLACK_API_URL
        if not slack_api.startswith(SAFE_URL_PREFIXES):
            # The bot token travels in a header: never in clear to a remote host.
            raise ConfigurationError(
                "CEILINGWATCH_SLACK_API_URL is not an https URL",
                f"set it to {SLACK_API_URL} or leave it unset",
            )
        return cls(
            state_table_name=env["STATE_TABLE_NAME"],
            alert_topic_arn=env["ALERT_TOPIC_ARN"],
            parameter_prefix=env.get("CEILINGWATCH_PARAMETER_PREFIX", "/ceilingwatch"),
            ultravox_base_url=env.get("ULTRAVOX_API_BASE_URL", "https://api.ultravox.ai"),
            slack_webhook_prefixes=_prefixes(prefixes),
            teams_webhook_prefixes=_prefixes(env.get("CEILINGWATCH_TEAMS_WEBHOOK_PREFIXES", "")),
            pagerduty_events_url=pagerduty,
            slack_api_url=slack_api.rstrip("/") + "/",
            config_max_age_seconds=int(max_age),
            region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")),
            dashboard_name=env.get("CEILINGWATCH_DASHBOARD_NAME", ""),
            outbox_grace=timedelta(seconds=int(grace)),
        )


def _prefixes(raw: str) -> tuple[str, ...]:
    return tuple(prefix.strip() for prefix in raw.split(",") if prefix.strip())
