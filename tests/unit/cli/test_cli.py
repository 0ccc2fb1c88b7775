"""The command line, in-process: usage errors, exit codes, the why, and secrets never printed."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from ceilingwatch import cli
from ceilingwatch.cli import check, common, doctor, entry, put_secrets, replay
from ceilingwatch.cli import terminal as output
from ceilingwatch.common.errors import (
    ChannelError,
    MonitorError,
    UltravoxAuthError,
    UltravoxUnavailableError,
)
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.messages import format_slack
from ceilingwatch.domain.ports import Account, Context
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket, TimeSeries, floor_to_bucket
from moto import mock_aws

from tests.support.builders import API_KEY, WEBHOOK

AT = datetime(2026, 11, 24, 13, 1, tzinfo=UTC)  # one minute into the 13:00 bucket
AT_FLAG = ["--at", "2026-11-24T13:01:00Z"]


@dataclass
class FakeUltravox:
    """Stands in for UltravoxClient: peaks by bucket start, keys it was handed, no network."""

    peak_at: Callable[[datetime], int] = lambda start: 10
    allowed: int | None = 50
    error: MonitorError | None = None
    base_url: str = ""
    key_parameter: str = ""
    keys: list[str] = field(default_factory=list)
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)

    def concurrency(
        self, key: Secret, start: datetime, end: datetime, *, deadline: float
    ) -> TimeSeries:
        self.keys.append(key.reveal())
        self.windows.append((start, end))
        if self.error is not None:
            raise self.error
        slots = []
        slot = floor_to_bucket(start)
        while slot < end:
            slots.append(ConcurrencyBucket(slot, self.peak_at(slot)))
            slot += BUCKET
        return TimeSeries(tuple(slots))

    def account(self, key: Secret, *, deadline: float) -> Account:
        return Account(self.allowed, 0, "scale")


@dataclass
class FakeSlack:
    name: str = "slack"
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    error: ChannelError | None = None

    webhook: Secret | None = None

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        if self.error is not None:
            raise self.error
        assert self.webhook is not None
        self.sent.append((self.webhook.reveal(), format_slack(note, context.links)))
        return {}

    def build(self, webhook: Secret, poster: object, **options: object) -> FakeSlack:
        self.webhook = webhook
        return self


@pytest.fixture
def ultravox(monkeypatch: pytest.MonkeyPatch) -> FakeUltravox:
    fake = FakeUltravox()

    def build(base_url: str, **options: Any) -> FakeUltravox:
        fake.base_url = base_url
        return fake

    monkeypatch.setattr(common, "ultravox_client", build)
    monkeypatch.setenv("ULTRAVOX_API_KEY", API_KEY)
    monkeypatch.delenv("ULTRAVOX_API_BASE_URL", raising=False)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("CEILINGWATCH_SLACK_WEBHOOK_PREFIXES", raising=False)
    # Wide enough that no line wraps; test_lines_wrap_at_the_terminal_width narrows it.
    monkeypatch.setenv("COLUMNS", "200")
    return fake


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    fake = FakeSlack()
    monkeypatch.setattr(check, "slack_channel", lambda config, webhook: fake.build(webhook, None))
    return fake


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "ALERT_TOPIC_ARN", "STATE_TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def stdin(monkeypatch: pytest.MonkeyPatch, text: str, tty: bool = False) -> None:
    stream = io.StringIO(text)
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", stream)


def peaks(before: int, recent: int) -> Callable[[datetime], int]:
    """`recent` calls in the buckets from 12:25 on, `before` earlier in the hour."""
    return lambda start: recent if start >= datetime(2026, 11, 24, 12, 25, tzinfo=UTC) else before


# --- usage errors -------------------------------------------------------------------------------


def test_no_command_is_a_usage_error_with_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 3  # not argparse's 2, which a script would read as CRITICAL
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--post-to-slack" in out
    assert "ULTRAVOX_API_KEY" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check"], "the following arguments are required: --limit"),
        (["check", "--limit", "many"], "argument --limit: invalid int value: 'many'"),
        (["check", "--limit", "0"], "--limit = '0' is not a positive whole number of calls"),
        (["check", "--limit", "50", "--hours", "0"], "--hours: must be more than 0"),
        (["check", "--limit", "50", "--at", "yesterday"], "not an ISO-8601 time"),
        (
            ["check", "--limit", "50", "--warning", "96", "--critical", "95"],
            "--warning (96) must be below --critical (95)",
        ),
        (
            ["replay", "--limit", "50", "--warning", "80", "--warning-recovery", "85"],
            "--warning-recovery (85) must be below --warning (80)",
        ),
        (["replay", "--limit", "50", "--recovery-buckets", "13"], "--recovery-buckets = '13' is"),
        (
            ["replay", "--limit", "50", "--recovery-buckets", "0"],
            "--recovery-buckets = '0' is not a whole number of buckets from 1 to 12",
        ),
        (["check", "--limit", "50", "--critical", "150"], "percentage from 1 to 100, not 150"),
        (["check", "--limit", "50", "--warning", "1"], "--warning implies"),
        (["put-secrets"], "the following arguments are required: --monitor"),
        (["put-secrets", "--monitor", "prod east"], "--monitor 'prod east' is not a monitor"),
        (["doctor", "--monitor", "p", "--stack-name", "s", "--topic-arn", "t"], "not allowed"),
    ],
)
def test_argument_errors_name_the_flag_and_exit_3(
    argv: list[str],
    message: str,
    ultravox: FakeUltravox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(argv) == 3
    err = capsys.readouterr().err
    assert message in err
    assert ultravox.keys == []  # nothing was fetched
    if argv[0] == "check":  # check has no recovery flags: it never names one
        assert "-recovery" not in err


def test_missing_api_key_exits_3_and_says_how_to_set_it(
    ultravox: FakeUltravox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ULTRAVOX_API_KEY")
    assert cli.main(["check", "--limit", "50"]) == 3
    err = capsys.readouterr().err
    assert "ULTRAVOX_API_KEY is not set" in err
    assert "read -rs ULTRAVOX_API_KEY" in err
    assert ultravox.keys == []


def test_the_key_is_never_a_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--limit", "50", "--api-key", API_KEY]) == 3
    err = capsys.readouterr().err
    assert "unrecognized arguments: --api-key ... (the API key is read from ULTRAVOX_API_KEY" in err
    assert API_KEY not in err


# --- check --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recent", "code", "level", "why"),
    [
        (30, 0, "OK", "peak 30 of 50 calls (60%) at 12:25 UTC; 20 calls of headroom"),
        (41, 1, "WARNING", "peak 41 of 50 calls (82%) at 12:25 UTC; 9 calls of headroom"),
        (48, 2, "CRITICAL", "peak 48 of 50 calls (96%) at 12:25 UTC; 2 calls of headroom"),
        (50, 2, "AT_LIMIT", "peak 50 of 50 calls (100%) at 12:25 UTC; no headroom"),
    ],
)
def test_check_prints_chart_level_and_why_and_exits_with_the_level(
    recent: int,
    code: int,
    level: str,
    why: str,
    ultravox: FakeUltravox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ultravox.peak_at = peaks(before=10, recent=recent)
    assert cli.main(["check", "--limit", "50", *AT_FLAG]) == code
    out = capsys.readouterr().out
    assert "peak calls per 5 min against the limit of 50, 2026-11-24 12:00 to 13:05 UTC" in out
    assert "50 ┤" in out and "40 ┤" in out  # the limit and the warning line
    assert f"\n{level:<9} {why}; warning at 80%, critical at 95%\n" in out
    assert "▲ bucket in progress" in out


def test_check_asks_for_the_hours_in_explicit_utc(
    ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "--limit", "50", "--hours", "2", *AT_FLAG]) == 0
    assert ultravox.windows == [(datetime(2026, 11, 24, 11, 0, tzinfo=UTC), AT)]
    assert ultravox.base_url == "https://api.ultravox.ai"
    assert ultravox.keys == [API_KEY]
    assert API_KEY not in capsys.readouterr().out


def test_check_takes_base_url_from_flag_over_environment(
    ultravox: FakeUltravox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ULTRAVOX_API_BASE_URL", "http://127.0.0.1:9")
    cli.main(["check", "--limit", "50", *AT_FLAG])
    assert ultravox.base_url == "http://127.0.0.1:9"
    cli.main(["check", "--limit", "50", "--base-url", "http://127.0.0.1:8", *AT_FLAG])
    assert ultravox.base_url == "http://127.0.0.1:8"


@pytest.mark.parametrize(
    ("allowed", "line"),
    [
        (50, "account   Ultravox allows 50 concurrent calls (scale tier), the limit is 50: fine"),
        (None, "account   Ultravox sets no fixed ceiling for this account (scale tier)"),
        (
            40,
            "account   Ultravox allows this account 40 concurrent calls, below the configured "
            "limit of 50: calls past 40 will get HTTP 429 before any alert fires. Fix: lower "
            "--limit to 40",  # the flag, not the parameter: there is none on a laptop
        ),
    ],
)
def test_check_cross_checks_the_accounts_own_ceiling(
    allowed: int | None, line: str, ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    ultravox.allowed = allowed
    cli.main(["check", "--limit", "50", *AT_FLAG])
    assert line in capsys.readouterr().out


def test_check_with_a_refused_key_exits_3_with_the_fix_and_without_the_key(
    ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    ultravox.error = UltravoxAuthError("Ultravox rejected the API key (HTTP 401)", "irrelevant")
    assert cli.main(["check", "--limit", "50", *AT_FLAG]) == 3
    captured = capsys.readouterr()
    assert "error: Ultravox rejected the API key (HTTP 401)" in captured.err
    assert "fix: export a valid Ultravox API key as ULTRAVOX_API_KEY" in captured.err
    assert API_KEY not in captured.out + captured.err


def test_check_sends_nothing_unless_asked(
    ultravox: FakeUltravox, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", WEBHOOK)
    ultravox.peak_at = peaks(before=10, recent=45)
    assert cli.main(["check", "--limit", "50", *AT_FLAG]) == 1
    assert slack.sent == []


def test_post_to_slack_posts_the_alert_and_never_prints_the_webhook(
    ultravox: FakeUltravox,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", WEBHOOK)
    ultravox.peak_at = peaks(before=10, recent=45)
    assert cli.main(["check", "--limit", "50", "--post-to-slack", *AT_FLAG]) == 1
    [(webhook, payload)] = slack.sent
    assert webhook == WEBHOOK
    assert payload["text"].startswith("🟡 [WARNING] cli: 45/50 concurrent calls (90%)")
    captured = capsys.readouterr()
    assert "slack     posted the raised WARNING message" in captured.out
    assert WEBHOOK not in captured.out + captured.err


def test_post_to_slack_while_ok_posts_nothing(
    ultravox: FakeUltravox,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", WEBHOOK)
    assert cli.main(["check", "--limit", "50", "--post-to-slack", *AT_FLAG]) == 0
    assert slack.sent == []
    assert "nothing to post" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("webhook", "message"),
    [
        (None, "SLACK_WEBHOOK_URL is not set"),
        ("https://example.com/hook/secret-token-123", "SLACK_WEBHOOK_URL does not start with"),
    ],
)
def test_post_to_slack_without_a_usable_webhook_fails_before_fetching(
    webhook: str | None,
    message: str,
    ultravox: FakeUltravox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if webhook:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", webhook)
    assert cli.main(["check", "--limit", "50", "--post-to-slack", *AT_FLAG]) == 3
    err = capsys.readouterr().err
    assert message in err
    assert "secret-token-123" not in err
    assert ultravox.keys == []


def test_a_failed_slack_post_exits_3(
    ultravox: FakeUltravox,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", WEBHOOK)
    ultravox.peak_at = peaks(before=10, recent=45)
    slack.error = ChannelError("Slack does not know this webhook (404)")
    assert cli.main(["check", "--limit", "50", "--post-to-slack", *AT_FLAG]) == 3
    assert "Slack does not know this webhook (404)" in capsys.readouterr().err


def test_no_data_is_said_and_exits_0(
    ultravox: FakeUltravox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ultravox, "concurrency", lambda *args, **kw: TimeSeries(()))
    assert cli.main(["check", "--limit", "50", *AT_FLAG]) == 0
    assert "NO_DATA  Ultravox returned no buckets from 12:00 to 13:01 UTC" in (
        capsys.readouterr().out
    )


def test_an_unexpected_failure_exits_3_not_1_and_masks_the_key(
    ultravox: FakeUltravox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kw: Any) -> TimeSeries:
        raise ValueError(f"cannot use {API_KEY}")

    monkeypatch.setattr(ultravox, "concurrency", broken)
    assert cli.main(["check", "--limit", "50", *AT_FLAG]) == 3  # 1 would read as WARNING
    err = capsys.readouterr().err
    assert "error: unexpected ValueError: cannot use ****" in err
    assert API_KEY not in err


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert output.use_colour(terminal)
    assert not output.use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not output.use_colour(terminal)


# --- replay -------------------------------------------------------------------------------------


def test_replay_lists_what_would_have_been_sent(
    ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a history that rises to the limit for two buckets and falls back
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    shape = {6: 41, 7: 50, 8: 50, 9: 20}
    ultravox.peak_at = lambda slot: shape.get((slot - start) // BUCKET, 10)
    # When it is replayed over three hours
    argv = ["replay", "--limit", "50", "--hours", "3", "--at", "2026-11-24T15:01:00Z"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    # Then each message shows at the tick after its bucket completed
    assert "2026-11-24 12:36  raised           WARNING   peak 41 of 50 calls (82%)" in out
    assert "2026-11-24 12:41  escalated        AT_LIMIT  peak 50 of 50 calls (100%)" in out
    assert "2026-11-24 12:56  resolved         OK        last 2 completed buckets below 70%" in out
    assert "3 messages would have been sent: 1 raised, 1 escalated, 1 resolved." in out
    assert "Replayed with completed buckets only" in out
    assert "▲" not in out  # no bucket in progress is shown or judged
    assert ultravox.windows == [(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), ultravox.windows[0][1])]


def test_replay_thresholds_change_what_would_be_sent(
    ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    ultravox.peak_at = lambda slot: 42 if (slot - start) // BUCKET == 6 else 10
    argv = ["replay", "--limit", "50", "--hours", "3", "--at", "2026-11-24T15:01:00Z"]
    assert cli.main([*argv, "--warning", "90", "--critical", "98"]) == 0
    assert "No message would have been sent." in capsys.readouterr().out


def test_replay_reminds_at_the_renotify_interval(ultravox: FakeUltravox) -> None:
    history = tuple(
        ConcurrencyBucket(datetime(2026, 11, 24, 12, 0, tzinfo=UTC) + i * BUCKET, 48)
        for i in range(30)
    )
    args = entry.build_parser().parse_args(
        ["replay", "--limit", "50", "--renotify-critical-minutes", "30"]
    )
    config = common.config_from_flags(args, API_KEY)
    sent = replay.would_send(history, config, until=history[-1].end)
    assert [(e.tick.strftime("%H:%M"), e.note.kind.value) for e in sent] == [
        ("12:06", "raised"),
        ("12:36", "reminder"),
        ("13:06", "reminder"),
        ("13:36", "reminder"),
        ("14:06", "reminder"),
    ]


# --- put-secrets --------------------------------------------------------------------------------


def stored(names: list[str]) -> dict[str, tuple[str, str]]:
    ssm = boto3.client("ssm")
    found = ssm.get_parameters(Names=names, WithDecryption=True)["Parameters"]
    return {p["Name"]: (p["Type"], p["Value"]) for p in found}


KEY_NAME = "/ceilingwatch/prod/ultravox-api-key"
WEBHOOK_NAME = "/ceilingwatch/prod/slack-webhook-url"


def test_put_secrets_reads_stdin_when_not_a_tty_and_prints_only_names(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, f"{API_KEY}\n{WEBHOOK}\n")
    assert cli.main(["put-secrets", "--monitor", "prod"]) == 0
    assert stored([KEY_NAME, WEBHOOK_NAME]) == {
        KEY_NAME: ("SecureString", API_KEY),
        WEBHOOK_NAME: ("SecureString", WEBHOOK),
    }
    captured = capsys.readouterr()
    assert f"wrote {KEY_NAME} (SecureString)" in captured.out
    assert f"wrote {WEBHOOK_NAME} (SecureString)" in captured.out
    assert API_KEY not in captured.out + captured.err
    assert WEBHOOK not in captured.out + captured.err


def test_put_secrets_overwrites_and_honours_prefix_and_region(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/team/prod/ultravox-api-key", Value="old-key", Type="SecureString"
    )
    stdin(monkeypatch, "new-key-0123456789\n\n")
    argv = ["put-secrets", "--monitor", "prod", "--prefix", "/team/", "--region", "eu-west-1"]
    assert cli.main(argv) == 0
    ssm = boto3.client("ssm", region_name="eu-west-1")
    found = ssm.get_parameter(Name="/team/prod/ultravox-api-key", WithDecryption=True)
    assert found["Parameter"]["Value"] == "new-key-0123456789"


def test_put_secrets_with_an_empty_webhook_writes_only_the_key(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, f"{API_KEY}\n\n")
    assert cli.main(["put-secrets", "--monitor", "prod"]) == 0
    assert set(stored([KEY_NAME, WEBHOOK_NAME])) == {KEY_NAME}
    assert "no Slack webhook given" in capsys.readouterr().out


def test_put_secrets_refuses_a_webhook_that_is_not_slack_without_echoing_it(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, f"{API_KEY}\nhttps://hooks.example.com/services/leaky-token-42\n")
    assert cli.main(["put-secrets", "--monitor", "prod"]) == 3
    captured = capsys.readouterr()
    assert "does not start with https://hooks.slack.com/" in captured.err
    assert "leaky-token-42" not in captured.out + captured.err
    assert API_KEY not in captured.out + captured.err
    assert stored([KEY_NAME, WEBHOOK_NAME]) == {}  # nothing half-written


def test_put_secrets_refuses_an_empty_key(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, "\n\n")
    assert cli.main(["put-secrets", "--monitor", "prod"]) == 3
    assert "no Ultravox API key given" in capsys.readouterr().err


def test_put_secrets_prompts_without_echo_on_a_tty(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, "", tty=True)
    answers = {"Ultravox API key: ": API_KEY, "Slack webhook URL (empty to skip): ": WEBHOOK}
    prompts: list[str] = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return answers[prompt]

    monkeypatch.setattr(put_secrets.getpass, "getpass", getpass)
    assert cli.main(["put-secrets", "--monitor", "prod"]) == 0
    assert prompts == list(answers)
    assert set(stored([KEY_NAME, WEBHOOK_NAME])) == {KEY_NAME, WEBHOOK_NAME}
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err


# --- doctor -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscriptions", "passed", "says"),
    [
        (
            [{"SubscriptionArn": "arn:aws:sns:us-east-1:1:t:abc", "Protocol": "email"}],
            True,
            "SNS topic has 1 confirmed subscription(s): 1 email",
        ),
        (
            [{"SubscriptionArn": "PendingConfirmation", "Protocol": "email"}],
            False,
            "1 subscription(s) still pending confirmation",
        ),
        ([], False, "no subscription, so nobody gets the email alerts"),
    ],
)
def test_topic_needs_a_confirmed_subscription(
    subscriptions: list[dict[str, Any]], passed: bool, says: str
) -> None:
    finding = doctor.topic_finding("arn:aws:sns:us-east-1:1:t", subscriptions)
    assert finding.passed is passed
    assert says in finding.what
    assert bool(finding.fix) is not passed


def test_doctor_reports_missing_parameters_and_exits_1(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    assert cli.main(["doctor", "--monitor", "prod"]) == 3
    out = capsys.readouterr().out
    assert "✘ parameters under /ceilingwatch/prod/: invalid monitor configuration" in out
    assert "/ceilingwatch/prod/concurrency-limit is missing" in out
    assert "✘ Ultravox key: not checked" in out
    assert "✔ SNS topic has 1 confirmed subscription(s): 1 email" in out
    assert "3 problems found." in out


MISSING_TOPIC = "arn:aws:sns:us-east-1:123456789012:missing"


def test_doctor_flags_secrets_stored_as_plain_strings(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/ceilingwatch/prod/concurrency-limit", Value="50", Type="String")
    ssm.put_parameter(Name=KEY_NAME, Value=API_KEY, Type="String")
    monkeypatch.setattr(doctor, "ultravox_findings", lambda config, base_url: [])
    assert cli.main(["doctor", "--monitor", "prod", "--topic-arn", MISSING_TOPIC]) == 3
    out = capsys.readouterr().out
    assert f"✘ {KEY_NAME} is not SecureString" in out
    assert "fix: rewrite them with: ceilingwatch put-secrets --monitor prod" in out
    assert "· Slack webhook: none configured" in out
    assert f"✘ SNS topic {MISSING_TOPIC}: could not list subscriptions (NotFound)" in out
    assert API_KEY not in out


# --- test-alert ---------------------------------------------------------------------------------


def test_test_alert_needs_the_stack_or_its_environment(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["test-alert", "--monitor", "prod"]) == 3
    err = capsys.readouterr().err
    assert "lacks STATE_TABLE_NAME, ALERT_TOPIC_ARN" in err


STACK = {
    "Resources": {
        "AlertTopic": {"Type": "AWS::SNS::Topic"},
        "StateTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "AttributeDefinitions": [{"AttributeName": "monitor", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "monitor", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        },
    },
    "Outputs": {
        "AlertTopicArn": {"Value": {"Ref": "AlertTopic"}},
        "StateTableName": {"Value": {"Ref": "StateTable"}},
    },
}


def test_test_alert_reads_the_stack_and_sends_through_sns(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("cloudformation").create_stack(StackName="cw", TemplateBody=json.dumps(STACK))
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/ceilingwatch/prod/concurrency-limit", Value="50", Type="String")
    ssm.put_parameter(Name=KEY_NAME, Value=API_KEY, Type="SecureString")
    assert cli.main(["test-alert", "--monitor", "prod", "--stack-name", "cw"]) == 0
    out = capsys.readouterr().out
    assert "✔ email: sent\n" in out
    assert "slack: no slack-webhook-url parameter, so Slack was not tried" in out
    assert API_KEY not in out


def test_a_time_window_is_never_in_the_future(ultravox: FakeUltravox) -> None:
    cli.main(["check", "--limit", "50"])
    start, end = ultravox.windows[0]
    assert end - start <= timedelta(hours=1, minutes=5)
    assert end <= datetime.now(UTC)


def test_version_prints_the_package_version_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    from ceilingwatch import __version__

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ceilingwatch {__version__}"


def test_ctrl_c_prints_one_line_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(check, "run", interrupted)
    monkeypatch.setenv("ULTRAVOX_API_KEY", API_KEY)
    assert cli.main(["check", "--limit", "50"]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip() == "ceilingwatch: interrupted"
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.parametrize("hours", ["1", "6", "24"])
def test_check_judges_the_last_hour_whatever_the_chart_shows(
    hours: str, ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the limit reached five hours ago and 13 calls now
    five_hours_ago = floor_to_bucket(AT - timedelta(hours=5))
    ultravox.peak_at = lambda start: 50 if start == five_hours_ago else 13
    # When check looks back one, six or 24 hours
    code = cli.main(["check", "--limit", "50", "--hours", hours, *AT_FLAG])
    # Then the verdict and the exit code are the last hour's, as the monitor's would be
    out = capsys.readouterr().out
    assert code == 0
    assert "\nOK        peak 13 of 50 calls (26%)" in out
    top_row = next(line for line in out.splitlines() if line.startswith("50 ┤"))
    # The older peak is still charted when the chart reaches back to it.
    assert ("█" in top_row) is (hours != "1")


def test_an_unreachable_ultravox_gets_a_laptop_fix_not_the_lambdas(
    ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    ultravox.error = UltravoxUnavailableError(
        "could not connect to Ultravox at http://127.0.0.1:9 (connection refused)",
        "nothing if it clears within a few runs: Ultravox is down",
    )
    assert cli.main(["check", "--limit", "50", "--base-url", "http://127.0.0.1:9"]) == 3
    err = capsys.readouterr().err
    assert "within a few runs" not in err
    assert "fix: check that http://127.0.0.1:9 is the right base URL" in err
    assert "make local" in err


@pytest.mark.parametrize("url", ["api.ultravox.ai", "http://", "ftp://uv.test"])
def test_a_malformed_base_url_is_refused_before_any_request(
    url: str, ultravox: FakeUltravox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "--limit", "50", "--base-url", url]) == 3
    assert "is not an http:// or https:// URL" in capsys.readouterr().err
    assert ultravox.keys == []


@pytest.mark.parametrize("command", ["doctor", "put-secrets", "test-alert"])
def test_no_aws_credentials_says_so_instead_of_blaming_a_role(
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    stdin(monkeypatch, f"{API_KEY}\n\n")
    assert cli.main([command, "--monitor", "prod"]) == 3
    err = capsys.readouterr().err
    assert "no AWS credentials found" in err and "aws configure" in err
    assert "role" not in err


@pytest.mark.parametrize("columns", ["40", "60"])
def test_lines_wrap_at_the_terminal_width_between_words(
    columns: str,
    ultravox: FakeUltravox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    ultravox.peak_at = peaks(before=10, recent=48)
    assert cli.main(["check", "--limit", "50", *AT_FLAG]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= int(columns) for line in lines), lines
    start = next(i for i, line in enumerate(lines) if line.startswith("CRITICAL"))
    end = next(i for i, line in enumerate(lines) if line.startswith("forecast"))
    words = " ".join(line.strip() for line in lines[start:end]).removeprefix("CRITICAL").split()
    # Every word whole: the reason reads the same as on one line.
    assert " ".join(words) == (
        "peak 48 of 50 calls (96%) at 12:25 UTC; 2 calls of headroom; warning at 80%, "
        "critical at 95%"
    )


@pytest.mark.parametrize("command", ["put-secrets", "doctor", "test-alert"])
@pytest.mark.parametrize("name", ["prod.eu", "-prod", "a" * 65])
def test_monitor_names_the_template_refuses_are_refused_first(
    command: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([command, f"--monitor={name}"]) == 3
    err = capsys.readouterr().err
    assert "is not a monitor name" in err and "letters, digits, '-' and '_'" in err


def test_put_secrets_only_stores_one_checked_channel_secret(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    routing_key = "R0UT1NGKEY0123456789abcdef012345"
    stdin(monkeypatch, f"{routing_key}\n")
    assert cli.main(["put-secrets", "--monitor", "prod", "--only", "pagerduty-routing-key"]) == 0
    name = "/ceilingwatch/prod/pagerduty-routing-key"
    assert stored([name, KEY_NAME]) == {name: ("SecureString", routing_key)}
    assert routing_key not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("only", "value", "problem"),
    [
        ("teams-webhook-url", "https://contoso.webhook.office.com/leaky-9", "Office 365 connector"),
        ("pagerduty-routing-key", "short-leaky-9", "32 letters and digits"),
    ],
)
def test_put_secrets_only_refuses_a_malformed_secret_without_echoing_it(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    only: str,
    value: str,
    problem: str,
) -> None:
    stdin(monkeypatch, f"{value}\n")
    assert cli.main(["put-secrets", "--monitor", "prod", "--only", only]) == 3
    captured = capsys.readouterr()
    assert problem in captured.err and "leaky-9" not in captured.out + captured.err
    assert stored([f"/ceilingwatch/prod/{only}"]) == {}
