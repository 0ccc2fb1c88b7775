"""A live count held against what was told: it raises or escalates at once, and never resolves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from ceilingwatch.domain.alerts import Kind, Notification, Reading
from ceilingwatch.domain.config import MonitorConfig, Thresholds
from ceilingwatch.domain.evaluation import classify, percent
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import AlertState, Outcome


def live_news(calls: int, state: AlertState | None) -> bool:
    """Whether a live count is above the level already told, by the stored limit and thresholds.

    What the receiver asks before it starts the check: a count that tells nothing new costs no
    invocation. Without a judged limit (no run has judged yet) nothing is known to be news.
    """
    if state is None or not state.judged.limit:
        return False
    kept: Mapping[str, str] = state.watches.last_valid_config or {}
    thresholds = Thresholds(
        warning=_share(kept.get("warning-percent"), Thresholds.warning),
        critical=_share(kept.get("critical-percent"), Thresholds.critical),
    )
    return classify(calls, state.judged.limit, thresholds) > state.told.level


def live_raise(
    previous: AlertState | None, calls: int, *, monitor: str, now: datetime, config: MonitorConfig
) -> Outcome | None:
    """The raise or escalation a live count owes, or None when it is no news.

    Only what was told moves (and the episode): the judged level, its hour and the buckets seen
    stay the scheduled runs', so the next run judges as it would have and never tells it twice.
    """
    state = previous or AlertState(monitor=monitor)
    level = classify(calls, config.concurrency_limit, config.thresholds)
    told = state.told.level
    if level <= told:
        return None
    opened = state.episode.started_at or now  # the episode's key, as the runs' notes carry it
    note = _live_note(calls, level, told, monitor=monitor, now=now, config=config)
    note = replace(note, opened_at=opened)
    if config.muted(now):
        # Muted: nothing told, nothing kept as told, so the mute's end still tells it.
        muted = replace(state, version=state.version + 1)
        return Outcome(muted, (), note.why, suppressed=(note,))
    episode = state.episode
    peak = (calls, now) if calls > episode.peak else (episode.peak, episode.peak_at)
    # The episode's highest level and its time there stay the judged ones (the runs').
    after = replace(
        state,
        version=state.version + 1,
        told=replace(state.told, level=level, level_at=now),
        episode=replace(episode, started_at=opened, peak=peak[0], peak_at=peak[1]),
    )
    return Outcome(after, (note,), note.why)


def _live_note(
    calls: int, level: Level, told: Level, *, monitor: str, now: datetime, config: MonitorConfig
) -> Notification:
    """The raise or escalation of a live count: "20 calls now, live, of 20 (100%)"."""
    limit, thresholds = config.concurrency_limit, config.thresholds
    reading = Reading(
        calls=calls,
        limit=limit,
        at=now,
        in_progress=True,
        joined_calls=0,
        series=(),
        trend="",
        thresholds=thresholds,
        live=True,
    )
    why = (
        f"{calls} call{'s' if calls != 1 else ''} now, live, of {limit} "
        f"({percent(calls, limit):.0f}%); "
        f"warning at {thresholds.warning:g}%, critical at {thresholds.critical:g}%"
    )
    return Notification(
        Kind.RAISED if told is Level.OK else Kind.ESCALATED,
        monitor,
        Severity.of(level),
        why,
        now,
        reading,
        previous_severity=Severity.of(told),
    )


def _share(raw: str | None, default: float) -> float:
    try:
        return float(raw) if raw else default
    except ValueError:
        return default
