"""What usage sources are built from besides a monitor's configuration: one per environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field

from ceilingwatch.adapters.transport import Session, Urllib3Session
from ceilingwatch.common.records import record
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.ports import UsageSource


@record(frozen=False, eq=False)
class SourceWiring:
    """The deployment's settings and one HTTP session, whose connections every run reuses."""

    settings: Settings
    session: Session = field(default_factory=Urllib3Session)


# A source's build returns the monitor's source, or None when the monitor has not configured it.
SourceBuild = Callable[[MonitorConfig, SourceWiring], UsageSource | None]
