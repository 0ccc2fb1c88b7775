"""The Slack app channel: roots, replies and buttons, valid Block Kit for every kind."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
import requests
from ceilingwatch.channels import Wiring, build_channels
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack_app import SlackAppChannel
from ceilingwatch.channels.slack_thread import Root
from ceilingwatch.channels.slack_web import SlackApiError, SlackWebApi
from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.ports import Context, Stream
from ceilingwatch.domain.severity import Severity

from infra.standins.slack_api import slack_problems
from tests.support.builders import config, tick_time
from tests.unit.adapters.test_adapters_http import ScriptedSession
from tests.unit.conftest import SNAPSHOTS, Snapshot
from tests.unit.domain.test_messages import LINKS, NOTES

CHANNEL = "C0CEILING1"
TOKEN = "xoxb-unit-0123456789-abcdef"


@dataclass
class FakeApi:
    """Slack's Web API in a list: each call answered ok, or with the scripted error."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, payload: dict[str, Any], *, deadline: float) -> dict[str, Any]:
        if method in self.errors:
            raise SlackApiError(method, self.errors.pop(method))
        self.calls.append((method, dict(payload)))
        return {
            "ok": True,
            "channel": payload["channel"],
            "ts": f"17645472{len(self.calls):02}.0001",
        }


def deliver(
    note: Notification, memory: dict[str, str] | None = None, api: FakeApi | None = None
) -> tuple[dict[str, str], FakeApi]:
    api = api or FakeApi()
    channel = SlackAppChannel(api, CHANNEL)  # type: ignore[arg-type]
    kept = channel.deliver(note, Context(LINKS, deadline=float("inf"), memory=memory or {}))
    return dict(kept), api


def open_episode() -> dict[str, str]:
    """The memory after the raise of NOTES: the capacity root, and a health root."""
    memory, api = deliver(NOTES["raised-warning"])
    memory, _ = deliver(NOTES["monitor-error"], memory, api)
    return memory


@pytest.mark.parametrize("name", sorted(NOTES))
def test_every_kind_in_an_open_episode_is_valid_block_kit(name: str, snapshot: Snapshot) -> None:
    _, api = deliver(NOTES[name], open_episode())
    for method, payload in api.calls:
        assert slack_problems(payload) == [], (method, name)
    snapshot.assert_match(f"slack-app-{name}.json", [[m, p] for m, p in api.calls])


def test_every_kind_has_a_slack_app_snapshot() -> None:
    assert {note.kind for note in NOTES.values()} == set(Kind)
    for name in NOTES:
        assert (SNAPSHOTS / f"slack-app-{name}.json").exists(), name


def test_the_first_alert_is_the_root_with_buttons_naming_the_monitor() -> None:
    memory, api = deliver(NOTES["raised-warning"])
    ((method, root),) = api.calls
    assert method == "chat.postMessage" and "thread_ts" not in root
    (actions,) = [b for b in root["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("snooze-1h", "prod"),
        ("snooze-4h", "prod"),
        ("acknowledge", "prod"),
    ]
    kept = Root.recall(memory, Stream.CAPACITY)
    assert kept is not None and (kept.channel, kept.ts) == (CHANNEL, "1764547201.0001")


def test_an_escalation_updates_the_root_and_is_broadcast_in_its_thread() -> None:
    memory, _ = deliver(NOTES["raised-warning"])
    _, api = deliver(NOTES["escalated-critical"], memory)
    (update, answer), (post, reply) = api.calls
    assert (update, answer["ts"]) == ("chat.update", "1764547201.0001")
    assert answer["text"].startswith("🟠 CRITICAL: prod escalated")
    assert (post, reply["thread_ts"], reply["reply_broadcast"]) == (
        "chat.postMessage",
        "1764547201.0001",
        True,
    )


def test_a_reminder_is_a_quiet_reply() -> None:
    memory, _ = deliver(NOTES["raised-warning"])
    _, api = deliver(NOTES["reminder-critical"], memory)
    assert api.calls[1][1]["reply_broadcast"] is False


def test_the_resolve_ends_the_root_and_the_next_raise_opens_a_new_one() -> None:
    memory, _ = deliver(NOTES["raised-warning"])
    memory, _ = deliver(NOTES["escalated-at_limit"], memory)
    resolved = NOTES["resolved-ok"]
    memory, api = deliver(resolved, memory)
    root = api.calls[0][1]
    assert root["blocks"][0]["text"]["text"].startswith("✅ prod: resolved after ")
    assert ", peak 50/50" in root["blocks"][0]["text"]["text"]
    assert all(b["type"] != "actions" for b in root["blocks"])
    assert Root.recall(memory, Stream.CAPACITY) is None
    _, api = deliver(replace(NOTES["raised-warning"], at=resolved.at + timedelta(hours=1)), memory)
    assert [m for m, p in api.calls] == ["chat.postMessage"]
    assert "thread_ts" not in api.calls[0][1]


def test_a_deleted_root_is_posted_again_and_the_reply_goes_under_it() -> None:
    memory, _ = deliver(NOTES["raised-warning"])
    api = FakeApi(errors={"chat.update": "message_not_found"})
    memory, api = deliver(NOTES["reminder-critical"], memory, api)
    (new, root), (_, reply) = api.calls
    assert new == "chat.postMessage" and "thread_ts" not in root
    assert reply["thread_ts"] == Root.recall(memory, Stream.CAPACITY).ts  # type: ignore[union-attr]


def test_other_refusals_of_the_update_are_not_hidden() -> None:
    memory, _ = deliver(NOTES["raised-warning"])
    with pytest.raises(SlackApiError, match="not_in_channel") as caught:
        deliver(
            NOTES["reminder-critical"], memory, FakeApi(errors={"chat.update": "not_in_channel"})
        )
    assert caught.value.permanent


def test_ratelimited_is_transient_and_the_auth_errors_are_not() -> None:
    assert not SlackApiError("chat.postMessage", "ratelimited").permanent
    for code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
        error = SlackApiError("chat.postMessage", code)
        assert error.permanent and "slack-bot-token" in str(error)


def test_health_and_capacity_keep_their_own_roots() -> None:
    memory = open_episode()
    capacity, health = Root.recall(memory, Stream.CAPACITY), Root.recall(memory, Stream.HEALTH)
    assert capacity is not None and health is not None and capacity.ts != health.ts
    _, api = deliver(NOTES["monitor-recovered"], memory)
    assert api.calls[0][1]["ts"] == health.ts


def test_text_past_slacks_limits_is_cut_to_fit() -> None:
    long = replace(NOTES["raised-warning"], why="x" * 50_000, monitor="m" * 200)
    _, api = deliver(long)
    assert slack_problems(api.calls[0][1]) == []


def test_a_note_outside_any_episode_is_a_message_of_its_own() -> None:
    test = Notification(Kind.TEST, "prod", Severity.TEST, "a test", tick_time(0))
    memory, api = deliver(test)
    assert memory == {} and [m for m, _ in api.calls] == ["chat.postMessage"]


def test_a_bot_token_switches_slack_to_the_app_and_needs_a_channel() -> None:
    wiring = Wiring(settings=Settings("t", "arn:aws:sns:us-east-1:1:t"), sns=lambda: None)
    roster = build_channels(config(slack_bot_token=TOKEN, slack_channel_id=CHANNEL), wiring)
    (slack,) = [c for c in roster.channels if c.name == "slack"]
    assert isinstance(slack, SlackAppChannel) and roster.problems == ()
    roster = build_channels(config(slack_bot_token=TOKEN), wiring)
    assert [c.name for c in roster.channels] == ["email"]
    assert roster.problems == (
        "/ceilingwatch/prod/slack-bot-token is set but /ceilingwatch/prod/slack-channel-id is "
        "not: put the channel's ID (C...) there",
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("slack-bot-token", "xoxp-a-user-token-0123456789", "starts with xoxb-"),
        ("slack-channel-id", "#alerts", "a channel ID such as C0123456789"),
        ("slack-channel-id", "c0123456789", "a channel ID such as C0123456789"),
    ],
)
def test_a_wrong_slack_value_is_named_and_a_token_never_echoed(
    name: str, value: str, says: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        config(**{name.replace("-", "_"): value})
    assert f"/ceilingwatch/prod/{name}" in str(caught.value) and says in str(caught.value)
    if name == "slack-bot-token":  # a secret; the channel's ID is shown as written
        assert value not in str(caught.value)


def test_the_api_url_must_be_https_or_loopback() -> None:
    env = {"STATE_TABLE_NAME": "t", "ALERT_TOPIC_ARN": "a"}
    assert Settings.from_env(env).slack_api_url == "https://slack.com/api/"
    local = Settings.from_env(env | {"CEILINGWATCH_SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert local.slack_api_url == "http://127.0.0.1:9/api/"
    with pytest.raises(ConfigurationError, match="CEILINGWATCH_SLACK_API_URL"):
        Settings.from_env(env | {"CEILINGWATCH_SLACK_API_URL": "http://slack.example/api/"})


def test_the_token_travels_in_a_header_and_never_in_an_error() -> None:
    session = ScriptedSession([answer(200, {"ok": False, "error": "invalid_auth"})])
    api = SlackWebApi(Secret(TOKEN), Poster(session=session), "https://slack.test/api/")  # type: ignore[arg-type]
    with pytest.raises(SlackApiError) as caught:
        api.call("chat.postMessage", {"channel": CHANNEL, "text": "x"}, deadline=float("inf"))
    (request,) = session.calls
    assert request["headers"] == {"Authorization": f"Bearer {TOKEN}"}
    assert TOKEN not in json.dumps(request["json"]) and TOKEN not in str(caught.value)
    assert caught.value.permanent and "slack-bot-token" in str(caught.value)


def answer(status: int, body: dict[str, Any]) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response
