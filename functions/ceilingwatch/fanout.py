"""The fan-out entry point: the deployment's one schedule in, one queued event per monitor out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ceilingwatch.common.observability import logger, metrics
from ceilingwatch.domain.config_notices import ParameterChange
from ceilingwatch.domain.fleet import REGISTERING_PARAMETERS
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.decision import count
from ceilingwatch.services.fanout import Fleet, fan_out

_fleet: Fleet | None = None


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, fleet: Fleet | None = None
) -> dict[str, Any]:
    global _fleet
    if fleet is None:
        from ceilingwatch.bootstrap import build_fleet

        _fleet = _fleet or build_fleet()
        fleet = _fleet
    if ParameterChange.recognises(event):
        prefix = fleet.run.settings.parameter_prefix
        change = ParameterChange.from_event(event, prefix, fleet.run.clock())
        if change is None or change.parameter not in REGISTERING_PARAMETERS:
            return {"skipped": "not a registering parameter"}
        # A monitor added or removed: the next tick reads the registry again.
        fleet.registry.stale()
        return {"stale": change.monitor}
    tick = Tick.from_event({"monitor": "fleet", **event}, fleet.run.clock())
    logger.append_keys(tick=tick.scheduled_time.isoformat())
    result = fan_out(tick, fleet)
    # The deployment's heartbeat: the alarm fires when the fan-out stops queueing ticks.
    count("FanoutTicks", 1)
    count("MonitorsQueued", result["queued"])
    count("MonitorsForgotten", len(result["forgotten"]))
    logger.info("fan-out", extra={"fanout": result})
    return result
