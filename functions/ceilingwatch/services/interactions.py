"""A click on an incident's button answered: verified, stored with a conditional write, shown."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import field, replace
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.common.errors import ChannelError, MonitorError, StateConflictError
from ceilingwatch.common.observability import logger
from ceilingwatch.common.records import record
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.ports import (
    AlertStates,
    Click,
    ClickChannel,
    ClickRefusedError,
    MonitorParameters,
)
from ceilingwatch.services.claims import delivering
from ceilingwatch.services.responses import answer

WRITE_ATTEMPTS = 3
BUSY_WAIT = 0.25  # while a run is delivering, its settle write must not be beaten


@record(frozen=False)
class Responders:
    """What a click touches: the monitor's parameters, its state item, and the clicked channel."""

    settings: Settings
    parameters: MonitorParameters
    states: AlertStates
    clicks: ClickChannel
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    on_secrets: Callable[..., None] = field(default=lambda *secrets: None)


def respond(request: Mapping[str, Any], deps: Responders) -> dict[str, Any]:
    """401 unless the channel signed it; 403 for a click not on the open incident; else 200."""
    try:
        monitor = deps.clicks.monitor_named(request)
        logger.append_keys(monitor=monitor)
        config = _config(monitor, deps)
        click = deps.clicks.verified(request, config, deps.clock())
        memory, said = _store(click, deps)
    except ClickRefusedError as error:
        return _refuse(error.status, str(error))
    except StateConflictError:
        return _refuse(503, "the state kept changing under the click: click again")
    logger.info("click answered", extra={"action": click.action.value, "user": click.user})
    try:
        deps.clicks.confirm(config, memory, said)
    except ChannelError as error:
        logger.warning("the click is stored but Slack was not told", extra={"problem": str(error)})
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": ""}


def _config(monitor: str, deps: Responders) -> MonitorConfig:
    try:
        config = deps.parameters.load(monitor)
    except MonitorError as error:
        why = f"no configuration for the monitor the click names: {error.problem}"
        raise ClickRefusedError(why, 401) from None
    deps.on_secrets(*config.secrets())
    return config


def _store(click: Click, deps: Responders) -> tuple[dict[str, str], str]:
    """The answer, written only if the state is what this click read (a conditional write).

    Returns the clicked channel's memory with the answer on the incident's message, and the
    answer's line.
    """
    for _ in range(WRITE_ATTEMPTS):
        state = deps.states.load(click.monitor)
        if state is not None and delivering(state, deps.clock(), deps.settings.outbox_grace):
            deps.sleep(BUSY_WAIT)
            continue
        memory = {k: dict(v) for k, v in state.delivery.channel_memory.items()} if state else {}
        mine = memory.get(deps.clicks.name, {})
        if state is None or not deps.clicks.on_open_incident(mine, click):
            # A forged value, another monitor's button, or an episode that is over.
            raise ClickRefusedError(
                f"the clicked message is not the open incident of monitor {click.monitor}"
            )
        changed, said = answer(state, click, deps.clock())
        memory[deps.clicks.name] = deps.clicks.with_answer(mine, said)
        changed = replace(changed, delivery=replace(changed.delivery, channel_memory=memory))
        try:
            deps.states.save(changed, expected_version=state.version)
        except StateConflictError:
            continue  # a run or another click wrote first: read again and answer on top of it
        return memory[deps.clicks.name], said
    raise StateConflictError(f"the state of {click.monitor} kept changing")


def _refuse(status: int, why: str) -> dict[str, Any]:
    logger.warning("click refused; nothing changed", extra={"status": status, "problem": why})
    return {"statusCode": status, "headers": {"content-type": "text/plain"}, "body": why}
