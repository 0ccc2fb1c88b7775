"""The usage-source registry: where a monitor's usage comes from, built from its parameters."""

from __future__ import annotations

from ceilingwatch.adapters import ultravox
from ceilingwatch.adapters.wiring import SourceBuild, SourceWiring
from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.parameters import PlugIn
from ceilingwatch.domain.ports import UsageSource

__all__ = ["REGISTRY", "SourceWiring", "build_source"]

# Each source module declares its parameters and its build: a new source is one more line.
REGISTRY: tuple[PlugIn[SourceBuild], ...] = (ultravox.PLUGIN,)


def build_source(config: MonitorConfig, wiring: SourceWiring) -> UsageSource:
    """The first source the monitor has configured, bound to this monitor's credentials."""
    for plugin in REGISTRY:
        source = plugin.build(config, wiring)
        if source is not None:
            return source
    raise ConfigurationError(
        f"no usage source is configured under {config.parameter_path}",
        "set " + " or ".join(config.parameter(p.parameters[0].name) for p in REGISTRY),
    )
