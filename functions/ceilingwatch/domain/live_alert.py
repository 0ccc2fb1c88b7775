"""A live count held against what was told: it raises or escalates at once, and never resolves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from ceilingwatch.domain.alerts import Kind, Notification, Reading
from ceilingwatch.domain.config import MonitorConfig, Thresholds
from ceilingwatch.domain.evaluation import classify, percent
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import AlertState, OpenEpisode, Outcome


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
    reading = Reading(
        calls=calls,
        limit=config.concurrency_limit,
        at=now,
        in_progress=True,
        joined_calls=0,
        series=(),
        trend="",
        thresholds=config.thresholds,
        live=True,
    )
    why = (
        f"{calls} call{'s' if calls != 1 else ''} now, live, of {config.concurrency_limit} "
        f"({percent(calls, config.concurrency_limit):.0f}%); "
        f"warning at {config.thresholds.warning:g}%, critical at {config.thresholds.critical:g}%"
    )
    note = Notification(
        Kind.RAISED if told is Level.OK else Kind.ESCALATED,
        monitor,
        Severity.of(level),
        why,
        now,
        reading,
        previous_severity=Severity.of(told),
    )
    episode = state.episode
    peak = (calls, now) if calls > episode.peak else (episode.peak, episode.peak_at)
    after = replace(
        state,
        version=state.version + 1,
        told=replace(state.told, level=level, level_at=now),
        episode=OpenEpisode(episode.started_at or now, *peak),
    )
    if config.muted(now):
        # Muted: nothing told, nothing kept as told, so the mute's end still tells it.
        return Outcome(replace(state, version=state.version + 1), (), why, suppressed=(note,))
    return Outcome(after, (note,), why)


def _share(raw: str | None, default: float) -> float:
    try:
        return float(raw) if raw else default
    except ValueError:
        return default
