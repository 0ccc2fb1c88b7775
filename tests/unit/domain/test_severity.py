"""The domain's closed sets: severities, actions, no-data policies and bucket sizes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ceilingwatch.domain.choices import Action, NoDataPolicy
from ceilingwatch.domain.series import BUCKET, Bucket
from ceilingwatch.domain.severity import Level, Severity


def test_the_severities_are_exactly_the_words_stored_and_sent() -> None:
    # Outboxes, Slack roots and email attributes hold these words: a rename breaks stored state.
    assert [s.value for s in Severity] == [
        "OK",
        "WARNING",
        "CRITICAL",
        "AT_LIMIT",
        "ERROR",
        "NO_DATA",
        "TEST",
        "INFO",
        "CONFIG",
    ]


@pytest.mark.parametrize("word", ["BOGUS", "warning", "", "AT LIMIT"])
def test_an_unknown_severity_is_an_error_that_names_it_never_at_limit(word: str) -> None:
    with pytest.raises(ValueError, match=f"unknown severity {word!r}: expected one of OK, "):
        Severity(word)


def test_each_level_is_a_severity_and_the_others_rank_above_every_level() -> None:
    for level in Level:
        assert Severity.of(level).level is level and Severity.of(level).rank is level
    notices = [s for s in Severity if s.level is None]
    assert notices == [s for s in Severity if s.name not in Level.__members__]
    assert all(s.rank is Level.AT_LIMIT for s in notices)


def test_every_severity_has_an_emoji_and_a_colour() -> None:
    assert all(s.emoji and s.colour for s in Severity)
    assert Severity.AT_LIMIT.spoken == "AT LIMIT"


def test_actions_policies_and_buckets_are_the_words_schedules_and_ultravox_use() -> None:
    assert [a.value for a in Action] == ["check", "test", "digest", "live"]
    assert [p.value for p in NoDataPolicy] == ["quiet", "alert"]
    assert [b.value for b in Bucket] == ["minute", "5min", "hour", "day"]
    assert BUCKET == Bucket.FIVE_MINUTES.span == timedelta(minutes=5)
    assert Bucket.HOUR.span == timedelta(hours=1)


def test_a_stored_notification_with_an_unknown_severity_fails_loudly() -> None:
    from ceilingwatch.adapters.state_codec import state_from_item

    stored = (
        '[{"note":{"kind":"raised","monitor":"prod","severity":"SEVERE","why":"w",'
        '"at":"2026-11-24T12:01:00+00:00","reading":null,"fix":"","previous_severity":"",'
        '"episode":"","headline":"","detail":""},"owed":["email"]}]'
    )
    with pytest.raises(ValueError, match="unknown severity 'SEVERE'"):
        state_from_item({"monitor": {"S": "prod"}, "outbox": {"S": stored}})
