"""What the live feed costs a month: the receiver's requests and compute, DynamoDB's units."""

from __future__ import annotations

import math

CALLS_A_DAY = 10_000
EVENTS_PER_CALL = 3  # call.started, call.joined, call.ended
OPEN_EVENTS_PER_CALL = 2  # started and joined: the ones the receiver counts after
ITEM_BYTES = 135  # a call's item: monitor, callId, stage, created, expires, openUntil
# Writes to the OpenCalls index (a local index keyed by openUntil, on open records only):
# started adds the call (1), joined moves its key (2: a delete and a put), ended removes it (1).
INDEX_WRITES_PER_CALL = 4
# A call's item stays until its expiry (max duration + margin), then until TTL deletes it:
# DynamoDB documents "within a few days"; both ends are priced. The count's Query reads the
# index from now on, so what TTL has not deleted yet is never read: the lag is not in the sum.
TTL_LAG_HOURS = (0, 48)
OPEN_HOURS = 1 + 2 / 60  # the most a call stays open: max duration (3600 s) + the margin
PRICE = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm": 0.0000133334,
    "dynamodb_read_unit": 0.125 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
}
WEBHOOKS_A_MONTH = CALLS_A_DAY * EVENTS_PER_CALL * 30


def compute(answer_seconds: float, memory_mb: int) -> tuple[float, float]:
    """GB-seconds and dollars of a month's webhooks at `memory_mb` (billed per started ms)."""
    billed = math.ceil(max(answer_seconds, 0.001) * 1000) / 1000
    gb_s = WEBHOOKS_A_MONTH * billed * memory_mb / 1024
    return gb_s, gb_s * PRICE["lambda_gb_second_arm"]


def render(answer_seconds: float, memory_mb: int) -> list[str]:
    """The live feed's month at `memory_mb`, each webhook answered in `answer_seconds`."""
    events = WEBHOOKS_A_MONTH
    requests_usd = events * PRICE["lambda_request"]
    gb_s, compute_usd = compute(answer_seconds, memory_mb)
    index_writes = CALLS_A_DAY * INDEX_WRITES_PER_CALL * 30
    writes_usd = (events + index_writes) * PRICE["dynamodb_write_unit"]
    lines = [
        f"     cost of {CALLS_A_DAY:,} calls a day, a 30-day month, list prices before free tiers:",
        f"       Lambda requests   {events:,} webhooks                  ${requests_usd:.2f}",
        f"       Lambda compute    {gb_s:,.0f} GB-s at {memory_mb} MB"
        f"               ${compute_usd:.2f}",
        f"       DynamoDB writes   {events:,} puts + {index_writes:,} index writes of 1 WRU"
        f"  ${writes_usd:.2f}",
    ]
    for lag in TTL_LAG_HOURS:
        # At most: every call open for its whole max duration. The items TTL has yet to delete
        # (`lag` hours of them) sort below the Query's `openUntil > now`: not read.
        items = CALLS_A_DAY / 24 * OPEN_HOURS
        units = max(1, -(-items * ITEM_BYTES // 4096))  # strongly consistent: 1 RRU per 4 KB
        queries = CALLS_A_DAY * OPEN_EVENTS_PER_CALL * 30
        reads_usd = queries * units * PRICE["dynamodb_read_unit"]
        lines.append(
            f"       DynamoDB reads    {queries:,} queries x {units:.0f} RRU (at most "
            f"{items:,.0f} open items, TTL lag {lag} h)  ${reads_usd:.2f}"
        )
    return lines
