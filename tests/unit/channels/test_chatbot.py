"""Amazon Q Developer: custom notifications, one thread per episode, on the configured topic."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from ceilingwatch.channels import Wiring, build_channels
from ceilingwatch.channels.chatbot import ChatbotChannel, custom_notification
from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.severity import Severity

from tests.support.builders import config
from tests.unit.channels.test_channels import episode
from tests.unit.conftest import Snapshot
from tests.unit.domain.test_messages import LINKS, NOTES

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ceilingwatch-chat"
THREAD = "ceilingwatch/prod/capacity/20261124T1200Z"


class Topic:
    """An SNS client that keeps what was published."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **request: Any) -> dict[str, str]:
        self.published.append(request)
        return {"MessageId": "m"}

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(p["Message"]) for p in self.published]


@pytest.mark.parametrize("name", sorted(NOTES))
def test_chatbot_payload(name: str, snapshot: Snapshot) -> None:
    snapshot.assert_match(f"chatbot-{name}.json", custom_notification(NOTES[name], THREAD, LINKS))


def test_an_episode_keeps_one_thread_and_the_next_gets_its_own() -> None:
    topic = Topic()
    channel = ChatbotChannel(lambda: topic, TOPIC, Severity.WARNING)
    notes = episode()
    memory: dict[str, str] = {}
    sequence = ["raised-WARNING", "escalated-CRITICAL", "escalated-AT_LIMIT", "resolved-OK"]
    for name in sequence:
        memory = dict(channel.deliver(notes[name], Context(LINKS, 25.0, memory)))
    later = replace(
        notes["raised-WARNING"],
        at=notes["resolved-OK"].at + timedelta(hours=2),
        opened_at=notes["resolved-OK"].at + timedelta(hours=2),
    )
    channel.deliver(later, Context(LINKS, 25.0, memory))
    threads = [m["metadata"]["threadId"] for m in topic.messages()]
    assert threads[:4] == [threads[0]] * 4 and threads[4] != threads[0]
    assert {p["TopicArn"] for p in topic.published} == {TOPIC}
    assert memory == {}  # the resolve closed the thread


def test_a_notice_outside_an_episode_has_a_thread_of_its_kind() -> None:
    topic = Topic()
    channel = ChatbotChannel(lambda: topic, TOPIC, Severity.WARNING)
    channel.deliver(NOTES["digest"], Context(LINKS, 25.0))
    (message,) = topic.messages()
    assert message["metadata"]["threadId"] == "ceilingwatch/prod/digest"
    assert message["content"]["textType"] == "client-markdown"


def test_the_registry_builds_it_from_the_topic_parameter() -> None:
    wiring = Wiring(Settings("t", "arn:aws:sns:us-east-1:1:t"), Topic)
    roster = build_channels(config(chatbot_topic_arn=TOPIC), wiring)
    assert "chatbot" in [c.name for c in roster.channels]
    assert "chatbot" not in [c.name for c in build_channels(config(), wiring).channels]


def test_a_value_that_is_not_a_topic_arn_is_named() -> None:
    with pytest.raises(ConfigurationError, match="chatbot-topic-arn"):
        config(chatbot_topic_arn="ceilingwatch-chat")


def test_routing_takes_health_whatever_the_floor() -> None:
    channel = ChatbotChannel(Topic, TOPIC, Severity.AT_LIMIT)
    assert not channel.accepts(episode()["raised-WARNING"])
    assert channel.accepts(replace(NOTES["monitor-error"], kind=Kind.MONITOR_ERROR))
