"""Slack as an app against the Web API stand-in: the real handler, moto, real sockets."""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from ceilingwatch import interactions
from ceilingwatch.bootstrap import build_responders
from ceilingwatch.services.interactions import Responders

from infra.demo.timeline import Context
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Fault, Scenario
from infra.standins.slack_api import DEFAULT_CHANNEL, SlackWebApiStandIn
from tests.support.harness import START, Harness, flat_scenario, harness

T = START + timedelta(hours=2, minutes=1)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "slackapp", "ConcurrencyLimit": "50"}) as local:
        yield local


@contextmanager
def slack_app(
    stack: LocalStack, scenario: Scenario, monitor: str
) -> Iterator[tuple[Harness, SlackWebApiStandIn]]:
    token = f"xoxb-itest-{secrets.token_hex(8)}"
    signing = secrets.token_hex(16)
    with (
        harness(stack, scenario, monitor, channels=()) as h,
        SlackWebApiStandIn(token, signing) as api,
    ):
        h.put("slack-bot-token", token, secure=True)
        h.put("slack-signing-secret", signing, secure=True)
        h.put("slack-channel-id", DEFAULT_CHANNEL)
        h.env["CEILINGWATCH_SLACK_API_URL"] = api.base_url
        h.rebuild()
        yield h, api


def ticks(scenario: Scenario) -> Iterator[datetime]:
    tick = scenario.start + timedelta(hours=1, minutes=1)
    while tick <= scenario.end:
        yield tick
        tick += timedelta(minutes=5)


def test_one_episode_is_one_root_and_its_thread(stack: LocalStack, log: io.StringIO) -> None:
    scenario = Scenario.load("rising-to-ceiling")
    with slack_app(stack, scenario, "episode") as (h, api):
        for at in ticks(scenario):
            h.invoke(at)
        assert api.refused == []
        # A forecast is news of its own, before any episode: a message outside every thread.
        roots = [r for r in api.roots() if not r.header.startswith("🟡 FORECAST")]
        assert all(api.thread(r.ts) == [] for r in api.roots() if r not in roots)
        assert len(roots) == 1, [r.header for r in roots]
        root = roots[0]
        thread = api.thread(root.ts)
        assert [(m.header.split(":")[0], m.reply_broadcast) for m in thread] == [
            ("🟠 CRITICAL", True),
            ("🔴 AT LIMIT", True),
            ("🟠 Reminder, still CRITICAL", False),
            ("✅ Resolved", True),
        ]
        # The root opened as the WARNING and was kept current through every level to the end.
        versions = [v["text"] for v in root.versions] + [root.text]
        assert versions[0].startswith("🟡 WARNING: episode at")
        assert len(versions) == 1 + len(thread)
        assert root.header == "✅ episode: resolved after 2 h 25 min, peak 50/50"
        assert root.buttons() == {}, "an ended episode offers no snooze"
        assert h.state().get("channel_memory", "") == "", "the next episode gets a new root"
        # The bot token and the signing secret reach no log, message or state item.
        seen = log.getvalue() + repr(api.messages) + repr(h.state()) + repr(h.emails())
        for secret in (api.token, api.signing_secret):
            assert secret not in seen


def responders(h: Harness, now: datetime) -> Responders:
    """The interactions function as deployed, on the scenario's clock."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in h.env.items():
            patch.setenv(key, value)
        return replace(build_responders(), clock=lambda: now)


def test_a_snooze_clicked_on_the_root_holds_the_reminder_and_a_rise_still_alerts(
    stack: LocalStack,
) -> None:
    # CRITICAL for 90 minutes (a reminder is due after 60), then AT LIMIT.
    scenario = Scenario.from_dict(
        {
            "start": START.isoformat(),
            "account": {"allowedConcurrentCalls": None},
            "segments": [{"minutes": 210, "hold": 48}, {"minutes": 60, "hold": 50}],
        }
    )
    with slack_app(stack, scenario, "snoozed") as (h, api):
        h.invoke(T)
        (root,) = api.roots()
        at = T + timedelta(minutes=2)
        click = api.click(root.ts, "snooze-4h", timestamp=at.timestamp())
        answer = interactions.lambda_handler(click, Context(), dependencies=responders(h, at))
        assert answer["statusCode"] == 200, answer
        state = h.state()
        assert state["snoozed_by"] == "U0MARIA"
        assert state["snoozed_until"] == "2026-11-24T18:03:00+00:00"
        # Shown on the root and confirmed in the thread, naming the user.
        shown = api.message(root.ts)
        assert any("snoozed by <@U0MARIA> until" in line for line in shown.context_lines())
        assert [m.text.split(" until")[0] for m in api.thread(root.ts)] == [
            "⏸️ snoozed by <@U0MARIA>"
        ]
        for minutes in range(5, 90, 5):  # past the hourly CRITICAL reminder: held
            h.invoke(T + timedelta(minutes=minutes))
        assert len(api.thread(root.ts)) == 1
        assert "snoozed by" in " ".join(api.message(root.ts).context_lines())
        h.invoke(T + timedelta(minutes=95))  # at the limit: a rise goes out through the snooze
        replies = [m.header for m in api.thread(root.ts)]
        assert replies[-1].startswith("🔴 AT LIMIT: snoozed escalated")
        assert len(api.roots()) == 1


def test_acknowledge_stops_the_reminders_of_its_level(stack: LocalStack) -> None:
    scenario = flat_scenario(48, minutes=400)
    with slack_app(stack, scenario, "acked") as (h, api):
        h.invoke(T)
        (root,) = api.roots()
        at = T + timedelta(minutes=1)
        click = api.click(root.ts, "acknowledge", timestamp=at.timestamp(), base64_body=False)
        answer = interactions.lambda_handler(click, Context(), responders(h, at))
        assert answer["statusCode"] == 200, answer
        assert h.state()["acknowledged_level"] == "CRITICAL"
        for minutes in range(5, 185, 5):  # three reminder intervals
            h.invoke(T + timedelta(minutes=minutes))
        assert [m.text.split(" at ")[0] for m in api.thread(root.ts)] == [
            "👀 acknowledged by <@U0MARIA>"
        ]


def test_the_interactions_function_is_deployed_as_the_template_says(stack: LocalStack) -> None:
    aws = stack.client("lambda")
    name = stack.outputs["InteractionsFunctionName"]
    config = aws.get_function_configuration(FunctionName=name)
    assert config["Handler"] == "ceilingwatch.interactions.lambda_handler"
    assert config["Timeout"] == 5
    # A Function URL with no IAM auth: Slack's signature is the auth.
    url = aws.get_function_url_config(FunctionName=name)
    assert url["AuthType"] == "NONE"
    assert stack.outputs["SlackInteractivityUrl"] == url["FunctionUrl"]
    assert "InteractionsFunctionUrl" in stack.replayed
    # Its own role, allowed only to read the parameters and read and write the state.
    iam = stack.client("iam")
    role = config["Role"].rsplit("/", 1)[1]
    assert (
        role
        != aws.get_function_configuration(FunctionName=stack.outputs["CheckFunctionName"])[
            "Role"
        ].rsplit("/", 1)[1]
    )
    actions = sorted(role_actions(iam, role))
    assert actions == [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "kms:Decrypt",
        "ssm:GetParametersByPath",
    ]


def role_actions(iam: Any, role: str) -> Iterator[str]:
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for statement in document["Statement"]:
            action = statement["Action"]
            yield from [action] if isinstance(action, str) else action


SCRIPTED = {
    "invalid_auth": "slack-bot-token",
    "not_authed": "slack-bot-token",
    "account_inactive": "slack-bot-token",
    "token_revoked": "slack-bot-token",
    "channel_not_found": "slack-channel-id",
    "not_in_channel": "slack-channel-id",
}


@pytest.mark.parametrize("error", SCRIPTED)
def test_a_slack_error_answer_is_refused_with_the_parameter_to_fix(
    stack: LocalStack, error: str
) -> None:
    with slack_app(stack, flat_scenario(48), f"err-{error.replace('_', '-')}") as (h, api):
        api.fail_next("chat.postMessage", error)
        result = h.invoke(T)
        told = result["notifications"][0]["slack"]
        assert told.startswith(f"refused: Slack refused chat.postMessage ({error}): ")
        assert SCRIPTED[error] in told
        # Email still carries the alert, and the same run names the refused parameter there.
        alert, notice = h.subjects()
        assert alert.startswith("[CRITICAL]") and "a channel cannot deliver" in notice
        said = h.emails()[1]["Message"]
        assert f"Slack refused chat.postMessage ({error})" in said and SCRIPTED[error] in said
        assert api.roots() == []


def test_a_wrong_token_and_an_unknown_channel_are_told_as_slack_tells_them(
    stack: LocalStack,
) -> None:
    with slack_app(stack, flat_scenario(48), "wrongtoken") as (h, api):
        h.put("slack-bot-token", "xoxb-not-the-apps-token-000", secure=True)
        result = h.invoke(T)
        assert "(invalid_auth)" in result["notifications"][0]["slack"]
        h.put("slack-bot-token", api.token, secure=True)
        h.put("slack-channel-id", "C0NOSUCH01")
        h.rebuild()
        result = h.invoke(T + timedelta(minutes=60))
        assert "(channel_not_found)" in result["notifications"][0]["slack"]
        assert api.roots() == []


def test_ratelimited_waits_for_the_next_run_and_then_posts(stack: LocalStack) -> None:
    with slack_app(stack, flat_scenario(48), "ratelimited") as (h, api):
        api.fail_next("chat.postMessage", "ratelimited", retry_after="30")
        result = h.invoke(T)
        assert result["notifications"][0]["slack"] == (
            "failed: Slack is rate-limiting the app (ratelimited) and asked to wait 30 s: "
            "left for the next run"
        )
        assert api.calls == [("chat.postMessage", "ratelimited")]
        h.rebuild(CEILINGWATCH_OUTBOX_GRACE="0")  # the next run is not within this run's grace
        h.invoke(T + timedelta(minutes=5))  # the owed raise goes out with the next run
        (root,) = api.roots()
        assert root.header.startswith("🟠 CRITICAL: ratelimited at 96%")


def test_a_deleted_root_is_replaced_by_a_new_one_instead_of_failing(stack: LocalStack) -> None:
    with slack_app(stack, flat_scenario(48), "deleted") as (h, api):
        h.invoke(T)
        (first,) = api.roots()
        api.delete(first.ts)
        result = h.invoke(T + timedelta(minutes=60))  # the hourly CRITICAL reminder
        assert result["notifications"][0]["slack"] == "sent"
        (root,) = api.roots()
        assert root.ts != first.ts
        assert [m.header.split(":")[0] for m in api.thread(root.ts)] == [
            "🟠 Reminder, still CRITICAL"
        ]
        assert ("chat.update", "message_not_found") in api.calls


def test_monitor_health_gets_its_own_root(stack: LocalStack) -> None:
    with slack_app(stack, flat_scenario(48), "health") as (h, api):
        h.invoke(T)
        h.ultravox.inject(Fault("status", status=503), times=30)
        for minutes in range(5, 20, 5):
            with contextlib.suppress(Exception):
                h.invoke(T + timedelta(minutes=minutes))
        capacity, health = api.roots()
        assert capacity.header.startswith("🟠 CRITICAL")
        assert health.header.startswith("⚠️ ERROR: ceilingwatch cannot judge health")
        assert health.buttons() == {}
        assert api.thread(capacity.ts) == []
