"""A row of the parameter table: one SSM parameter of a monitor, declared once where it is used."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from ceilingwatch.common.records import record
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig, Secret

# The monitor declares its own (monitor_parameters.py), each channel and usage source its own
# beside its code. The secrets, the values kept with the last valid configuration, put-secrets'
# choices, the command line's flags and docs/parameters-table.md all derive from the rows.


@record(frozen=False, eq=False)
class Parameter:
    """One parameter under `<prefix>/<monitor>/`: how it reads, and where it goes.

    `parse` turns its text into the value or raises ValueError with what is wrong (values.py).
    `check` is a secret's shape, told before put-secrets stores it (never echoing it): the
    channel's build checks the same, and a value that fails turns that channel off, not the run.
    """

    name: str
    meaning: str  # one line: the docs' table, the command line's help
    parse: Callable[[str], Any] = str
    default: Any = None
    secret: bool = False  # a SecureString: never echoed, never kept; put-secrets stores it
    kept: bool = False  # kept with the last valid configuration; judged with while invalid
    required: bool = False
    default_text: str = ""  # the docs' words for a default that follows other values
    show: Callable[[Any], str] = str  # the value as text: as kept, and as documented
    field: str = ""  # where MonitorConfig holds a monitor's own value ("thresholds.warning")
    check: Callable[[Secret, Settings], str] | None = None
    flag: str = ""  # the command line's flag that sets it, where one does
    unit: str = ""  # "%", "minutes", ...: the flag's type and the docs' column

    def applied(self, config: MonitorConfig) -> str:
        """The value the configuration applies, defaults included, as text ("" when none)."""
        value = attrgetter(self.field)(config) if self.field else config.option(self.name)
        return "" if value is None else self.show(value)

    def documented_default(self) -> str:
        if self.default_text:
            return self.default_text
        if self.required:
            return "required"
        if self.default is None or self.default == "":
            return "none"
        return f"`{self.show(self.default)}`"


@record(frozen=False, eq=False)
class PlugIn[Build]:
    """A channel or a usage source: its name, its parameters, and what builds it from them."""

    name: str
    parameters: tuple[Parameter, ...]
    build: Build
