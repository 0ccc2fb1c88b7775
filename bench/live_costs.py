"""What the live feed costs a month: the receiver's requests and compute, DynamoDB's units."""

from __future__ import annotations

import math

CALLS_A_DAY = 10_000
EVENTS_PER_CALL = 3  # call.started, call.joined, call.ended
OPEN_EVENTS_PER_CALL = 2  # started and joined: the ones the receiver counts after
ITEM_BYTES = 120  # a call's item: monitor, callId, stage, created, expires
# A call's item stays until its expiry (max duration + margin), then until TTL deletes it:
# DynamoDB documents "within a few days"; both ends are priced.
TTL_LAG_HOURS = (0, 48)
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
    writes_usd = events * PRICE["dynamodb_write_unit"]
    lines = [
        f"     cost of {CALLS_A_DAY:,} calls a day, a 30-day month, list prices before free tiers:",
        f"       Lambda requests   {events:,} webhooks                  ${requests_usd:.2f}",
        f"       Lambda compute    {gb_s:,.0f} GB-s at {memory_mb} MB"
        f"               ${compute_usd:.2f}",
        f"       DynamoDB writes   {events:,} puts of 1 WRU            ${writes_usd:.2f}",
    ]
    for lag in TTL_LAG_HOURS:
        hours = 1 + 2 / 60 + lag  # max duration + margin, then TTL's own delay
        items = CALLS_A_DAY / 24 * hours
        units = max(1, -(-items * ITEM_BYTES // 4096))  # strongly consistent: 1 RRU per 4 KB
        queries = CALLS_A_DAY * OPEN_EVENTS_PER_CALL * 30
        reads_usd = queries * units * PRICE["dynamodb_read_unit"]
        lines.append(
            f"       DynamoDB reads    {queries:,} queries x {units:.0f} RRU ({items:,.0f} items, "
            f"TTL lag {lag} h)  ${reads_usd:.2f}"
        )
    return lines
