"""The `ceilingwatch` command: the monitor's own code on a laptop, for checks, tuning and set-up."""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import shutil
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TextIO

import boto3
import requests
from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch import __version__, chart
from ceilingwatch.adapters.parameters import ParameterStore
from ceilingwatch.adapters.ultravox import Account, UltravoxClient
from ceilingwatch.bootstrap import build_dependencies
from ceilingwatch.channels.base import Context
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack_webhook import SLACK, SlackWebhookChannel
from ceilingwatch.config import MonitorConfig, Secret, parse_config
from ceilingwatch.delivery import Status
from ceilingwatch.errors import (
    ChannelError,
    ConfigurationError,
    MonitorError,
    UltravoxAuthError,
    UltravoxUnavailableError,
)
from ceilingwatch.evaluation import Evaluation, Level
from ceilingwatch.lifecycle import (
    NOT_CHECKED,
    Kind,
    Measured,
    NoData,
    NotChecked,
    Notification,
    Outcome,
    advance,
)
from ceilingwatch.monitor import MONITOR_NAME_CHARS, WINDOW, Tick, run
from ceilingwatch.series import BUCKET, ConcurrencyBucket, fill_gaps, floor_to_bucket
from ceilingwatch.settings import SLACK_WEBHOOK_PREFIX, Settings

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_CODES = {
    Level.OK: EXIT_OK,
    Level.WARNING: EXIT_WARNING,
    Level.CRITICAL: EXIT_CRITICAL,
    Level.AT_LIMIT: EXIT_CRITICAL,
}
KEY_ENV = "ULTRAVOX_API_KEY"
BASE_URL_ENV = "ULTRAVOX_API_BASE_URL"
WEBHOOK_ENV = "SLACK_WEBHOOK_URL"
PREFIXES_ENV = "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES"
DEFAULT_BASE_URL = "https://api.ultravox.ai"
DEFAULT_PREFIX = "/ceilingwatch"
TIME_BUDGET_SECONDS = 30.0  # for Ultravox's retries; a person is waiting at the prompt
LINKS = {"Ultravox": "https://app.ultravox.ai"}
SLACK_TIMEOUT = (3.05, 5.0)
# A body Slack refuses without posting: its answer still tells whether the webhook exists.
SLACK_PROBE_ANSWERS = frozenset({"no_text", "invalid_payload"})
# The flag that sets each parameter, so a problem found by parse_config names what to change.
FLAG_OF_PARAMETER = {
    "warning-recovery-percent": "--warning-recovery",
    "critical-recovery-percent": "--critical-recovery",
    "renotify-warning-minutes": "--renotify-warning-minutes",
    "renotify-critical-minutes": "--renotify-critical-minutes",
    "concurrency-limit": "--limit",
    "warning-percent": "--warning",
    "critical-percent": "--critical",
    "recovery-buckets": "--recovery-buckets",
}
DERIVED_RECOVERY = {
    "warning-recovery-percent": "the recovery threshold --warning implies (10 below it)",
    "critical-recovery-percent": "the recovery threshold --critical implies (5 below it)",
}
KEY_FIX = (
    f"export a valid Ultravox API key as {KEY_ENV}; `read -rs {KEY_ENV} && export {KEY_ENV}` "
    "keeps it out of your shell history"
)


class CliError(Exception):
    """A problem the person at the terminal can fix; the message never holds a secret."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class _Parser(argparse.ArgumentParser):
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
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error already printed
        return stop.code if isinstance(stop.code, int) else EXIT_ERROR
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except KeyboardInterrupt:
        # One line, and the shell's own code for Ctrl-C; nothing was half-written.
        print("\nceilingwatch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CliError as error:
        _fail(error.problem, error.fix)
    except UltravoxAuthError as error:
        _fail(error.problem, KEY_FIX if "401" in error.problem else error.what_to_fix)
    except UltravoxUnavailableError as error:
        _fail(error.problem, unreachable_fix(getattr(args, "base_url", None)))
    except MonitorError as error:
        _fail(error.problem, error.what_to_fix)
    except Exception as error:
        # Python's own exit code 1 would read as WARNING to a script: any failure is 3.
        _fail(
            f"unexpected {type(error).__name__}: {_masked(str(error))[:200]}",
            "this is a bug in ceilingwatch or an answer it does not understand; please report it",
        )
    return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ceilingwatch",
        description="Watch an Ultravox account's call concurrency against its ceiling.",
        epilog="Exit codes: 0 OK, 1 WARNING, 2 CRITICAL or AT_LIMIT (check only), 3 a problem "
        "(doctor and test-alert included), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"ceilingwatch {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="judge the account once and chart the recent peaks",
        description=f"Judge the account once, with the monitor's own rules. The API key comes "
        f"from {KEY_ENV}, never from a flag. Exit: 0 OK, 1 WARNING, 2 CRITICAL or AT_LIMIT, "
        "3 error.",
    )
    _add_ultravox_flags(check, default_hours=1.0)
    _add_threshold_flags(check, lifecycle=False)
    check.add_argument(
        "--post-to-slack",
        action="store_true",
        help=f"post the resulting alert (if any) to the webhook in {WEBHOOK_ENV}",
    )
    check.set_defaults(run=check_command)

    replay = commands.add_parser(
        "replay",
        help="replay history through the alert rules to tune thresholds",
        description="Fetch the history once, then judge it tick by tick as the schedule would, "
        "and list the messages that would have been sent.",
    )
    _add_ultravox_flags(replay, default_hours=24.0)
    _add_threshold_flags(replay, lifecycle=True)
    replay.set_defaults(run=replay_command)

    put = commands.add_parser(
        "put-secrets",
        help="store the Ultravox key and Slack webhook in SSM as SecureStrings",
        description="Prompt for the Ultravox API key and the Slack webhook URL (without echo; "
        "one line each from stdin when it is not a terminal) and store them as SecureString "
        "parameters.",
    )
    _add_aws_flags(put, prefix=True)
    put.set_defaults(run=put_secrets_command)

    doctor = commands.add_parser(
        "doctor",
        help="check parameters, Ultravox key, Slack webhook and SNS subscriptions",
        description="Check a deployed monitor end to end without sending a visible message. "
        "Exit 0 when every check passes, 3 otherwise.",
    )
    _add_aws_flags(doctor, prefix=True)
    topic = doctor.add_mutually_exclusive_group()
    topic.add_argument("--stack-name", help="read AlertTopicArn from this CloudFormation stack")
    topic.add_argument("--topic-arn", help="the SNS topic to check (default: $ALERT_TOPIC_ARN)")
    doctor.add_argument(
        "--base-url", help=f"Ultravox API base URL (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})"
    )
    doctor.set_defaults(run=doctor_command)

    test = commands.add_parser(
        "test-alert",
        help="send a test alert through every channel, as the deployed function would",
        description="Run the monitor's test action: one test message through SNS and Slack. "
        "Needs STATE_TABLE_NAME and ALERT_TOPIC_ARN, or --stack-name to read them.",
    )
    _add_aws_flags(test, prefix=True)
    test.add_argument("--stack-name", help="read StateTableName and AlertTopicArn from this stack")
    test.set_defaults(run=test_alert_command)
    return parser


def _add_ultravox_flags(parser: argparse.ArgumentParser, default_hours: float) -> None:
    parser.add_argument(
        "--limit", type=int, required=True, help="the concurrency limit to hold the peaks against"
    )
    parser.add_argument(
        "--hours",
        type=_positive_hours,
        default=default_hours,
        help=f"how much history to fetch (default {default_hours:g})",
    )
    parser.add_argument(
        "--at",
        type=_instant,
        help="judge as of this UTC time (ISO-8601) instead of now, e.g. to look back",
    )
    parser.add_argument(
        "--base-url", help=f"Ultravox API base URL (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})"
    )
    parser.add_argument("--monitor", default="cli", help="the name messages carry (default: cli)")


def _add_threshold_flags(parser: argparse.ArgumentParser, lifecycle: bool) -> None:
    parser.add_argument(
        "--warning", type=_percent_flag, default=80.0, help="warning at this %% of the limit (80)"
    )
    parser.add_argument(
        "--critical", type=_percent_flag, default=95.0, help="critical at this %% of the limit (95)"
    )
    if not lifecycle:
        return
    parser.add_argument(
        "--warning-recovery",
        type=_percent_flag,
        help="leave WARNING below this %% (10 below --warning)",
    )
    parser.add_argument(
        "--critical-recovery",
        type=_percent_flag,
        help="leave CRITICAL below this %% (5 below --critical)",
    )
    parser.add_argument(
        "--recovery-buckets",
        type=int,
        default=2,
        help="completed buckets below the recovery threshold to lower a level (2)",
    )
    parser.add_argument(
        "--renotify-warning-minutes",
        type=int,
        default=240,
        help="remind of a WARNING this often, 0 never (240)",
    )
    parser.add_argument(
        "--renotify-critical-minutes",
        type=int,
        default=60,
        help="remind of CRITICAL or AT_LIMIT this often, 0 never (60)",
    )


def _add_aws_flags(parser: argparse.ArgumentParser, prefix: bool) -> None:
    parser.add_argument("--monitor", required=True, help="the monitor's name, as in its schedule")
    if prefix:
        parser.add_argument(
            "--prefix",
            default=os.environ.get("CEILINGWATCH_PARAMETER_PREFIX", DEFAULT_PREFIX),
            help=f"parameter path prefix (default {DEFAULT_PREFIX})",
        )
    parser.add_argument("--region", help="AWS region (default: the AWS CLI's)")


def _percent_flag(raw: str) -> float:
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {raw[:20]!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a percentage from 1 to 100, not {value:g}")
    return value


def _positive_hours(raw: str) -> float:
    try:
        hours = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {raw[:20]!r}") from None
    if not 0 < hours <= 24 * 31:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 744, not {hours:g}")
    return hours


def _instant(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 time such as 2026-11-24T14:00:00Z: {raw[:40]!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- check ------------------------------------------------------------------------------------


def check_command(args: argparse.Namespace) -> int:
    key = _api_key()
    config = _config(args, key)
    webhook = _webhook_from_env() if args.post_to_slack else None
    now = args.at or datetime.now(UTC)
    start = floor_to_bucket(now - timedelta(hours=args.hours))
    client = _ultravox(args.base_url)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    series = client.concurrency(config.ultravox_api_key, start, now, deadline=deadline)
    account, account_problem = _account(client, config.ultravox_api_key, deadline)
    out = sys.stdout
    colour = use_colour(out)
    if not series.buckets:
        print(
            f"{_paint('NO_DATA', '36', colour)}  Ultravox returned no buckets from "
            f"{start:%H:%M} to {now:%H:%M} UTC: no calls at all, or no data yet",
            file=out,
        )
        print(_account_line(account, account_problem, config, None), file=out)
        return EXIT_OK
    shown = fill_gaps(series.buckets, start, now)
    # The verdict is the monitor's: the last hour only. --hours widens the chart, not the judging.
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
    # The Lambda's own state machine, from an empty state: its reason is the one a message shows.
    outcome = advance(
        None, Measured(evaluation, allowed), monitor=args.monitor, tick=now, config=config
    )
    width, height = _terminal()
    print(
        chart.render(
            shown,
            config.concurrency_limit,
            config.thresholds,
            now=now,
            width=width,
            max_rows=height,
            colour=colour,
        ),
        file=out,
    )
    level = outcome.state.level
    print(
        f"{_paint(f'{level.name:<9}', chart.LEVEL_COLOURS[level], colour)} {outcome.reason}",
        file=out,
    )
    ceiling_note = next((n for n in outcome.notifications if n.kind is Kind.ACCOUNT_CEILING), None)
    print(_account_line(account, account_problem, config, ceiling_note), file=out)
    if webhook is not None:
        _post(outcome, webhook)
    return EXIT_CODES[level]


def _account(client: UltravoxClient, key: Secret, deadline: float) -> tuple[Account | None, str]:
    """The account's own ceiling is a cross-check: its failure never fails the check."""
    try:
        return client.account(key, deadline=deadline), ""
    except MonitorError as error:
        return None, error.problem


def _account_line(
    account: Account | None, problem: str, config: MonitorConfig, note: Notification | None
) -> str:
    limit = config.concurrency_limit
    label = "account  "
    if account is None:
        return f"{label} not checked: {problem}"
    tier = f" ({account.subscription_tier} tier)" if account.subscription_tier else ""
    allowed = account.allowed_concurrent_calls
    if allowed is None:
        return (
            f"{label} Ultravox sets no fixed ceiling for this account{tier}: "
            f"the limit of {limit} is yours to choose"
        )
    if note is not None:
        return f"{label} {note.why}. Fix: {note.fix}"
    return f"{label} Ultravox allows {allowed} concurrent calls{tier}, the limit is {limit}: fine"


def _post(outcome: Outcome, webhook: Secret) -> None:
    notes = outcome.notifications
    if not notes:
        print("slack     nothing to post: the monitor sends no message while all is OK")
        return
    channel = SlackWebhookChannel(webhook, Poster(), allowed_prefixes=_webhook_prefixes())
    for note in notes:
        try:
            channel.deliver(note, Context(LINKS, time.monotonic() + TIME_BUDGET_SECONDS))
        except ChannelError as error:
            raise CliError(f"Slack did not take the message: {error}") from None
        print(f"slack     posted the {note.kind.value} {note.severity} message")


# --- replay -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    tick: datetime
    note: Notification


def replay_command(args: argparse.Namespace) -> int:
    key = _api_key()
    config = _config(args, key)
    now = args.at or datetime.now(UTC)
    start = floor_to_bucket(now - timedelta(hours=args.hours))
    client = _ultravox(args.base_url)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    series = client.concurrency(config.ultravox_api_key, start, now, deadline=deadline)
    # History holds completed buckets only: the one in progress now is left out.
    history = fill_gaps(series.buckets, start, floor_to_bucket(now))
    if not history:
        raise CliError(
            f"no completed bucket between {start:%H:%M} and {now:%H:%M} UTC to replay",
            "fetch more history with --hours",
        )
    sent = replay(history, config, monitor=args.monitor, until=now)
    out = sys.stdout
    colour = use_colour(out)
    width, height = _terminal()
    print(
        chart.render(
            history,
            config.concurrency_limit,
            config.thresholds,
            now=now,
            width=width,
            max_rows=height,
            colour=colour,
        ),
        file=out,
    )
    print(_rules(config), file=out)
    print(
        "Replayed with completed buckets only: history has no view of a bucket in progress, "
        "so a raise shows up to 5 minutes later than a live run would send it.\n",
        file=out,
    )
    for entry in sent:
        note = entry.note
        why = note.why + (f"; episode: {note.episode}" if note.episode else "")
        severity = _paint(f"{note.severity:<9}", _severity_colour(note.severity), colour)
        print(f"{entry.tick:%Y-%m-%d %H:%M}  {note.kind.value:<16} {severity} {why}", file=out)
    print(_summary(sent), file=out)
    return EXIT_OK


def replay(
    history: Sequence[ConcurrencyBucket], config: MonitorConfig, *, monitor: str, until: datetime
) -> list[Sent]:
    """Ticks one minute past each boundary, each seeing the completed buckets of its hour."""
    state = None
    sent: list[Sent] = []
    tick = history[0].start + BUCKET + timedelta(minutes=1)
    index = 0
    while tick <= until:
        window_start = floor_to_bucket(tick - WINDOW)
        visible = tuple(b for b in history if window_start <= b.start and b.completed_by(tick))
        evaluation = Evaluation(visible, config.concurrency_limit, config.thresholds, tick)
        outcome = advance(
            state,
            Measured(evaluation) if visible else NoData(),
            monitor=monitor,
            tick=tick,
            execution_id=f"replay-{index}",
            config=config,
        )
        state = outcome.state
        sent += [Sent(tick, note) for note in outcome.notifications]
        tick += BUCKET
        index += 1
    return sent


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
    return f"\n{len(sent)} message{plural} would have been sent: {parts}."


def _severity_colour(severity: str) -> str:
    return chart.LEVEL_COLOURS[Level[severity]] if severity in Level.__members__ else "36"


# --- put-secrets ------------------------------------------------------------------------------


def put_secrets_command(args: argparse.Namespace) -> int:
    _check_monitor_name(args.monitor)
    interactive = sys.stdin.isatty()
    key = _ask("Ultravox API key: ", interactive)
    if not key:
        raise CliError("no Ultravox API key given", "paste the key at the prompt")
    if any(ch.isspace() for ch in key):
        raise CliError("the Ultravox API key holds whitespace", "paste the key alone")
    webhook = _ask("Slack webhook URL (empty to skip): ", interactive)
    prefixes = _webhook_prefixes()
    if webhook and not webhook.startswith(prefixes):
        # Never echo the value: a mistyped webhook is still mostly the secret.
        raise CliError(
            "the Slack webhook URL does not start with " + " or ".join(prefixes),
            "paste the incoming-webhook URL Slack gave you",
        )
    path = _path(args.prefix, args.monitor)
    values = {f"{path}ultravox-api-key": key}
    if webhook:
        values[f"{path}slack-webhook-url"] = webhook
    require_aws_credentials(args.region)
    ssm = _aws_client("ssm", args.region)
    for name, value in values.items():
        _aws_call(
            functools.partial(
                ssm.put_parameter, Name=name, Value=value, Type="SecureString", Overwrite=True
            ),
            f"write {name}",
            "you need ssm:PutParameter on it (and kms:Encrypt on the key, if not the default)",
            secrets=(key, webhook),
        )
        print(f"wrote {name} (SecureString)")
    if not webhook:
        print("no Slack webhook given: alerts go by email only")
    print("the monitor's next run reads them; no redeploy needed")
    return EXIT_OK


def _ask(prompt: str, interactive: bool) -> str:
    if interactive:
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()


# --- doctor -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report: passed (True), failed (False) or not applicable (None)."""

    passed: bool | None
    what: str
    fix: str = ""

    def render(self, colour: bool) -> str:
        mark = {True: ("✔", "32"), False: ("✘", "31"), None: ("·", "36")}[self.passed]
        line = f"{_paint(mark[0], mark[1], colour)} {self.what}"
        return line + (f"\n    fix: {self.fix}" if self.fix else "")


def doctor_command(args: argparse.Namespace) -> int:
    _check_monitor_name(args.monitor)
    out = sys.stdout
    colour = use_colour(out)
    findings: list[Finding] = []

    def report(finding: Finding) -> None:
        findings.append(finding)
        print(finding.render(colour), file=out, flush=True)

    require_aws_credentials(args.region)
    ssm = _aws_client("ssm", args.region)
    config = _doctor_parameters(ssm, args, report)
    if config is None:
        report(Finding(False, "Ultravox key: not checked, the parameters did not load"))
        report(Finding(False, "Slack webhook: not checked, the parameters did not load"))
    else:
        for finding in _doctor_ultravox(config, args.base_url):
            report(finding)
        report(_doctor_slack(config))
    report(_doctor_topic(args))
    failed = sum(1 for f in findings if f.passed is False)
    print(f"\n{failed} problem{'s' if failed != 1 else ''} found." if failed else "\nAll good.")
    return EXIT_ERROR if failed else EXIT_OK


def _doctor_parameters(
    ssm: Any, args: argparse.Namespace, report: Callable[[Finding], None]
) -> MonitorConfig | None:
    path = _path(args.prefix, args.monitor)
    try:
        config = ParameterStore(ssm, args.prefix, max_age_seconds=0).load(args.monitor)
    except MonitorError as error:
        report(Finding(False, f"parameters under {path}: {error.problem}", error.what_to_fix))
        return None
    t = config.thresholds
    report(
        Finding(
            True,
            f"parameters under {path}: limit {config.concurrency_limit}, warning {t.warning:g}%, "
            f"critical {t.critical:g}%, Slack {'set' if config.slack_webhook_url else 'not set'}",
        )
    )
    names = [config.parameter("ultravox-api-key"), config.parameter("slack-webhook-url")]
    try:
        found = ssm.get_parameters(Names=names, WithDecryption=False)["Parameters"]
    except (BotoCoreError, ClientError) as error:
        report(Finding(False, f"secret parameter types not read ({_aws_code(error)})"))
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


def _doctor_ultravox(config: MonitorConfig, base_url: str | None) -> list[Finding]:
    client = _ultravox(base_url)
    client.key_parameter = config.parameter("ultravox-api-key")
    now = datetime.now(UTC)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    try:
        series = client.concurrency(config.ultravox_api_key, now - BUCKET, now, deadline=deadline)
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
        account = client.account(config.ultravox_api_key, deadline=deadline)
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


def _doctor_slack(config: MonitorConfig) -> Finding:
    webhook = config.slack_webhook_url
    if webhook is None:
        return Finding(None, "Slack webhook: none configured (optional; alerts go by email)")
    prefixes = _webhook_prefixes()
    if not webhook.reveal().startswith(prefixes):
        return Finding(
            False,
            "Slack webhook: "
            + config.parameter("slack-webhook-url")
            + " does not start with "
            + " or ".join(prefixes),
            "put the incoming-webhook URL Slack gave you: ceilingwatch put-secrets",
        )
    try:
        # `{}` has no text: Slack refuses it without posting, and the refusal proves the webhook.
        response = requests.post(
            webhook.reveal(), json={}, timeout=SLACK_TIMEOUT, allow_redirects=False
        )
    except requests.RequestException as error:
        # The exception text holds the URL, and the URL is the secret: name only the kind.
        return Finding(
            False,
            f"Slack webhook: Slack could not be reached ({type(error).__name__})",
            "check this machine's network, then run doctor again",
        )
    answer = response.text.strip()[:40]
    if response.status_code == 400 and answer in SLACK_PROBE_ANSWERS:
        return Finding(True, f"Slack webhook exists (an empty probe got 400 {answer}; not posted)")
    if response.status_code in SLACK.meanings and response.status_code != 400:
        return Finding(
            False,
            f"Slack webhook: {SLACK.meanings[response.status_code]}",
            "create a new incoming webhook and store it: ceilingwatch put-secrets",
        )
    return Finding(
        False,
        f"Slack webhook: unexpected answer HTTP {response.status_code} {answer!r}",
        "run doctor again later; if it persists, create a new webhook",
    )


def _doctor_topic(args: argparse.Namespace) -> Finding:
    try:
        topic = _topic_arn(args)
    except CliError as error:
        return Finding(False, f"SNS topic: {error.problem}", error.fix)
    sns = _aws_client("sns", args.region)
    try:
        subscriptions: list[dict[str, Any]] = []
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic):
            subscriptions += page.get("Subscriptions", [])
    except (BotoCoreError, ClientError) as error:
        return Finding(
            False,
            f"SNS topic {topic}: could not list subscriptions ({_aws_code(error)})",
            "check the topic ARN and that you may call sns:ListSubscriptionsByTopic",
        )
    return topic_finding(topic, subscriptions)


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


def _topic_arn(args: argparse.Namespace) -> str:
    if args.topic_arn:
        return str(args.topic_arn)
    if args.stack_name:
        return _stack_outputs(args.stack_name, args.region, ("AlertTopicArn",))["AlertTopicArn"]
    from_env = os.environ.get("ALERT_TOPIC_ARN", "")
    if from_env:
        return from_env
    raise CliError("no topic to check", "pass --topic-arn or --stack-name, or set ALERT_TOPIC_ARN")


# --- test-alert -------------------------------------------------------------------------------


def test_alert_command(args: argparse.Namespace) -> int:
    _check_monitor_name(args.monitor)
    require_aws_credentials(args.region)
    env = dict(os.environ)
    if args.stack_name:
        outputs = _stack_outputs(args.stack_name, args.region, ("StateTableName", "AlertTopicArn"))
        env.update(
            STATE_TABLE_NAME=outputs["StateTableName"], ALERT_TOPIC_ARN=outputs["AlertTopicArn"]
        )
    env["CEILINGWATCH_PARAMETER_PREFIX"] = args.prefix
    if args.region:
        env["AWS_REGION"] = args.region
    settings = Settings.from_env(env)
    deps = build_dependencies(settings, region=args.region, on_secrets=lambda *secrets: None)
    tick = Tick(monitor=args.monitor, scheduled_time=datetime.now(UTC), action="test")
    result = run(tick, deps, deadline=time.monotonic() + TIME_BUDGET_SECONDS)
    outcomes = {n: o for d in result.deliveries for n, o in d.channels.items()}
    for name, outcome in outcomes.items():
        print(f"{'✔' if outcome.status is Status.SENT else '✘'} {name}: {outcome}")
    problems = result.error.problem.split("; ") if result.error else []
    for problem in problems:
        if not any(problem.startswith(name) for name in outcomes):
            print(f"✘ {problem}")
    if "slack" not in outcomes:
        print("· slack: no slack-webhook-url parameter, so Slack was not tried")
    return EXIT_OK if outcomes and result.error is None else EXIT_ERROR


# --- shared -----------------------------------------------------------------------------------


def _api_key() -> str:
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise CliError(f"{KEY_ENV} is not set", KEY_FIX)
    return key


def _config(args: argparse.Namespace, key: str) -> MonitorConfig:
    """The thresholds through the monitor's own validation, its problems named by flag."""
    values = {
        "concurrency-limit": str(args.limit),
        "ultravox-api-key": key,
        "warning-percent": str(args.warning),
        "critical-percent": str(args.critical),
    }
    # Recovery keeps the default gap below its threshold, so moving one flag stays valid.
    warning_recovery = getattr(args, "warning_recovery", None)
    critical_recovery = getattr(args, "critical_recovery", None)
    values["warning-recovery-percent"] = str(
        warning_recovery
        if warning_recovery is not None
        else max(args.warning - 10, args.warning / 2)
    )
    values["critical-recovery-percent"] = str(
        critical_recovery
        if critical_recovery is not None
        else max(args.critical - 5, args.critical / 2)
    )
    for name in ("recovery-buckets", "renotify-warning-minutes", "renotify-critical-minutes"):
        value = getattr(args, name.replace("-", "_"), None)
        if value is not None:
            values[name] = str(value)
    try:
        return parse_config(args.monitor, "", values)
    except ConfigurationError as error:
        problem = error.problem.removeprefix("invalid monitor configuration: ")
        # Without recovery flags (check), the recovery follows its threshold: name that flag.
        derived = {} if hasattr(args, "warning_recovery") else DERIVED_RECOVERY
        for name, flag in (FLAG_OF_PARAMETER | derived).items():
            problem = problem.replace(name, flag)
        raise CliError(f"invalid thresholds: {problem}", "change the flags named above") from None


def _ultravox(base_url: str | None) -> UltravoxClient:
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise CliError(
            f"the Ultravox base URL {url[:60]!r} is not an http:// or https:// URL",
            f"pass --base-url (or set {BASE_URL_ENV}) to {DEFAULT_BASE_URL}, or to the "
            "simulator's URL that `make local` prints",
        )
    return UltravoxClient(url, key_parameter=KEY_ENV)


def unreachable_fix(base_url: str | None) -> str:
    """What to do about an unreachable Ultravox, from a laptop rather than from the Lambda."""
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    return (
        f"check that {url} is the right base URL (--base-url or {BASE_URL_ENV}) and that this "
        "machine reaches it; for the local simulator, is `make local` still running? If "
        "Ultravox itself is down or rate-limiting, try again in a few minutes"
    )


def require_aws_credentials(region: str | None) -> None:
    """Fails early, with the laptop's fix, where boto3 would fail late and vaguely."""
    if boto3.session.Session(region_name=region).get_credentials() is None:
        raise CliError(
            "no AWS credentials found",
            "run `aws configure` (or `aws sso login`, or export AWS_PROFILE); to try the CLI "
            "without an account, paste the exports `make local` prints",
        )


def _webhook_from_env() -> Secret:
    webhook = os.environ.get(WEBHOOK_ENV, "").strip()
    if not webhook:
        raise CliError(
            f"{WEBHOOK_ENV} is not set", f"export the Slack webhook URL as {WEBHOOK_ENV}"
        )
    prefixes = _webhook_prefixes()
    if not webhook.startswith(prefixes):
        raise CliError(
            f"{WEBHOOK_ENV} does not start with " + " or ".join(prefixes),
            "use the incoming-webhook URL Slack gave you",
        )
    return Secret(webhook)


def _webhook_prefixes() -> tuple[str, ...]:
    """Slack only, unless the deployment allows a stand-in, as the function's settings do."""
    raw = os.environ.get(PREFIXES_ENV, SLACK_WEBHOOK_PREFIX)
    return tuple(p.strip() for p in raw.split(",") if p.strip()) or (SLACK_WEBHOOK_PREFIX,)


def _check_monitor_name(name: str) -> None:
    if not name or set(name) - MONITOR_NAME_CHARS:
        raise CliError(
            f"--monitor {name[:40]!r} is not a monitor name",
            "use letters, digits, '-', '_' and '.', as in the schedule's input",
        )


def _path(prefix: str, monitor: str) -> str:
    return f"{prefix.rstrip('/')}/{monitor}/"


def _aws_client(service: str, region: str | None) -> Any:
    try:
        return boto3.client(service, region_name=region)  # type: ignore[call-overload]
    except (BotoCoreError, ClientError) as error:
        raise CliError(
            f"cannot make an AWS {service} client ({_aws_code(error)})",
            "pass --region or set AWS_REGION, and configure credentials (aws configure)",
        ) from None


def _stack_outputs(stack: str, region: str | None, wanted: Sequence[str]) -> dict[str, str]:
    cloudformation = _aws_client("cloudformation", region)
    described = _aws_call(
        lambda: cloudformation.describe_stacks(StackName=stack),
        f"describe stack {stack}",
        "check the stack name and region, and that you may call cloudformation:DescribeStacks",
    )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    missing = [name for name in wanted if name not in outputs]
    if missing:
        raise CliError(
            f"stack {stack} has no output {', '.join(missing)}",
            "deploy ceilingwatch's template.yaml under that stack name",
        )
    return outputs


def _aws_call(call: Callable[[], Any], doing: str, fix: str, secrets: Sequence[str] = ()) -> Any:
    try:
        return call()
    except (BotoCoreError, ClientError) as error:
        message = _aws_code(error)
        for secret in secrets:
            if secret:
                message = message.replace(secret, "****")
        raise CliError(f"could not {doing} ({message})", fix) from None


def _aws_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(error).__name__))
    return type(error).__name__


def _terminal() -> tuple[int, int]:
    """Chart width and rows: the terminal's, honouring COLUMNS and LINES when piped."""
    size = shutil.get_terminal_size((100, 40))
    return size.columns, max(8, min(20, size.lines - 12))


def use_colour(stream: TextIO) -> bool:
    """Colour only for a person at a terminal who has not asked for none (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def _masked(text: str) -> str:
    """Masks the secrets this process was handed, in text it did not write itself."""
    for name in (KEY_ENV, WEBHOOK_ENV):
        secret = os.environ.get(name, "").strip()
        if secret:
            text = text.replace(secret, "****")
    return text


def _fail(problem: str, fix: str) -> None:
    print(f"ceilingwatch: error: {problem}", file=sys.stderr)
    if fix:
        print(f"fix: {fix}", file=sys.stderr)
