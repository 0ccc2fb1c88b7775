"""`make bench`, the live feed: the receiver cold and warm, webhook-to-Slack, and its costs."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.domain.live_signature import sign

from bench.stats import Spread
from infra.demo.timeline import Context, _environment
from infra.local_stack.function_output import captured_function_output
from infra.local_stack.live import live_feed, webhook_environment
from infra.local_stack.stack import LocalStack
from infra.simulator.calls import one_call
from infra.simulator.signing import post_signed
from infra.simulator.ultravox import Scenario, UltravoxSimulator
from infra.standins.channels import ChannelStandins

SECRET = "whsec-bench-local-only"  # noqa: S105  # nosec B105
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


def render(rounds: int = 9, warm_n: int = 60) -> tuple[list[str], list[str]]:
    """The section's lines, and its failures (none unless something answered wrongly)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    quiet = Scenario.from_dict(
        {"start": (now - timedelta(hours=2)).isoformat(), "segments": [{"minutes": 180, "hold": 0}]}
    )
    logs = io.StringIO()
    with (
        LocalStack(parameters={"MonitorName": "bench", "ConcurrencyLimit": "5"}) as stack,
        UltravoxSimulator(quiet, "uvx-bench") as ultravox,
        ChannelStandins() as channels,
        captured_function_output(logs),
    ):
        env = stack.function_environment() | channels.environment()
        env |= {"ULTRAVOX_API_BASE_URL": ultravox.base_url, "POWERTOOLS_TRACE_DISABLED": "true"}
        monitors = [f"bench{i}" for i in range(rounds)]
        for monitor in monitors:
            _seed(stack, channels, monitor)
        _seed(stack, channels, "hot", limit="100000")  # the receiver's timing: never news
        with _environment(env), live_feed(stack, env) as feed:
            ultravox.set_clock(now)
            from ceilingwatch.handler import lambda_handler

            for monitor in [*monitors, "hot"]:
                lambda_handler({"monitor": monitor}, Context(), dependencies=feed.check)
            cold = _cold(stack, feed.invoke.base_url, rounds)
            warm = _warm(feed, warm_n)
            told = [_crossing(feed, channels, monitor) for monitor in monitors]
    return _lines(cold, warm, told), []


def _seed(stack: LocalStack, channels: ChannelStandins, monitor: str, limit: str = "5") -> None:
    ssm = stack.client("ssm")
    values = {
        "ultravox-api-key": ("uvx-bench", "SecureString"),
        "ultravox-webhook-secret": (SECRET, "SecureString"),
        "concurrency-limit": (limit, "String"),
        **{k: (v, "SecureString") for k, v in channels.secure_parameters(("slack",)).items()},
    }
    for name, (value, kind) in values.items():
        ssm.put_parameter(
            Name=f"/ceilingwatch/{monitor}/{name}", Value=value, Type=kind, Overwrite=True
        )


def _request(monitor: str, call_id: str) -> dict[str, Any]:
    body = one_call(call_id, datetime.now(UTC)).body("call.started")
    stamp = datetime.now(UTC).isoformat()
    return {
        "rawPath": f"/{monitor}",
        "headers": {
            "x-ultravox-webhook-timestamp": stamp,
            "x-ultravox-webhook-signature": sign(body, stamp, SECRET),
        },
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def _post(url: str, call_id: str) -> None:
    post_signed(url, one_call(call_id, datetime.now(UTC)).body("call.started"), [SECRET])


def _cold(stack: LocalStack, invoke_url: str, rounds: int) -> tuple[Spread, Spread]:
    """Fresh interpreters, each importing, building and answering one webhook."""
    env = {**os.environ, **webhook_environment(stack), "AWS_ENDPOINT_URL_LAMBDA": invoke_url}
    walls, cpus = [], []
    for n in range(rounds):
        child = subprocess.run(  # nosec B603
            [sys.executable, "-m", "bench.live_child"],
            input=json.dumps(_request("hot", f"cold-{n}")),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        assert figures["status"] == 204, figures
        walls.append(figures["wall_ms"])
        cpus.append(figures["cpu_ms"])
    return Spread.of(walls), Spread.of(cpus)


def _warm(feed: Any, n: int) -> tuple[Spread, Spread]:
    from ceilingwatch import webhook

    walls, cpus = [], []
    for i in range(n):
        request = _request("hot", f"warm-{i}")  # far below the limit: no check started
        wall, cpu = time.perf_counter(), time.process_time()
        answer = webhook.lambda_handler(request, Context(), dependencies=feed.receivers)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert answer["statusCode"] == 204
    return Spread.of(walls), Spread.of(cpus)


def _crossing(feed: Any, channels: ChannelStandins, monitor: str) -> float:
    """Seconds from sending the webhook that takes `monitor` to its limit to Slack's message."""
    before = len(channels.slack.deliveries)
    for n in range(4):  # 4 of 5: 80%, WARNING; measured below from the fifth, AT_LIMIT
        _post(feed.url + monitor, f"{monitor}-{n}")
    feed.invoke.wait()
    sent = time.time()
    _post(feed.url + monitor, f"{monitor}-4")
    with _until(lambda: _told(channels, before, "[AT_LIMIT]")):
        feed.invoke.wait()
    told = [d for d in channels.slack.deliveries[before:] if "[AT_LIMIT]" in str(d.payload)]
    if not told:
        raise RuntimeError(
            f"{monitor}: no AT_LIMIT at Slack; the checks said {feed.invoke.results}"
        )
    return told[0].received_at.timestamp() - sent


def _told(channels: ChannelStandins, before: int, tag: str) -> bool:
    return any(tag in str(d.payload) for d in channels.slack.deliveries[before:])


@contextlib.contextmanager
def _until(done: Any, timeout: float = 30) -> Iterator[None]:
    yield
    ends = time.monotonic() + timeout
    while not done() and time.monotonic() < ends:
        time.sleep(0.01)


def _lines(
    cold: tuple[Spread, Spread], warm: tuple[Spread, Spread], told: list[float]
) -> list[str]:
    lines = [
        "Live feed (docs/live.md): the receiver and the crossing, on the local stack",
        f"  receiver, cold (fresh interpreter: import, build, answer): wall {cold[0].text()}",
        f"                                                          CPU  {cold[1].text()}",
        f"  receiver, warm (verify, write, count):                    wall {warm[0].text()}",
        f"                                                          CPU  {warm[1].text()}",
        "  crossing webhook -> message at the Slack stand-in:       "
        + Spread.of([t * 1000 for t in told]).text(),
    ]
    return lines + _costs(warm[0].median / 1000)


def _costs(warm_seconds: float) -> list[str]:
    events = CALLS_A_DAY * EVENTS_PER_CALL * 30
    requests_usd = events * PRICE["lambda_request"]
    gb_s = events * max(warm_seconds, 0.001) * 128 / 1024
    compute_usd = gb_s * PRICE["lambda_gb_second_arm"]
    index_writes = CALLS_A_DAY * INDEX_WRITES_PER_CALL * 30
    writes_usd = (events + index_writes) * PRICE["dynamodb_write_unit"]
    lines = [
        f"  cost of {CALLS_A_DAY:,} calls a day, a 30-day month, list prices before free tiers:",
        f"    Lambda requests   {events:,} webhooks                  ${requests_usd:.2f}",
        f"    Lambda compute    {gb_s:,.0f} GB-s at 128 MB               ${compute_usd:.2f}",
        f"    DynamoDB writes   {events:,} puts + {index_writes:,} index writes of 1 WRU"
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
            f"    DynamoDB reads    {queries:,} queries x {units:.0f} RRU (at most {items:,.0f} "
            f"open items, TTL lag {lag} h)  ${reads_usd:.2f}"
        )
    return lines


if __name__ == "__main__":
    logging.getLogger("ceilingwatch.local_stack").setLevel(logging.WARNING)
    lines, failures = render()
    print("\n".join(lines))
    sys.exit(1 if failures else 0)
