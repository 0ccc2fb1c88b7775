"""A monitor's configuration, parsed and validated together from its SSM parameters."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from ceilingwatch.errors import ConfigurationError

T = TypeVar("T")

# One path segment under the prefix, also in dashboard, alarm and alias names, whose common
# alphabet is letters, digits, '-' and '_': the templates' MonitorName AllowedPattern is this.
MONITOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MONITOR_NAME_RULE = "letters, digits, '-' and '_', 1 to 64 characters, starting alphanumeric"
NO_DATA_POLICIES = ("quiet", "alert")
# Channels take a level's messages from this severity up; PagerDuty pages only for CRITICAL.
ROUTED_SEVERITIES = ("WARNING", "CRITICAL", "AT_LIMIT")
DEFAULT_MIN_SEVERITY = {
    "email": "WARNING",
    "slack": "WARNING",
    "teams": "WARNING",
    "pagerduty": "CRITICAL",
}
MAX_FORECAST_MINUTES = 240  # past four hours a projection of the last hour is not a forecast


class Secret:
    """A value that prints as asterisks, so a log line or a traceback cannot carry it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Thresholds:
    """Percentages of the limit: where levels start, and where they end (hysteresis)."""

    warning: float = 80.0
    critical: float = 95.0
    warning_recovery: float = 70.0
    critical_recovery: float = 90.0


@dataclass(frozen=True)
class MonitorConfig:
    """Everything one monitor needs for a run; every field maps to one SSM parameter."""

    monitor: str
    parameter_path: str
    concurrency_limit: int
    ultravox_api_key: Secret = field(repr=False)
    slack_webhook_url: Secret | None = field(default=None, repr=False)
    teams_webhook_url: Secret | None = field(default=None, repr=False)
    pagerduty_routing_key: Secret | None = field(default=None, repr=False)
    min_severity: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_MIN_SEVERITY))
    thresholds: Thresholds = Thresholds()
    recovery_buckets: int = 2
    renotify_warning: timedelta = timedelta(hours=4)
    renotify_critical: timedelta = timedelta(hours=1)
    renotify_error: timedelta = timedelta(hours=4)
    error_after_runs: int = 3
    no_data_policy: str = "quiet"
    mute_until: datetime | None = None
    dry_run: bool = False
    forecast_window: timedelta = timedelta(minutes=30)  # 0 = no FORECAST notifications

    def parameter(self, name: str) -> str:
        return f"{self.parameter_path}{name}"

    def secrets(self) -> tuple[str, ...]:
        held = (
            self.ultravox_api_key,
            self.slack_webhook_url,
            self.teams_webhook_url,
            self.pagerduty_routing_key,
        )
        return tuple(secret.reveal() for secret in held if secret is not None)

    def muted(self, now: datetime) -> bool:
        return self.mute_until is not None and now < self.mute_until


def is_monitor_name(name: object) -> bool:
    return isinstance(name, str) and MONITOR_NAME.fullmatch(name) is not None


def parameter_path(prefix: str, monitor: str) -> str:
    return f"{prefix.rstrip('/')}/{monitor}/"


def parse_config(monitor: str, path: str, values: Mapping[str, str]) -> MonitorConfig:
    """Build the config from parameter values keyed by their short names (`concurrency-limit`).

    Every problem is collected, so one error names every parameter to fix, not just the first.
    """
    problems: list[str] = []

    def read(name: str, parse: Callable[[str], T], default: T, required: bool = False) -> T:
        raw = values.get(name, "").strip()
        if not raw:
            if required:
                problems.append(f"{path}{name} is missing")
            return default
        try:
            return parse(raw)
        except ValueError as error:
            problems.append(f"{path}{name} {error}")
            return default

    limit = read("concurrency-limit", _positive_int, 0, required=True)
    api_key = read("ultravox-api-key", Secret, Secret(""), required=True)
    webhook = read("slack-webhook-url", Secret, None)
    min_severity = {
        channel: read(f"{channel}-min-severity", _severity, default)
        for channel, default in DEFAULT_MIN_SEVERITY.items()
    }
    thresholds = Thresholds(
        warning=read("warning-percent", _percent, 80.0),
        critical=read("critical-percent", _percent, 95.0),
        warning_recovery=read("warning-recovery-percent", _percent, 70.0),
        critical_recovery=read("critical-recovery-percent", _percent, 90.0),
    )
    problems.extend(_threshold_problems(path, thresholds))
    recovery_buckets = read("recovery-buckets", _bucket_count, 2)
    config = MonitorConfig(
        monitor=monitor,
        parameter_path=path,
        concurrency_limit=limit,
        ultravox_api_key=api_key,
        slack_webhook_url=webhook,
        teams_webhook_url=read("teams-webhook-url", Secret, None),
        pagerduty_routing_key=read("pagerduty-routing-key", Secret, None),
        min_severity=min_severity,
        thresholds=thresholds,
        recovery_buckets=recovery_buckets,
        renotify_warning=read("renotify-warning-minutes", _minutes, timedelta(hours=4)),
        renotify_critical=read("renotify-critical-minutes", _minutes, timedelta(hours=1)),
        renotify_error=read("renotify-error-minutes", _minutes, timedelta(hours=4)),
        error_after_runs=read("error-after-runs", _positive_int, 3),
        no_data_policy=read("no-data-policy", _no_data_policy, "quiet"),
        mute_until=read("mute-until", _instant, None),
        dry_run=read("dry-run", _boolean, False),
        forecast_window=read("forecast-minutes", _forecast_minutes, timedelta(minutes=30)),
    )
    if problems:
        raise ConfigurationError(
            "invalid monitor configuration: " + "; ".join(problems),
            f"set the parameters under {path} (see the README's parameter table)",
        )
    return config


def _threshold_problems(path: str, t: Thresholds) -> list[str]:
    problems = []
    if t.warning >= t.critical:
        problems.append(
            f"{path}warning-percent ({t.warning:g}) must be below critical-percent ({t.critical:g})"
        )
    if t.warning_recovery >= t.warning:
        problems.append(
            f"{path}warning-recovery-percent ({t.warning_recovery:g}) must be below "
            f"warning-percent ({t.warning:g})"
        )
    if t.critical_recovery >= t.critical:
        problems.append(
            f"{path}critical-recovery-percent ({t.critical_recovery:g}) must be below "
            f"critical-percent ({t.critical:g})"
        )
    return problems


# A value that fails to parse is never echoed back: a secret pasted into the wrong parameter
# would otherwise reach the logs, the state table and the ERROR email.


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be a positive whole number of calls") from None
    if value < 1:
        raise ValueError(f"must be a positive whole number of calls, not {value}")
    return value


def _percent(raw: str) -> float:
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise ValueError("must be a percentage between 1 and 100") from None
    if not 1 <= value <= 100:
        raise ValueError(f"must be a percentage between 1 and 100, not {value:g}")
    return value


def _bucket_count(raw: str) -> int:
    wanted = (
        "must be a whole number of buckets from 1 to 12 (the buckets of the hour each run reads)"
    )
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(wanted) from None
    if not 1 <= value <= 12:
        raise ValueError(f"{wanted}, not {value}")
    return value


def _minutes(raw: str) -> timedelta:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be whole minutes (0 = never)") from None
    if value < 0:
        raise ValueError(f"must be whole minutes (0 = never), not {value}")
    return timedelta(minutes=value)


def _forecast_minutes(raw: str) -> timedelta:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be whole minutes from 0 to 240 (0 = no forecasts)") from None
    if not 0 <= value <= MAX_FORECAST_MINUTES:
        raise ValueError(f"must be whole minutes from 0 to 240 (0 = no forecasts), not {value}")
    return timedelta(minutes=value)


def _no_data_policy(raw: str) -> str:
    if raw not in NO_DATA_POLICIES:
        raise ValueError(f"must be one of {', '.join(NO_DATA_POLICIES)}")
    return raw


def _severity(raw: str) -> str:
    value = raw.upper().replace("-", "_")
    if value not in ROUTED_SEVERITIES:
        raise ValueError(f"must be one of {', '.join(ROUTED_SEVERITIES)}")
    return value


def _instant(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO-8601 time such as 2026-11-24T18:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ValueError("must be true or false")
