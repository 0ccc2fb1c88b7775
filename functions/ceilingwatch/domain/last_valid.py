"""The last valid configuration: what a monitor judges with while a parameter is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace

from ceilingwatch.common.errors import ConfigProblem, ConfigurationError, MonitorError
from ceilingwatch.common.records import record
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.parameter_table import ParameterTable

# The kept parameters (the table's `kept` rows) are stored with the state and used in place of
# today's while any is wrong. Never a secret: a rejected webhook turns its channel off instead.
# A required value that is never kept (the key) gets this, only to make stored values parse.
PLACEHOLDER = "stored-values-only"
# Parameter values by short name (`warning-percent`), as a person wrote them.
KeptValues = Mapping[str, str]


@record(frozen=False, eq=False)
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
    # Each parameter's version in Parameter Store: what a told problem is keyed by.
    versions: Mapping[str, int] = field(default_factory=dict)

    @property
    def falling_back(self) -> bool:
        return self.config is not None and self.valid_values is None


def read_config(
    table: ParameterTable,
    monitor: str,
    path: str,
    values: Mapping[str, str],
    last_valid: KeptValues | None = None,
    versions: Mapping[str, int] | None = None,
) -> ConfigReading:
    """The configuration to judge with: the current one if valid, else the last valid one."""
    written = {k: v.strip() for k, v in values.items() if k not in table.secret_names}
    seen = dict(versions or {})
    try:
        config = table.parse(monitor, path, values)
    except ConfigurationError as error:
        reading = _fall_back(table, monitor, path, values, last_valid, error)
        return replace(reading, written=written, versions=seen)
    # Only the values a person set: the state item stays under DynamoDB's 1 KB write unit, and
    # defaults that follow a threshold follow it again when the values are read back.
    kept = {row.name: written[row.name] for row in table.kept if written.get(row.name)}
    return ConfigReading(config, (), kept, written=written, versions=seen)


def kept_values(table: ParameterTable, config: MonitorConfig) -> dict[str, str]:
    """The configuration's non-secret values as it applies them (defaults included)."""
    return {row.name: value for row in table.kept if (value := row.applied(config))}


def applied_values(table: ParameterTable, last_valid: KeptValues | None) -> dict[str, str] | None:
    """What the last valid configuration applied, defaults included: a change's "before"."""
    stored = decode_values(table, last_valid)
    if stored is None:
        return None
    needed = {row.name: PLACEHOLDER for row in table.rows if row.required and not row.kept}
    try:
        config = table.parse("stored", "", stored | needed)
    except ConfigurationError:
        return stored
    return {row.name: row.applied(config) for row in table.kept}


def _fall_back(
    table: ParameterTable,
    monitor: str,
    path: str,
    values: Mapping[str, str],
    last_valid: KeptValues | None,
    error: ConfigurationError,
) -> ConfigReading:
    stored = decode_values(table, last_valid)
    if stored is None:
        return ConfigReading(None, error.problems, error=_never_valid(path, error))
    # Secrets and channels as they are now; judging as it last was valid.
    merged = {k: v for k, v in values.items() if k not in table.kept_names} | stored
    try:
        config = table.parse(monitor, path, merged)
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


def decode_values(table: ParameterTable, last_valid: KeptValues | None) -> dict[str, str] | None:
    """The stored values this code judges with: a parameter it no longer knows is left out."""
    if last_valid is None:
        return None
    return {k: v for k, v in last_valid.items() if k in table.kept_names}
