"""Amazon Q Developer through the real handler: custom notifications on a topic moto keeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from infra.local_stack.stack import LocalStack
from tests.integration.test_channel_matrix import FIRST, invoke
from tests.support.harness import Harness, flat_scenario, harness

SCHEMA = Path(__file__).parents[1] / "contract" / "schemas" / "amazon-q-custom-notification.json"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "chat", "ConcurrencyLimit": "50"}) as local:
        yield local


def chat_topic(h: Harness, name: str) -> tuple[str, str]:
    """A topic as Amazon Q Developer would read it, and a queue that reads it for the test."""
    sns, sqs = h.stack.client("sns"), h.stack.client("sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{name}-reader")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    return topic, queue


def read(h: Harness, queue: str) -> list[dict[str, Any]]:
    sqs = h.stack.client("sqs")
    bodies = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        for item in batch:
            bodies.append(json.loads(item["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=item["ReceiptHandle"])
    return bodies


def test_a_raise_reaches_amazon_q_as_a_valid_custom_notification(stack: LocalStack) -> None:
    with harness(stack, flat_scenario(48), "chat-raise", channels=("pagerduty",)) as h:
        topic, queue = chat_topic(h, "ceilingwatch-chat")
        h.put("chatbot-topic-arn", topic)
        h.rebuild()
        run = invoke(h, FIRST)
        assert run.failure is None, run.failure
        (message,) = read(h, queue)
        validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
        assert list(validator.iter_errors(message)) == []
        assert message["content"]["title"].startswith("🟠 CRITICAL: chat-raise")
        # The episode's thread is PagerDuty's incident key.
        (event,) = h.pagerduty.events
        assert message["metadata"]["threadId"] == event["dedup_key"]
        _, decision = run.decision()
        assert decision["notifications"][0]["chatbot"] == "sent"


def test_a_topic_that_does_not_exist_keeps_it_owed_and_the_others_deliver(
    stack: LocalStack,
) -> None:
    with harness(stack, flat_scenario(48), "chat-missing", channels=("slack",)) as h:
        h.put("chatbot-topic-arn", "arn:aws:sns:us-east-1:123456789012:nobody-made-this")
        h.rebuild()
        run = invoke(h, FIRST)
        assert run.failure is None, run.failure
        _, decision = run.decision()
        (note,) = decision["notifications"]
        assert note["slack"] == "sent" and note["email"] == "sent"
        assert note["chatbot"].startswith("failed: Amazon Q Developer's topic refused")
