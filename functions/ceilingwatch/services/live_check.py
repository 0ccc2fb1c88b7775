"""The check's live action: the live count against what was told, raised through the outbox."""

from __future__ import annotations

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.domain.live_alert import live_raise
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.base import Dependencies, RunResult
from ceilingwatch.services.claims import claim_and_send, delivering
from ceilingwatch.services.delivery import ChannelOutcome, Delivery, Status, claim


def check_live(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    """Raise or escalate on the live count, or nothing: it never resolves and never judges."""
    result = RunResult(monitor=tick.monitor, tick=tick.scheduled_time)
    if deps.live is None:
        result.skipped = "this stack has no live calls table"
        return result
    now = deps.clock()
    previous = deps.states.load(tick.monitor)
    result.status = previous.status if previous else ""
    if previous is not None and delivering(previous, now, deps.settings.outbox_grace):
        result.skipped = "another run is delivering this monitor's notifications"
        return result
    try:
        last_valid = previous.watches.last_valid_config if previous else None
        config = deps.parameters.read(tick.monitor, last_valid).config
    except MonitorError as error:
        # The scheduled run tells a configuration that cannot be read; a live count cannot.
        result.skipped, result.error = "the configuration could not be read", error
        return result
    if config is None:
        result.skipped = "no valid configuration to judge the live count with"
        return result
    deps.on_secrets(*config.secrets())
    calls = deps.live.count(tick.monitor, now).calls
    result.current, result.limit = calls, config.concurrency_limit
    outcome = live_raise(previous, calls, monitor=tick.monitor, now=now, config=config)
    if outcome is None:
        result.skipped = f"live count {calls} is no news"
        return result
    result.reason, result.status = outcome.reason, outcome.state.told.level.name
    result.suppressed = [n.kind.value for n in outcome.suppressed]
    if config.dry_run:
        result.skipped = "dry run: state kept, nothing sent"
        result.deliveries = [
            Delivery(n, {"dry-run": ChannelOutcome(Status.HELD)}) for n in outcome.notifications
        ]
        return result
    roster = deps.channels(config)
    carried = previous.delivery.outbox if previous else ()
    owed = carried + claim(list(outcome.notifications), roster.channels)
    claim_and_send(previous, outcome.state, owed, config, roster, deps, deadline, result)
    return result
