"""The Lambda entry point: wire dependencies once, run one tick, log and measure the decision."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ceilingwatch.delivery import Status
from ceilingwatch.errors import MonitorError
from ceilingwatch.monitor import Dependencies, RunResult, Tick, deadline_from, run
from ceilingwatch.observability import logger, metrics, tracer

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
        tick = Tick.from_event(event, dependencies.clock())
        logger.append_keys(monitor=tick.monitor, tick=tick.scheduled_time.isoformat())
        metrics.add_dimension(name="monitor", value=tick.monitor)
        result = run(
            tick, dependencies, deadline=deadline_from(context.get_remaining_time_in_millis())
        )
    except MonitorError as error:
        # Nothing could be judged or stored (bad event or environment, state table down).
        metrics.add_metric(name="RunFailures", unit=MetricUnit.Count, value=1)
        logger.error("run failed", extra={"problem": error.problem, "fix": error.what_to_fix})
        raise
    except Exception:
        metrics.add_metric(name="RunFailures", unit=MetricUnit.Count, value=1)
        logger.exception("run failed")
        raise
    _record(result)
    if result.error is not None:
        # Judged and stored as ERROR; failing the invocation makes Lambda's Errors metric count it.
        raise result.error
    return result.summary()


def _record(result: RunResult) -> None:
    summary = result.summary()
    if result.error is not None:
        summary |= {"problem": result.error.problem, "fix": result.error.what_to_fix}
        metrics.add_metric(name="RunFailures", unit=MetricUnit.Count, value=1)
    logger.info(f"decision: {result.status or 'unchanged'}", extra={"decision": summary})
    if result.suppressed:
        # A mute or a dry run left on by mistake silences alerting: say so at every run.
        logger.warning(
            "notifications held back by mute-until or dry-run",
            extra={"held": result.suppressed, "skipped": result.skipped},
        )
    if result.peak is not None and result.limit:
        metrics.add_metric(name="PeakCalls", unit=MetricUnit.Count, value=result.peak)
        metrics.add_metric(name="ConcurrencyLimit", unit=MetricUnit.Count, value=result.limit)
        metrics.add_metric(
            name="UtilizationPercent", unit=MetricUnit.Percent, value=summary["utilization"]
        )
    if result.level_value is not None:
        metrics.add_metric(name="AlertLevel", unit=MetricUnit.Count, value=result.level_value)
    outcomes = [outcome for d in result.deliveries for outcome in d.channels.values()]
    sent = sum(1 for outcome in outcomes if outcome.status is Status.SENT)
    failed = sum(1 for outcome in outcomes if outcome.status not in (Status.SENT, Status.HELD))
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=sent)
    metrics.add_metric(name="NotificationFailures", unit=MetricUnit.Count, value=failed)
