"""The level and its episode: raise fast, resolve slow, remind, and what an answer holds back."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from ceilingwatch.common.records import record, replace
from ceilingwatch.domain.alerts import Kind, Notification, Reading, duration
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.evaluation import Evaluation, highest, lowered
from ceilingwatch.domain.series import ConcurrencyBucket
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import AlertState, Judgement, OpenEpisode
from ceilingwatch.domain.wording import clock, headline, recovery_reason, thresholds_clause


@record(frozen=False, eq=False)
class Verdict:
    """The level one run judges, the bucket it rests on, and why."""

    level: Level
    basis: ConcurrencyBucket
    reason: str
    limit_changed: bool
    fresh_top: ConcurrencyBucket  # the highest bucket not judged before: what an episode peaks at


def judge(judged: Judgement, ev: Evaluation, cfg: MonitorConfig) -> Verdict:
    """Rise on any fresh bucket; fall only after `recovery_buckets` below the recovery share."""
    limit = cfg.concurrency_limit
    fresh = ev.fresh(judged.seen_through)
    fresh_top, fresh_level = highest(fresh) or ev.peak, ev.level_of(fresh)
    recent = ev.recent(cfg.recovery_buckets)
    recent_top = highest(recent) or ev.peak
    limit_changed = judged.limit is not None and judged.limit != limit

    def verdict(level: Level, basis: ConcurrencyBucket, reason: str) -> Verdict:
        return Verdict(level, basis, reason, limit_changed, fresh_top)

    if limit_changed:
        # A new limit is a deliberate act, not noise: judge the recent buckets at once.
        # Buckets not yet judged (say, after an outage) count too: the new limit applies to them.
        basis = recent_top if ev.level_of(recent) >= fresh_level else fresh_top
        why = f"limit changed from {judged.limit} to {limit}; " + headline(basis, ev, limit)
        return verdict(max(ev.level_of(recent), fresh_level), basis, why)
    if fresh_level > judged.level:
        why = headline(fresh_top, ev, limit) + thresholds_clause(cfg.thresholds)
        return verdict(fresh_level, fresh_top, why)
    if judged.level.alerting:
        eased = lowered(judged.level, recent_top.max_total_calls, limit, cfg.thresholds)
        level = max(eased, fresh_level)
        # What holds the level now: the recent buckets, not an hour-old peak.
        return verdict(level, recent_top, recovery_reason(judged.level, level, recent_top, ev, cfg))
    why = headline(ev.peak, ev, limit) + thresholds_clause(cfg.thresholds)
    return verdict(fresh_level, ev.peak, why)


def level_notification(
    state: AlertState,
    verdict: Verdict,
    reason: str,
    reading: Reading,
    tick: datetime,
    cfg: MonitorConfig,
) -> Notification | None:
    """What the level's change is to people: a raise, an escalation, the resolve, a reminder."""
    level, told = verdict.level, state.told.level
    was = Severity.of(told)

    def note(kind: Kind, previous: Severity | None = None, episode: str = "") -> Notification:
        return Notification(
            kind,
            state.monitor,
            Severity.of(level),
            reason,
            tick,
            reading,
            previous_severity=previous,
            episode=episode,
            opened_at=state.episode.started_at or tick,
        )

    if verdict.limit_changed:
        return note(Kind.LIMIT_CHANGED, was)
    if level > told:
        return note(Kind.RAISED if told is Level.OK else Kind.ESCALATED, was)
    if level is Level.OK and told.alerting:
        return note(Kind.RESOLVED, was, episode_summary(state, tick, ended=True))
    # Easing within an episode is not news: telling it would turn flapping at a threshold into
    # a message per bucket. People hear the highest level told, reminders, and the resolve.
    interval = cfg.renotify_critical if level >= Level.CRITICAL else cfg.renotify_warning
    last = state.told.level_at
    if level.alerting and interval and last is not None and tick - last >= interval:
        return note(Kind.REMINDER, was if level < told else None, episode_summary(state, tick))
    return None


class Heed(StrEnum):
    """What a snooze or an acknowledge from Slack makes of a level notification."""

    SEND = "send"
    HOLD = "hold"  # snoozed: not told, so it goes out once the snooze ends
    DROP = "drop"  # acknowledged: counts as told, so its reminders stop


def heed(state: AlertState, note: Notification, tick: datetime) -> Heed:
    """A rise, a new episode and the resolve always go out; reminders and same-level news wait."""
    level = note.severity.rank  # a level notification's severity is its level
    answers = state.answers
    snoozed = answers.snoozed_until is not None and tick < answers.snoozed_until
    if note.kind is Kind.REMINDER:
        if answers.acknowledged_level is not None and level <= answers.acknowledged_level:
            return Heed.DROP
        return Heed.HOLD if snoozed else Heed.SEND
    if note.kind is Kind.LIMIT_CHANGED and snoozed and Level.OK < level <= state.told.level:
        return Heed.HOLD
    return Heed.SEND


def with_episode(
    state: AlertState, level: Level, fresh_top: ConcurrencyBucket, tick: datetime
) -> AlertState:
    """The episode opens with the first alerting run, keeps its peak and its highest level
    (and how long it held there), and ends at OK."""
    if not level.alerting:
        return replace(state, episode=OpenEpisode())
    episode = state.episode
    top, held = episode.top, _seconds_at_top(state, tick)
    if level > top:
        top, held = level, 0
    peak, peak_at = episode.peak, episode.peak_at
    if fresh_top.max_total_calls > peak:
        peak, peak_at = fresh_top.max_total_calls, fresh_top.start
    return replace(state, episode=OpenEpisode(episode.started_at or tick, peak, peak_at, top, held))


def _seconds_at_top(state: AlertState, tick: datetime) -> int:
    """Time at the episode's highest level, counting the span since the last run if that run
    judged it there."""
    episode, judged = state.episode, state.judged
    held = episode.top_seconds
    if episode.started_at is not None and judged.level is episode.top and judged.last_tick:
        held += int((tick - judged.last_tick).total_seconds())
    return held


def episode_summary(state: AlertState, tick: datetime, *, ended: bool = False) -> str:
    """'resolved after 42 min; at AT_LIMIT for 7 min, peak 20/20 at 14:05 UTC' (or, while it
    holds, 'holding for 42 min; ...')."""
    episode = state.episode
    if episode.started_at is None:
        return ""
    lasted = duration(tick - episode.started_at)
    held = duration(timedelta(seconds=_seconds_at_top(state, tick)))
    peak_at = f" at {clock(episode.peak_at)} UTC" if episode.peak_at else ""
    limit = state.judged.limit or 0
    span = f"resolved after {lasted}" if ended else f"holding for {lasted}"
    top = f"at {Severity.of(episode.top).value} for {held}, " if episode.top.alerting else ""
    return f"{span}; {top}peak {episode.peak}/{limit}{peak_at}"
