"""An email's subject: the essential first, whole, and under SNS's limit of 100 characters."""

from __future__ import annotations

from ceilingwatch.domain.alerts import Kind, Notification, Reading
from ceilingwatch.domain.evaluation import percent

# AWS documents the subject as "less than 100 characters": 99 at most.
SUBJECT_LIMIT = 99

# The subject's tag where the kind, not the severity, says what the message is.
KIND_TAGS = {Kind.TEST: "[TEST]", Kind.FORECAST: "[FORECAST]", Kind.DIGEST: "[WEEKLY]"}

# Kinds whose subject is its why or headline; CONFIG notices carry a headline made to fit.
WHY_IS_SUBJECT = frozenset({Kind.CONFIG, Kind.CONFIG_CHANGED})

# What each kind says when its figures do not fit, the most telling words first.
SHORT_TAILS = {
    Kind.RESOLVED: "resolved",
    Kind.MONITOR_ERROR: "cannot judge",
    Kind.NO_DATA: "no data",
    Kind.MONITOR_RECOVERED: "judging again",
    Kind.ACCOUNT_CEILING: "account ceiling below limit",
    Kind.LIMIT_CHANGED: "limit changed",
    Kind.CHANNEL_PROBLEM: "channel problem",
    Kind.TEST: "test alert",
    Kind.PLAN_RISK: "plan lapses or changes",
    Kind.CONFIG: "parameter invalid",
    Kind.CONFIG_CHANGED: "parameter changed",
    Kind.DIGEST: "weekly digest",
    Kind.FORECAST: "heading for its limit",
    Kind.LIVE_LAG: "live feed missing calls",
}


def subject(note: Notification) -> str:
    """The richest subject that fits, else a shorter wording, else whole words of the shortest."""
    tag = f"[{note.severity}]" + ("[reminder]" if note.kind is Kind.REMINDER else "")
    head = f"{KIND_TAGS.get(note.kind, tag)} {note.monitor}"
    tails = [_ascii(t) for t in _tails(note) if t]
    for tail in tails:
        if len(head) + 2 + len(tail) <= SUBJECT_LIMIT:
            return f"{head}: {tail}"
    words = tails[-1].split() if tails else []
    while words and len(head) + 2 + len(" ".join(words)) > SUBJECT_LIMIT:
        words.pop()
    return f"{head}: {' '.join(words)}" if words else head[:SUBJECT_LIMIT]


def _ascii(text: str) -> str:
    # SNS wants printable ASCII on one line; the monitor name is already restricted to that.
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text.replace("→", "->"))


def _tails(note: Notification) -> list[str]:
    r = note.reading
    short = SHORT_TAILS.get(note.kind, "")
    if note.kind is Kind.FORECAST and r is not None and r.minutes_to_limit is not None:
        return [f"limit of {r.limit} in ~{r.minutes_to_limit} min (now {r.calls}/{r.limit})", short]
    if note.headline:
        return [note.headline, short]
    if note.kind in WHY_IS_SUBJECT:
        return [note.why, short]
    tails = {
        Kind.RESOLVED: "resolved, {figures}",
        Kind.MONITOR_ERROR: "ceilingwatch cannot judge the ceiling",
        Kind.NO_DATA: "no concurrency data from Ultravox",
        Kind.MONITOR_RECOVERED: "ceilingwatch is judging again, {figures}",
        Kind.ACCOUNT_CEILING: "Ultravox's own ceiling is below the configured limit",
        Kind.LIMIT_CHANGED: "limit changed, {figures}",
        Kind.CHANNEL_PROBLEM: "a channel cannot deliver",
        Kind.TEST: "test alert from ceilingwatch",
        Kind.PLAN_RISK: "the Ultravox plan lapses or changes within 7 days",
        Kind.LIVE_LAG: "the live feed keeps missing calls; check its Ultravox webhook",
    }
    wording = tails.get(note.kind, "{figures}")
    return [wording.format(figures=f) for f in _figures(note.kind, r)] + [short]


def _figures(kind: Kind, r: Reading | None) -> list[str]:
    """The reading in the subject, from the fullest to the barest."""
    if r is None:
        return [""]
    if r.past and kind is Kind.RESOLVED:
        now = f"{r.now_calls}/{r.limit}"
        return [f"now {now} concurrent calls ({_now_share(r)})", f"now {now}"]
    if r.past:
        peak, now = f"{r.calls}/{r.limit} at {r.at:%H:%M} UTC", f"now {r.now_calls}/{r.limit}"
        return [f"reached {peak}, {r.age}; {now}", f"reached {peak}; {now}", peak]
    return [f"{r.calls}/{r.limit} concurrent calls ({r.percent:.0f}%)", f"{r.calls}/{r.limit}"]


def _now_share(r: Reading) -> str:
    return f"{percent(r.now_calls or 0, r.limit):.0f}%"
