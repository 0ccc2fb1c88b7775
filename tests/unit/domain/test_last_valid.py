"""Never blind: judging with the last valid configuration, CONFIG notices and change verdicts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.config_notices import (
    ParameterChange,
    already_told,
    change_verdict,
    config_notice,
    signature,
    told_config,
    told_versions,
)
from ceilingwatch.domain.last_valid import ConfigReading, applied_values, read_config
from ceilingwatch.domain.messages import format_email, format_slack, subject
from ceilingwatch.domain.state import AlertState, Judgement, Watches

from tests.support.builders import API_KEY, WEBHOOK, tick_time

PATH = "/ceilingwatch/prod/"
GOOD = {"concurrency-limit": "50", "ultravox-api-key": API_KEY, "slack-webhook-url": WEBHOOK}


def valid(**values: str) -> ConfigReading:
    return read_config(PARAMETERS, "prod", PATH, GOOD | values)


def test_a_valid_configuration_keeps_its_judging_values_and_never_a_secret() -> None:
    reading = valid(**{"warning-percent": "60"})
    assert reading.config is not None and not reading.problems
    assert reading.valid_values is not None
    kept = reading.valid_values.values()
    assert API_KEY not in kept and WEBHOOK not in kept
    assert reading.valid_values["warning-percent"] == "60"


def test_an_invalid_value_judges_with_the_last_valid_one_and_names_the_parameter() -> None:
    last = valid(**{"warning-percent": "60"}).valid_values
    reading = read_config(PARAMETERS, "prod", PATH, GOOD | {"warning-percent": "abc"}, last)
    assert reading.config is not None and reading.falling_back
    assert reading.config.thresholds.warning == 60
    # Today's secret, never a stored one.
    assert reading.config.secret("ultravox-api-key") == Secret(API_KEY)
    assert [p.parameter for p in reading.problems] == ["warning-percent"]
    assert reading.valid_values is None  # the last valid values stay what is stored


def test_a_configuration_never_valid_cannot_judge_and_says_so() -> None:
    reading = read_config(PARAMETERS, "prod", PATH, GOOD | {"warning-percent": "abc"})
    assert reading.config is None and reading.error is not None
    assert "has never been valid, so nothing can be judged" in reading.error.problem
    assert "warning-percent = 'abc' is not a number" in reading.error.problem


def test_a_missing_key_cannot_be_replaced_by_the_last_valid_values() -> None:
    last = valid().valid_values
    reading = read_config(PARAMETERS, "prod", PATH, {"concurrency-limit": "50"}, last)
    assert reading.config is None and reading.error is not None
    assert "ultravox-api-key is missing" in reading.error.problem


def test_a_bad_routing_value_falls_back_like_any_other() -> None:
    last = valid(**{"slack-min-severity": "critical"}).valid_values
    reading = read_config(PARAMETERS, "prod", PATH, GOOD | {"slack-min-severity": "loud"}, last)
    assert reading.config is not None and reading.config.option("slack-min-severity") == "CRITICAL"
    assert [p.parameter for p in reading.problems] == ["slack-min-severity"]


def test_the_config_notice_is_sent_once_then_at_the_reminder_interval() -> None:
    last = valid().valid_values
    bad = read_config(PARAMETERS, "prod", PATH, GOOD | {"warning-percent": "abc"}, last)
    state = AlertState("prod")
    hours = timedelta(hours=4)
    sent = []
    for index in range(0, 60):  # five hours of ticks
        state, note = config_notice(state, bad, PATH, tick_time(index), hours)
        if note is not None:
            sent.append(index)
    assert sent == [0, 48]
    assert config_notice(state, valid(), PATH, tick_time(61), hours) == (
        replace(state, watches=replace(state.watches, config_problems="", config_problems_at=None)),
        None,
    )


def test_a_new_problem_is_told_at_once() -> None:
    last = valid().valid_values
    one = read_config(PARAMETERS, "prod", PATH, GOOD | {"warning-percent": "abc"}, last)
    two = read_config(
        PARAMETERS, "prod", PATH, GOOD | {"warning-percent": "abc", "dry-run": "maybe"}, last
    )
    state, first = config_notice(AlertState("prod"), one, PATH, tick_time(0), timedelta(hours=4))
    state, second = config_notice(state, two, PATH, tick_time(1), timedelta(hours=4))
    assert first is not None and second is not None
    assert "dry-run, warning-percent invalid (still judging" in second.why


def change(parameter: str, operation: str = "Update") -> ParameterChange:
    return ParameterChange("prod", parameter, operation, tick_time(3))


STATE = AlertState("prod", Judgement(peak=21, last_tick=tick_time(2)))


def test_an_accepted_change_says_old_new_and_where_the_calls_are() -> None:
    before = applied_values(PARAMETERS, valid().valid_values)
    values = GOOD | {"warning-percent": "60"}
    reading = read_config(PARAMETERS, "prod", PATH, values)
    note = change_verdict(change("warning-percent"), reading, before, STATE, PATH, table=PARAMETERS)
    assert note.kind is Kind.CONFIG_CHANGED
    assert note.why == (
        "warning-percent 80 → 60 for prod: accepted; "
        "now at 42 % of the limit (the last hour's peak, 21 calls)"
    )
    assert subject(note) == "[CONFIG] prod: warning-percent 80 -> 60: accepted"


def test_a_refused_change_says_why_and_what_is_still_used() -> None:
    before = applied_values(PARAMETERS, valid().valid_values)
    values = GOOD | {"warning-percent": "abc"}
    reading = read_config(PARAMETERS, "prod", PATH, values, valid().valid_values)
    note = change_verdict(change("warning-percent"), reading, before, STATE, PATH, table=PARAMETERS)
    assert note.why.startswith(
        "warning-percent 80 → abc for prod: refused: warning-percent = 'abc' is not a number"
    )
    assert note.why.endswith("; still judging with 80")


def test_a_conflict_names_both_parameters() -> None:
    before = applied_values(PARAMETERS, valid().valid_values)
    values = GOOD | {"warning-percent": "60", "warning-recovery-percent": "65"}
    reading = read_config(PARAMETERS, "prod", PATH, values, valid().valid_values)
    note = change_verdict(change("warning-percent"), reading, before, STATE, PATH, table=PARAMETERS)
    assert "refused: warning-recovery-percent (65) must be below warning-percent (60)" in note.why


def test_a_secret_change_never_shows_a_value() -> None:
    before = applied_values(PARAMETERS, valid().valid_values)
    values = GOOD | {"slack-webhook-url": "https://evil.example.com/hook-secret"}
    reading = read_config(PARAMETERS, "prod", PATH, values, valid().valid_values)
    refused = ("slack-webhook-url does not start with https://hooks.slack.com/",)
    note = change_verdict(
        change("slack-webhook-url"), reading, before, STATE, PATH, refused, table=PARAMETERS
    )
    text = format_email(note, {}).body + str(format_slack(note, {}))
    assert "evil.example.com" not in text and WEBHOOK not in text
    assert note.why.startswith("slack-webhook-url changed for prod: refused: slack-webhook-url")
    assert "that channel is off until it is fixed" in note.why
    key = change_verdict(change("ultravox-api-key"), valid(), before, STATE, PATH, table=PARAMETERS)
    assert key.why.startswith("ultravox-api-key changed for prod: accepted")
    assert API_KEY not in key.why


def test_the_last_valid_configuration_survives_the_state_item() -> None:
    from ceilingwatch.adapters.state_codec import state_from_item, state_to_item

    watches = Watches(
        last_valid_config=valid(**{"warning-percent": "60"}).valid_values,
        config_problems="/ceilingwatch/prod/dry-run = 'maybe' is not true or false",
        config_problems_at=tick_time(4),
    )
    state = AlertState("prod", watches=watches)
    item = state_to_item(state)
    assert API_KEY not in str(item) and WEBHOOK not in str(item)
    assert state_from_item(item) == state


SAMPLE = json.loads((Path(__file__).parents[3] / "events" / "parameter-change.json").read_text())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/ceilingwatch/default/warning-percent", ("default", "warning-percent")),
        ("/ceilingwatch/prod-eu_2/slack-webhook-url", ("prod-eu_2", "slack-webhook-url")),
        ("/ceilingwatch/demo", None),
        ("/ceilingwatch/demo/nested/deeper", None),
        ("/ceilingwatch/bad name/x", None),
        ("/other/demo/warning-percent", None),
        ("/ceilingwatchx/demo/warning-percent", None),
    ],
)
def test_a_change_event_names_its_monitor_and_parameter(
    name: str, expected: tuple[str, str] | None
) -> None:
    event = SAMPLE | {"detail": SAMPLE["detail"] | {"name": name}}
    assert ParameterChange.recognises(event)
    change = ParameterChange.from_event(event, "/ceilingwatch", tick_time(0))
    assert (None if change is None else (change.monitor, change.parameter)) == expected


def test_a_change_event_carries_its_time_and_operation() -> None:
    change = ParameterChange.from_event(SAMPLE, "/ceilingwatch/", tick_time(0))
    assert change is not None and change.operation == "Update"
    assert change.at.isoformat() == "2026-11-24T14:38:00+00:00"
    assert not ParameterChange.recognises({"monitor": "demo"})


def test_only_values_a_person_set_are_kept_and_defaults_follow_them_back() -> None:
    kept = valid(**{"warning-percent": "50"}).valid_values
    assert kept == {"concurrency-limit": "50", "warning-percent": "50"}
    before = applied_values(PARAMETERS, kept)
    assert before is not None and before["warning-recovery-percent"] == "40"
    assert before["critical-percent"] == "95" and before["mute-until"] == ""


def test_every_parameter_but_the_secrets_is_kept() -> None:
    from ceilingwatch.domain.parameter_table import MONITOR

    domain = Path(__file__).parents[3] / "functions/ceilingwatch/domain"
    source = "".join((domain / name).read_text() for name in ("parameter_table.py", "config.py"))
    read = set(re.findall(r'read\(\s*"([a-z-]+)"', source))
    # The monitor's own rows are read one by one; the plug-ins' all together, into `options`.
    assert read == {name for name, owner in PARAMETERS.owners.items() if owner == MONITOR}
    names = {row.name for row in PARAMETERS.rows}
    assert names - PARAMETERS.secret_names == PARAMETERS.kept_names


def versioned(version: int, value: str = "abc") -> ConfigReading:
    """The reading of `warning-percent = value` at that version, as SSM reports it."""
    values = GOOD | {"warning-percent": value}
    versions = dict.fromkeys(values, 1) | {"warning-percent": version}
    return read_config(PARAMETERS, "prod", PATH, values, valid().valid_values, versions)


def test_a_problem_is_told_once_per_version_and_a_value_changed_back_is_told_again() -> None:
    hours = timedelta(hours=4)
    state, first = config_notice(AlertState("prod"), versioned(5), PATH, tick_time(0), hours)
    assert first is not None and state.watches.config_versions == "warning-percent@5"
    state, again = config_notice(state, versioned(5), PATH, tick_time(5), hours)
    assert again is None
    # abc (v5) -> 60 (v6) -> abc (v7) between two runs: the same words, a new problem.
    state, back = config_notice(state, versioned(7), PATH, tick_time(10), hours)
    assert back is not None and state.watches.config_versions == "warning-percent@7"


def test_a_change_written_after_the_run_s_tick_and_told_by_the_run_is_not_told_again() -> None:
    # The value was written a minute after the run's scheduled time, before the run read it.
    state, told = config_notice(AlertState("prod"), versioned(5), PATH, tick_time(0), timedelta())
    assert told is not None
    late = replace(change("warning-percent"), at=tick_time(0) + timedelta(minutes=1))
    assert already_told(state, versioned(5), late)
    assert not already_told(state, versioned(6, "xyz"), late)  # a newer value is news


def test_a_refusal_told_by_the_change_is_not_told_by_a_run_whatever_its_tick() -> None:
    state = told_config(AlertState("prod"), versioned(5), tick_time(3))
    assert state.watches.config_versions == "warning-percent@5"
    # A run scheduled before the change was written, reading it after.
    _, note = config_notice(state, versioned(5), PATH, tick_time(2), timedelta(hours=4))
    assert note is None
    accepted = told_config(state, versioned(6, "60"), tick_time(4))
    assert (accepted.watches.config_problems, accepted.watches.config_versions) == ("", "")


def test_what_the_code_before_versions_told_is_not_told_again_after_the_upgrade() -> None:
    reading = versioned(5)
    old = AlertState(
        "prod", watches=Watches(config_problems=signature(reading), config_problems_at=tick_time(0))
    )
    _, note = config_notice(old, reading, PATH, tick_time(5), timedelta(hours=4))
    assert note is None


def test_a_conflict_is_keyed_by_the_versions_of_both_parameters() -> None:
    values = GOOD | {"warning-percent": "60", "warning-recovery-percent": "65"}
    versions = dict.fromkeys(values, 2) | {"warning-percent": 4}
    reading = read_config(PARAMETERS, "prod", PATH, values, valid().valid_values, versions)
    assert told_versions(reading) == "warning-percent@4 warning-recovery-percent@2"
