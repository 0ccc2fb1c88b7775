"""`make bench`, the live feed: webhook to Slack (the receiver's answer times and its costs are
bench/answers.py's, measured in the Lambda layout)."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.stats import Spread
from infra.demo.timeline import Context, _environment
from infra.local_stack.function_output import captured_function_output
from infra.local_stack.live import live_feed
from infra.local_stack.stack import LocalStack
from infra.simulator.calls import one_call
from infra.simulator.signing import post_signed
from infra.simulator.ultravox import Scenario, UltravoxSimulator
from infra.standins.channels import ChannelStandins

SECRET = "whsec-bench-local-only"  # noqa: S105  # nosec B105


def render(rounds: int = 9) -> tuple[list[str], list[str]]:
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
        with _environment(env), live_feed(stack, env) as feed:
            ultravox.set_clock(now)
            from ceilingwatch.handler import lambda_handler

            for monitor in monitors:
                lambda_handler({"monitor": monitor}, Context(), dependencies=feed.check)
            told = [_crossing(feed, channels, monitor) for monitor in monitors]
    return _lines(told), []


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


def _post(url: str, call_id: str) -> None:
    post_signed(url, one_call(call_id, datetime.now(UTC)).body("call.started"), [SECRET])


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


def _lines(told: list[float]) -> list[str]:
    return [
        "Live feed (docs/live.md): the crossing, on the local stack (the receiver's answer",
        "times and the feed's costs are in section 8)",
        "  crossing webhook -> message at the Slack stand-in:       "
        + Spread.of([t * 1000 for t in told]).text(),
    ]


if __name__ == "__main__":
    logging.getLogger("ceilingwatch.local_stack").setLevel(logging.WARNING)
    lines, failures = render()
    print("\n".join(lines))
    sys.exit(1 if failures else 0)
