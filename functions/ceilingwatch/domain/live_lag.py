"""The notice of a live feed that keeps lagging: what is wrong, which webhook, what to do."""

from __future__ import annotations

from datetime import datetime

from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.severity import Severity


def lag_notice(monitor: str, runs: int, live: int, active: int, at: datetime) -> Notification:
    """Named by the webhook's URL path, the one thing a monitor's webhook is known by here; the
    fix is the two commands that show it (doctor) and make it again (live enable)."""
    why = (
        f"the live count was below Ultravox's activeCalls for {runs} scheduled runs in a row "
        f"(now {live} live, {active} activeCalls): the Ultravox webhook of this monitor "
        f"(URL path /{monitor} on the stack's UltravoxWebhookUrl) may be unhealthy or missing "
        "events; the live count is raised to activeCalls meanwhile"
    )
    fix = (
        f"run `ceilingwatch doctor --monitor {monitor}` for the webhook's status and recent "
        f"failures; `ceilingwatch live enable --monitor {monitor}` makes it again if it is gone"
    )
    return Notification(Kind.LIVE_LAG, monitor, Severity.WARNING, why, at, fix=fix)
