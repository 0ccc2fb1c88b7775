"""A live count against what was told: it raises and escalates at once, never twice, never down."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.live_alert import live_news, live_raise
from ceilingwatch.domain.messages import subject
from ceilingwatch.domain.severity import Level
from ceilingwatch.domain.state import AlertState, Judgement, Told, Watches

from tests.support.builders import config

NOW = datetime(2026, 11, 24, 14, 36, 12, tzinfo=UTC)


def told(level: Level, limit: int = 50) -> AlertState:
    return AlertState("prod", Judgement(limit=limit), told=Told(level=level), version=7)


@pytest.mark.parametrize(
    ("calls", "was", "kind", "level"),
    [
        (40, Level.OK, Kind.RAISED, Level.WARNING),
        (48, Level.OK, Kind.RAISED, Level.CRITICAL),
        (50, Level.WARNING, Kind.ESCALATED, Level.AT_LIMIT),
    ],
)
def test_a_live_count_above_what_was_told_raises_or_escalates(
    calls: int, was: Level, kind: Kind, level: Level
) -> None:
    outcome = live_raise(told(was), calls, monitor="prod", now=NOW, config=config())
    assert outcome is not None
    (note,) = outcome.notifications
    assert (note.kind, note.severity.level) == (kind, level)
    assert outcome.state.told.level is level and outcome.state.told.level_at == NOW
    assert outcome.state.version == 8
    assert f"{calls} calls now, live" in note.why


@pytest.mark.parametrize(
    ("calls", "was"), [(39, Level.OK), (45, Level.WARNING), (50, Level.AT_LIMIT)]
)
def test_a_live_count_at_or_below_what_was_told_is_no_news(calls: int, was: Level) -> None:
    assert live_raise(told(was), calls, monitor="prod", now=NOW, config=config()) is None


def test_the_judged_level_and_its_hour_stay_the_scheduled_runs() -> None:
    before = told(Level.OK)
    outcome = live_raise(before, 50, monitor="prod", now=NOW, config=config())
    assert outcome is not None
    assert outcome.state.judged == before.judged  # the next run judges its buckets as before
    assert outcome.state.episode.started_at == NOW and outcome.state.episode.peak == 50


def test_told_once_the_same_count_again_is_no_news() -> None:
    first = live_raise(told(Level.OK), 50, monitor="prod", now=NOW, config=config())
    assert first is not None
    assert live_raise(first.state, 50, monitor="prod", now=NOW, config=config()) is None


def test_the_subject_keeps_todays_severity_tag() -> None:
    outcome = live_raise(told(Level.OK), 50, monitor="prod", now=NOW, config=config())
    assert outcome is not None
    assert subject(outcome.notifications[0]) == "[AT_LIMIT] prod: 50/50 concurrent calls (100%)"


def test_muted_nothing_is_told_nor_kept_as_told() -> None:
    muted = config(mute_until="2026-11-24T18:00:00Z")
    outcome = live_raise(told(Level.OK), 50, monitor="prod", now=NOW, config=muted)
    assert outcome is not None and not outcome.notifications
    assert outcome.state.told.level is Level.OK


@pytest.mark.parametrize(
    ("calls", "kept", "news"),
    [
        (39, {}, False),
        (40, {}, True),  # 80% of 50 by the default thresholds
        (40, {"warning-percent": "90"}, False),  # the monitor's own threshold, as last judged
        (45, {"warning-percent": "90"}, True),
    ],
)
def test_the_receiver_asks_the_stored_limit_and_thresholds(
    calls: int, kept: dict[str, str], news: bool
) -> None:
    state = replace(told(Level.OK), watches=Watches(last_valid_config=kept))
    assert live_news(calls, state) is news


def test_nothing_is_news_before_a_run_has_judged_a_limit() -> None:
    assert not live_news(50, None)
    assert not live_news(50, AlertState("prod"))
