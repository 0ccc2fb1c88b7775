"""One episode as one Slack thread: its root kept in the channel's memory, and how it looks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field, replace
from datetime import datetime
from typing import Any

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Kind, Notification, duration
from ceilingwatch.domain.messages import escape_mrkdwn, plain_text, sparkline, title
from ceilingwatch.domain.ports import Answer, Stream
from ceilingwatch.domain.severity import Severity

ANSWERS_BLOCK = "ceilingwatch-answers"
TEXT_LIMIT = 40_000
HEADER_LIMIT = 150
SECTION_LIMIT = 3000


# The root's buttons; each button's value names the monitor.
BUTTONS = {
    Answer.SNOOZE_1H: "Snooze 1 h",
    Answer.SNOOZE_4H: "Snooze 4 h",
    Answer.ACKNOWLEDGE: "Acknowledge",
}


@record
class Root:
    """Where an episode's root message is, and what it shows: all kept in the channel memory."""

    stream: Stream
    channel: str
    ts: str
    since: datetime
    severity: Severity | None = None
    peak: int = 0
    limit: int = 0
    headline: str = ""
    why: str = ""
    figures: tuple[tuple[str, str], ...] = ()
    answer: str = ""  # "snoozed by <@U…> until 15:00 UTC", written by the interactions function
    ended: str = ""  # "resolved after 1 h 20 min, peak 50/50"
    at: datetime | None = None
    links: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def recall(cls, memory: Mapping[str, str], stream: Stream) -> Root | None:
        raw = memory.get(stream.value)
        if not raw:
            return None
        try:
            kept = json.loads(raw)
            return cls(
                stream=stream,
                channel=kept["channel"],
                ts=kept["ts"],
                since=datetime.fromisoformat(kept["since"]),
                severity=Severity(kept["severity"]) if kept.get("severity") else None,
                peak=int(kept.get("peak", 0)),
                limit=int(kept.get("limit", 0)),
                headline=str(kept.get("headline", "")),
                why=str(kept.get("why", "")),
                figures=tuple((str(a), str(b)) for a, b in kept.get("figures", [])),
                answer=str(kept.get("answer", "")),
                at=datetime.fromisoformat(kept["at"]) if kept.get("at") else None,
                links=tuple((str(a), str(b)) for a, b in kept.get("links", [])),
            )
        except (ValueError, KeyError, TypeError):
            return None  # a memory this code cannot read: the next message starts a new root

    def remember(self, memory: Mapping[str, str]) -> dict[str, str]:
        kept = dict(memory)
        if self.ended:
            kept.pop(self.stream.value, None)  # the episode is over: the next one gets a new root
            return kept
        kept[self.stream.value] = json.dumps(
            {
                "channel": self.channel,
                "ts": self.ts,
                "since": self.since.isoformat(),
                "severity": self.severity or "",
                "peak": self.peak,
                "limit": self.limit,
                "headline": self.headline,
                "why": self.why,
                "figures": [list(pair) for pair in self.figures],
                "answer": self.answer,
                "at": self.at.isoformat() if self.at else "",
                "links": [list(pair) for pair in self.links],
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return kept

    def told(self, note: Notification, links: Mapping[str, str]) -> Root:
        """The root after this notification: its level, the episode's peak, the hour's shape."""
        r = note.reading
        peak, limit = self.peak, self.limit
        figures = self.figures
        if r is not None:
            peak, limit = max(peak, r.calls), r.limit
            figures = (
                ("Level", note.severity.spoken),
                ("Peak", f"{peak} of {limit} calls in this episode"),
                ("Now", f"{r.calls} of {limit} calls ({r.percent:.0f}%) at {r.at:%H:%M} UTC"),
                ("Headroom", f"{max(0, r.headroom)} call{'s' if r.headroom != 1 else ''}"),
                ("Last hour", f"{sparkline(r.series, r.limit)} {r.trend}"),
                ("Since", f"{self.since:%H:%M} UTC"),
            )
        ended = ""
        if ends(note):
            verb = "resolved" if self.stream is Stream.CAPACITY else "judging again"
            ended = f"{verb} after {duration(note.at - self.since)}"
            ended += f", peak {peak}/{limit}" if self.stream is Stream.CAPACITY and limit else ""
        return replace(
            self,
            severity=note.severity,
            peak=peak,
            limit=limit,
            headline=title(note) if note.kind not in ENDING else "",
            why=note.why,
            figures=figures,
            ended=ended,
            answer="" if ended else self.answer,
            at=note.at,
            links=tuple(links.items()),
        )

    def message(self, monitor: str) -> dict[str, Any]:
        """The root as chat.postMessage or chat.update takes it (without channel and ts)."""
        if self.ended:
            header = f"✅ {monitor}: {self.ended}"
        else:
            emoji = self.severity.emoji if self.severity else ""
            header = f"{emoji} {self.headline}".strip()
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": cut(header, HEADER_LIMIT)}},
            {"type": "section", "text": mrkdwn(f"*Why:* {escape_mrkdwn(self.why)}")},
        ]
        if self.figures:
            blocks.append(
                {
                    "type": "section",
                    "fields": [
                        mrkdwn(f"*{label}*\n{escape_mrkdwn(value)}")
                        for label, value in self.figures
                    ],
                }
            )
        if self.answer:
            blocks.append({"type": "context", "elements": [mrkdwn(self.answer)]})
        if self.stream is Stream.CAPACITY and not self.ended:
            blocks.append(buttons(monitor))
        footer = [f"<{url}|{escape_mrkdwn(name)}>" for name, url in self.links]
        footer.append(
            f"monitor `{escape_mrkdwn(monitor)}` · updated {self.at or self.since:%H:%M} UTC"
        )
        blocks.append({"type": "context", "elements": [mrkdwn(" · ".join(footer))]})
        return {"text": cut(header, TEXT_LIMIT), "blocks": blocks}


# Kinds that end an episode's thread (a limit raised until the level is OK ends it too).
ENDING = frozenset({Kind.RESOLVED, Kind.MONITOR_RECOVERED})
BROADCAST = frozenset({Kind.ESCALATED, Kind.RESOLVED, Kind.MONITOR_RECOVERED})


def ends(note: Notification) -> bool:
    return note.kind in ENDING or (note.kind is Kind.LIMIT_CHANGED and note.severity is Severity.OK)


def starts(note: Notification) -> bool:
    """A raise always opens a new episode; health roots open with the first ERROR or NO_DATA."""
    return note.kind is Kind.RAISED


def reply(note: Notification, blocks: list[dict[str, Any]], root: Root) -> dict[str, Any]:
    """A notification as a reply in the root's thread; escalations and the end also in channel."""
    return {
        "channel": root.channel,
        "thread_ts": root.ts,
        "text": cut(plain_text(note), TEXT_LIMIT),
        "blocks": blocks,
        "reply_broadcast": note.kind in BROADCAST or ends(note),
    }


def buttons(monitor: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": ANSWERS_BLOCK,
        "elements": [
            {
                "type": "button",
                "action_id": action.value,
                "text": {"type": "plain_text", "text": label},
                "value": monitor,
                **({"style": "primary"} if action is Answer.ACKNOWLEDGE else {}),
            }
            for action, label in BUTTONS.items()
        ],
    }


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
