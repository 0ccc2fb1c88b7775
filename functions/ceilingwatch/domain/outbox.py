"""What is owed to which channel, and what each channel remembers between runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ceilingwatch.domain.alerts import Notification

# Per channel, what it keeps between runs (a PagerDuty incident key, a Slack thread's root).
ChannelMemory = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Owed:
    """A notification and the channels that have not taken it yet; None means every channel."""

    notification: Notification
    channels: tuple[str, ...] | None = None
    # Some channel has taken it: what the rest owe is their problem, not a lost notification.
    taken: bool = False
