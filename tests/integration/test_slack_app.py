"""Slack as an app against the Web API stand-in: the real handler, moto, real sockets."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from infra.local_stack import LocalStack
from infra.slack_api import DEFAULT_CHANNEL, SlackWebApiStandIn
from infra.ultravox_sim import Scenario

from .harness import START, Harness, harness

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
        harness(stack, scenario, monitor, slack=False) as h,
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


def test_one_episode_is_one_root_and_its_thread(stack: LocalStack) -> None:
    scenario = Scenario.load("rising-to-ceiling")
    with slack_app(stack, scenario, "episode") as (h, api):
        for at in ticks(scenario):
            h.invoke(at)
        assert api.refused == []
        roots = api.roots()
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
