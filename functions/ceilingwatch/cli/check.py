"""`ceilingwatch check`: judge the account once, as the monitor would, with the chart behind it."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.adapters.ultravox import UltravoxClient
from ceilingwatch.channels import Wiring, build_channels
from ceilingwatch.cli import terminal
from ceilingwatch.cli.common import (
    EXIT_CODES,
    EXIT_OK,
    KEY_ENV,
    LINKS,
    TIME_BUDGET_SECONDS,
    WEBHOOK_ENV,
    CliError,
    api_key,
    config_from_flags,
    in_flags,
    ultravox,
    ultravox_key,
    webhook_from_env,
    webhook_prefixes,
)
from ceilingwatch.cli.flags import add_threshold_flags, add_ultravox_flags
from ceilingwatch.common.errors import ChannelError, MonitorError
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain import chart
from ceilingwatch.domain.alerts import NOT_CHECKED, Kind, Measured, NotChecked, Notification
from ceilingwatch.domain.config import MonitorConfig, Secret
from ceilingwatch.domain.evaluation import Evaluation
from ceilingwatch.domain.forecast import MIN_POINTS, nowcast
from ceilingwatch.domain.lifecycle import advance
from ceilingwatch.domain.plan import plan_risk
from ceilingwatch.domain.ports import Account, Channel, Context
from ceilingwatch.domain.series import ConcurrencyBucket, fill_gaps, floor_to_bucket
from ceilingwatch.domain.state import Outcome
from ceilingwatch.services.observe import WINDOW

NO_DATA_COLOUR = "36"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "check",
        help="judge the account once and chart the recent peaks",
        description=f"Judge the last hour once, with the monitor's own rules; --hours widens "
        f"the chart, never the verdict. The API key comes from {KEY_ENV}, never from a flag. "
        "Exit: 0 OK, 1 WARNING, 2 CRITICAL or AT_LIMIT, 3 a problem.",
    )
    add_ultravox_flags(parser, 1.0, "how much history to chart")
    add_threshold_flags(parser)
    parser.add_argument(
        "--post-to-slack",
        action="store_true",
        help=f"post the resulting alert (if any) to the webhook in {WEBHOOK_ENV}",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_flags(args, api_key())
    webhook = webhook_from_env() if args.post_to_slack else None
    now = args.at or datetime.now(UTC)
    start = floor_to_bucket(now - timedelta(hours=args.hours))
    client = ultravox(args.base_url)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    key = ultravox_key(config)
    series = client.concurrency(key, start, now, deadline=deadline)
    account, account_problem = _account(client, key, deadline)
    colour = terminal.use_colour(sys.stdout)
    if not series.buckets:
        print(
            terminal.labelled(
                "NO_DATA ",
                f"Ultravox returned no buckets from {start:%H:%M} to {now:%H:%M} UTC: no calls "
                "at all, or no data yet",
                NO_DATA_COLOUR,
                colour,
            )
        )
        print(_account_line(account, account_problem, config, None))
        return EXIT_OK
    shown = fill_gaps(series.buckets, start, now)
    evaluation, outcome = _judge(shown, config, now, account, args.monitor)
    width, rows = terminal.size()
    limit, thresholds = config.concurrency_limit, config.thresholds
    print(
        chart.render(shown, limit, thresholds, now=now, width=width, max_rows=rows, colour=colour)
    )
    level = outcome.state.judged.level
    print(terminal.labelled(f"{level.name:<9}", outcome.reason, chart.LEVEL_COLOURS[level], colour))
    print(terminal.wrap(f"forecast  {nowcast_text(evaluation)}", indent=10))
    note = next((n for n in outcome.notifications if n.kind is Kind.ACCOUNT_CEILING), None)
    print(_account_line(account, account_problem, config, note))
    risk = plan_risk(account.subscription, now, config.concurrency_limit) if account else None
    if risk is not None:
        print(terminal.wrap(f"plan      {risk.why}. Fix: {risk.fix}", indent=10))
    if webhook is not None:
        _post(outcome.notifications, config, webhook)
    return EXIT_CODES[level]


def _judge(
    shown: Sequence[ConcurrencyBucket],
    config: MonitorConfig,
    now: datetime,
    account: Account | None,
    monitor: str,
) -> tuple[Evaluation, Outcome]:
    """The Lambda's own state machine, from an empty state: its reason is the one a message shows.

    The verdict is the monitor's: the last hour only. --hours widens the chart, not the judging.
    """
    window_start = floor_to_bucket(now - WINDOW)
    evaluation = Evaluation(
        buckets=tuple(b for b in shown if b.start >= window_start),
        limit=config.concurrency_limit,
        thresholds=config.thresholds,
        now=now,
    )
    allowed: int | NotChecked | None = (
        account.allowed_concurrent_calls if account is not None else NOT_CHECKED
    )
    outcome = advance(None, Measured(evaluation, allowed), monitor=monitor, tick=now, config=config)
    return evaluation, outcome


def nowcast_text(evaluation: Evaluation) -> str:
    """The nowcast, or why there is none: the same sentence every level message carries."""
    cast = nowcast(evaluation.buckets, evaluation.limit, evaluation.now)
    if cast.confident:
        return f"{cast.sentence()} ({cast.basis()})"
    trend = cast.trend
    if trend is None or trend.points < MIN_POINTS:
        return f"too few buckets for a trend (fewer than {MIN_POINTS})"
    return (
        f"no confident rise to project: {trend.slope:+.1f} calls per 5 min over the last "
        f"{trend.points} buckets, lower bound {trend.lower:+.1f}"
    )


def _account(client: UltravoxClient, key: Secret, deadline: float) -> tuple[Account | None, str]:
    """The account's own ceiling is a cross-check: its failure never fails the check."""
    try:
        return client.account(key, deadline=deadline), ""
    except MonitorError as error:
        return None, error.problem


def _account_line(
    account: Account | None, problem: str, config: MonitorConfig, note: Notification | None
) -> str:
    return terminal.wrap(f"account   {_account_text(account, problem, config, note)}", indent=10)


def _account_text(
    account: Account | None, problem: str, config: MonitorConfig, note: Notification | None
) -> str:
    limit = config.concurrency_limit
    if account is None:
        return f"not checked: {problem}"
    tier = f" ({account.subscription_tier} tier)" if account.subscription_tier else ""
    allowed = account.allowed_concurrent_calls
    if allowed is None:
        return (
            f"Ultravox sets no fixed ceiling for this account{tier}: the limit of {limit} is "
            "yours to choose"
        )
    if note is not None:
        return f"{note.why}. Fix: {in_flags(note.fix)}"
    return f"Ultravox allows {allowed} concurrent calls{tier}, the limit is {limit}: fine"


def slack_channel(config: MonitorConfig, webhook: Secret) -> Channel:
    """The monitor's own Slack channel, from the channel registry, for this one webhook."""
    settings = Settings(
        state_table_name="", alert_topic_arn="", slack_webhook_prefixes=webhook_prefixes()
    )
    # Only Slack is used: the email channel the registry always builds never gets a client.
    roster = build_channels(
        config.with_option("slack-webhook-url", webhook),
        Wiring(settings=settings, sns=lambda: None),
    )
    return next(channel for channel in roster.channels if channel.name == "slack")


def _post(notes: tuple[Notification, ...], config: MonitorConfig, webhook: Secret) -> None:
    if not notes:
        print("slack     nothing to post: the monitor sends no message while all is OK")
        return
    channel = slack_channel(config, webhook)
    for note in notes:
        try:
            channel.deliver(note, Context(LINKS, time.monotonic() + TIME_BUDGET_SECONDS))
        except ChannelError as error:
            raise CliError(f"Slack did not take the message: {error}") from None
        print(f"slack     posted the {note.kind.value} {note.severity} message")
