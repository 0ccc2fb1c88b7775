"""A monitor's configuration: its own values, its plug-ins' values, and the secrets among them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from ceilingwatch.common.errors import ConfigProblem
from ceilingwatch.common.records import record
from ceilingwatch.domain.choices import NoDataPolicy

# One path segment under the prefix, also in dashboard, alarm and alias names, whose common
# alphabet is letters, digits, '-' and '_': the templates' MonitorName AllowedPattern is this.
MONITOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MONITOR_NAME_RULE = "letters, digits, '-' and '_', 1 to 64 characters, starting alphanumeric"
THRESHOLD_PARAMETERS = (
    "warning-percent",
    "critical-percent",
    "warning-recovery-percent",
    "critical-recovery-percent",
)


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


@record
class Thresholds:
    """Percentages of the limit: where levels start, and where they end (hysteresis)."""

    warning: float = 80.0
    critical: float = 95.0
    warning_recovery: float = 70.0
    critical_recovery: float = 90.0


@record(frozen=False, eq=False)
class MonitorConfig:
    """Everything one monitor needs for a run: its own values as fields, and its channels' and
    usage source's values in `options`, by parameter name (see parameter_table.py)."""

    monitor: str
    parameter_path: str
    concurrency_limit: int
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
    monitor_metrics: bool = False  # its own metrics, opted into: the log line is free
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def parameter(self, name: str) -> str:
        return f"{self.parameter_path}{name}"

    def option(self, name: str) -> Any:
        """A plug-in's parameter as its row parsed it (its default when unset)."""
        return self.options.get(name)

    def secret(self, name: str) -> Secret | None:
        value = self.options.get(name)
        return value if isinstance(value, Secret) else None

    def text(self, name: str) -> str:
        value = self.options.get(name)
        return "" if value is None else str(value)

    def with_option(self, name: str, value: Any) -> MonitorConfig:
        return replace(self, options={**self.options, name: value})

    def secrets(self) -> tuple[str, ...]:
        """Every secret's value, for the log's redaction and for scrubbing what others echo."""
        return tuple(v.reveal() for v in self.options.values() if isinstance(v, Secret))

    def muted(self, now: datetime) -> bool:
        return self.mute_until is not None and now < self.mute_until


def is_monitor_name(name: object) -> bool:
    return isinstance(name, str) and MONITOR_NAME.fullmatch(name) is not None


def parameter_path(prefix: str, monitor: str) -> str:
    return f"{prefix.rstrip('/')}/{monitor}/"


class ValueReader(Protocol):
    """Reads one parameter with its row's parser; a `default` given replaces the row's."""

    def __call__(self, name: str, default: float = ...) -> Any: ...


def read_thresholds(
    path: str, given: set[str], read: ValueReader, problems: list[ConfigProblem]
) -> Thresholds:
    """Thresholds whose defaults follow the values that are set, so a default never conflicts.

    Moving warning-percent from 80 to 50 moves its recovery to 40 with it; only values a person
    set (`given`) can contradict each other, and then the problem names both.
    """
    warning: float = read("warning-percent")
    critical: float = read("critical-percent")
    if "critical-percent" not in given and warning >= critical:
        critical = (warning + 100) / 2  # halfway to the limit: AT_LIMIT stays above it
    if "warning-percent" not in given and warning >= critical:
        warning = _below(critical, 10)
    t = Thresholds(
        warning=warning,
        critical=critical,
        warning_recovery=read("warning-recovery-percent", _below(warning, 10)),
        critical_recovery=read("critical-recovery-percent", _below(critical, 5)),
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
