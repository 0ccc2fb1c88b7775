"""The interactions function: only a click Slack signed, on the open incident's root, acts."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
import requests
from ceilingwatch.adapters.state_codec import state_to_item
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack_clicks import SlackClicks
from ceilingwatch.channels.slack_thread import Root
from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.outbox import Owed
from ceilingwatch.domain.ports import Stream
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import AlertState, DeliveryRecord, Judgement
from ceilingwatch.services.interactions import Responders, respond

from infra.standins.slack_api import click_event
from tests.support.builders import API_KEY, START, notification
from tests.support.fakes import FakeStates

NOW = START + timedelta(hours=1)
TOKEN = "xoxb-unit-0123456789-abcdef"
SECRETS = {
    "prod": "8f14e45fceea167a5a36dedd4bea2543",
    "staging": "c9f0f895fb98ab9159f51fd0297e236d",
}
ROOTS = {"prod": "1764547201.000100", "staging": "1764547202.000100"}


@dataclass
class Parameters:
    """Each monitor's own parameters, as SSM holds them under its path."""

    def load(self, monitor: str) -> MonitorConfig:
        if monitor not in SECRETS:
            raise ConfigurationError(f"/ceilingwatch/{monitor}/concurrency-limit is missing")
        values = {
            "concurrency-limit": "50",
            "ultravox-api-key": API_KEY,
            "slack-bot-token": TOKEN,
            "slack-channel-id": "C0CEILING1",
            "slack-signing-secret": SECRETS[monitor],
        }
        return PARAMETERS.parse(monitor, f"/ceilingwatch/{monitor}/", values)


@dataclass
class SlackSession:
    """Slack's Web API answering ok, recording each call."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"url": url, **kwargs})
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"ok": True, "ts": "1.2"}).encode()
        return response


def open_incident(monitor: str) -> AlertState:
    root = Root(Stream.CAPACITY, "C0CEILING1", ROOTS[monitor], START, Severity.CRITICAL, 48, 50)
    memory = {"slack": root.remember({})}
    return AlertState(
        monitor,
        Judgement(Level.CRITICAL),
        delivery=DeliveryRecord(channel_memory=memory),
        version=7,
    )


@pytest.fixture
def world() -> tuple[Responders, FakeStates, SlackSession]:
    states = FakeStates({m: open_incident(m) for m in SECRETS})
    session = SlackSession()
    deps = Responders(
        settings=Settings("state", "arn:aws:sns:us-east-1:1:t"),
        parameters=Parameters(),  # type: ignore[arg-type]
        states=states,  # type: ignore[arg-type]
        clicks=SlackClicks(Poster(session=session)),  # type: ignore[arg-type]
        clock=lambda: NOW,
        sleep=lambda seconds: None,
    )
    return deps, states, session


def click(
    monitor: str = "prod",
    *,
    action: str = "snooze-1h",
    value: str | None = None,
    secret: str | None = None,
    at: Any = NOW,
    ts: str | None = None,
) -> dict[str, Any]:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0MARIA", "username": "maria"},
        "container": {"message_ts": ts or ROOTS[monitor], "channel_id": "C0CEILING1"},
        "actions": [{"action_id": action, "value": monitor if value is None else value}],
    }
    signing = SECRETS[monitor] if secret is None else secret
    return click_event(payload, signing, timestamp=at.timestamp(), base64_body=True)


def items(states: FakeStates) -> dict[str, Any]:
    return {m: state_to_item(s) for m, s in states.items.items()}


def test_a_signed_snooze_is_stored_shown_and_confirmed(world: Any) -> None:
    deps, states, session = world
    answer = respond(click(), deps)
    assert answer["statusCode"] == 200
    state = states.items["prod"]
    assert (state.answers.snoozed_until, state.answers.snoozed_by, state.version) == (
        NOW + timedelta(hours=1),
        "U0MARIA",
        8,
    )
    update, confirmation = (json.loads(json.dumps(c["json"])) for c in session.calls)
    assert session.calls[0]["url"].endswith("chat.update")
    assert update["ts"] == ROOTS["prod"]
    assert "snoozed by <@U0MARIA> until 14:00 UTC" in json.dumps(update["blocks"])
    assert confirmation["thread_ts"] == ROOTS["prod"]
    assert confirmation["text"].startswith("⏸️ snoozed by <@U0MARIA> until 14:00 UTC")


def test_acknowledge_records_the_level_and_the_user(world: Any) -> None:
    deps, states, _ = world
    assert respond(click(action="acknowledge"), deps)["statusCode"] == 200
    state = states.items["prod"]
    assert (state.answers.acknowledged_level, state.answers.acknowledged_by) == (
        Level.CRITICAL,
        "U0MARIA",
    )


def unsigned(event: dict[str, Any]) -> dict[str, Any]:
    headers = dict(event["headers"])
    del headers["x-slack-signature"]
    return {**event, "headers": headers}


def tampered(event: dict[str, Any]) -> dict[str, Any]:
    body = event["body"]
    text = base64.b64decode(body).decode().replace("snooze-1h", "snooze-4h")
    return {**event, "body": base64.b64encode(text.encode()).decode()}


REFUSED = {
    "wrong secret": (lambda: click(secret="0" * 32), 401),
    "no signature": (lambda: unsigned(click()), 401),
    "old timestamp": (lambda: click(at=NOW - timedelta(minutes=6)), 401),
    "future timestamp": (lambda: click(at=NOW + timedelta(minutes=6)), 401),
    "body changed after signing": (lambda: tampered(click()), 401),
    "not base64": (lambda: {**click(), "body": "%%%"}, 401),
    "unknown monitor": (lambda: click(value="nobody", secret=SECRETS["prod"]), 401),
    # Signed with staging's own secret, but clicked on prod's root: it cannot act on staging.
    "a click for another monitor": (lambda: click("staging", ts=ROOTS["prod"]), 403),
    "a root that is no longer open": (lambda: click(ts="1764500000.000100"), 403),
    "an unknown action": (lambda: click(action="delete-everything"), 401),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_click_that_is_not_genuine_changes_nothing(world: Any, case: str) -> None:
    deps, states, session = world
    before = items(states)
    make, status = REFUSED[case]
    answer = respond(make(), deps)
    assert answer["statusCode"] == status
    assert items(states) == before
    assert session.calls == []


def test_a_click_on_an_episode_that_ended_is_refused(world: Any) -> None:
    deps, states, session = world
    over = states.items["prod"]
    states.items["prod"] = replace(over, judged=replace(over.judged, level=Level.OK))
    assert respond(click(), deps)["statusCode"] == 403
    assert session.calls == []


def test_a_click_read_again_after_a_run_wrote_first(world: Any) -> None:
    deps, states, _ = world
    states.conflict_next = True  # a run wrote between our read and our write
    assert respond(click(), deps)["statusCode"] == 200
    assert states.items["prod"].answers.snoozed_by == "U0MARIA"


def test_a_click_never_writes_while_a_run_is_delivering(world: Any) -> None:
    deps, states, session = world
    owed = DeliveryRecord(outbox=(Owed(notification()),), outbox_since=NOW)
    busy = replace(states.items["prod"], delivery=owed)
    states.items["prod"] = busy
    assert respond(click(), deps)["statusCode"] == 503
    assert states.items["prod"] == busy and session.calls == []


def test_secrets_reach_no_log_answer_or_state(world: Any, log: io.StringIO) -> None:
    # Without the log's redaction: nothing may log them in the first place.
    deps, states, _ = world
    answers = [respond(click(), deps), respond(click(secret="0" * 32), deps)]
    text = log.getvalue() + json.dumps(answers) + json.dumps(items(states), default=str)
    for secret in (TOKEN, SECRETS["prod"]):
        assert secret not in text
    assert "click refused" in log.getvalue()
