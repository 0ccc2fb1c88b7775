"""The Lambda entry point: wire dependencies once, then run one tick or confirm one change."""

from __future__ import annotations

import gc
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ceilingwatch.common.errors import DeliveryError, MonitorError, RunCrashedError
from ceilingwatch.common.observability import loaded_secrets, logger, tracer
from ceilingwatch.common.scrub import scrub
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.config_notices import ParameterChange
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.base import Dependencies, RunResult, deadline_from
from ceilingwatch.services.decision import count, record
from ceilingwatch.services.monitor import run

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_dependencies: Dependencies | None = None


# No Metrics.log_metrics: a run's metrics are single metrics, each written as it is counted
# (services/decision.py), so the service's Metrics object has nothing to flush at the end.
@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, dependencies: Dependencies | None = None
) -> dict[str, Any]:
    if _is_sqs_batch(event):
        return _batch(event["Records"], dependencies, context)
    return _handle(event, dependencies, context)


def _is_sqs_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and all(
        isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records
    )


def _wired() -> Dependencies:
    global _dependencies
    if _dependencies is None:
        from ceilingwatch.bootstrap import build_dependencies

        _dependencies = build_dependencies()
        gc.freeze()  # the clients and botocore's models, frozen as the imports are (below)
    return _dependencies


def _batch(
    records: list[dict[str, Any]], deps: Dependencies | None, context: LambdaContext
) -> dict[str, Any]:
    """The fan-out's messages, one monitor each: a message that fails is reported alone, so
    SQS retries it and then dead-letters it, and never holds back another monitor's."""
    failures = []
    for message in records:
        try:
            event = json.loads(message["body"])
            if not isinstance(event, dict):
                raise RunCrashedError("the message is not a JSON object")
            _handle(event, deps, context)
        except Exception:
            failures.append({"itemIdentifier": message["messageId"]})
    return {"batchItemFailures": failures}


def _handle(
    event: dict[str, Any], deps: Dependencies | None, context: LambdaContext
) -> dict[str, Any]:
    """One event as the schedule or EventBridge sends it: today's behaviour, unchanged."""
    try:
        deadline = deadline_from(context.get_remaining_time_in_millis())
        request_id = str(getattr(context, "aws_request_id", "") or "")
        result = _dispatch(event, deps or _wired(), deadline, request_id)
        if result is None:
            logger.info("a Parameter Store change outside any monitor's path; ignored")
            return {"skipped": "not a monitor's parameter"}
    except MonitorError as error:
        # Nothing could be judged or stored (bad event or environment, state table down).
        count("RunFailures", 1)
        logger.error("run failed", extra={"problem": error.problem, "fix": error.what_to_fix})
        raise
    except Exception as error:
        raise _crashed(error) from None
    summary = record(result)
    if isinstance(result.error, DeliveryError):
        # Judged and stored, but no channel took what this run owes: Lambda's retry sends it.
        raise result.error
    # One problem, one signal: a failure judged and stored as ERROR is the monitor's own ERROR
    # alert and RunFailures, not also a Lambda error, a retry and a dead-letter entry.
    return summary


def _crashed(error: Exception) -> RunCrashedError:
    count("RunFailures", 1)
    logger.exception("run failed")  # the formatter masks the traceback
    # The runtime prints the exception's text and the dead-letter queue keeps it.
    return RunCrashedError(scrub(f"{type(error).__name__}: {error}", loaded_secrets()))


def _dispatch(
    event: dict[str, Any], deps: Dependencies, deadline: float, request_id: str
) -> RunResult | None:
    """A Parameter Store change (None if no monitor's), else a schedule's tick."""
    if ParameterChange.recognises(event):
        change = ParameterChange.from_event(event, deps.settings.parameter_prefix, deps.clock())
        if change is None:
            return None
        logger.append_keys(monitor=change.monitor, parameter=change.parameter)
        # Imported here, not by every tick: a change event is the rare case (test_tick_imports).
        from ceilingwatch.services.config_change import confirm_change

        return confirm_change(change, deps, deadline=deadline)
    tick = Tick.from_event(event, deps.clock())
    if tick.action is Action.TEST and not tick.execution_id:
        # Lambda's retry of an invocation keeps its request id: the test alert is claimed by it.
        tick = replace(tick, execution_id=request_id)
    logger.append_keys(monitor=tick.monitor, tick=tick.scheduled_time.isoformat())
    return run(tick, deps, deadline=deadline)


# What this module and its imports made lives as long as the execution environment: frozen, no
# collection walks it again. Unfrozen, the first tick's generation-1 collection walked it all
# while botocore loaded its models: 11 ms of the cold invocation's CPU (docs/measured.md).
gc.freeze()
