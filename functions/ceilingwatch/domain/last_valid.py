"""The last valid configuration: what a monitor judges with while a parameter is wrong."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from ceilingwatch.common.errors import ConfigProblem, ConfigurationError, MonitorError
from ceilingwatch.domain.config import (
    DEFAULT_MIN_SEVERITY,
    SECRET_PARAMETERS,
    MonitorConfig,
    parse_config,
)

# Parameter values by short name (`warning-percent`), as a person wrote them.
KeptValues = Mapping[str, str]


def _min_severity(channel: str) -> Callable[[MonitorConfig], str]:
    return lambda config: config.min_severity[channel].value


# The non-secret parameters, kept with the state and used in place of today's while any is
# wrong. Never a secret: a rejected webhook turns its channel off instead (channels/).
KEPT_PARAMETERS: dict[str, Callable[[MonitorConfig], str]] = {
    "concurrency-limit": lambda c: str(c.concurrency_limit),
    "warning-percent": lambda c: f"{c.thresholds.warning:g}",
    "critical-percent": lambda c: f"{c.thresholds.critical:g}",
    "warning-recovery-percent": lambda c: f"{c.thresholds.warning_recovery:g}",
    "critical-recovery-percent": lambda c: f"{c.thresholds.critical_recovery:g}",
    "recovery-buckets": lambda c: str(c.recovery_buckets),
    "renotify-warning-minutes": lambda c: _minutes(c.renotify_warning.total_seconds()),
    "renotify-critical-minutes": lambda c: _minutes(c.renotify_critical.total_seconds()),
    "renotify-error-minutes": lambda c: _minutes(c.renotify_error.total_seconds()),
    "error-after-runs": lambda c: str(c.error_after_runs),
    "no-data-policy": lambda c: c.no_data_policy.value,
    "mute-until": lambda c: c.mute_until.isoformat() if c.mute_until else "",
    "dry-run": lambda c: "true" if c.dry_run else "false",
    "forecast-minutes": lambda c: _minutes(c.forecast_window.total_seconds()),
    "slack-channel-id": lambda c: c.slack_channel_id,
    **{f"{channel}-min-severity": _min_severity(channel) for channel in DEFAULT_MIN_SEVERITY},
}


@dataclass(frozen=True)
class ConfigReading:
    """What a run judges with, and every parameter that is wrong right now.

    `config` is the current configuration when it is valid, else the last valid one (with
    today's secrets); None only when there is none to fall back on. A channel whose own
    parameter is wrong is the channel registry's to name (Kind.CHANNEL_PROBLEM).
    """

    config: MonitorConfig | None
    problems: tuple[ConfigProblem, ...] = ()
    # The values to keep with the state: set (maybe empty) when the current ones are valid.
    valid_values: KeptValues | None = None
    error: MonitorError | None = None  # why nothing can be judged, when config is None
    # Today's values of the parameters that are not secret, as written (a change's "new").
    written: Mapping[str, str] = field(default_factory=dict)

    @property
    def falling_back(self) -> bool:
        return self.config is not None and self.valid_values is None


def read_config(
    monitor: str, path: str, values: Mapping[str, str], last_valid: KeptValues | None = None
) -> ConfigReading:
    """The configuration to judge with: the current one if valid, else the last valid one."""
    written = {k: v.strip() for k, v in values.items() if k not in SECRET_PARAMETERS}
    try:
        config = parse_config(monitor, path, values)
    except ConfigurationError as error:
        reading = _fall_back(monitor, path, values, last_valid, error)
        return replace(reading, written=written)
    # Only the values a person set: the state item stays under DynamoDB's 1 KB write unit, and
    # defaults that follow a threshold follow it again when the values are read back.
    kept = {name: written[name] for name in KEPT_PARAMETERS if written.get(name)}
    return ConfigReading(config, (), kept, written=written)


def kept_values(config: MonitorConfig) -> dict[str, str]:
    """The configuration's non-secret values as it applies them (defaults included)."""
    return {name: value for name, read in KEPT_PARAMETERS.items() if (value := read(config))}


def applied_values(last_valid: KeptValues | None) -> dict[str, str] | None:
    """What the last valid configuration applied, defaults included: a change's "before"."""
    stored = _judging(last_valid)
    if stored is None:
        return None
    try:
        # The key only makes the stored values parse; nothing here reads it.
        config = parse_config("stored", "", stored | {"ultravox-api-key": "stored-values-only"})
    except ConfigurationError:
        return stored
    return {name: read(config) for name, read in KEPT_PARAMETERS.items()}


def _fall_back(
    monitor: str,
    path: str,
    values: Mapping[str, str],
    last_valid: KeptValues | None,
    error: ConfigurationError,
) -> ConfigReading:
    stored = _judging(last_valid)
    if stored is None:
        return ConfigReading(None, error.problems, error=_never_valid(path, error))
    # Secrets and channels as they are now; judging as it last was valid.
    merged = {k: v for k, v in values.items() if k not in KEPT_PARAMETERS} | stored
    try:
        config = parse_config(monitor, path, merged)
    except ConfigurationError as still:
        # What is wrong is not a judging value (the key is missing): nothing to judge with.
        return ConfigReading(None, error.problems, error=still)
    return ConfigReading(config, error.problems)


def _never_valid(path: str, error: ConfigurationError) -> ConfigurationError:
    return ConfigurationError(
        f"the configuration under {path} has never been valid, so nothing can be judged: "
        + "; ".join(p.text for p in error.problems),
        error.what_to_fix,
        error.problems,
    )


def _judging(last_valid: KeptValues | None) -> dict[str, str] | None:
    """The stored values this code judges with: a parameter it no longer knows is left out."""
    if last_valid is None:
        return None
    return {k: v for k, v in last_valid.items() if k in KEPT_PARAMETERS}


def _minutes(seconds: float) -> str:
    return str(int(seconds // 60))
