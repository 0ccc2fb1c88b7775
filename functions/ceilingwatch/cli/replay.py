"""`ceilingwatch replay`: history through the alert rules, tick by tick, to tune thresholds."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.cli import terminal
from ceilingwatch.cli.common import (
    EXIT_OK,
    TIME_BUDGET_SECONDS,
    CliError,
    api_key,
    config_from_flags,
    ultravox,
    ultravox_key,
)
from ceilingwatch.cli.flags import add_parameter_flags, add_threshold_flags, add_ultravox_flags
from ceilingwatch.common.records import record
from ceilingwatch.domain import chart
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.backtest import backtest, forecast_lines
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.replay import replay
from ceilingwatch.domain.series import ConcurrencyBucket, fill_gaps, floor_to_bucket

WHY_COLUMN = 45  # where the why starts on a row: "YYYY-MM-DD HH:MM  kind... SEVERITY "


@record
class Sent:
    tick: datetime
    note: Notification


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "replay",
        help="replay history through the alert rules to tune thresholds",
        description="Fetch the history once, then judge it tick by tick as the schedule would, "
        "list the messages that would have been sent, and backtest the FORECASTs: their lead "
        "time before the limit, and the false ones.",
    )
    add_ultravox_flags(parser, 24.0, "how much history to replay")
    add_threshold_flags(parser)
    add_parameter_flags(
        parser,
        "warning-recovery-percent",
        "critical-recovery-percent",
        "recovery-buckets",
        "renotify-warning-minutes",
        "renotify-critical-minutes",
        "forecast-minutes",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_flags(args, api_key())
    now = args.at or datetime.now(UTC)
    start = floor_to_bucket(now - timedelta(hours=args.hours))
    client = ultravox(args.base_url)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    series = client.concurrency(ultravox_key(config), start, now, deadline=deadline)
    # History holds completed buckets only: the one in progress now is left out.
    history = fill_gaps(series.buckets, start, floor_to_bucket(now))
    if not history:
        raise CliError(
            f"no completed bucket between {start:%H:%M} and {now:%H:%M} UTC to replay",
            "fetch more history with --hours",
        )
    sent = would_send(history, config, until=now)
    colour = terminal.use_colour(sys.stdout)
    width, rows = terminal.size()
    limit, thresholds = config.concurrency_limit, config.thresholds
    print(
        chart.render(history, limit, thresholds, now=now, width=width, max_rows=rows, colour=colour)
    )
    print(terminal.wrap(_rules(config)))
    print(
        terminal.wrap(
            "Replayed with completed buckets only: history has no view of a bucket in "
            "progress, so a raise shows up to 5 minutes later than a live run would send it."
        )
        + "\n"
    )
    for entry in sent:
        print(_row(entry, colour, width))
    print(_summary(sent))
    print("\n" + "\n".join(forecast_lines(backtest(history, config))))
    return EXIT_OK


def would_send(
    history: Sequence[ConcurrencyBucket], config: MonitorConfig, *, until: datetime
) -> list[Sent]:
    """What would have been sent: ticks a minute past each boundary, on completed buckets."""
    steps = replay(history, config, until=until)
    return [Sent(step.tick, note) for step in steps for note in step.outcome.notifications]


def _row(entry: Sent, colour: bool, width: int) -> str:
    note = entry.note
    why = note.why + (f"; episode: {note.episode}" if note.episode else "")
    head = f"{entry.tick:%Y-%m-%d %H:%M}  {note.kind.value:<16} "
    # A narrow terminal gets the why on lines of its own, under the row's start.
    indent = WHY_COLUMN if width - WHY_COLUMN >= 30 else 2
    text = terminal.wrap(f"{head}{note.severity:<9} {why}", indent=indent, width=width)
    label = f"{note.severity:<9}"
    severity = terminal.paint(label, note.severity.colour, colour)
    return head + severity + text[len(head) + len(label) :]


def _rules(config: MonitorConfig) -> str:
    t = config.thresholds
    warning, critical = config.renotify_warning, config.renotify_critical
    return (
        f"Rules: limit {config.concurrency_limit}; warning at {t.warning:g}% "
        f"(ends below {t.warning_recovery:g}%), critical at {t.critical:g}% "
        f"(ends below {t.critical_recovery:g}%), after {config.recovery_buckets} completed "
        f"bucket(s); reminders every {_minutes(warning)} (warning) and "
        f"{_minutes(critical)} (critical)."
    )


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} min" if minutes else "never"


def _summary(sent: Sequence[Sent]) -> str:
    if not sent:
        return "\nNo message would have been sent."
    counts = Counter(entry.note.kind.value for entry in sent)
    parts = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    plural = "s" if len(sent) != 1 else ""
    return "\n" + terminal.wrap(f"{len(sent)} message{plural} would have been sent: {parts}.")
