"""A Parameter Store change confirmed at once: the whole configuration checked, the verdict told."""

from __future__ import annotations

from dataclasses import replace

from ceilingwatch.common.errors import MonitorError, UltravoxAuthError
from ceilingwatch.common.observability import logger
from ceilingwatch.domain.config import MonitorConfig, parameter_path
from ceilingwatch.domain.config_notices import ParameterChange, change_verdict
from ceilingwatch.domain.last_valid import applied_values
from ceilingwatch.domain.state import AlertState
from ceilingwatch.services.delivery import claim, send
from ceilingwatch.services.monitor import Dependencies, RunResult, claim_and_send, delivering, links

ATTEMPTS = 3  # a scheduled run may store the state between our read and our write


def confirm_change(change: ParameterChange, deps: Dependencies, *, deadline: float) -> RunResult:
    """Check the monitor's whole configuration as it is now, and tell every channel that works.

    An accepted configuration becomes the last valid one at once; a refused one changes
    nothing, and the monitor goes on judging with what it had.
    """
    result = RunResult(monitor=change.monitor, tick=change.at, status="CONFIG")
    path = parameter_path(deps.settings.parameter_prefix, change.monitor)
    for _ in range(ATTEMPTS):
        previous = deps.states.load(change.monitor)
        last_valid = previous.watches.last_valid_config if previous else None
        reading = deps.parameters.read(change.monitor, last_valid, fresh=True)
        if reading.config is not None:
            deps.on_secrets(*reading.config.secrets())
        roster = deps.channels(reading.config)
        problems = roster.problems + _key_problems(change, reading.config, deps, deadline)
        note = change_verdict(change, reading, applied_values(last_valid), previous, path, problems)
        result.reason = note.why
        if previous is not None and delivering(previous, deps):
            # A run is delivering this monitor's outbox: leave its state alone, tell directly.
            settlement = send(
                claim([note], roster.channels),
                roster.channels,
                links=links(deps.settings, reading.config, change.monitor),
                memory={},
                deadline=deadline,
            )
            result.deliveries += settlement.deliveries
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


def _key_problems(
    change: ParameterChange, config: MonitorConfig | None, deps: Dependencies, deadline: float
) -> tuple[str, ...]:
    """A new key is tried on Ultravox at once: a typo in a key is found now, not in 15 minutes."""
    if change.parameter != "ultravox-api-key" or config is None:
        return ()
    try:
        deps.ultravox.account(config.ultravox_api_key, deadline=deadline)
    except UltravoxAuthError as error:
        return (f"ultravox-api-key: {error.scrubbed(config.secrets()).problem}",)
    except MonitorError as error:  # Ultravox down: the key may be fine; the next run tells
        logger.warning("new key not checked", extra={"problem": error.problem})
    return ()


def _next(previous: AlertState | None) -> int:
    return (previous.version if previous else 0) + 1
