"""The decision line a run logs, and the few metrics it sends."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from ceilingwatch.common.observability import NAMESPACE, SERVICE, logger
from ceilingwatch.services.base import RunResult
from ceilingwatch.services.delivery import Status


def record(result: RunResult) -> dict[str, object]:
    """The decision line (every per-monitor figure, queried by the dashboard with Logs
    Insights), a monitor's own two metrics only when it opted in, and deployment-wide counts."""
    figures = result.summary()  # what the handler returns, too: made once
    if result.error is not None:
        count("RunFailures", 1)
    # The status as an argument: a message without any, Powertools tries (and fails) as JSON.
    logger.info(
        "decision: %s",
        result.status or "unchanged",
        extra={"decision": figures | {"level": result.level_value}},
    )
    if result.suppressed:
        # A mute or a dry run left on by mistake silences alerting: say so at every run.
        logger.warning(
            "notifications held back by mute-until, a Slack snooze or acknowledge, or dry-run",
            extra={"held": result.suppressed, "skipped": result.skipped},
        )
    if result.monitor_metrics and result.peak is not None and result.limit:
        # Opted in (monitor-metrics): $0.60 a month for this monitor; the line above is free.
        dimensions = {"service": SERVICE, "monitor": result.monitor}
        for name, unit, value in (
            ("PeakCalls", MetricUnit.Count, result.peak),
            ("UtilizationPercent", MetricUnit.Percent, figures["utilization"]),
        ):
            with single_metric(
                name, unit, value, namespace=NAMESPACE, default_dimensions=dimensions
            ):
                pass
    outcomes = [outcome for d in result.deliveries for outcome in d.channels.values()]
    count("NotificationsSent", sum(1 for o in outcomes if o.status is Status.SENT))
    failed = sum(1 for o in outcomes if o.status not in (Status.SENT, Status.HELD))
    count("NotificationFailures", failed)
    return figures


def count(name: str, value: int) -> None:
    """A deployment-wide count (no monitor dimension), sent only when something happened."""
    if value > 0:
        dimensions = {"service": SERVICE}  # what the alarms on these counts match
        with single_metric(
            name, MetricUnit.Count, value, namespace=NAMESPACE, default_dimensions=dimensions
        ):
            pass
