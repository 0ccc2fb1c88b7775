"""The parameter table: the monitor's own parameters and each plug-in's, read together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any

from ceilingwatch.common.errors import ConfigProblem, ConfigurationError
from ceilingwatch.common.records import record
from ceilingwatch.domain import values as v
from ceilingwatch.domain.config import THRESHOLD_PARAMETERS, MonitorConfig, read_thresholds
from ceilingwatch.domain.monitor_parameters import MONITOR_PARAMETERS
from ceilingwatch.domain.parameters import Parameter, PlugIn
from ceilingwatch.domain.values import shown

MONITOR = "the monitor"  # the owner of the monitor's own parameters
_ROWS_DEFAULT: Any = object()


@record
class ParameterTable:
    """Every parameter a monitor reads, in order: its own, its usage sources', its channels'."""

    rows: tuple[Parameter, ...]
    owners: Mapping[str, str]  # name -> MONITOR, "source <name>" or "channel <name>"

    @classmethod
    def assemble(
        cls, sources: Sequence[PlugIn[Any]], channels: Sequence[PlugIn[Any]]
    ) -> ParameterTable:
        owned = [(MONITOR, row) for row in MONITOR_PARAMETERS]
        for kind, plugins in (("source", sources), ("channel", channels)):
            owned += [(f"{kind} {p.name}", row) for p in plugins for row in p.parameters]
        # Every channel's delay, declared here once: a new channel has one by its registry line.
        owned += [(f"channel {p.name}", delay_row(p.name)) for p in channels]
        owners: dict[str, str] = {}
        for owner, row in owned:
            if row.name in owners:
                raise ValueError(f"{row.name} is declared by {owners[row.name]} and {owner}")
            owners[row.name] = owner
        return cls(tuple(row for _, row in owned), owners)

    def __getitem__(self, name: str) -> Parameter:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.owners

    # Worked out once: every run reads its parameters through these.
    @cached_property
    def _by_name(self) -> dict[str, Parameter]:
        return {row.name: row for row in self.rows}

    @cached_property
    def secret_names(self) -> frozenset[str]:
        return frozenset(row.name for row in self.rows if row.secret)

    @cached_property
    def kept(self) -> tuple[Parameter, ...]:
        return tuple(row for row in self.rows if row.kept)

    @cached_property
    def kept_names(self) -> frozenset[str]:
        return frozenset(row.name for row in self.kept)

    @property
    def source_names(self) -> frozenset[str]:
        """The usage sources' parameters: a change to one is tried on the source at once."""
        return frozenset(n for n, owner in self.owners.items() if owner.startswith("source "))

    def parse(self, monitor: str, path: str, values: Mapping[str, str]) -> MonitorConfig:
        """Build the config from parameter values keyed by their short names (`concurrency-limit`).

        Every problem is collected, so one error names every parameter to fix, not just the first.
        """
        read = _Reader(self, path, values)
        given = {name for name in THRESHOLD_PARAMETERS if values.get(name, "").strip()}
        config = MonitorConfig(
            monitor=monitor,
            parameter_path=path,
            concurrency_limit=read("concurrency-limit"),
            thresholds=read_thresholds(path, given, read, read.problems),
            recovery_buckets=read("recovery-buckets"),
            renotify_warning=read("renotify-warning-minutes"),
            renotify_critical=read("renotify-critical-minutes"),
            renotify_error=read("renotify-error-minutes"),
            error_after_runs=read("error-after-runs"),
            no_data_policy=read("no-data-policy"),
            mute_until=read("mute-until"),
            dry_run=read("dry-run"),
            forecast_window=read("forecast-minutes"),
            monitor_metrics=read("monitor-metrics"),
            options={r.name: read(r.name) for r in self.rows if self.owners[r.name] != MONITOR},
        )
        if read.problems:
            raise ConfigurationError(
                "invalid monitor configuration: " + "; ".join(p.text for p in read.problems),
                f"set the parameters under {path} (see the README's parameter table)",
                problems=tuple(read.problems),
            )
        return config


def delay_row(channel: str) -> Parameter:
    """`<channel>-delay-minutes`: the channel hears an episode only if it holds, unanswered,
    this long after it began (escalation when nobody acknowledges)."""
    return Parameter(
        delay_name(channel),
        f"tell {channel} an episode only if it still holds, not acknowledged, this many minutes "
        "after it began; its resolve only if it was told (0 = at once)",
        v.delay_minutes,
        timedelta(0),
        kept=True,
        show=v.minutes_text,
        unit="minutes",
    )


def delay_name(channel: str) -> str:
    return f"{channel}-delay-minutes"


class _Reader:
    """Reads one value by name with its row's parser and default, collecting every problem."""

    def __init__(self, table: ParameterTable, path: str, values: Mapping[str, str]) -> None:
        self.table, self.path, self.values = table, path, values
        self.problems: list[ConfigProblem] = []

    def __call__(self, name: str, default: Any = _ROWS_DEFAULT) -> Any:
        row = self.table[name]
        fallback = row.default if default is _ROWS_DEFAULT else default
        raw = self.values.get(name, "").strip()
        if not raw:
            if row.required:
                self.problems.append(ConfigProblem(name, f"{self.path}{name} is missing"))
            return fallback
        try:
            return row.parse(raw)
        except ValueError as error:
            # A value that fails to parse is echoed only when short and not a secret: a secret
            # pasted into the wrong parameter would otherwise reach the logs and the messages.
            echo = "" if row.secret else f" = {shown(raw)}"
            self.problems.append(ConfigProblem(name, f"{self.path}{name}{echo} {error}"))
            return fallback
