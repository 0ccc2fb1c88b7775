"""Amazon Q Developer in chat applications: custom notifications on an SNS topic it reads."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ceilingwatch.channels.base import (
    ChannelBuild,
    Wiring,
    ends_episode,
    episode_key,
    min_severity,
    routed,
    stream_of,
)
from ceilingwatch.channels.email import publish
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.messages import facts, title
from ceilingwatch.domain.parameters import Parameter, PlugIn
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.severity import Severity

TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
DESCRIPTION_LIMIT = 8000  # well inside SNS's 256 KB; chat clients fold longer text anyway


def _topic_arn(raw: str) -> str:
    if not TOPIC_ARN.fullmatch(raw.strip()):
        raise ValueError("is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)")
    return raw.strip()


TOPIC = Parameter(
    "chatbot-topic-arn",
    "an SNS topic that Amazon Q Developer in chat applications reads: custom notifications, "
    "one thread per episode (the template's `ChatbotTopicArnPattern` must allow it)",
    _topic_arn,
    kept=True,
    default_text="none (no Amazon Q Developer)",
)
MIN_SEVERITY = min_severity("chatbot", Severity.WARNING, "to Amazon Q Developer")


def build(config: MonitorConfig | None, wiring: Wiring) -> ChatbotChannel | None:
    topic = config.option(TOPIC.name) if config else None
    if config is None or not topic:
        return None
    return ChatbotChannel(wiring.sns, topic, config.option(MIN_SEVERITY.name) or Severity.WARNING)


class ChatbotChannel:
    """Publishes each notification as a custom notification; an episode's keep one threadId."""

    name = "chatbot"

    def __init__(self, client: Any, topic_arn: str, min_severity: Severity) -> None:
        self.client, self.topic_arn, self.min_severity = client, topic_arn, min_severity

    def accepts(self, note: Notification) -> bool:
        return routed(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        memory = dict(context.memory)
        stream = stream_of(note)
        if stream is None:
            thread = f"ceilingwatch/{note.monitor}/{note.kind.value}"
        elif ends_episode(note):
            thread = memory.pop(stream.value, "") or episode_key(note, stream)
        else:
            thread = memory.setdefault(stream.value, episode_key(note, stream))
        message = json.dumps(custom_notification(note, thread, context.links), ensure_ascii=False)
        publish(
            self.client,
            "Amazon Q Developer's topic",
            "the chatbot-topic-arn topic",
            TopicArn=self.topic_arn,
            Message=message,
        )
        return memory


def custom_notification(
    note: Notification, thread: str, links: Mapping[str, str]
) -> dict[str, Any]:
    """The custom notification schema Amazon Q Developer documents; anything else is dropped."""
    lines = [f"*Why:* {note.why}"]
    if note.episode:
        lines.append(f"*Episode:* {note.episode}")
    lines += [f"• *{label}:* {value}" for label, value in facts(note)]
    if links:
        # Plain "name: url": each chat client links a bare URL in its own markdown.
        lines += [f"{name}: {url}" for name, url in links.items()]
    description = "\n".join(lines)
    if len(description) > DESCRIPTION_LIMIT:
        description = description[: DESCRIPTION_LIMIT - 1] + "…"
    content: dict[str, Any] = {
        "textType": "client-markdown",
        "title": f"{note.severity.emoji} {title(note)}".strip(),
        "description": description,
        "keywords": [note.severity.value, note.monitor, note.kind.value],
    }
    if note.fix:
        content["nextSteps"] = [note.fix]
    return {
        "version": "1.0",
        "source": "custom",
        "content": content,
        "metadata": {
            "threadId": thread,
            "summary": title(note),
            "eventType": f"ceilingwatch-{note.kind.value}",
            "additionalContext": {"monitor": note.monitor, "severity": note.severity.value},
        },
    }


PLUGIN: PlugIn[ChannelBuild] = PlugIn("chatbot", (TOPIC, MIN_SEVERITY), build)
