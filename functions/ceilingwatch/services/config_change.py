"""A Parameter Store change confirmed at once: the whole configuration checked, the verdict told."""

from __future__ import annotations

from dataclasses import replace

from ceilingwatch.common.errors import MonitorError, UltravoxAuthError
from ceilingwatch.common.observability import logger
from ceilingwatch.domain.config import MonitorConfig, parameter_path
from ceilingwatch.domain.config_notices import (
    ParameterChange,
    already_told,
    change_verdict,
    told_config,
)
from ceilingwatch.domain.last_valid import ConfigReading, applied_values
from ceilingwatch.domain.ports import Roster
from ceilingwatch.domain.state import AlertState
from ceilingwatch.domain.watches import told_channel_problems
from ceilingwatch.services.base import Dependencies, RunResult
from ceilingwatch.services.claims import beside_or_carried, carry_owed, claim_and_send
from ceilingwatch.services.delivery import claim
from ceilingwatch.services.failures import name_new_failures

ATTEMPTS = 3  # a scheduled run may store the state between our read and our write


def confirm_change(change: ParameterChange, deps: Dependencies, *, deadline: float) -> RunResult:
    """Check the monitor's whole configuration as it is now, and tell every channel that works.

    An accepted configuration becomes the last valid one at once; a refused one changes
    nothing, and the monitor goes on judging with what it had. The verdict is claimed in the
    state like every notification: a duplicate delivery of the event (same `id`) tells nothing,
    and what it told the runs do not tell again before the reminder interval.
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
        if previous is not None and previous.told.handled(change.event_id):
            result.skipped = "this change was already confirmed (a duplicate delivery)"
            carry_owed(previous, reading.config, roster, deps, deadline, result)
            return result
        problems = roster.problems + _source_problems(change, reading.config, deps, deadline)
        before = applied_values(table, last_valid)
        note = change_verdict(change, reading, before, previous, path, problems, table=table)
        result.reason = note.why
        notes = [note]
        if already_told(previous, reading, change):
            # A run read the new value first and told it in its CONFIG notice.
            notes, result.suppressed = [], [note.kind.value]
        state = _recorded(previous, change, reading, roster, told=bool(notes))
        # While a run delivers its outbox, the verdict is claimed beside it and sent here.
        owed, beside = beside_or_carried(previous, claim(notes, roster.channels), deps)
        result.skipped = ""
        stored = claim_and_send(
            previous, state, owed, reading.config, roster, deps, deadline, result, beside=beside
        )
        if not result.skipped:
            name_new_failures(stored, reading.config, roster, deps, deadline, result, change.at)
            break
    logger.info("parameter change", extra={"parameter": change.parameter, "verdict": note.why})
    return result


def _recorded(
    previous: AlertState | None,
    change: ParameterChange,
    reading: ConfigReading,
    roster: Roster,
    *,
    told: bool,
) -> AlertState:
    """The state with the change claimed: its id, the valid values, and what the verdict told."""
    state = previous or AlertState(change.monitor)
    state = replace(
        state,
        version=_next(previous),
        told=replace(state.told, events=state.told.remembering(change.event_id)),
    )
    if reading.valid_values is not None:
        kept = replace(state.watches, last_valid_config=reading.valid_values)
        state = replace(state, watches=kept)
    if told:
        state = told_config(state, reading, change.at)
        if reading.config is not None:
            state = told_channel_problems(state, roster.problems, change.at)
    return state


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
