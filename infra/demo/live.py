"""`make demo`, live: a batch campaign told by the live feed in seconds beside the poll."""

from __future__ import annotations

import io
import logging
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

import requests

from infra.demo.timeline import _environment, _printer
from infra.demo.webhook_sender import call_body, post
from infra.local_stack.function_output import captured_function_output
from infra.local_stack.live import LiveFeed, live_feed
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator
from infra.standins.channels import ChannelStandins

MONITOR = "demo"
LIMIT = 20
SECRET = "whsec-demo-local-only"  # noqa: S105  # nosec B105  (valid only in this demo)
SCHEDULE = timedelta(minutes=5)  # the template's ScheduleExpression
FLEX = timedelta(minutes=3)  # and its flexible window


@dataclass
class LiveDemoReport:
    """What the live part showed: when each level was told, after the webhook that crossed it."""

    told: list[tuple[str, float]] = field(default_factory=list)  # (subject, seconds after crossing)
    answers: list[float] = field(default_factory=list)  # the receiver's answer times, seconds
    poll_after: timedelta = timedelta(0)


def run_live_demo(out: TextIO = sys.stdout, calls: int = LIMIT) -> LiveDemoReport:
    say, report = _printer(out), LiveDemoReport()
    logging.getLogger("ceilingwatch.local_stack").setLevel(logging.WARNING)
    say("")
    say("live feed: Ultravox's signed call webhooks, beside the poll")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    quiet = Scenario.from_dict(
        {"start": (now - timedelta(hours=2)).isoformat(), "segments": [{"minutes": 180, "hold": 1}]}
    )
    with (
        LocalStack(parameters={"MonitorName": MONITOR, "ConcurrencyLimit": str(LIMIT)}) as stack,
        UltravoxSimulator(quiet, "uvx-demo-live") as ultravox,
        ChannelStandins() as channels,
    ):
        path = stack.outputs["ParameterPath"]
        secure = {"ultravox-api-key": "uvx-demo-live"}
        for name, value in {**secure, **channels.secure_parameters(("slack",))}.items():
            stack.client("ssm").put_parameter(
                Name=path + name, Value=value, Type="SecureString", Overwrite=True
            )
        env = stack.function_environment() | channels.environment()
        env |= {"ULTRAVOX_API_BASE_URL": ultravox.base_url, "POWERTOOLS_TRACE_DISABLED": "true"}
        logs = io.StringIO()
        with _environment(env), captured_function_output(logs), live_feed(stack, env) as feed:
            from ceilingwatch.handler import lambda_handler

            from infra.demo.timeline import Context

            ultravox.set_clock(now)
            lambda_handler({"monitor": MONITOR}, Context(), dependencies=feed.check)
            # The feed goes on after that run, as `ceilingwatch live enable` does: a run with it
            # on reconciles with activeCalls, and the simulator's call is not one of the batch.
            stack.client("ssm").put_parameter(
                Name=path + "ultravox-webhook-secret",
                Value=SECRET,
                Type="SecureString",
                Overwrite=True,
            )
            say(
                f"  {now:%H:%M} scheduled run: 1/{LIMIT} calls, OK; webhook URL {feed.url}{MONITOR}"
            )
            _campaign(feed.url + MONITOR, calls, channels, feed, report)
        report.poll_after = _next_poll(datetime.now(UTC))
    say(f"  a batch of {calls} calls in {sum(report.answers):.1f} s, each webhook answered 204")
    for subject, after in report.told:
        say(f"  told {after:5.2f} s after the webhook that crossed its level: {subject}")
    say(
        f"  the poll alone: the next scheduled run in {_minutes(report.poll_after)}, "
        f"up to {_minutes(report.poll_after + FLEX)} with the schedule's flexible window"
    )
    return report


def _campaign(
    url: str, calls: int, channels: ChannelStandins, feed: LiveFeed, report: LiveDemoReport
) -> None:
    """`calls` calls created a few ms apart, as a dialler starts a batch."""
    from ceilingwatch.domain.config import Thresholds
    from ceilingwatch.domain.evaluation import classify

    session = requests.Session()
    crossed: dict[str, float] = {}  # a level's name: when the webhook that reached it was sent
    for n in range(1, calls + 1):
        sent, started = time.time(), time.monotonic()
        status = post(url, call_body(f"batch-{n}"), SECRET, session=session)
        report.answers.append(time.monotonic() - started)
        if status != 204:
            raise RuntimeError(f"the receiver answered {status}")
        crossed.setdefault(classify(n, LIMIT, Thresholds()).name, sent)
    feed.invoke.wait()
    for delivery in channels.slack.deliveries:
        text = str((delivery.payload or {}).get("text", ""))
        if "calls now, live" not in text:
            continue
        subject = text.split(" ", 1)[1].split(": ", 2)
        level = subject[0].strip("[]").split("]")[0]
        after = delivery.received_at.timestamp() - crossed[level]
        report.told.append((": ".join(subject[:2]), after))


def _next_poll(now: datetime) -> timedelta:
    minutes = now.minute % 5
    return SCHEDULE - timedelta(minutes=minutes, seconds=now.second)


def _minutes(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min {seconds % 60:02d} s"


def median_answer_ms(report: LiveDemoReport) -> float:
    return statistics.median(report.answers) * 1000


if __name__ == "__main__":
    run_live_demo()
