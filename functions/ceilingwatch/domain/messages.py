"""What people read: an email (subject, plain text) and a Slack message, as pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Kind, Notification, Reading
from ceilingwatch.domain.evaluation import percent
from ceilingwatch.domain.subjects import WHY_IS_SUBJECT, subject

SPARK = "▁▂▃▄▅▆▇█"

# When the peak shown is no longer current, the first words say when it was and what is now.
PAST_TITLES = {
    Kind.RAISED: "{severity}: {monitor} reached {percent} of its limit at {at} UTC; now {now}",
    Kind.ESCALATED: "{severity}: {monitor} escalated from {previous}: {percent} at {at} UTC; "
    "now {now}",
    Kind.REMINDER: "Reminder, still {severity}: {monitor} reached {percent} at {at} UTC; now {now}",
    Kind.LIMIT_CHANGED: "Limit changed: {monitor} now {severity}: {percent} at {at} UTC; now {now}",
}

TITLES = {
    Kind.RAISED: "{severity}: {monitor} at {percent} of its Ultravox call limit",
    Kind.ESCALATED: "{severity}: {monitor} escalated from {previous} at {percent} of its limit",
    Kind.RESOLVED: "Resolved: {monitor} is back under its call limit ({percent})",
    Kind.REMINDER: "Reminder, still {severity}: {monitor} at {percent} of its limit",
    Kind.LIMIT_CHANGED: "Limit changed: {monitor} now {severity} at {percent}",
    Kind.ACCOUNT_CEILING: "{monitor}: Ultravox's own ceiling is below the configured limit",
    Kind.MONITOR_ERROR: "ERROR: ceilingwatch cannot judge {monitor}",
    Kind.NO_DATA: "NO DATA: Ultravox returns no concurrency data for {monitor}",
    Kind.MONITOR_RECOVERED: "Recovered: ceilingwatch is judging {monitor} again",
    Kind.CHANNEL_PROBLEM: "{monitor}: a channel cannot deliver; the others carry this",
    Kind.CONFIG: "Configuration of {monitor}: a parameter is invalid",
    Kind.CONFIG_CHANGED: "Parameter Store change for {monitor}",
    Kind.TEST: "Test alert for {monitor}: this channel works",
    Kind.FORECAST: "FORECAST: {monitor} heading for its call limit, {eta}",
    Kind.DIGEST: "Weekly capacity digest for {monitor}",
    Kind.PLAN_RISK: "{monitor}: the Ultravox plan is about to lapse or change",
    Kind.LIVE_LAG: "{monitor}: the live feed keeps missing calls",
}


@record(frozen=False, eq=False)
class Email:
    """One email as SNS publishes it."""

    subject: str
    body: str
    attributes: dict[str, str]


def sparkline(series: tuple[int, ...], limit: int) -> str:
    """Bars scaled to the limit, not to the hour's maximum: a full bar means at the ceiling."""
    top = len(SPARK) - 1
    return "".join(SPARK[min(top, max(0, round(top * calls / limit)))] for calls in series)


def title(note: Notification) -> str:
    r = note.reading
    past = r is not None and r.past
    shown = f"{r.percent:.0f}%" if r else "n/a"
    if r is not None and past and note.kind is Kind.RESOLVED:
        shown = _now_percent(r)  # a resolve is about now, not the peak that ended it
    return (PAST_TITLES if past and note.kind in PAST_TITLES else TITLES)[note.kind].format(
        severity=note.severity.spoken,
        previous=note.previous_severity.spoken if note.previous_severity else "",
        monitor=note.monitor,
        percent=shown,
        eta=f"~{r.minutes_to_limit} min at this rate" if r and r.minutes_to_limit else "soon",
        at=f"{r.at:%H:%M}" if r else "",
        now=_now_percent(r) if r else "",
    )


def _now_percent(r: Reading) -> str:
    return f"{percent(r.now_calls or 0, r.limit):.0f}%"


def plain_text(note: Notification) -> str:
    """The one line a phone's lock screen shows: severity, figures and the why."""
    if note.kind in WHY_IS_SUBJECT:
        return f"{note.severity.emoji} [{note.severity}] {note.monitor}: {note.why}"
    return f"{note.severity.emoji} {subject(note)}: {note.why}".strip()


def format_email(note: Notification, links: Mapping[str, str]) -> Email:
    lines = [title(note), "", f"Why: {note.why}"]
    if note.episode:
        lines.append(f"Episode: {note.episode}")
    if note.fix:
        lines.append(f"What to do: {note.fix}")
    lines.append("")
    for label, value in facts(note):
        lines.append(f"{label:<12}{value}")
    if note.detail:
        lines += ["", note.detail.rstrip("\n")]
    if links:
        lines += ["", *(f"{name}: {url}" for name, url in links.items())]
    lines += [
        "",
        "--",
        f"ceilingwatch monitor {note.monitor!r}, run of {note.at:%Y-%m-%d %H:%M} UTC. "
        "To silence it for a while, set its mute-until parameter.",
    ]
    attributes = {"severity": note.severity.value, "monitor": note.monitor, "kind": note.kind.value}
    return Email(subject(note), "\n".join(lines) + "\n", attributes)


def format_slack(note: Notification, links: Mapping[str, str]) -> dict[str, Any]:
    header = f"{note.severity.emoji} {title(note)}".strip()
    why = f"*Why:* {_escape(note.why)}"
    if note.episode:
        why += f"\n*Episode:* {_escape(note.episode)}"
    if note.fix:
        why += f"\n*What to do:* {_escape(note.fix)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": why[:3000]}},
    ]
    if note.detail:
        # Slack caps a section at 3000 characters: the digest's text, monospaced, cut if longer.
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _code_block(note.detail)}}
        )
    figures = facts(note)
    if figures:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{label}*\n{_escape(value)}"}
                    for label, value in figures[:10]
                ],
            }
        )
    footer = [f"<{url}|{_escape(name)}>" for name, url in links.items()]
    footer.append(f"monitor `{_escape(note.monitor)}` · run of {note.at:%H:%M} UTC")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(footer)}]})
    # The top-level text is mrkdwn too (what a phone shows): an HTML error page must not render.
    return {"text": _escape(plain_text(note)), "blocks": blocks}


def facts(note: Notification) -> list[tuple[str, str]]:
    r = note.reading
    if r is None:
        return []
    if r.live:
        return _live_facts(r)
    progress = ", bucket in progress" if r.in_progress else f", {r.age}" if r.past else ""
    label = "Recent peak" if note.kind is Kind.RESOLVED else "Peak"
    facts = [
        (label, f"{r.calls} of {r.limit} calls ({r.percent:.0f}%) at {r.at:%H:%M} UTC{progress}"),
        *_now(r),
        ("Headroom", _headroom(r)),
        ("Joined", f"{r.joined_calls} calls joined at the peak"),
        ("Last hour", f"{sparkline(r.series, r.limit)} {r.trend}"),
        *((("Forecast", f"{r.nowcast} ({r.basis})"),) if r.nowcast else ()),
        (
            "Thresholds",
            f"warning {r.thresholds.warning:g}%, critical {r.thresholds.critical:g}%, "
            f"limit {r.limit}",
        ),
    ]
    if note.previous_severity and note.previous_severity != note.severity:
        facts.append(("Was", note.previous_severity))
    return facts


def _live_facts(r: Reading) -> list[tuple[str, str]]:
    """A live count has no bucket and no hour behind it: the calls now, and what is left."""
    return [
        (
            "Now",
            f"{r.calls} calls now, live, of {r.limit} ({r.percent:.0f}%) at {r.at:%H:%M:%S} UTC",
        ),
        ("Headroom", _headroom(r)),
        (
            "Thresholds",
            f"warning {r.thresholds.warning:g}%, critical {r.thresholds.critical:g}%, "
            f"limit {r.limit}",
        ),
    ]


def _now(r: Reading) -> list[tuple[str, str]]:
    if r.now_calls is None:
        return []
    return [("Now", f"{r.now_calls} of {r.limit} calls ({_now_percent(r)})")]


def _headroom(r: Reading) -> str:
    if r.now_calls is not None:
        # Headroom is about new calls now, never about an old peak.
        at_peak = "none" if r.headroom <= 0 else _calls(r.headroom)
        return f"{_calls(r.limit - r.now_calls)} now ({at_peak} at the {r.at:%H:%M} peak)"
    if r.headroom <= 0:
        return "none: new calls get HTTP 429"
    return _calls(r.headroom)


def _calls(count: int) -> str:
    return f"{count} call{'s' if count != 1 else ''}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code_block(text: str, limit: int = 3000) -> str:
    body = _escape(text.rstrip("\n"))
    room = limit - 8
    return "```" + (body if len(body) <= room else body[: room - 1] + "…") + "```"


# The Slack app's root messages escape as the webhook's messages do.
escape_mrkdwn = _escape
