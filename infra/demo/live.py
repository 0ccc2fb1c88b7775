"""`make demo`, live: the simulator's batch campaign told by the live feed in seconds, beside
the poll that would have told it minutes later."""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

from infra.demo.timeline import _environment, _printer
from infra.local_stack.function_output import captured_function_output
from infra.local_stack.live import LiveFeed, live_feed
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator
from infra.standins.channels import ChannelStandins

MONITOR = "demo"
LIMIT = 20
RUNNING = 1  # the call the account runs before the campaign, which the feed never heard of
SCHEDULE = timedelta(minutes=5)  # the template's ScheduleExpression
FLEX = timedelta(minutes=3)  # and its flexible window
WITHIN = 2.0  # seconds the dialler takes to start the batch


@dataclass
class LiveDemoReport:
    """What the live part showed: when each level was told, after the webhook that crossed it."""

    told: list[tuple[str, float]] = field(default_factory=list)  # (subject, seconds after crossing)
    answers: list[float] = field(default_factory=list)  # the receiver's answer times, seconds
    poll_after: timedelta = timedelta(0)


def run_live_demo(out: TextIO = sys.stdout, calls: int = LIMIT - RUNNING) -> LiveDemoReport:
    """The simulator runs one call, then a batch campaign of `calls` more (to the limit)."""
    say, report = _printer(out), LiveDemoReport()
    logging.getLogger("ceilingwatch.local_stack").setLevel(logging.WARNING)
    say("")
    say("live feed: Ultravox's signed call webhooks, beside the poll")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    running = Scenario.from_dict(
        {"start": (now - timedelta(hours=2)).isoformat(), "segments": [{"minutes": 180, "hold": 1}]}
    )
    with (
        LocalStack(parameters={"MonitorName": MONITOR, "ConcurrencyLimit": str(LIMIT)}) as stack,
        UltravoxSimulator(running, "uvx-demo-live") as ultravox,  # on the wall clock
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

            for line in _enable(feed.url):
                say(f"  {line}")
            # The first scheduled run with the feed on: the call it never heard of is counted
            # from activeCalls.
            run = lambda_handler({"monitor": MONITOR}, Context(), dependencies=feed.check)
            live = feed.receivers.calls.count(MONITOR, datetime.now(UTC)).calls
            peak, status = run.get("peak"), run.get("status")
            say(f"  {now:%H:%M} scheduled run: {peak}/{LIMIT} calls, {status}; live count {live}")
            _campaign(ultravox, calls, channels, feed, report)
        report.poll_after = _next_poll(datetime.now(UTC))
    say(
        f"  a batch of {calls} calls started within {WITHIN:g} s: {len(report.answers)} webhooks, "
        f"each answered 204 (median {median_answer_ms(report):.0f} ms)"
    )
    for subject, after in report.told:
        say(f"  told {after:5.2f} s after the webhook that crossed its level: {subject}")
    say(
        f"  the poll alone: the next scheduled run in {_minutes(report.poll_after)}, "
        f"up to {_minutes(report.poll_after + FLEX)} with the schedule's flexible window"
    )
    return report


def _enable(url: str) -> list[str]:
    """`ceilingwatch live enable`, as a person runs it: the webhook in the simulator, its
    secret in SSM; the command and what it printed."""
    from ceilingwatch.cli import main

    command = ["live", "enable", "--monitor", MONITOR, "--url", url.rstrip("/")]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(command)
    if status != 0:
        raise RuntimeError(f"live enable failed: {printed.getvalue()}")
    return [f"$ ceilingwatch {' '.join(command)}", *printed.getvalue().splitlines()]


def _campaign(
    ultravox: UltravoxSimulator,
    calls: int,
    channels: ChannelStandins,
    feed: LiveFeed,
    report: LiveDemoReport,
) -> None:
    """The simulator's batch campaign: `calls` calls started within WITHIN seconds, their
    webhooks sent as its clock passes them; each level's crossing is the webhook that reached it."""
    from ceilingwatch.domain.config import Thresholds
    from ceilingwatch.domain.evaluation import classify

    made = ultravox.live.campaign(calls, within=WITHIN, hold=600.0)
    last = ultravox.live.calls.get(made[-1])
    while last is not None and last.joined is not None and ultravox.now() < last.joined:
        time.sleep(0.05)
    ultravox.live.dispatcher.settle()
    feed.invoke.wait()
    batch = set(made)
    sent = [s for s in ultravox.webhooks_sent if s.call_id in batch]
    if {s.status for s in sent} != {204}:
        raise RuntimeError(f"the receiver answered {sorted({s.status for s in sent})}")
    report.answers = [s.took for s in sent]
    started = {s.call_id: s.posted for s in sent if s.event == "call.started"}
    # The n-th call.started sent, whichever call it was, is the one that can take the count to
    # RUNNING + n: the simulator posts from several threads, so calls arrive out of creation order.
    crossed: dict[str, float] = {}  # a level's name: when the webhook that reached it was sent
    for n, posted in enumerate(sorted(started.values()), start=RUNNING + 1):
        crossed.setdefault(classify(n, LIMIT, Thresholds()).name, posted)
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
