"""`make demo`: the real handler, tick by tick, against the local stack, printed as a timeline."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from infra.demo.lines import pagerduty_lines, slack_fields, teams_lines, webhook_lines
from infra.local_stack.function_output import captured_function_output
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator, scenario_names
from infra.standins.channels import ChannelStandins

REPO = Path(__file__).resolve().parents[2]
MONITOR = "demo"
TICK = timedelta(minutes=5)
BAR = 30
PAGERDUTY_DELAY = 15  # minutes: the demo's escalation


@dataclass
class Message:
    tick: datetime
    channel: str
    title: str
    body: str


@dataclass
class DemoReport:
    """What a demo run did: for the summary, and for the tests that run the demo."""

    scenario: str
    ticks: int = 0
    failed_runs: int = 0
    statuses: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)  # PagerDuty's, oldest first
    log_text: str = ""
    secrets: tuple[str, ...] = ()
    seconds: float = 0.0
    began: datetime | None = None  # the first run that judged a level: the episode's start

    def kinds(self, channel: str = "email") -> list[str]:
        return [m.title for m in self.messages if m.channel == channel]


@dataclass
class Context:
    """The slice of Lambda's context object that the handler and Powertools read."""

    function_name: str = "ceilingwatch-CheckFunction"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ceilingwatch"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 30_000  # the template's Timeout

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def run_demo(scenario_name: str, out: TextIO = sys.stdout, limit: int = 50) -> DemoReport:
    started = time.monotonic()
    scenario = Scenario.load(scenario_name)
    report = DemoReport(scenario_name)
    api_key = f"uvx-demo-{secrets.token_hex(12)}"
    say = _printer(out)
    say(f"ceilingwatch demo: scenario {scenario_name!r}")
    say(f"  {getattr(scenario, 'description', '')}")
    say("  starting moto (AWS), the Ultravox simulator and every channel's stand-in on loopback...")
    with (
        LocalStack(parameters={"MonitorName": MONITOR, "ConcurrencyLimit": str(limit)}) as stack,
        UltravoxSimulator(scenario, api_key) as ultravox,
        ChannelStandins() as channels,
    ):
        report.secrets = (api_key, *channels.secrets())
        _seed_secrets(stack, {"ultravox-api-key": api_key, **channels.secure_parameters()})
        # Slack at once, PagerDuty after 15 minutes if nobody acknowledged (from WARNING up).
        escalation = {"pagerduty-delay-minutes": str(PAGERDUTY_DELAY)}
        _seed_secrets(stack, escalation | {"pagerduty-min-severity": "WARNING"}, "String")
        inbox = stack.subscribe_queue()
        env = (
            stack.function_environment()
            | channels.environment()
            | {
                "ULTRAVOX_API_BASE_URL": ultravox.base_url,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_FUNCTION_NAME": "ceilingwatch",
            }
        )
        say(
            f"  stack {stack.stack_name} up at {stack.endpoint_url}: table "
            f"{stack.outputs['StateTableName']}, topic {stack.outputs['AlertTopicArn']}"
        )
        say(f"  parameters under {stack.outputs['ParameterPath']} (limit {limit}); secrets seeded")
        say("")
        say(f"{'time':5}  {'now/limit':>10}  {'':{BAR}}  {'level':9}  sent")
        logs = io.StringIO()
        with _environment(env), captured_function_output(logs):
            from ceilingwatch.bootstrap import build_dependencies
            from ceilingwatch.handler import lambda_handler

            # Built from this demo's environment, as a fresh execution environment would.
            dependencies = build_dependencies()
            tick = scenario.start + TICK + timedelta(minutes=1)
            while tick <= scenario.end:
                ultravox.set_clock(tick)
                result, problem = _invoke(lambda_handler, dependencies, tick)
                # A run that could not judge ends without an error; its summary says why.
                if not problem and (result or {}).get("problem"):
                    problem = f"could not judge: {result['problem']}"
                report.ticks += 1
                report.failed_runs += bool(problem)
                new = _collect(stack, inbox, channels, report, tick)
                status = (result or {}).get("status") or _stored_status(stack)
                report.statuses.append(status)
                if report.began is None and status in ("WARNING", "CRITICAL", "AT_LIMIT"):
                    report.began = tick
                say(_row(tick, result, status, new, problem))
                for message in new:
                    say(_indent(message))
                tick += TICK
        report.log_text = logs.getvalue()
        report.incidents = [i.as_dict() for i in channels.pagerduty.incidents]
    report.seconds = time.monotonic() - started
    _summary(report, say)
    return report


def _seed_secrets(stack: LocalStack, values: dict[str, str], kind: str = "SecureString") -> None:
    ssm = stack.client("ssm")
    path = stack.outputs["ParameterPath"]
    for name, value in values.items():
        ssm.put_parameter(Name=path + name, Value=value, Type=kind, Overwrite=True)


def _invoke(handler: Any, dependencies: Any, tick: datetime) -> tuple[dict[str, Any] | None, str]:
    event = {
        "monitor": MONITOR,
        "scheduledTime": tick.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "executionId": str(uuid.uuid4()),
        "attempt": "1",
    }
    try:
        return handler(event, Context(), dependencies=dependencies), ""
    except Exception as error:  # the run failed as Lambda would see it: retried, then DLQ
        return None, f"run failed: {type(error).__name__}: {error}"


def _collect(
    stack: LocalStack, inbox: str, channels: ChannelStandins, report: DemoReport, tick: datetime
) -> list[Message]:
    new: list[Message] = []
    sqs = stack.client("sqs")
    while True:
        batch = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        for item in batch:
            envelope = json.loads(item["Body"])
            new.append(Message(tick, "email", envelope.get("Subject", ""), envelope["Message"]))
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=item["ReceiptHandle"])
    arrived = {
        "slack": [(p.get("text", ""), slack_fields(p)) for p in channels.slack.messages],
        "teams": [teams_lines(card) for card in channels.teams.cards],
        "pagerduty": [pagerduty_lines(event) for event in channels.pagerduty.events],
        "webhook": [webhook_lines(body) for body in channels.webhook.payloads],
    }
    for channel, messages in arrived.items():
        seen = sum(1 for m in report.messages if m.channel == channel)
        new += [Message(tick, channel, title, body) for title, body in messages[seen:]]
    report.messages += new
    return new


def _stored_status(stack: LocalStack) -> str:
    item = stack.client("dynamodb").get_item(
        TableName=stack.outputs["StateTableName"], Key={"monitor": {"S": MONITOR}}
    )
    return str(item.get("Item", {}).get("status", {}).get("S", "?"))


def _row(
    tick: datetime, result: dict[str, Any] | None, status: str, new: list[Message], problem: str
) -> str:
    now, limit = (result or {}).get("current"), (result or {}).get("limit")
    if now is not None and limit:
        filled = min(BAR, round(BAR * now / limit))
        figures, bar = f"{now:>3}/{limit:<3}", "█" * filled + "·" * (BAR - filled)
    else:
        figures, bar = f"{'-':>7}", " " * BAR
    channels = sorted({m.channel for m in new})
    sent = f"-> {' + '.join(channels)}" if channels else ""
    if problem:
        sent = f"{problem[:70]} {sent}".strip()
    return f"{tick:%H:%M}  {figures:>10}  {bar}  {status:9}  {sent}"


def _indent(message: Message) -> str:
    if message.channel == "email":
        head = f"Subject: {message.title}"
        body = [line for line in message.body.splitlines() if line.strip()][:3]
    else:
        head, body = message.title, message.body.splitlines()[:4]
    lines = [f"      {message.channel:9}  {head}", *(f"{'':17}{line}" for line in body)]
    return "\n".join(lines)


def _summary(report: DemoReport, say: Any) -> None:
    emails = report.kinds("email")
    say("")
    say(
        f"{report.ticks} ticks, {len(emails)} emails, {len(report.kinds('slack'))} Slack messages, "
        f"{len(report.kinds('teams'))} Teams cards, {len(report.kinds('pagerduty'))} PagerDuty "
        f"events, {len(report.kinds('webhook'))} webhook alerts, {report.failed_runs} failed "
        f"runs, in {report.seconds:.1f} s"
    )
    if report.began is not None:
        say(
            f"Slack at once, PagerDuty after {PAGERDUTY_DELAY} minutes if nobody acknowledged "
            f"(pagerduty-delay-minutes = {PAGERDUTY_DELAY}): the episode began at "
            f"{report.began:%H:%M}; {_first(report, 'slack')}, {_first(report, 'pagerduty')}"
        )
    for title in emails:
        say(f"  - {title}")
    if report.incidents:
        say("PagerDuty incidents (trigger ... resolve, by dedup key):")
    for incident in report.incidents:
        actions = ", ".join(incident["actions"])
        say(f"  - {incident['dedup_key']}: {actions} -> {incident['status']}")


def _first(report: DemoReport, channel: str) -> str:
    """When the channel first heard the episode."""
    began = report.began
    told = (m.tick for m in report.messages if m.channel == channel and began and m.tick >= began)
    first = next(told, None)
    return f"{channel} told at {first:%H:%M}" if first else f"{channel} never told"


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _printer(out: TextIO) -> Any:
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    return say


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="rising-to-ceiling")
    parser.add_argument("--log", type=Path, help="also write the function's log lines here")
    args = parser.parse_args(argv)
    if args.scenario not in scenario_names():
        print(
            f"demo: no scenario {args.scenario!r}; choose one of: {', '.join(scenario_names())} "
            "(make demo SCENARIO=<name>)",
            file=sys.stderr,
        )
        return 2
    try:
        report = run_demo(args.scenario)
    except KeyboardInterrupt:
        # The `with` blocks have stopped the local stack and the stand-ins by now.
        print("\ndemo: interrupted", file=sys.stderr)
        return 130
    if args.log:
        args.log.write_text(report.log_text, encoding="utf-8")
    leaked = [s for s in report.secrets if s in report.log_text]
    if leaked:
        print("a secret reached the function's output", file=sys.stderr)
        return 1
    return 0 if report.ticks else 1


if __name__ == "__main__":
    sys.exit(main())
