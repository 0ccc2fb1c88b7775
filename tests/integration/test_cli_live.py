"""`ceilingwatch live` and the doctor's live lines over real sockets: the simulator and moto."""
# ruff: noqa: F811 - test_cli.py's fixtures, imported here, are named as the tests' parameters

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from ceilingwatch.adapters.live_calls import LiveCallStore
from ceilingwatch.cli import main
from ceilingwatch.domain.live_calls import CallRecord, CallStage

from infra.simulator.ultravox import UltravoxSimulator
from infra.standins.loopback import refused_url
from tests.integration.test_cli import (  # noqa: F401 - the fixtures, shared
    API_KEY,
    MONITOR,
    aws,
    moto_endpoint,
    put,
    ultravox,
)

pytestmark = pytest.mark.integration

RECEIVER = "https://abcdefghij.lambda-url.us-east-1.on.aws"
SECRET_PARAMETER = f"/ceilingwatch/{MONITOR}/ultravox-webhook-secret"


def configure() -> None:
    put("concurrency-limit", "50")
    put("ultravox-api-key", API_KEY, secure=True)


def stored() -> str | None:
    ssm = boto3.client("ssm")
    try:
        found = ssm.get_parameter(Name=SECRET_PARAMETER, WithDecryption=True)["Parameter"]
    except ssm.exceptions.ParameterNotFound:
        return None
    assert found["Type"] == "SecureString"
    return str(found["Value"])


def hooks(sim: UltravoxSimulator) -> list[dict[str, object]]:
    return [h.public() for h in sim.live.webhooks.all()]


def enable(*extra: str, url: str = RECEIVER) -> int:
    return main(["live", "enable", "--monitor", MONITOR, "--url", url, *extra])


def test_enable_makes_one_webhook_stores_its_secret_and_never_prints_it(
    aws: str, ultravox: UltravoxSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    configure()
    assert enable() == 0
    assert enable() == 0  # again: the same webhook, the same secret
    out = capsys.readouterr().out
    [hook] = hooks(ultravox)
    assert hook["url"] == f"{RECEIVER}/{MONITOR}"
    assert hook["events"] == ["call.started", "call.joined", "call.ended"]
    secret = stored()
    assert secret is not None and hook["secrets"] == [secret] and 20 < len(secret) <= 120
    assert secret not in out and API_KEY not in out
    assert "nothing to change" in out


def test_a_webhook_without_our_secret_is_reused_and_given_a_new_one(
    aws: str, ultravox: UltravoxSimulator
) -> None:
    configure()
    body = {"url": f"{RECEIVER}/{MONITOR}", "events": ["call.started"], "secrets": ["lost-one"]}
    ultravox.live.webhooks.answer("POST", "/api/webhooks", {}, body, ultravox.base_url)
    assert enable() == 0
    [hook] = hooks(ultravox)
    assert hook["secrets"] == [stored()] and "lost-one" not in json.dumps(hook)


def test_rotation_keeps_both_secrets_until_the_next_enable(
    aws: str, ultravox: UltravoxSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    configure()
    assert enable() == 0
    old = stored()
    assert enable("--rotate") == 0
    new = stored()
    assert new != old and hooks(ultravox)[0]["secrets"] == [old, new]
    assert enable() == 0
    assert hooks(ultravox)[0]["secrets"] == [new]
    out = capsys.readouterr().out
    assert str(old) not in out and str(new) not in out
    assert "rotation finished" in out


def test_disable_deletes_the_webhook_and_the_secret_and_may_run_twice(
    aws: str, ultravox: UltravoxSimulator
) -> None:
    configure()
    assert enable() == 0
    other = {"url": "https://elsewhere.test/hook", "events": ["call.ended"], "secrets": ["x"]}
    ultravox.live.webhooks.answer("POST", "/api/webhooks", {}, other, ultravox.base_url)
    disable = ["live", "disable", "--monitor", MONITOR, "--url", RECEIVER]
    assert main(disable) == 0
    assert [h["url"] for h in hooks(ultravox)] == ["https://elsewhere.test/hook"]
    assert stored() is None
    assert main(disable) == 0


def test_the_url_comes_from_the_stack_output_by_default(
    aws: str, ultravox: UltravoxSimulator
) -> None:
    configure()
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"UltravoxWebhookUrl": {"Value": RECEIVER + "/"}},
    }
    boto3.client("cloudformation").create_stack(
        StackName="ceilingwatch", TemplateBody=json.dumps(template)
    )
    assert main(["live", "enable", "--monitor", MONITOR]) == 0
    assert [h["url"] for h in hooks(ultravox)] == [f"{RECEIVER}/{MONITOR}"]


def test_doctor_shows_an_unhealthy_webhook_its_failures_and_active_calls(
    aws: str, ultravox: UltravoxSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    configure()
    ultravox.set_clock(datetime(2026, 11, 24, 13, 29, 30, tzinfo=UTC))  # at the ceiling: 50
    assert enable(url=refused_url("/receiver")) == 0
    for n in range(3):  # nobody listens there: each delivery fails
        ultravox.live.dispatcher.send("call.started", {"callId": f"c{n}"})
    deadline = time.monotonic() + 10
    while hooks(ultravox)[0]["status"] != "unhealthy":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    capsys.readouterr()
    assert main(["doctor", "--monitor", MONITOR, "--topic-arn", aws]) == 3
    out = capsys.readouterr().out
    assert "· calls now: 50 (Ultravox's activeCalls)" in out
    assert "✘ live feed: webhook" in out and "unhealthy, 3 recent failure(s)" in out
    assert f"ceilingwatch live enable --monitor {MONITOR}" in out
    assert str(stored()) not in out


def live_table(monkeypatch: pytest.MonkeyPatch) -> LiveCallStore:
    """The stack's live calls table, made as template.yaml makes it, named in the environment."""
    from tests.unit.template.test_template import template

    props = template()["Resources"]["LiveCallsTable"]["Properties"]
    boto3.client("dynamodb").create_table(
        TableName="live-calls",
        **{k: props[k] for k in ("AttributeDefinitions", "KeySchema", "LocalSecondaryIndexes")},
        BillingMode=props["BillingMode"],
    )
    monkeypatch.setenv("LIVE_CALLS_TABLE_NAME", "live-calls")
    return LiveCallStore(boto3.client("dynamodb"), "live-calls")


def open_calls(store: LiveCallStore, ids: range) -> None:
    now = datetime.now(UTC)
    for n in ids:
        call = CallRecord(f"c{n}", CallStage.JOINED, now, now + timedelta(hours=1))
        assert store.record(MONITOR, call)


@pytest.fixture
def doctor(aws: str, capsys: pytest.CaptureFixture[str]) -> Callable[[], str]:
    """The monitor configured; each call runs doctor and returns what it printed."""
    configure()

    def run() -> str:
        capsys.readouterr()
        main(["doctor", "--monitor", MONITOR, "--topic-arn", aws])
        return capsys.readouterr().out

    return run


def test_doctor_shows_the_live_count_beside_active_calls_and_says_when_they_differ(
    doctor: Callable[[], str], ultravox: UltravoxSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ultravox.set_clock(datetime(2026, 11, 24, 13, 29, 30, tzinfo=UTC))  # activeCalls: 50
    assert enable() == 0
    store = live_table(monkeypatch)
    open_calls(store, range(47))
    out = doctor()
    assert "· calls now: 50 (Ultravox's activeCalls)" in out
    assert (
        "· live count: 47, differs from activeCalls (50): the feed has not heard of 3 call(s)"
    ) in out
    assert "3 runs in a row below is a live-lag notice" in out
    open_calls(store, range(47, 50))
    assert "✔ live count: 50, the same as activeCalls" in doctor()


def test_doctor_shows_no_live_count_without_the_live_feed(
    doctor: Callable[[], str], ultravox: UltravoxSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_calls(live_table(monkeypatch), range(3))
    out = doctor()
    assert "live feed: off" in out and "live count" not in out


def test_doctor_says_where_the_live_count_comes_from_when_no_table_is_named(
    doctor: Callable[[], str], ultravox: UltravoxSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert enable() == 0
    monkeypatch.delenv("LIVE_CALLS_TABLE_NAME", raising=False)
    out = doctor()
    assert "· live count: not read: no table named" in out
    assert "pass --stack-name, or set LIVE_CALLS_TABLE_NAME" in out
