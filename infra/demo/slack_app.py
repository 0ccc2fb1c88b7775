"""`make demo`, Slack as an app: the episode's thread as it grows, and a Snooze clicked halfway."""

from __future__ import annotations

import argparse
import functools
import io
import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TextIO
from unittest import mock

from infra.demo.timeline import Context, captured_function_output
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator
from infra.standins.slack_api import DEFAULT_CHANNEL, Posted, SlackWebApiStandIn

MONITOR = "demo"
TICK = timedelta(minutes=5)
USERS = {"U0MARIA": "@maria"}


@dataclass
class SlackAppReport:
    """What the demo did, for its summary and for the test that runs it."""

    ticks: int = 0
    failed_runs: int = 0
    roots: list[Posted] = field(default_factory=list)
    thread: list[Posted] = field(default_factory=list)
    click_status: int | None = None
    clicked_at: datetime | None = None
    log_text: str = ""
    secrets: tuple[str, ...] = ()


def run_slack_app_demo(scenario_name: str, out: TextIO = sys.stdout) -> SlackAppReport:
    scenario = Scenario.load(scenario_name)
    report = SlackAppReport()
    api_key, token = f"uvx-demo-{secrets.token_hex(12)}", f"xoxb-demo-{secrets.token_hex(12)}"
    signing = secrets.token_hex(16)
    report.secrets = (api_key, token, signing)

    def say(text: str) -> None:
        print(_shown(text), file=out, flush=True)

    say(f"ceilingwatch demo, Slack as an app: scenario {scenario_name!r}")
    say("  moto (AWS), the Ultravox simulator and a Slack Web API stand-in on loopback")
    with (
        LocalStack(parameters={"MonitorName": MONITOR, "ConcurrencyLimit": "50"}) as stack,
        UltravoxSimulator(scenario, api_key) as ultravox,
        SlackWebApiStandIn(token, signing) as slack,
    ):
        path = stack.outputs["ParameterPath"]
        ssm = stack.client("ssm")
        for name, value, kind in (
            ("ultravox-api-key", api_key, "SecureString"),
            ("slack-bot-token", token, "SecureString"),
            ("slack-signing-secret", signing, "SecureString"),
            ("slack-channel-id", DEFAULT_CHANNEL, "String"),
        ):
            ssm.put_parameter(Name=path + name, Value=value, Type=kind, Overwrite=True)
        env = stack.function_environment() | {
            "ULTRAVOX_API_BASE_URL": ultravox.base_url,
            "CEILINGWATCH_SLACK_API_URL": slack.base_url,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "CEILINGWATCH_CONFIG_MAX_AGE": "0",
        }
        say(f"  interactivity URL (the stack's output): {stack.outputs['SlackInteractivityUrl']}")
        say("")
        logs = io.StringIO()
        with mock.patch.dict("os.environ", env), captured_function_output(logs):
            _play(scenario, ultravox, slack, report, say)
        report.log_text = logs.getvalue()
        report.roots = slack.roots()
        report.thread = [m for root in report.roots for m in slack.thread(root.ts)]
        _summary(slack, say)
    return report


def _play(
    scenario: Scenario,
    ultravox: UltravoxSimulator,
    slack: SlackWebApiStandIn,
    report: SlackAppReport,
    say: Any,
) -> None:
    from ceilingwatch import interactions
    from ceilingwatch.bootstrap import build_dependencies, build_responders
    from ceilingwatch.handler import lambda_handler

    dependencies, responders = build_dependencies(), build_responders()
    seen = 0
    tick = scenario.start + TICK + timedelta(minutes=1)
    while tick <= scenario.end:
        ultravox.set_clock(tick)
        event = {"monitor": MONITOR, "scheduledTime": f"{tick:%Y-%m-%dT%H:%M:%SZ}"}
        try:
            event |= {"executionId": str(uuid.uuid4())}
            lambda_handler(event, Context(), dependencies=dependencies)
        except Exception as error:  # the run failed as Lambda would see it
            report.failed_runs += 1
            say(f"{tick:%H:%M}  run failed: {type(error).__name__}")
        report.ticks += 1
        for message in slack.messages[seen:]:
            where = "root  " if not message.thread_ts else "reply "
            also = " (also in the channel)" if message.reply_broadcast else ""
            say(f"{tick:%H:%M}  {where}{message.header}{also}")
        seen = len(slack.messages)
        roots = slack.roots()
        if report.clicked_at is None and roots and len(slack.thread(roots[-1].ts)) == 1:
            # Halfway through: someone on call snoozes from their phone.
            clicked = tick + timedelta(minutes=2)
            click = slack.click(roots[-1].ts, "snooze-1h", timestamp=clicked.timestamp())
            on_clock = replace(responders, clock=functools.partial(_at, clicked))
            answer = interactions.lambda_handler(click, Context(), dependencies=on_clock)
            report.click_status, report.clicked_at = answer["statusCode"], clicked
            say(f"{clicked:%H:%M}  @maria taps Snooze 1 h -> HTTP {answer['statusCode']}")
            for message in slack.messages[seen:]:
                say(f"{clicked:%H:%M}  reply {message.text}")
            seen = len(slack.messages)
        tick += TICK


def _summary(slack: SlackWebApiStandIn, say: Any) -> None:
    say("")
    say(f"#alerts ({DEFAULT_CHANNEL}) at the end, as people see it:")
    for root in slack.roots():
        say(f"  {root.header}")
        for line in root.context_lines()[:-1]:
            say(f"     {line}")
        say(f"     ({len(root.versions)} updates in place)")
        for reply in slack.thread(root.ts):
            also = "  [also sent to the channel]" if reply.reply_broadcast else ""
            say(
                f"    ↳ {reply.header if reply.blocks[0]['type'] == 'header' else reply.text}{also}"
            )


def _at(moment: datetime) -> datetime:
    return moment  # the scenario's clock, not the machine's


def _shown(text: str) -> str:
    for user, name in USERS.items():
        text = text.replace(f"<@{user}>", name)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="rising-to-ceiling")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = run_slack_app_demo(args.scenario)
    print(f"\n{report.ticks} ticks in {time.monotonic() - started:.1f} s")
    if any(secret in report.log_text for secret in report.secrets):
        print("a secret reached the function's output", file=sys.stderr)
        return 1
    return 0 if report.ticks and report.click_status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
