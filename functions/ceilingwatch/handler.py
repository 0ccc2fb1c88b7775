"""The Lambda entry point: wire dependencies once, then run one tick or confirm one change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ceilingwatch.common.errors import DeliveryError, MonitorError, RunCrashedError
from ceilingwatch.common.observability import loaded_secrets, logger, metrics, tracer
from ceilingwatch.common.scrub import scrub
from ceilingwatch.domain.config_notices import ParameterChange
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.base import Dependencies, RunResult, deadline_from
from ceilingwatch.services.decision import count, record
from ceilingwatch.services.monitor import run

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_dependencies: Dependencies | None = None


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, dependencies: Dependencies | None = None
) -> dict[str, Any]:
    global _dependencies
    try:
        if dependencies is None:
            from ceilingwatch.bootstrap import build_dependencies

            _dependencies = _dependencies or build_dependencies()
            dependencies = _dependencies
        result = _dispatch(
            event, dependencies, deadline_from(context.get_remaining_time_in_millis())
        )
        if result is None:
            logger.info("a Parameter Store change outside any monitor's path; ignored")
            return {"skipped": "not a monitor's parameter"}
    except MonitorError as error:
        # Nothing could be judged or stored (bad event or environment, state table down).
        count("RunFailures", 1)
        logger.error("run failed", extra={"problem": error.problem, "fix": error.what_to_fix})
        raise
    except Exception as error:
        count("RunFailures", 1)
        logger.exception("run failed")  # the formatter masks the traceback
        # The runtime prints the exception's text and the dead-letter queue keeps it.
        raise RunCrashedError(scrub(f"{type(error).__name__}: {error}", loaded_secrets())) from None
    record(result)
    if isinstance(result.error, DeliveryError):
        # Judged and stored, but no channel took what this run owes: Lambda's retry sends it.
        raise result.error
    # One problem, one signal: a failure judged and stored as ERROR is the monitor's own ERROR
    # alert and RunFailures, not also a Lambda error, a retry and a dead-letter entry.
    return result.summary()


def _dispatch(event: dict[str, Any], deps: Dependencies, deadline: float) -> RunResult | None:
    """A Parameter Store change (None if no monitor's), else a schedule's tick."""
    if ParameterChange.recognises(event):
        change = ParameterChange.from_event(event, deps.settings.parameter_prefix, deps.clock())
        if change is None:
            return None
        logger.append_keys(monitor=change.monitor, parameter=change.parameter)
        metrics.add_dimension(name="monitor", value=change.monitor)
        # Imported here, not by every tick: a change event is the rare case (test_tick_imports).
        from ceilingwatch.services.config_change import confirm_change

        return confirm_change(change, deps, deadline=deadline)
    tick = Tick.from_event(event, deps.clock())
    logger.append_keys(monitor=tick.monitor, tick=tick.scheduled_time.isoformat())
    metrics.add_dimension(name="monitor", value=tick.monitor)
    return run(tick, deps, deadline=deadline)
