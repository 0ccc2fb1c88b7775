"""The function's environment, parsed once into one frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.common.records import record

SLACK_WEBHOOK_PREFIX = "https://hooks.slack.com/"
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SLACK_API_URL = "https://slack.com/api/"
# https, or loopback for the local stand-ins: where a secret may travel.
SAFE_URL_PREFIXES = ("https://", "http://127.0.0.1", "http://localhost")


@record(eq=False)
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
    # The live feed (docs/live.md): the call records' table, and the function a webhook starts.
    live_calls_table_name: str = ""
    check_function_name: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, deployed: bool = True) -> Settings:
        """The deployment's settings; `deployed=False` (the command line's checks of a value)
        does without the table and the topic, which only a deployed function has."""
        env = os.environ if env is None else env
        missing = [name for name in ("STATE_TABLE_NAME", "ALERT_TOPIC_ARN") if not env.get(name)]
        if missing and deployed:
            raise ConfigurationError(
                f"the function's environment lacks {', '.join(missing)}",
                "deploy with template.yaml, which sets them, or export them when running locally",
            )
        max_age = _seconds(env, "CEILINGWATCH_CONFIG_MAX_AGE", "such as 60")
        grace = _seconds(
            env, "CEILINGWATCH_OUTBOX_GRACE", "above the function's timeout, such as 60"
        )
        pagerduty, slack_api = _pagerduty_events_url(env), _slack_api_url(env)
        prefixes = env.get("CEILINGWATCH_SLACK_WEBHOOK_PREFIXES", SLACK_WEBHOOK_PREFIX)
        return cls(
            state_table_name=env.get("STATE_TABLE_NAME", ""),
            alert_topic_arn=env.get("ALERT_TOPIC_ARN", ""),
            parameter_prefix=env.get("CEILINGWATCH_PARAMETER_PREFIX", "/ceilingwatch"),
            ultravox_base_url=env.get("ULTRAVOX_API_BASE_URL", "https://api.ultravox.ai"),
            slack_webhook_prefixes=_prefixes(prefixes),
            teams_webhook_prefixes=_prefixes(env.get("CEILINGWATCH_TEAMS_WEBHOOK_PREFIXES", "")),
            pagerduty_events_url=pagerduty,
            slack_api_url=slack_api,
            config_max_age_seconds=max_age,
            region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")),
            dashboard_name=env.get("CEILINGWATCH_DASHBOARD_NAME", ""),
            outbox_grace=timedelta(seconds=grace),
            live_calls_table_name=env.get("LIVE_CALLS_TABLE_NAME", ""),
            check_function_name=env.get("CHECK_FUNCTION_NAME", ""),
        )


def _seconds(env: Mapping[str, str], name: str, which: str) -> int:
    raw = env.get(name, "60")
    if not raw.isdigit():
        raise ConfigurationError(
            f"{name} is not whole seconds: {raw[:20]!r}", f"set it to a number of seconds {which}"
        )
    return int(raw)


def _pagerduty_events_url(env: Mapping[str, str]) -> str:
    url = env.get("CEILINGWATCH_PAGERDUTY_EVENTS_URL", "") or PAGERDUTY_EVENTS_URL
    if not url.startswith(SAFE_URL_PREFIXES):
        raise ConfigurationError(
            "CEILINGWATCH_PAGERDUTY_EVENTS_URL is not an https URL",
            f"set it to {PAGERDUTY_EVENTS_URL} or the EU host events.eu.pagerduty.com",
        )
    return url


def _slack_api_url(env: Mapping[str, str]) -> str:
    url = env.get("CEILINGWATCH_SLACK_API_URL", "") or SLACK_API_URL
    if not url.startswith(SAFE_URL_PREFIXES):
        # The bot token travels in a header: never in clear to a remote host.
        raise ConfigurationError(
            "CEILINGWATCH_SLACK_API_URL is not an https URL",
            f"set it to {SLACK_API_URL} or leave it unset",
        )
    return url.rstrip("/") + "/"


def _prefixes(raw: str) -> tuple[str, ...]:
    return tuple(prefix.strip() for prefix in raw.split(",") if prefix.strip())
