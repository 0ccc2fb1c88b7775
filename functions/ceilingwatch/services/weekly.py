"""The digest's reads: hourly peaks of two weeks, the peak hour in 5 minutes, and the plan."""

from __future__ import annotations

from datetime import datetime

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.common.observability import logger
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.digest import HISTORY, HOUR, Digest, build_digest
from ceilingwatch.domain.plan import plan_risk
from ceilingwatch.domain.ports import UsageSource
from ceilingwatch.domain.series import Bucket, ConcurrencyBucket


def gather_digest(
    source: UsageSource,
    config: MonitorConfig,
    now: datetime,
    *,
    deadline: float,
    days: int = HISTORY.days,
) -> Digest:
    """Three requests: `bucket=hour` for the history (raises if Ultravox cannot answer), then,
    as extras that never fail the digest, the peak hour's 5-minute buckets and the account."""
    limit = config.concurrency_limit
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - days * 24 * HOUR
    hourly = source.concurrency(start, end, Bucket.HOUR, deadline=deadline).buckets
    digest = build_digest(config.monitor, hourly, limit, config.thresholds, now, days=days)
    detail: tuple[ConcurrencyBucket, ...] = ()
    if digest.peak > 0:
        try:
            hour = digest.peak_at
            detail = source.concurrency(hour, hour + HOUR, deadline=deadline).buckets
        except MonitorError as error:
            logger.warning(
                "digest: the peak hour's detail was skipped", extra={"problem": error.problem}
            )
    risk = None
    try:
        risk = plan_risk(source.account(deadline=deadline).subscription, now, limit)
    except MonitorError as error:
        logger.warning("digest: the plan check was skipped", extra={"problem": error.problem})
    return build_digest(
        config.monitor,
        hourly,
        limit,
        config.thresholds,
        now,
        peak_detail=detail,
        plan_risk=risk,
        days=days,
    )
