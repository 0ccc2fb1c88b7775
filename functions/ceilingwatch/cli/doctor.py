"""`ceilingwatch doctor`: a deployed monitor checked end to end, without a visible message."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.adapters.parameters import ParameterStore
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.channels import slack_webhook
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack import WEBHOOK
from ceilingwatch.cli import aws, live, terminal
from ceilingwatch.cli.common import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    EXIT_OK,
    EXIT_PROBLEM,
    TIME_BUDGET_SECONDS,
    CliError,
    check_monitor_name,
    ultravox,
    ultravox_key,
    unreachable_fix,
    webhook_prefixes,
)
from ceilingwatch.cli.flags import add_aws_flags
from ceilingwatch.common.errors import (
    MonitorError,
    PermanentChannelError,
    TransientChannelError,
    UltravoxUnavailableError,
    aws_error_code,
)
from ceilingwatch.common.records import record
from ceilingwatch.domain.config import MonitorConfig, parameter_path
from ceilingwatch.domain.series import BUCKET

SLACK_SECONDS = 10.0  # for the probe and its one retry


@record
class Finding:
    """One line of the doctor's report: passed (True), failed (False) or not applicable (None)."""

    passed: bool | None
    what: str
    fix: str = ""

    def render(self, colour: bool) -> str:
        mark, code = {True: ("✔", "32"), False: ("✘", "31"), None: ("·", "36")}[self.passed]
        line = terminal.paint(mark, code, colour) + terminal.wrap(f"{mark} {self.what}", 2)[1:]
        return line + ("\n" + terminal.wrap(f"    fix: {self.fix}", 9) if self.fix else "")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "doctor",
        help="check parameters, Ultravox key, Slack webhook and SNS subscriptions",
        description="Check a deployed monitor end to end without sending a visible message. "
        "Exit 0 when every check passes, 3 otherwise.",
    )
    add_aws_flags(parser)
    topic = parser.add_mutually_exclusive_group()
    topic.add_argument("--stack-name", help="read AlertTopicArn from this CloudFormation stack")
    topic.add_argument("--topic-arn", help="the SNS topic to check (default: $ALERT_TOPIC_ARN)")
    parser.add_argument(
        "--base-url", help=f"Ultravox API base URL (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_monitor_name(args.monitor)
    colour = terminal.use_colour(sys.stdout)
    findings: list[Finding] = []

    def report(finding: Finding) -> None:
        findings.append(finding)
        print(finding.render(colour), flush=True)

    aws.require_credentials(args.region)
    ssm = aws.client("ssm", args.region)
    config = parameters(ssm, args, report)
    if config is None:
        report(Finding(False, "Ultravox key: not checked, the parameters did not load"))
        report(Finding(False, "Slack webhook: not checked, the parameters did not load"))
    else:
        found = ultravox_findings(config, args.base_url)
        for finding in found:
            report(finding)
        if all(f.passed for f in found):  # else the key or Ultravox is the problem, told above
            for passed, what, fix in live.findings(config, args.base_url, live.counter(args)):
                report(Finding(passed, what, fix))
        report(slack_finding(config))
    report(topic(args))
    failed = sum(1 for f in findings if f.passed is False)
    print(f"\n{failed} problem{'s' if failed != 1 else ''} found." if failed else "\nAll good.")
    return EXIT_PROBLEM if failed else EXIT_OK


def parameters(
    ssm: Any, args: argparse.Namespace, report: Callable[[Finding], None]
) -> MonitorConfig | None:
    path = parameter_path(args.prefix, args.monitor)
    try:
        store = ParameterStore(ssm, args.prefix, max_age_seconds=0, table=PARAMETERS)
        config = store.load(args.monitor)
    except MonitorError as error:
        report(Finding(False, f"parameters under {path}: {error.problem}", error.what_to_fix))
        return None
    t = config.thresholds
    report(
        Finding(
            True,
            f"parameters under {path}: limit {config.concurrency_limit}, warning {t.warning:g}%, "
            f"critical {t.critical:g}%, "
            f"Slack {'set' if config.secret(WEBHOOK.name) else 'not set'}",
        )
    )
    names = [config.parameter("ultravox-api-key"), config.parameter("slack-webhook-url")]
    try:
        found = ssm.get_parameters(Names=names, WithDecryption=False)["Parameters"]
    except aws.AWS_ERRORS as error:
        report(Finding(False, f"secret parameter types not read ({aws_error_code(error)})"))
        return config
    plain = [p["Name"] for p in found if p.get("Type") != "SecureString"]
    if plain:
        report(
            Finding(
                False,
                f"{', '.join(plain)} {'is' if len(plain) == 1 else 'are'} not SecureString: "
                "anyone who may read parameters can read the secret",
                f"rewrite them with: ceilingwatch put-secrets --monitor {args.monitor}",
            )
        )
    else:
        report(Finding(True, "secrets are stored as SecureString"))
    return config


def ultravox_findings(config: MonitorConfig, base_url: str | None) -> list[Finding]:
    client = ultravox(base_url, key_parameter=config.parameter("ultravox-api-key"))
    now = datetime.now(UTC)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    try:
        series = client.concurrency(ultravox_key(config), now - BUCKET, now, deadline=deadline)
    except UltravoxUnavailableError as error:
        return [Finding(False, f"Ultravox: {error.problem}", unreachable_fix(base_url))]
    except MonitorError as error:
        return [Finding(False, f"Ultravox key: {error.problem}", error.what_to_fix)]
    found = [
        Finding(
            True,
            f"Ultravox accepted the key at {client.base_url} "
            f"({len(series.buckets)} bucket(s) in the last 5 minutes)",
        )
    ]
    try:
        account = client.account(ultravox_key(config), deadline=deadline)
    except MonitorError as error:
        found.append(Finding(False, f"account ceiling: {error.problem}", error.what_to_fix))
        return found
    allowed, limit = account.allowed_concurrent_calls, config.concurrency_limit
    if allowed is None:
        found.append(Finding(True, f"account ceiling: none fixed; the limit of {limit} is yours"))
    elif allowed >= limit:
        found.append(
            Finding(True, f"account ceiling: Ultravox allows {allowed}, the limit is {limit}")
        )
    else:
        found.append(
            Finding(
                False,
                f"account ceiling: Ultravox allows {allowed} concurrent calls, below the limit "
                f"of {limit}: calls past {allowed} get HTTP 429 before any alert fires",
                f"lower {config.parameter('concurrency-limit')} to {allowed} or raise the plan",
            )
        )
    return found


def slack_finding(config: MonitorConfig) -> Finding:
    webhook = config.secret(WEBHOOK.name)
    if webhook is None:
        return Finding(None, "Slack webhook: none configured (optional; alerts go by email)")
    prefixes = webhook_prefixes()
    if not webhook.reveal().startswith(prefixes):
        return Finding(
            False,
            f"Slack webhook: {config.parameter('slack-webhook-url')} does not start with "
            + " or ".join(prefixes),
            "put the incoming-webhook URL Slack gave you: ceilingwatch put-secrets",
        )
    try:
        answer = slack_webhook.probe(webhook, Poster(), deadline=time.monotonic() + SLACK_SECONDS)
    except TransientChannelError as error:
        return Finding(
            False, f"Slack webhook: {error}", "check this machine's network, then run doctor again"
        )
    except PermanentChannelError as error:
        return Finding(
            False,
            f"Slack webhook: {error}",
            "create a new incoming webhook and store it: ceilingwatch put-secrets",
        )
    return Finding(True, f"Slack webhook exists (an empty probe got 400 {answer}; not posted)")


def topic(args: argparse.Namespace) -> Finding:
    try:
        arn = topic_arn(args)
    except CliError as error:
        return Finding(False, f"SNS topic: {error.problem}", error.fix)
    sns = aws.client("sns", args.region)
    try:
        subscriptions: list[dict[str, Any]] = []
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
            subscriptions += page.get("Subscriptions", [])
    except aws.AWS_ERRORS as error:
        return Finding(
            False,
            f"SNS topic {arn}: could not list subscriptions ({aws_error_code(error)})",
            "check the topic ARN and that you may call sns:ListSubscriptionsByTopic",
        )
    return topic_finding(arn, subscriptions)


def topic_finding(topic: str, subscriptions: Sequence[dict[str, Any]]) -> Finding:
    """Unconfirmed subscriptions show `PendingConfirmation` where the ARN would be."""
    confirmed = [s for s in subscriptions if str(s.get("SubscriptionArn", "")).startswith("arn:")]
    pending = [s for s in subscriptions if s.get("SubscriptionArn") == "PendingConfirmation"]
    if confirmed:
        kinds = Counter(str(s.get("Protocol", "?")) for s in confirmed)
        listed = ", ".join(f"{n} {protocol}" for protocol, n in sorted(kinds.items()))
        return Finding(True, f"SNS topic has {len(confirmed)} confirmed subscription(s): {listed}")
    if pending:
        return Finding(
            False,
            f"SNS topic {topic}: {len(pending)} subscription(s) still pending confirmation",
            "open the 'AWS Notification - Subscription Confirmation' email and confirm it",
        )
    return Finding(
        False,
        f"SNS topic {topic}: no subscription, so nobody gets the email alerts",
        f"aws sns subscribe --topic-arn {topic} --protocol email --notification-endpoint YOU",
    )


def topic_arn(args: argparse.Namespace) -> str:
    if args.topic_arn:
        return str(args.topic_arn)
    if args.stack_name:
        return aws.stack_outputs(args.stack_name, args.region, ("AlertTopicArn",))["AlertTopicArn"]
    from_env = os.environ.get("ALERT_TOPIC_ARN", "")
    if from_env:
        return from_env
    raise CliError("no topic to check", "pass --topic-arn or --stack-name, or set ALERT_TOPIC_ARN")
