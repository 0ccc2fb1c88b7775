"""`ceilingwatch report`: the weekly capacity digest in the terminal, or as one HTML page."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ceilingwatch.cli import terminal
from ceilingwatch.cli.common import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    EXIT_OK,
    KEY_ENV,
    TIME_BUDGET_SECONDS,
    CliError,
    api_key,
    config_from_flags,
    usage,
)
from ceilingwatch.cli.flags import add_threshold_flags, instant
from ceilingwatch.domain.digest_text import render_text
from ceilingwatch.domain.report import render_html
from ceilingwatch.services.weekly import gather_digest

MAX_DAYS = 56  # eight weeks of hour buckets: 1,344 rows in one request


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        help="the weekly capacity digest: peaks, episodes, busiest hours, next week's outlook",
        description="Read hourly peaks of the last days (default 14: the week and the one "
        "before), and print the digest the Monday schedule sends, or write it as one "
        f"self-contained HTML page with a chart. The API key comes from {KEY_ENV}.",
    )
    parser.add_argument(
        "--limit", type=int, required=True, help="the concurrency limit to hold the peaks against"
    )
    parser.add_argument(
        "--days", type=_days, default=14, help=f"days of history, 7 to {MAX_DAYS} (default 14)"
    )
    parser.add_argument("--html", type=Path, metavar="FILE", help="write the report page here")
    parser.add_argument("--at", type=instant, help="report as of this UTC time instead of now")
    parser.add_argument(
        "--base-url", help=f"Ultravox API base URL (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})"
    )
    parser.add_argument("--monitor", default="cli", help="the name the report carries (cli)")
    add_threshold_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_flags(args, api_key())
    now = args.at or datetime.now(UTC)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    digest = gather_digest(
        usage(args.base_url, config), config, now, deadline=deadline, days=args.days
    )
    if args.html is None:
        print(render_text(digest), end="")
        return EXIT_OK
    try:
        args.html.write_text(render_html(digest), encoding="utf-8")
    except OSError as error:
        raise CliError(
            f"could not write {args.html}: {error.strerror or type(error).__name__}",
            "choose a file in a folder you can write to",
        ) from None
    print(terminal.wrap(f"wrote {args.html}: {digest.subject_tail()}; open it in any browser"))
    return EXIT_OK


def _days(raw: str) -> int:
    try:
        days = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {raw[:20]!r}") from None
    if not 7 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be from 7 to {MAX_DAYS} days, not {days}")
    return days
