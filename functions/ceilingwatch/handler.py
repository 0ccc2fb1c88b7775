"""The Lambda entry point: wire dependencies once, run one tick, log and measure the decision."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from ceilingwatch.common.errors import DeliveryError, MonitorError, RunCrashedError
from ceilingwatch.common.observability import (
    NAMESPACE,
    SERVICE,
    loaded_secrets,
    logger,
    metrics,
    tracer,
)
from ceilingwatch.common.scrub import scrub
from ceilingwatch.domain.config_notices import ParameterChange
from ceilingwatch.services.config_change import confirm_change
from ceilingwatch.services.delivery import Status
from ceilingwatch.services.monitor import Dependencies, RunResult, Tick, deadline_from, run

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
        _count("RunFailures", 1)
        logger.error("run failed", extra={"problem": error.problem, "fix": error.what_to_fix})
        raise
    except Exception as error:
        _count("RunFailures", 1)
        logger.exception("run failed")  # the formatter masks the traceback
        # The runtime prints the exception's text and the dead-letter queue keeps it.
        raise RunCrashedError(scrub(f"{type(error).__name__}: {error}", loaded_secrets())) from None
    _record(result)
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
        return confirm_change(change, deps, deadline=deadline)
    tick = Tick.from_event(event, deps.clock())
    logger.append_keys(monitor=tick.monitor, tick=tick.scheduled_time.isoformat())
    metrics.add_dimension(name="monitor", value=tick.monitor)
    return run(tick, deps, deadline=deadline)


def _record(result: RunResult) -> None:
    """The decision line, and two metrics per monitor: each costs $0.30 a month, per monitor.

    The level and the limit are fields of the decision line (the dashboard queries them with
    Logs Insights); the counts go out for the whole deployment, and only when not zero.
    """
    summary = result.summary() | {"level": result.level_value}
    if result.error is not None:
        _count("RunFailures", 1)
    logger.info(f"decision: {result.status or 'unchanged'}", extra={"decision": summary})
    if result.suppressed:
        # A mute or a dry run left on by mistake silences alerting: say so at every run.
        logger.warning(
            "notifications held back by mute-until, a Slack snooze or acknowledge, or dry-run",
            extra={"held": result.suppressed, "skipped": result.skipped},
        )
    if result.peak is not None and result.limit:
        # UtilizationPercent is also the heartbeat: its alarm fires when it stops coming.
        metrics.add_metric(name="PeakCalls", unit=MetricUnit.Count, value=result.peak)
        metrics.add_metric(
            name="UtilizationPercent", unit=MetricUnit.Percent, value=summary["utilization"]
        )
    outcomes = [outcome for d in result.deliveries for outcome in d.channels.values()]
    _count("NotificationsSent", sum(1 for o in outcomes if o.status is Status.SENT))
    failed = sum(1 for o in outcomes if o.status not in (Status.SENT, Status.HELD))
    _count("NotificationFailures", failed)


def _count(name: str, value: int) -> None:
    """A deployment-wide count (no monitor dimension), sent only when something happened."""
    if value > 0:
        dimensions = {"service": SERVICE}  # what the alarms on these counts match
        with single_metric(
            name, MetricUnit.Count, value, namespace=NAMESPACE, default_dimensions=dimensions
        ):
            pass
