"""The command line over real sockets: the Ultravox simulator, a moto server, the Slack catcher."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
import requests
from ceilingwatch.cli import main
from moto.server import ThreadedMotoServer

from infra.simulator.ultravox import CONCURRENCY_PATH, UltravoxSimulator
from infra.standins.slack_catcher import SlackCatcher

pytestmark = pytest.mark.integration

API_KEY = f"uvx-itest-{secrets.token_hex(8)}"
WRONG_KEY = f"uvx-wrong-{secrets.token_hex(8)}"
MONITOR = "itest"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def ultravox(monkeypatch: pytest.MonkeyPatch) -> Iterator[UltravoxSimulator]:
    with UltravoxSimulator("rising-to-ceiling", API_KEY) as simulator:
        monkeypatch.setenv("ULTRAVOX_API_KEY", API_KEY)
        monkeypatch.setenv("ULTRAVOX_API_BASE_URL", simulator.base_url)
        monkeypatch.setenv("COLUMNS", "200")
        monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
        yield simulator


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackCatcher]:
    with SlackCatcher() as catcher:
        # The deployment's own switch for a stand-in; real deployments allow only Slack.
        monkeypatch.setenv("CEILINGWATCH_SLACK_WEBHOOK_PREFIXES", catcher.base_url + "/services/")
        yield catcher


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request is noise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    yield endpoint
    # moto keeps its state in process-wide backends: leave nothing for the next module.
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """boto3 pointed at the moto server through AWS_ENDPOINT_URL; returns the topic's ARN."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_PROFILE", "CEILINGWATCH_PARAMETER_PREFIX", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="ceilingwatch-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    table = boto3.client("dynamodb").create_table(
        TableName="ceilingwatch-state",
        AttributeDefinitions=[{"AttributeName": "monitor", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "monitor", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    monkeypatch.setenv("STATE_TABLE_NAME", table["TableDescription"]["TableName"])
    yield topic
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()


def put(name: str, value: str, secure: bool = False) -> None:
    boto3.client("ssm").put_parameter(
        Name=f"/ceilingwatch/{MONITOR}/{name}",
        Value=value,
        Type="SecureString" if secure else "String",
        Overwrite=True,
    )


# --- check --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "code", "verdict"),
    [
        ("2026-11-24T12:31:00", 0, "OK        peak 30 of 50 calls (60%) at 12:30 UTC"),
        ("2026-11-24T12:56:00", 1, "WARNING   peak 42 of 50 calls (84%) at 12:50 UTC"),
        ("2026-11-24T13:31:00", 2, "AT_LIMIT  peak 50 of 50 calls (100%) at 13:25 UTC"),
    ],
)
def test_check_charts_the_hour_and_exits_with_the_level(
    at: str,
    code: int,
    verdict: str,
    ultravox: UltravoxSimulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the simulator's clock at a moment of the rising-to-ceiling scenario
    ultravox.set_clock(utc(at))
    # When check judges that moment
    assert main(["check", "--limit", "50", "--at", at + "Z"]) == code
    out = capsys.readouterr().out
    # Then the chart, the level with its why and the account's own ceiling are printed
    assert "peak calls per 5 min against the limit of 50" in out
    assert "50 ┤━" in out and "40 ┤╌" in out
    assert "▲ bucket in progress" in out
    assert f"\n{verdict}" in out
    assert "warning at 80%, critical at 95%" in out
    assert "account   Ultravox allows 50 concurrent calls (scale tier), the limit is 50" in out
    assert API_KEY not in out
    # And the API was asked for explicit UTC start and end, in 5-minute buckets
    asked = next(r for r in ultravox.requests if r.path == CONCURRENCY_PATH)
    assert asked.query["bucket"] == "5min"
    assert asked.query["end"] == at + "Z"
    assert asked.api_key_valid


def test_check_with_a_bad_key_exits_3_with_the_fix_and_never_the_key(
    ultravox: UltravoxSimulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ULTRAVOX_API_KEY", WRONG_KEY)
    assert main(["check", "--limit", "50"]) == 3
    captured = capsys.readouterr()
    assert "Ultravox rejected the API key (HTTP 401)" in captured.err
    assert "fix: export a valid Ultravox API key as ULTRAVOX_API_KEY" in captured.err
    assert WRONG_KEY not in captured.out + captured.err
    assert API_KEY not in captured.out + captured.err


def test_check_posts_the_alert_to_slack_when_asked(
    ultravox: UltravoxSimulator,
    slack: SlackCatcher,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url())
    ultravox.set_clock(utc("2026-11-24T13:31:00"))
    assert main(["check", "--limit", "50", "--post-to-slack", "--at", "2026-11-24T13:31:00Z"]) == 2
    [message] = slack.messages
    assert message["text"].startswith("🔴 [AT_LIMIT] cli: 50/50 concurrent calls (100%)")
    out = capsys.readouterr().out
    assert "slack     posted the raised AT_LIMIT message" in out
    assert slack.webhook_url() not in out


# --- replay -------------------------------------------------------------------------------------


def test_replay_of_rising_to_ceiling_warns_escalates_and_resolves(
    ultravox: UltravoxSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ultravox.set_clock(utc("2026-11-24T16:31:00"))
    argv = ["replay", "--limit", "50", "--hours", "5", "--at", "2026-11-24T16:31:00Z"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    timeline = [line for line in out.splitlines() if line.startswith("2026-11-24 ")]
    assert [line.split()[1:4] for line in timeline] == [
        ["12:36", "forecast", "WARNING"],
        ["12:46", "raised", "WARNING"],
        ["13:21", "escalated", "CRITICAL"],
        ["13:31", "escalated", "AT_LIMIT"],
        ["14:31", "reminder", "CRITICAL"],
        ["15:26", "resolved", "OK"],
    ]
    assert "peak 41 of 50 calls (82%) at 12:40 UTC" in timeline[1]
    assert "6 messages would have been sent: 1 forecast, 1 raised" in out
    assert "Replayed with completed buckets only" in out
    # and the forecast backtest: this scenario wobbles at 80 % for 40 minutes after its climb,
    # so the limit came later than the 30 minutes the FORECAST spoke of: a false one, told so
    assert "Forecast backtest (forecast-minutes 30 min): 1 FORECAST (1 false)" in out
    assert re.search(r"12:36  FORECAST ~\d+ min at \d+ calls: limit reached 13:25 UTC", out)
    assert "(later than forecast-minutes: counted false)" in out
    # The history is fetched once, then replayed in memory.
    assert sum(1 for r in ultravox.requests if r.path == CONCURRENCY_PATH) == 1


# --- doctor -------------------------------------------------------------------------------------


def configure(key: str, webhook: str) -> None:
    put("concurrency-limit", "50")
    put("ultravox-api-key", key, secure=True)
    put("slack-webhook-url", webhook, secure=True)


def test_doctor_reports_all_good_without_posting_to_slack(
    aws: str,
    ultravox: UltravoxSimulator,
    slack: SlackCatcher,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(API_KEY, slack.webhook_url())
    ultravox.set_clock(utc("2026-11-24T13:29:30"))  # at the ceiling: 50 calls now
    assert main(["doctor", "--monitor", MONITOR]) == 0
    out = capsys.readouterr().out
    marks = [line[0] for line in out.splitlines() if line and line[0] in "✔✘·"]
    assert marks == ["✔"] * 4 + ["·"] * 2 + ["✔"] * 2, out
    assert "✔ Ultravox accepted the key" in out
    assert "· calls now: 50 (Ultravox's activeCalls)" in out  # the scenario's last minute
    assert "· live feed: off" in out
    assert "✔ Slack webhook exists (an empty probe got 400 invalid_payload; not posted)" in out
    assert "✔ SNS topic has 1 confirmed subscription(s): 1 email" in out
    assert "All good." in out
    # The probe reached the webhook, and Slack would have posted nothing.
    assert [d.status for d in slack.deliveries] == [400]
    assert slack.messages == []
    assert API_KEY not in out and slack.webhook_url() not in out


def test_doctor_reports_a_wrong_key_with_the_fix(
    aws: str,
    ultravox: UltravoxSimulator,
    slack: SlackCatcher,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(WRONG_KEY, slack.webhook_url())
    assert main(["doctor", "--monitor", MONITOR]) == 3
    out = capsys.readouterr().out
    assert "✘ Ultravox key: Ultravox rejected the API key (HTTP 401)" in out
    assert f"fix: put a valid key in /ceilingwatch/{MONITOR}/ultravox-api-key" in out
    assert "1 problem found." in out
    assert WRONG_KEY not in out


def test_doctor_reports_a_revoked_webhook(
    aws: str,
    ultravox: UltravoxSimulator,
    slack: SlackCatcher,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slack.respond_with(404)
    configure(API_KEY, slack.webhook_url())
    assert main(["doctor", "--monitor", MONITOR, "--topic-arn", aws]) == 3
    out = capsys.readouterr().out
    assert "✘ Slack webhook: Slack does not know this webhook (404)" in out
    assert "fix: create a new incoming webhook" in out
    assert slack.webhook_url() not in out


# --- test-alert ---------------------------------------------------------------------------------


def test_test_alert_sends_through_sns_and_slack(
    aws: str, slack: SlackCatcher, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(API_KEY, slack.webhook_url())
    assert main(["test-alert", "--monitor", MONITOR]) == 0
    out = capsys.readouterr().out
    assert "✔ email: sent\n" in out
    assert "✔ slack: sent" in out
    [message] = slack.messages
    assert "Test alert for itest" in message["blocks"][0]["text"]["text"]


def test_test_alert_reports_each_channel_when_one_fails(
    aws: str, slack: SlackCatcher, capsys: pytest.CaptureFixture[str]
) -> None:
    slack.respond_with(410)
    configure(API_KEY, slack.webhook_url())
    assert main(["test-alert", "--monitor", MONITOR]) == 3
    out = capsys.readouterr().out
    assert "✔ email: sent\n" in out
    assert "✘ slack: refused: the webhook's channel is archived (410)" in out
    assert slack.webhook_url() not in out


@pytest.mark.parametrize(
    ("at", "forecast"),
    [
        # mid-climb: the nowcast speaks
        ("2026-11-24T12:36:00", "forecast  at this rate the limit in ~25 min (rising 3.3 calls"),
        # at the limit: nothing to project
        ("2026-11-24T13:41:00", "forecast  no confident rise to project"),
    ],
)
def test_check_says_how_long_until_the_limit_at_this_rate(
    at: str, forecast: str, ultravox: UltravoxSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ultravox.set_clock(utc(at))
    main(["check", "--limit", "50", "--at", at + "Z"])
    assert forecast in capsys.readouterr().out
