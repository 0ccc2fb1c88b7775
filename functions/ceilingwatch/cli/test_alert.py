"""`ceilingwatch test-alert`: the monitor's test action, run here through every channel."""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.bootstrap import build_dependencies
from ceilingwatch.cli import aws
from ceilingwatch.cli.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    TIME_BUDGET_SECONDS,
    check_monitor_name,
)
from ceilingwatch.cli.flags import add_aws_flags
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.delivery import Status
from ceilingwatch.services.monitor import run as run_tick


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "test-alert",
        help="send a test alert through every channel, as the deployed function would",
        description="Run the monitor's test action: one labelled test message through every "
        "configured channel. Needs STATE_TABLE_NAME and ALERT_TOPIC_ARN, or --stack-name to "
        "read them. Exit 0 when every channel delivered, 3 otherwise.",
    )
    add_aws_flags(parser)
    parser.add_argument(
        "--stack-name", help="read StateTableName and AlertTopicArn from this stack"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_monitor_name(args.monitor)
    aws.require_credentials(args.region)
    env = dict(os.environ)
    if args.stack_name:
        wanted = ("StateTableName", "AlertTopicArn")
        outputs = aws.stack_outputs(args.stack_name, args.region, wanted)
        env.update(
            STATE_TABLE_NAME=outputs["StateTableName"], ALERT_TOPIC_ARN=outputs["AlertTopicArn"]
        )
    env["CEILINGWATCH_PARAMETER_PREFIX"] = args.prefix
    if args.region:
        env["AWS_REGION"] = args.region
    settings = Settings.from_env(env)
    deps = build_dependencies(settings, region=args.region, on_secrets=lambda *secrets: None)
    tick = Tick(monitor=args.monitor, scheduled_time=datetime.now(UTC), action=Action.TEST)
    result = run_tick(tick, deps, deadline=time.monotonic() + TIME_BUDGET_SECONDS)
    outcomes = {n: o for d in result.deliveries for n, o in d.channels.items()}
    for name, outcome in outcomes.items():
        print(f"{'✔' if outcome.status is Status.SENT else '✘'} {name}: {outcome}")
    problems = result.error.problem.split("; ") if result.error else []
    for problem in problems:
        if not any(problem.startswith(name) for name in outcomes):
            print(f"✘ {problem}")
    if "slack" not in outcomes:
        print("· slack: no slack-webhook-url parameter, so Slack was not tried")
    return EXIT_OK if outcomes and result.error is None else EXIT_PROBLEM
