"""The command line's grammar: a parser whose usage errors exit 3, flag types, shared flags."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import NoReturn

from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.cli.common import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_PREFIX,
    EXIT_PROBLEM,
    KEY_ENV,
    in_flags,
)


class Parser(argparse.ArgumentParser):
    """Usage errors exit 3: argparse's own 2 would read as CRITICAL to a script."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            # A stray value may be a pasted key: name the flags, never echo the values.
            words = message.removeprefix(prefix).split()
            message = prefix + " ".join(
                w.split("=")[0] if w.startswith("-") else "..." for w in words
            )
            message += f" (the API key is read from {KEY_ENV}, never from a flag)"
        self.print_usage(sys.stderr)
        self.exit(EXIT_PROBLEM, f"{self.prog}: error: {message}\n")


def add_ultravox_flags(parser: argparse.ArgumentParser, hours: float, hours_help: str) -> None:
    parser.add_argument(
        "--limit", type=int, required=True, help="the concurrency limit to hold the peaks against"
    )
    parser.add_argument(
        "--hours", type=positive_hours, default=hours, help=f"{hours_help} (default {hours:g})"
    )
    parser.add_argument(
        "--at",
        type=instant,
        help="judge as of this UTC time (ISO-8601) instead of now, e.g. to look back",
    )
    parser.add_argument(
        "--base-url", help=f"Ultravox API base URL (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})"
    )
    parser.add_argument("--monitor", default="cli", help="the name messages carry (default: cli)")


def add_threshold_flags(parser: argparse.ArgumentParser) -> None:
    add_parameter_flags(parser, "warning-percent", "critical-percent")


def add_parameter_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    """The flags of these parameters, from their rows: the flag, the meaning, the default.

    The monitor's own validation runs on them after (config_from_flags); a percentage is read
    as one first, so a typo is named by its flag at once.
    """
    for name in names:
        row = PARAMETERS[name]
        default = None if row.default is None else row.show(row.default)
        shown = row.documented_default() if default is None else default
        parser.add_argument(
            row.flag,
            type=percent if row.unit == "%" else int,
            default=default,  # argparse reads a string default through `type`
            help=f"{row.meaning} (default: {in_flags(shown).replace('`', '')})".replace("%", "%%"),
        )


def add_aws_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--monitor", required=True, help="the monitor's name, as in its schedule")
    parser.add_argument(
        "--prefix",
        default=os.environ.get("CEILINGWATCH_PARAMETER_PREFIX", DEFAULT_PREFIX),
        help=f"parameter path prefix (default {DEFAULT_PREFIX})",
    )
    parser.add_argument("--region", help="AWS region (default: the AWS CLI's)")


def percent(raw: str) -> float:
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {raw[:20]!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a percentage from 1 to 100, not {value:g}")
    return value


def positive_hours(raw: str) -> float:
    try:
        hours = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {raw[:20]!r}") from None
    if not 0 < hours <= 24 * 31:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 744, not {hours:g}")
    return hours


def instant(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 time such as 2026-11-24T14:00:00Z: {raw[:40]!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
