"""The alert state machine, as tables of scenarios: ticks in, the messages that must go out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ceilingwatch.common.errors import UltravoxUnavailableError
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.severity import Level
from ceilingwatch.domain.state import Health

from tests.support.builders import Replay, config, tick_time

RAISED, ESCALATED, RESOLVED = "raised", "escalated", "resolved"

# limit 50: warning at 40 (80 %), critical at 48 (95 %); leave WARNING below 35, CRITICAL below 45.
SERIES_CASES = [
    pytest.param([10] * 6, [], id="first OK after a deploy says nothing"),
    pytest.param(
        [10, 20, 30, 41, 45, 48, 50, 50, 44, 40, 30, 20, 10, 10],
        [
            (3, RAISED, "WARNING"),
            (5, ESCALATED, "CRITICAL"),
            (6, ESCALATED, "AT_LIMIT"),
            (12, RESOLVED, "OK"),
        ],
        id="rise, escalate at once, ease quietly and resolve slowly",
    ),
    pytest.param(
        [30, 41, 38, 42, 39, 41, 37, 40, 36, 30, 30, 30],
        [(1, RAISED, "WARNING"), (11, RESOLVED, "OK")],
        id="flapping around 80 % is absorbed by the recovery threshold",
    ),
    pytest.param(
        [10, 10, 10, 50, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
        [(3, RAISED, "AT_LIMIT"), (6, RESOLVED, "OK")],
        id="a one-bucket spike alerts once; the same bucket seen again is not news",
    ),
    pytest.param(
        [48] * 30,
        [(0, RAISED, "CRITICAL"), (12, "reminder", "CRITICAL"), (24, "reminder", "CRITICAL")],
        id="critical reminds hourly",
    ),
    pytest.param(
        [41] * 50,
        [(0, RAISED, "WARNING"), (48, "reminder", "WARNING")],
        id="warning reminds every four hours",
    ),
    pytest.param(
        [48, 30, 48, 30, 48, 30, 48, 30],
        [(0, RAISED, "CRITICAL")],
        id="alternating buckets hold the level while a recent bucket is critical",
    ),
]


@pytest.mark.parametrize(("peaks", "expected"), SERIES_CASES)
def test_series_sends_exactly_these_messages(peaks: list[int], expected: list[tuple]) -> None:
    assert Replay().run_series(peaks) == expected


def test_in_progress_spike_raises_at_once_and_its_completion_is_not_news() -> None:
    replay = Replay()
    peaks = [10, 10, 10, 10]
    for index in range(3):
        replay.measure(index, peaks)
    replay.measure(3, [*peaks, 10], in_progress=49)  # one minute into the bucket, already 49
    assert replay.log() == [(3, RAISED, "CRITICAL")]
    replay.measure(4, [10, 10, 10, 49, 10])  # bucket 3 completed at 49: seen already
    assert len(replay.sent) == 1


def test_resolve_message_says_how_long_the_episode_lasted_and_its_peak() -> None:
    replay = Replay()
    replay.run_series([10, 41, 48, 50, 40, 20, 10, 10])
    resolved = [n for _, n in replay.sent if n.kind is Kind.RESOLVED]
    assert len(resolved) == 1
    assert resolved[0].episode == (
        "resolved after 30 min; at AT_LIMIT for 15 min, peak 50/50 at 12:15 UTC"
    )
    assert "below 70%" in resolved[0].why


def test_raise_says_why_in_one_line() -> None:
    replay = Replay()
    replay.run_series([10, 47])
    note = replay.sent[0][1]
    assert note.why == (
        "peak 47 of 50 calls (94%) at 12:05 UTC (bucket in progress); 3 calls of headroom; "
        "warning at 80%, critical at 95%"
    )
    assert replay.state is not None and replay.state.judged.reason == note.why


def test_limit_change_mid_episode_reevaluates_at_once_with_one_notice() -> None:
    replay = Replay()
    peaks = [48] * 6
    for index in range(3):
        replay.measure(index, peaks)
    raised = config(concurrency_limit=80)
    for index in range(3, 6):
        replay.measure(index, peaks, cfg=raised)
    assert replay.log() == [(0, RAISED, "CRITICAL"), (3, "limit-changed", "OK")]
    assert replay.sent[1][1].why.startswith(
        "limit changed from 50 to 80; peak 48 of 80 calls (60%)"
    )


def test_lowering_the_limit_escalates_at_once() -> None:
    replay = Replay()
    replay.measure(0, [30])
    replay.measure(1, [30, 30], cfg=config(concurrency_limit=30))
    assert replay.log() == [(1, "limit-changed", "AT_LIMIT")]


def test_mute_suppresses_messages_but_not_state_and_expiry_tells() -> None:
    muted = config(mute_until=tick_time(4).isoformat())
    replay = Replay(cfg=muted)
    for index in range(6):
        replay.measure(index, [48] * 6)
    assert replay.log() == [(4, RAISED, "CRITICAL")]
    assert [len(o.suppressed) for o in replay.outcomes[:4]] == [1, 1, 1, 1]
    assert replay.outcomes[0].state.judged.level is Level.CRITICAL


def test_episode_entirely_inside_a_mute_sends_nothing_after() -> None:
    replay = Replay(cfg=config(mute_until=tick_time(10).isoformat()))
    replay.run_series([10, 48, 48, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10])
    assert replay.log() == []


def test_errors_alert_after_three_runs_say_what_to_fix_and_resolve() -> None:
    replay = Replay()
    error = UltravoxUnavailableError("Ultravox answered HTTP 503", "wait for Ultravox")
    for index in range(4):
        replay.fail(index, error)
    replay.fail(3, error)  # Lambda's retry of the same tick is not another failed run
    replay.measure(4, [10] * 5)
    assert replay.log() == [(2, "monitor-error", "ERROR"), (4, "monitor-recovered", "OK")]
    alert = replay.sent[0][1]
    assert alert.fix == "wait for Ultravox"
    assert "3 failed runs in a row" in alert.why
    assert "after 4 runs in ERROR" in replay.sent[1][1].why


def test_failures_hold_the_level_and_keep_the_tick_open_for_a_retry() -> None:
    replay = Replay()
    replay.measure(0, [48])
    outcome = replay.fail(1, UltravoxUnavailableError("down"))
    assert outcome.state.judged.level is Level.CRITICAL
    assert outcome.state.health.status is Health.ERROR
    assert outcome.state.status == "ERROR"
    assert not outcome.state.already_judged(tick_time(1))


def test_error_reminds_at_its_interval() -> None:
    replay = Replay(cfg=config(renotify_error_minutes=60))
    for index in range(16):
        replay.fail(index, UltravoxUnavailableError("down"))
    assert replay.log() == [(2, "monitor-error", "ERROR"), (14, "monitor-error", "ERROR")]


def test_no_data_is_quiet_by_default_and_alerts_when_asked() -> None:
    quiet = Replay()
    for index in range(5):
        quiet.no_data(index)
    assert quiet.log() == []
    assert quiet.state is not None and quiet.state.status == "NO_DATA"

    loud = Replay(cfg=config(no_data_policy="alert"))
    for index in range(4):
        loud.no_data(index)
    loud.measure(4, [10] * 5)
    assert loud.log() == [(2, "no-data", "NO_DATA"), (4, "monitor-recovered", "OK")]


def test_ok_after_no_data_says_nothing() -> None:
    replay = Replay()
    replay.no_data(0)
    replay.measure(1, [10, 10])
    assert replay.log() == []


def test_no_data_never_resolves_an_alert() -> None:
    replay = Replay()
    replay.measure(0, [48])
    for index in range(1, 20):
        replay.no_data(index)
    assert replay.state is not None and replay.state.judged.level is Level.CRITICAL
    assert [kind for _, kind, _ in replay.log()] == [RAISED]


def test_account_ceiling_below_limit_is_said_once() -> None:
    replay = Replay()
    replay.measure(0, [10], account=20)
    replay.measure(1, [10, 10])
    replay.measure(13, [10] * 14, account=20)
    assert replay.log() == [(0, "account-ceiling", "WARNING")]
    assert "allows this account 20 concurrent calls" in replay.sent[0][1].why


def test_account_ceiling_null_or_above_says_nothing() -> None:
    replay = Replay()
    replay.measure(0, [10], account=None)
    replay.measure(13, [10] * 14, account=100)
    assert replay.log() == []


def test_duplicate_tick_is_recognised() -> None:
    replay = Replay()
    replay.measure(0, [10])
    assert replay.state is not None
    assert replay.state.already_judged(tick_time(0))
    assert replay.state.already_judged(tick_time(0) - timedelta(minutes=5))
    assert not replay.state.already_judged(tick_time(1))


def test_every_save_bumps_the_version_for_the_conditional_write() -> None:
    replay = Replay()
    versions = [replay.measure(i, [10] * 3).state.version for i in range(3)]
    assert versions == [1, 2, 3]


def test_custom_recovery_buckets_slow_the_resolve() -> None:
    replay = Replay(cfg=config(recovery_buckets=4))
    log = replay.run_series([41, 10, 10, 10, 10, 10, 10])
    assert log == [(0, RAISED, "WARNING"), (5, RESOLVED, "OK")]


def test_flapping_at_the_ceiling_alerts_once_then_reminds() -> None:
    log = Replay().run_series([50, 49, 49, 49] * 7)
    assert log == [
        (0, RAISED, "AT_LIMIT"),
        (12, "reminder", "AT_LIMIT"),
        (24, "reminder", "AT_LIMIT"),
    ]


def test_a_reminder_after_easing_says_what_was_told() -> None:
    replay = Replay()
    replay.run_series([50, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48])
    reminder = replay.sent[-1][1]
    assert (reminder.kind, reminder.severity, reminder.previous_severity) == (
        Kind.REMINDER,
        "CRITICAL",
        "AT_LIMIT",
    )


def test_an_error_interrupted_by_no_data_still_resolves() -> None:
    replay = Replay()
    for index in range(3):
        replay.fail(index, UltravoxUnavailableError("down"))
    replay.no_data(3)
    replay.measure(4, [10] * 5)
    assert replay.log() == [(2, "monitor-error", "ERROR"), (4, "monitor-recovered", "OK")]


def test_alternating_errors_and_empty_answers_are_one_outage() -> None:
    replay = Replay()
    for index in range(6):
        if index % 2:
            replay.no_data(index)
        else:
            replay.fail(index, UltravoxUnavailableError("down"))
    assert replay.log() == [(2, "monitor-error", "ERROR")]


def test_a_limit_cut_after_an_outage_counts_the_buckets_missed_meanwhile() -> None:
    replay = Replay()
    peaks = [20] * 8
    peaks[4] = 34
    replay.measure(0, peaks)
    for index in range(1, 6):
        replay.fail(index, UltravoxUnavailableError("down"))
    replay.measure(7, peaks, cfg=config(concurrency_limit=35))
    kinds = [(kind, severity) for _, kind, severity in replay.log()]
    assert ("limit-changed", "CRITICAL") in kinds


def test_time_at_the_highest_level_counts_only_the_runs_judged_there() -> None:
    # AT_LIMIT judged 12:11 to 12:31 and again 12:51 to the resolve at 13:11 (each ends when two
    # completed buckets are below recovery): 40 of the episode's 65 minutes, not 60.
    replay = Replay()
    replay.run_series([10, 41, 50, 50, 30, 30, 41, 41, 41, 41, 50, 50, 20, 20, 10, 10, 10])
    (resolved,) = [n for _, n in replay.sent if n.kind is Kind.RESOLVED]
    assert resolved.episode == (
        "resolved after 1 h 5 min; at AT_LIMIT for 40 min, peak 50/50 at 12:10 UTC"
    )


def test_a_reminder_says_how_long_it_has_held() -> None:
    replay = Replay()
    replay.run_series([48] * 13)
    reminder = replay.sent[-1][1]
    assert reminder.kind is Kind.REMINDER
    assert reminder.episode == "holding for 1 h; at CRITICAL for 1 h, peak 48/50 at 12:00 UTC"
