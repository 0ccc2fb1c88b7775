"""Slack as an app: one root message per episode, kept current, and the episode in its thread."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ceilingwatch.channels.base import routed, stream_of
from ceilingwatch.channels.slack_thread import SECTION_LIMIT, Root, cut, ends, mrkdwn, reply, starts
from ceilingwatch.channels.slack_web import SlackApiError, SlackWebApi
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.messages import format_slack
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.severity import Severity


class SlackAppChannel:
    """Posts through chat.postMessage and chat.update; keeps each stream's root in its memory.

    Capacity and the monitor's own health are apart: a broken monitor never replies in, nor
    ends, a capacity thread.
    """

    name = "slack"
    parameter = "slack-bot-token"  # named when it keeps failing (a channel problem)

    def __init__(
        self, api: SlackWebApi, channel_id: str, *, min_severity: Severity = Severity.WARNING
    ) -> None:
        self.api = api
        self.channel_id = channel_id
        self.min_severity = min_severity

    def accepts(self, note: Notification) -> bool:
        return routed(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        memory = dict(context.memory)
        stream = stream_of(note)
        root = Root.recall(memory, stream) if stream is not None else None
        if stream is None or (root is None and ends(note)):
            # Not part of an episode (a test, a channel problem), or an end whose root is unknown.
            self._post({"channel": self.channel_id, **format_slack(note, context.links)}, context)
            return memory
        if root is None or starts(note) or root.channel != self.channel_id:
            root = self._post_root(Root(stream, self.channel_id, "", note.at), note, context)
            return root.remember(memory)
        root = root.told(note, context.links)
        try:
            self._update(root, note.monitor, context)
        except SlackApiError as error:
            if error.error != "message_not_found":
                raise
            # Someone deleted the root: the episode goes on under a new one.
            root = self._post_root(root, note, context)
        self._post(reply(note, format_slack(note, context.links)["blocks"], root), context)
        return root.remember(memory)

    def show_answer(self, root: Root, monitor: str, said: str, *, deadline: float) -> None:
        """A click's answer (a snooze, an acknowledgement) on the root and in its thread."""
        context = Context({}, deadline)
        self._update(replace(root, answer=said), monitor, context)
        confirmation = {
            "channel": root.channel,
            "thread_ts": root.ts,
            "text": cut(said, SECTION_LIMIT),
            "blocks": [{"type": "section", "text": mrkdwn(said)}],
        }
        self._post(confirmation, context)

    def _post_root(self, root: Root, note: Notification, context: Context) -> Root:
        root = root.told(note, context.links)
        answer = self._post({"channel": root.channel, **root.message(note.monitor)}, context)
        return replace(
            root, ts=str(answer.get("ts", "")), channel=str(answer.get("channel") or root.channel)
        )

    def _update(self, root: Root, monitor: str, context: Context) -> None:
        payload = {"channel": root.channel, "ts": root.ts, **root.message(monitor)}
        self.api.call("chat.update", payload, deadline=context.deadline)

    def _post(self, payload: dict[str, Any], context: Context) -> dict[str, Any]:
        return self.api.call("chat.postMessage", payload, deadline=context.deadline)
