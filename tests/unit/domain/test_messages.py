"""Exact email and Slack payloads for every kind of notification (snapshots), and their rules."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.channels.pagerduty import format_trigger
from ceilingwatch.channels.teams import format_teams
from ceilingwatch.common.errors import UltravoxAuthError
from ceilingwatch.domain.alerts import Kind, Measured, Notification
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.config_notices import ParameterChange, change_verdict, config_notice
from ceilingwatch.domain.digest import build_digest
from ceilingwatch.domain.digest_text import digest_notification
from ceilingwatch.domain.last_valid import applied_values, read_config
from ceilingwatch.domain.live_lag import lag_notice
from ceilingwatch.domain.messages import format_email, format_slack, sparkline, subject
from ceilingwatch.domain.plan import Subscription, plan_risk
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.state import AlertState, DeliveryRecord, Judgement
from ceilingwatch.domain.watches import channel_problems_notice

from tests.support.builders import API_KEY, START, Replay, config, evaluation_at, tick_time
from tests.unit.conftest import SNAPSHOTS, Snapshot

from .test_digest import RUN, TUESDAY_14, hourly

LINKS = {
    "Parameters": "https://us-east-1.console.aws.amazon.com/systems-manager/parameters/",
    "Ultravox": "https://app.ultravox.ai",
}


def lifecycle_notifications() -> dict[str, Notification]:
    """One real notification of each kind, made by the state machine itself."""
    replay = Replay()
    replay.run_series([10, 20, 30, 41, 45, 48, 50, 50, 44, 40, 30, 20, 10, 10])
    notes = {f"{n.kind.value}-{n.severity.lower()}": n for _, n in replay.sent}
    reminder = Replay()
    reminder.run_series([48] * 13)
    notes["reminder-critical"] = reminder.sent[-1][1]
    failing = Replay()
    for index in range(3):
        failing.fail(
            index,
            UltravoxAuthError(
                "Ultravox rejected the API key (HTTP 401)",
                "put a valid key in /ceilingwatch/prod/ultravox-api-key (SecureString)",
            ),
        )
    notes["monitor-error"] = failing.sent[-1][1]
    ceiling = Replay()
    ceiling.measure(0, [10], account=20)
    notes["account-ceiling"] = ceiling.sent[-1][1]
    limit = Replay()
    limit.measure(0, [30])
    limit.measure(1, [30, 30], cfg=config(concurrency_limit=30))
    notes["limit-changed"] = limit.sent[-1][1]
    # Judging resumes after an outage: the hour's peak is 41 minutes old and calls are down.
    past = Replay(cfg=config(concurrency_limit=20))
    past.measure(8, [20, 6, 6, 6, 6, 6, 6, 6, 6])
    notes["raised-at_limit-past-peak"] = past.sent[-1][1]
    notes["test"] = Notification(
        Kind.TEST, "prod", Severity.TEST, "a test alert through email and Slack", tick_time(0)
    )
    quiet = Replay(cfg=config(no_data_policy="alert"))
    for index in range(3):
        quiet.no_data(index)
    notes["no-data"] = quiet.sent[-1][1]
    failing.measure(3, [10, 10, 10, 12])
    notes["monitor-recovered"] = failing.sent[-1][1]
    assert failing.state is not None
    _, problem = channel_problems_notice(
        failing.state,
        ("teams-webhook-url is an Office 365 connector URL, which Microsoft retired",),
        tick_time(4),
        config(),
    )
    assert problem is not None
    notes["channel-problem"] = problem
    forecast = Replay()
    forecast.run_series([20 + 2 * i for i in range(12)])
    notes["forecast"] = next(n for _, n in forecast.sent if n.kind is Kind.FORECAST)
    plan = Subscription("pro", expiration=START + timedelta(days=3))
    risky = Replay()
    risky.tick(0, Measured(evaluation_at(0, [10], config()), subscription=plan))
    notes["plan-risk"] = risky.sent[-1][1]
    week = build_digest(
        "prod", hourly({TUESDAY_14: 47}), 50, Thresholds(), RUN, plan_risk=plan_risk(plan, RUN, 50)
    )
    notes["digest"] = digest_notification(week, RUN)
    notes["config"], notes["config-changed"] = config_notifications()
    notes["live-lag"] = lag_notice("prod", 3, 2, 5, tick_time(4))
    return notes


def config_notifications() -> tuple[Notification, Notification]:
    """A bad parameter while the last valid values judge, and a refused change."""
    path = "/ceilingwatch/prod/"
    good = {"concurrency-limit": "50", "ultravox-api-key": API_KEY}
    last = read_config(PARAMETERS, "prod", path, good)
    bad_values = good | {"warning-percent": "abc"}
    bad = read_config(PARAMETERS, "prod", path, bad_values, last.valid_values)
    state = AlertState("prod", Judgement(peak=21, last_tick=tick_time(2)))
    _, notice = config_notice(state, bad, path, tick_time(3), timedelta(hours=4))
    assert notice is not None
    change = ParameterChange("prod", "warning-percent", "Update", tick_time(3))
    verdict = change_verdict(
        change, bad, applied_values(PARAMETERS, last.valid_values), state, path, table=PARAMETERS
    )
    return notice, verdict


NOTES = lifecycle_notifications()
# Notices with no incident to open or close: PagerDuty never takes them (test_channels.py).
NOT_PAGED = frozenset({"forecast", "plan-risk", "digest"})


def test_every_kind_of_notification_has_a_snapshot() -> None:
    # Compared with the enum itself: a new kind without its snapshots fails here.
    assert {note.kind for note in NOTES.values()} == set(Kind)
    for name in NOTES:
        channels = ("email", "slack", "teams") + (() if name in NOT_PAGED else ("pagerduty",))
        for channel in channels:
            suffix = "txt" if channel == "email" else "json"
            assert (SNAPSHOTS / f"{channel}-{name}.{suffix}").exists(), (channel, name)


@pytest.mark.parametrize("name", sorted(NOTES))
def test_teams_payload(name: str, snapshot: Snapshot) -> None:
    snapshot.assert_match(f"teams-{name}.json", format_teams(NOTES[name], LINKS))


@pytest.mark.parametrize("name", sorted(set(NOTES) - NOT_PAGED))
def test_pagerduty_payload(name: str, snapshot: Snapshot) -> None:
    event = format_trigger(NOTES[name], "ceilingwatch/prod/capacity/20261124T1200Z", LINKS)
    snapshot.assert_match(f"pagerduty-{name}.json", event)


@pytest.mark.parametrize("name", sorted(NOTES))
def test_email_payload(name: str, snapshot: Snapshot) -> None:
    email = format_email(NOTES[name], LINKS)
    snapshot.assert_match(
        f"email-{name}.txt",
        f"Subject: {email.subject}\nAttributes: {email.attributes}\n\n{email.body}",
    )


@pytest.mark.parametrize("name", sorted(NOTES))
def test_slack_payload(name: str, snapshot: Snapshot) -> None:
    snapshot.assert_match(f"slack-{name}.json", format_slack(NOTES[name], LINKS))


@pytest.mark.parametrize("name", sorted(NOTES))
def test_subject_sorts_in_an_inbox(name: str) -> None:
    text = subject(NOTES[name])
    assert len(text) <= 100
    assert text.isascii() and "\n" not in text
    tag = {"forecast": "[FORECAST]", "digest": "[WEEKLY]"}.get(name, f"[{NOTES[name].severity}]")
    assert text.startswith(tag)


def test_forecast_and_weekly_subjects_as_the_issue_spells_them() -> None:
    assert re.fullmatch(
        r"\[FORECAST\] prod: limit of 50 in ~\d+ min \(now \d+/50\)", subject(NOTES["forecast"])
    )
    assert subject(NOTES["digest"]) == "[WEEKLY] prod: peak 47/50 (94%) on Tue 14:00 UTC"
    assert "FORECAST" in format_slack(NOTES["forecast"], LINKS)["text"]
    assert "rising" in format_email(NOTES["forecast"], LINKS).body


def test_the_digest_email_holds_the_whole_digest_and_slack_a_code_block() -> None:
    note = NOTES["digest"]
    assert note.detail in format_email(note, LINKS).body
    blocks = format_slack(note, LINKS)["blocks"]
    code = next(b for b in blocks if b["type"] == "section" and "```" in b["text"]["text"])
    assert "Busiest hours" in code["text"]["text"]
    assert len(code["text"]["text"]) <= 3000


def test_subject_example_from_the_issue() -> None:
    replay = Replay()
    replay.run_series([48])
    assert subject(replay.sent[0][1]) == "[CRITICAL] prod: 48/50 concurrent calls (96%)"


def test_a_peak_no_longer_current_is_told_in_the_past_tense() -> None:
    note = NOTES["raised-at_limit-past-peak"]
    assert subject(note) == "[AT_LIMIT] prod: reached 20/20 at 12:00 UTC, 41 minutes ago; now 6/20"
    email, slack = format_email(note, LINKS), format_slack(note, LINKS)
    text = email.body + json.dumps(slack, ensure_ascii=False)
    assert "new calls get HTTP 429" not in text and "no headroom" not in text
    assert "14 calls now (none at the 12:00 peak)" in email.body
    assert slack["text"].startswith("🔴 [AT_LIMIT] prod: reached 20/20 at 12:00 UTC, 41 minutes")
    assert note.why.startswith("peak 20 of 20 calls (100%) at 12:00 UTC, 41 minutes ago; now 6")


def test_a_peak_still_current_keeps_the_present_tense() -> None:
    note = NOTES["escalated-at_limit"]
    assert note.reading is not None and not note.reading.past
    assert "new calls get HTTP 429" in format_email(note, LINKS).body


LONGEST_NAME = "m" * 64  # the longest monitor name a template accepts


@pytest.mark.parametrize("monitor", ["prod-eu", LONGEST_NAME], ids=["short-name", "64-characters"])
@pytest.mark.parametrize("name", sorted(NOTES))
def test_every_subject_is_whole_and_under_100_characters(name: str, monitor: str) -> None:
    note = replace(NOTES[name], monitor=monitor)
    text = subject(note)
    assert len(text) < 100, text  # AWS: "less than 100 characters"
    assert not text.endswith("..."), text
    head, _, tail = text.partition(f"{monitor}: ")
    assert head.startswith("[") and tail, text
    # Whole: it is one of the kind's wordings, or whole words from the start of one.
    wordings = [subject(replace(note, monitor="m"))[len("[X] m: ") :]]
    assert any(w.startswith(tail) for w in [*wordings, tail]), text
    assert re.fullmatch(r"[^ ]+( [^ ]+)*", tail), text


def test_every_kind_has_a_subject_in_the_snapshots() -> None:
    assert {n.kind for n in NOTES.values()} == set(Kind)


def test_a_config_subject_says_the_parameter_and_the_consequence_whole() -> None:
    note = replace(NOTES["config"], monitor="prod-eu")
    assert subject(note) == (
        "[CONFIG] prod-eu: warning-percent invalid; judging with the last valid values"
    )
    changed = replace(NOTES["config-changed"], monitor="prod-eu")
    assert subject(changed) == "[CONFIG] prod-eu: warning-percent 80 -> abc: refused"


def test_a_figure_that_does_not_fit_gives_way_to_a_shorter_wording() -> None:
    note = replace(NOTES["raised-at_limit-past-peak"], monitor=LONGEST_NAME)
    assert subject(note) == f"[AT_LIMIT] {LONGEST_NAME}: 20/20 at 12:00 UTC"


def test_slack_carries_a_top_level_text_for_phones() -> None:
    for note in NOTES.values():
        payload = format_slack(note, LINKS)
        assert payload["text"] and note.why.replace("&", "&amp;") in payload["text"]
        assert payload["blocks"][0]["type"] == "header"


def test_slack_escapes_control_characters_of_mrkdwn() -> None:
    note = Notification(
        Kind.MONITOR_ERROR, "prod", Severity.ERROR, "HTTP 500: '<html>&'", tick_time(0)
    )
    payload = format_slack(note, {})
    assert "&lt;html&gt;&amp;" in payload["blocks"][1]["text"]["text"]
    assert "&lt;html&gt;&amp;" in payload["text"] and "<html>" not in payload["text"]


@pytest.mark.parametrize(
    ("series", "limit", "expected"),
    [((0, 25, 50), 50, "▁▅█"), ((60,), 50, "█"), ((0, 7, 14), 14, "▁▅█"), ((), 50, "")],
)
def test_sparkline_is_scaled_to_the_limit(
    series: tuple[int, ...], limit: int, expected: str
) -> None:
    assert sparkline(series, limit) == expected


def test_every_notification_survives_the_outbox_round_trip() -> None:
    from ceilingwatch.adapters.state_codec import state_from_item, state_to_item
    from ceilingwatch.domain.outbox import Owed

    owed = tuple(Owed(note, ("email", "pagerduty")) for note in NOTES.values())
    state = AlertState("prod", delivery=DeliveryRecord(outbox=owed))
    assert state_from_item(state_to_item(state)).delivery.outbox == owed
    assert "outbox" not in state_to_item(AlertState("prod"))
