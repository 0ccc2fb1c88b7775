"""Escalation when nobody answers: a channel with a delay hears an episode only if it holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from datetime import datetime, timedelta

from ceilingwatch.common.records import record, replace
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.levels import episode_summary
from ceilingwatch.domain.outbox import Owed
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.state import AlertState, Escalation

# The capacity episode's news: what a delayed channel waits on, and what ends it.
LEVEL_NEWS = frozenset({Kind.RAISED, Kind.ESCALATED, Kind.REMINDER, Kind.LIMIT_CHANGED})

Routes = Callable[[Notification], tuple[str, ...]]  # the channels whose routing takes a note


def _ends(note: Notification) -> bool:
    return note.kind is Kind.RESOLVED or (
        note.kind is Kind.LIMIT_CHANGED and note.severity is Severity.OK
    )


@record(frozen=False, eq=False)
class _Episode:
    """The run's view of the episode: whether a delayed channel may be told now."""

    state: AlertState
    delays: Mapping[str, timedelta]
    now: datetime
    told: set[str] = field(default_factory=set)
    pending: Notification | None = None

    def delayed(self, name: str) -> bool:
        return bool(self.delays.get(name)) and name not in self.told

    def due(self, name: str) -> bool:
        """The episode still holds, nobody acknowledged it, and the channel's delay is up."""
        start = self.state.episode.started_at
        holds = self.state.judged.level.alerting and start is not None
        answered = self.state.answers.acknowledged_level is not None
        return (
            holds and not answered and start is not None and self.now >= start + self.delays[name]
        )


def claim_with_delays(
    state: AlertState,
    notes: Sequence[Notification],
    routes: Routes,
    delays: Mapping[str, timedelta],
    now: datetime,
) -> tuple[AlertState, tuple[Owed, ...]]:
    """Each notification owed to the channels it routes to, less those still waiting out their
    delay; and the held-back news owed to each channel whose delay is up (once per episode)."""
    record = state.escalation
    run = _Episode(state, delays, now, set(record.told), record.pending)
    owed = [_owed(run, note, routes(note)) for note in notes]
    if run.pending is not None:
        owed.append(_due(run, run.pending, routes))
    if not state.judged.level.alerting:
        run.told, run.pending = set(), None  # the episode is over: the next starts afresh
    escalation = Escalation(run.pending, tuple(sorted(run.told)))
    return replace(state, escalation=escalation), tuple(o for o in owed if o.channels)


def _owed(run: _Episode, note: Notification, names: tuple[str, ...]) -> Owed:
    if _ends(note):
        # A resolve only where the raise went: a delayed channel never told hears nothing.
        return Owed(note, tuple(n for n in names if n in run.told or not run.delays.get(n)))
    if note.kind not in LEVEL_NEWS:
        return Owed(note, names)
    now = []
    for name in names:
        if not run.delayed(name):
            now.append(name)
        elif run.due(name):
            now.append(name)
            run.told.add(name)
        else:
            run.pending = note  # the latest news is what it hears once its delay is up
    return Owed(note, tuple(now))


def _due(run: _Episode, pending: Notification, routes: Routes) -> Owed:
    """The held-back news, for the channels whose delay ran out since the last news."""
    names = [n for n in routes(pending) if run.delayed(n) and run.due(n)]
    run.told.update(names)
    # It says how long the episode has held by now, which is why it is told at all.
    summary = episode_summary(run.state, run.now)
    return Owed(replace(pending, episode=summary or pending.episode), tuple(names))
