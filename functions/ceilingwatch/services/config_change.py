"""A Parameter Store change confirmed at once: the whole configuration checked, the verdict told."""

from __future__ import annotations

from dataclasses import replace

from ceilingwatch.common.errors import MonitorError, UltravoxAuthError
from ceilingwatch.common.observability import logger
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig, parameter_path
from ceilingwatch.domain.config_notices import ParameterChange, change_verdict
from ceilingwatch.domain.last_valid import applied_values
from ceilingwatch.domain.ports import Roster
from ceilingwatch.domain.state import AlertState
from ceilingwatch.services.base import Dependencies, RunResult
from ceilingwatch.services.claims import claim_and_send, delivering, links
from ceilingwatch.services.delivery import Delivery, claim, send

ATTEMPTS = 3  # a scheduled run may store the state between our read and our write


def confirm_change(change: ParameterChange, deps: Dependencies, *, deadline: float) -> RunResult:
    """Check the monitor's whole configuration as it is now, and tell every channel that works.

    An accepted configuration becomes the last valid one at once; a refused one changes
    nothing, and the monitor goes on judging with what it had.
    """
    result = RunResult(monitor=change.monitor, tick=change.at, status="CONFIG")
    path = parameter_path(deps.settings.parameter_prefix, change.monitor)
    table = deps.parameters.table
    for _ in range(ATTEMPTS):
        previous = deps.states.load(change.monitor)
        last_valid = previous.watches.last_valid_config if previous else None
        reading = deps.parameters.read(change.monitor, last_valid, fresh=True)
        if reading.config is not None:
            deps.on_secrets(*reading.config.secrets())
        roster = deps.channels(reading.config)
        problems = roster.problems + _source_problems(change, reading.config, deps, deadline)
        before = applied_values(table, last_valid)
        note = change_verdict(change, reading, before, previous, path, problems, table=table)
        result.reason = note.why
        if previous is not None and delivering(previous, deps.clock(), deps.settings.outbox_grace):
            # A run is delivering this monitor's outbox: leave its state alone, tell directly.
            result.deliveries += _tell(note, reading.config, roster, deps, deadline)
            break
        state = replace(previous or AlertState(change.monitor), version=_next(previous))
        if reading.valid_values is not None:
            kept = replace(state.watches, last_valid_config=reading.valid_values)
            state = replace(state, watches=kept)
        carried = previous.delivery.outbox if previous else ()
        owed = carried + claim([note], roster.channels)
        result.skipped = ""
        claim_and_send(previous, state, owed, reading.config, roster, deps, deadline, result)
        if not result.skipped:
            break
    logger.info("parameter change", extra={"parameter": change.parameter, "verdict": note.why})
    return result


def _tell(
    note: Notification,
    config: MonitorConfig | None,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
) -> list[Delivery]:
    settlement = send(
        claim([note], roster.channels),
        roster.channels,
        links=links(deps.settings, config, note.monitor),
        memory={},
        deadline=deadline,
    )
    return settlement.deliveries


def _source_problems(
    change: ParameterChange, config: MonitorConfig | None, deps: Dependencies, deadline: float
) -> tuple[str, ...]:
    """A new key is tried on the usage source at once: a typo is found now, not in 15 minutes."""
    if change.parameter not in deps.parameters.table.source_names or config is None:
        return ()
    try:
        deps.usage(config).account(deadline=deadline)
    except UltravoxAuthError as error:
        return (f"{change.parameter}: {error.scrubbed(config.secrets()).problem}",)
    except MonitorError as error:  # the source is down: the key may be fine; the next run tells
        logger.warning("new key not checked", extra={"problem": error.problem})
    return ()


def _next(previous: AlertState | None) -> int:
    return (previous.version if previous else 0) + 1
