"""What a run sees: the last hour from the usage source, and now and then the account's ceiling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ceilingwatch.common.errors import ConfigurationError, MonitorError
from ceilingwatch.common.observability import logger
from ceilingwatch.domain.alerts import (
    NOT_CHECKED,
    Failed,
    Measured,
    NoData,
    NotChecked,
    Observation,
)
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.evaluation import Evaluation
from ceilingwatch.domain.ports import Account, UsageSource
from ceilingwatch.domain.series import TimeSeries, fill_gaps, floor_to_bucket
from ceilingwatch.domain.state import AlertState
from ceilingwatch.domain.watches import account_check_due

WINDOW = timedelta(hours=1)


def observe(
    now: datetime,
    previous: AlertState | None,
    config: MonitorConfig | None,
    config_error: MonitorError | None,
    usage: Callable[[MonitorConfig], UsageSource],
    deadline: float,
) -> Observation:
    """The hour up to `now` from the monitor's usage source, or why it could not be read."""
    if config is None:
        return Failed(config_error or ConfigurationError("the configuration could not be read"))
    try:
        return _measure(now, previous, config, usage(config), deadline)
    except MonitorError as error:
        # Its text may hold what the source echoed: scrubbed before the state or a message sees it.
        return Failed(error.scrubbed(config.secrets()))


def _measure(
    now: datetime,
    previous: AlertState | None,
    config: MonitorConfig,
    source: UsageSource,
    deadline: float,
) -> Observation:
    start = floor_to_bucket(now - WINDOW)
    series = source.concurrency(start, now, deadline=deadline)
    _warn_if_put_right(series)
    if not series.buckets:
        return NoData()
    account: Account | NotChecked = NOT_CHECKED
    if account_check_due(previous, now):
        account = _account(source, deadline)
    evaluation = Evaluation(
        buckets=fill_gaps(series.buckets, start, now),
        limit=config.concurrency_limit,
        thresholds=config.thresholds,
        now=now,
    )
    if isinstance(account, NotChecked):
        return Measured(evaluation)
    return Measured(evaluation, account.allowed_concurrent_calls, account.subscription)


def _warn_if_put_right(series: TimeSeries) -> None:
    if series.ignored_outside_window or series.merged_duplicates or series.off_grid:
        # Put right, not refused: but a change in the API's answers should be seen.
        logger.warning(
            "Ultravox sent buckets off the 5-minute grid, outside the window or twice",
            extra={
                "off_grid": series.off_grid,
                "outside_window": series.ignored_outside_window,
                "merged_duplicates": series.merged_duplicates,
            },
        )


def _account(source: UsageSource, deadline: float) -> Account | NotChecked:
    """The account's own ceiling and plan are a cross-check: their failure never fails the run."""
    try:
        return source.account(deadline=deadline)
    except MonitorError as error:
        logger.warning(
            "account cross-check skipped; retried next run",
            extra={"problem": error.problem, "fix": error.what_to_fix},
        )
        return NOT_CHECKED
