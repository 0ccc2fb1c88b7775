"""A monitor's configuration, parsed and validated together from its SSM parameters."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from ceilingwatch.common.errors import ConfigProblem, ConfigurationError
from ceilingwatch.domain.choices import NoDataPolicy
from ceilingwatch.domain.severity import Severity

T = TypeVar("T")

# One path segment under the prefix, also in dashboard, alarm and alias names, whose common
# alphabet is letters, digits, '-' and '_': the templates' MonitorName AllowedPattern is this.
MONITOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MONITOR_NAME_RULE = "letters, digits, '-' and '_', 1 to 64 characters, starting alphanumeric"
NO_DATA_POLICIES = tuple(NoDataPolicy)
# Channels take a level's messages from this severity up; PagerDuty pages only for CRITICAL.
ROUTED_SEVERITIES = (Severity.WARNING, Severity.CRITICAL, Severity.AT_LIMIT)
DEFAULT_MIN_SEVERITY = {
    "email": Severity.WARNING,
    "slack": Severity.WARNING,
    "teams": Severity.WARNING,
    "pagerduty": Severity.CRITICAL,
}
MAX_FORECAST_MINUTES = 240  # past four hours a projection of the last hour is not a forecast
SECRET_PARAMETERS = frozenset(
    {
        "ultravox-api-key",
        "slack-webhook-url",
        "teams-webhook-url",
        "pagerduty-routing-key",
        "slack-bot-token",
        "slack-signing-secret",
    }
)
THRESHOLD_DEFAULTS = {
    "warning-percent": 80.0,
    "critical-percent": 95.0,
    "warning-recovery-percent": 70.0,
    "critical-recovery-percent": 90.0,
}
ECHO_LIMIT = 16  # characters of a bad value shown back; API keys and webhook URLs are longer


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
    # Bot mode: with a token, Slack goes through the Web API (one thread per episode).
    slack_bot_token: Secret | None = field(default=None, repr=False)
    slack_channel_id: str = ""
    slack_signing_secret: Secret | None = field(default=None, repr=False)
    min_severity: Mapping[str, Severity] = field(default_factory=lambda: dict(DEFAULT_MIN_SEVERITY))
    thresholds: Thresholds = Thresholds()
    recovery_buckets: int = 2
    renotify_warning: timedelta = timedelta(hours=4)
    renotify_critical: timedelta = timedelta(hours=1)
    renotify_error: timedelta = timedelta(hours=4)
    error_after_runs: int = 3
    no_data_policy: NoDataPolicy = NoDataPolicy.QUIET
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
            self.slack_bot_token,
            self.slack_signing_secret,
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
    problems: list[ConfigProblem] = []

    def read(name: str, parse: Callable[[str], T], default: T, required: bool = False) -> T:
        raw = values.get(name, "").strip()
        if not raw:
            if required:
                problems.append(ConfigProblem(name, f"{path}{name} is missing"))
            return default
        try:
            return parse(raw)
        except ValueError as error:
            shown = "" if name in SECRET_PARAMETERS else f" = {_shown(raw)}"
            problems.append(ConfigProblem(name, f"{path}{name}{shown} {error}"))
            return default

    limit = read("concurrency-limit", _positive_int, 0, required=True)
    api_key = read("ultravox-api-key", Secret, Secret(""), required=True)
    webhook = read("slack-webhook-url", Secret, None)
    min_severity = {
        channel: read(f"{channel}-min-severity", _severity, default)
        for channel, default in DEFAULT_MIN_SEVERITY.items()
    }
    thresholds = _thresholds(path, values, read, problems)
    recovery_buckets = read("recovery-buckets", _bucket_count, 2)
    config = MonitorConfig(
        monitor=monitor,
        parameter_path=path,
        concurrency_limit=limit,
        ultravox_api_key=api_key,
        slack_webhook_url=webhook,
        teams_webhook_url=read("teams-webhook-url", Secret, None),
        pagerduty_routing_key=read("pagerduty-routing-key", Secret, None),
        slack_bot_token=read("slack-bot-token", _bot_token, None),
        slack_channel_id=read("slack-channel-id", _channel_id, ""),
        slack_signing_secret=read("slack-signing-secret", Secret, None),
        min_severity=min_severity,
        thresholds=thresholds,
        recovery_buckets=recovery_buckets,
        renotify_warning=read("renotify-warning-minutes", _minutes, timedelta(hours=4)),
        renotify_critical=read("renotify-critical-minutes", _minutes, timedelta(hours=1)),
        renotify_error=read("renotify-error-minutes", _minutes, timedelta(hours=4)),
        error_after_runs=read("error-after-runs", _positive_int, 3),
        no_data_policy=read("no-data-policy", _no_data_policy, NoDataPolicy.QUIET),
        mute_until=read("mute-until", _instant, None),
        dry_run=read("dry-run", _boolean, False),
        forecast_window=read("forecast-minutes", _forecast_minutes, timedelta(minutes=30)),
    )
    if problems:
        raise ConfigurationError(
            "invalid monitor configuration: " + "; ".join(p.text for p in problems),
            f"set the parameters under {path} (see the README's parameter table)",
            problems=tuple(problems),
        )
    return config


class _Reader(Protocol):
    def __call__(self, name: str, parse: Callable[[str], float], default: float) -> float: ...


def _thresholds(
    path: str, values: Mapping[str, str], read: _Reader, problems: list[ConfigProblem]
) -> Thresholds:
    """Thresholds whose defaults follow the values that are set, so a default never conflicts.

    Moving warning-percent from 80 to 50 moves its recovery to 40 with it; only values a person
    set can contradict each other, and then the problem names both.
    """
    given = {name for name in THRESHOLD_DEFAULTS if values.get(name, "").strip()}
    warning = read("warning-percent", _percent, THRESHOLD_DEFAULTS["warning-percent"])
    critical = read("critical-percent", _percent, THRESHOLD_DEFAULTS["critical-percent"])
    if "critical-percent" not in given and warning >= critical:
        critical = (warning + 100) / 2  # halfway to the limit: AT_LIMIT stays above it
    if "warning-percent" not in given and warning >= critical:
        warning = _below(critical, 10)
    t = Thresholds(
        warning=warning,
        critical=critical,
        warning_recovery=read("warning-recovery-percent", _percent, _below(warning, 10)),
        critical_recovery=read("critical-recovery-percent", _percent, _below(critical, 5)),
    )
    pairs = (
        ("warning-percent", t.warning, "critical-percent", t.critical),
        ("warning-recovery-percent", t.warning_recovery, "warning-percent", t.warning),
        ("critical-recovery-percent", t.critical_recovery, "critical-percent", t.critical),
    )
    for lower, low, upper, high in pairs:
        if low >= high:  # defaults never conflict, so one of the two was set
            problems.append(
                ConfigProblem(
                    lower,
                    f"{path}{lower} ({low:g}{_default_note(lower, given)}) must be below "
                    f"{upper} ({high:g}{_default_note(upper, given)})",
                )
            )
    return t


def _below(threshold: float, points: float) -> float:
    """A recovery default: `points` under the threshold, but never below half of it."""
    return max(threshold - points, threshold / 2)


def _default_note(name: str, given: set[str]) -> str:
    return "" if name in given else ", the default"


def _shown(raw: str) -> str:
    """A short value is echoed so a typo is recognisable; a long one may be a pasted secret."""
    return repr(raw) if len(raw) <= ECHO_LIMIT else f"(a {len(raw)}-character value, not shown)"


# A value that fails to parse is echoed only when short (see _shown): a secret pasted into the
# wrong parameter would otherwise reach the logs, the state table and the messages.


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("is not a whole number; give a positive number of calls") from None
    if value < 1:
        raise ValueError("is not a positive whole number of calls")
    return value


def _percent(raw: str) -> float:
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise ValueError("is not a number; give a percentage between 1 and 100") from None
    if not 1 <= value <= 100:
        raise ValueError("is not a percentage between 1 and 100")
    return value


def _bucket_count(raw: str) -> int:
    wanted = (
        "is not a whole number of buckets from 1 to 12 (the buckets of the hour each run reads)"
    )
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(wanted) from None
    if not 1 <= value <= 12:
        raise ValueError(wanted)
    return value


def _minutes(raw: str) -> timedelta:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("is not whole minutes (0 = never)") from None
    if value < 0:
        raise ValueError("is not whole minutes (0 = never)")
    return timedelta(minutes=value)


def _forecast_minutes(raw: str) -> timedelta:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("is not whole minutes from 0 to 240 (0 = no forecasts)") from None
    if not 0 <= value <= MAX_FORECAST_MINUTES:
        raise ValueError("is not whole minutes from 0 to 240 (0 = no forecasts)")
    return timedelta(minutes=value)


def _no_data_policy(raw: str) -> NoDataPolicy:
    if raw not in NO_DATA_POLICIES:
        raise ValueError(f"is not one of {', '.join(NO_DATA_POLICIES)}")
    return NoDataPolicy(raw)


def _severity(raw: str) -> Severity:
    value = raw.upper().replace("-", "_")
    if value not in ROUTED_SEVERITIES:
        raise ValueError(f"is not one of {', '.join(ROUTED_SEVERITIES)}")
    return Severity(value)


def _instant(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("is not an ISO-8601 time such as 2026-11-24T18:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _bot_token(raw: str) -> Secret:
    if not raw.startswith("xoxb-"):
        raise ValueError("must be the app's Bot User OAuth Token, which starts with xoxb-")
    return Secret(raw)


def _channel_id(raw: str) -> str:
    # Public channels start with C, private ones with G; a name such as #alerts is not an ID.
    if not (raw[:1] in ("C", "G") and 9 <= len(raw) <= 20 and raw.isalnum() and raw.isupper()):
        raise ValueError(
            "must be a channel ID such as C0123456789 (channel details > About), not a name"
        )
    return raw


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ValueError("is not true or false")
