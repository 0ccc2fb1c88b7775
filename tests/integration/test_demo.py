"""`make demo` as a test: the lifecycle it shows, and no secret in any log line or metric."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from infra.demo.timeline import run_demo

PRINTED = io.StringIO()


@pytest.fixture(scope="module")
def rising() -> object:
    return run_demo("rising-to-ceiling", out=PRINTED)


def test_the_rising_scenario_shows_the_whole_lifecycle_and_nothing_in_between(rising) -> None:
    assert rising.failed_runs == 0
    assert rising.kinds("email") == [
        # the climb from 10 to 33 in half an hour projects the limit within forecast-minutes
        "[FORECAST] demo: limit of 50 in ~25 min (now 33/50)",
        "[WARNING] demo: 41/50 concurrent calls (82%)",
        "[CRITICAL] demo: 48/50 concurrent calls (96%)",
        "[AT_LIMIT] demo: 50/50 concurrent calls (100%)",
        "[CRITICAL][reminder] demo: 48/50 concurrent calls (96%)",
        "[OK] demo: resolved, 34/50 concurrent calls (68%)",
    ]
    assert len(rising.kinds("slack")) == 6
    assert len(rising.kinds("teams")) == 6
    # PagerDuty from WARNING after 15 minutes (nobody acknowledges in the demo): one incident
    # for the episode, under the key the webhook has, escalated, reminded, resolved.
    assert rising.kinds("pagerduty") == [f"{action} {KEY}" for action in PAGES]
    assert rising.kinds("webhook") == [f"{s} {KEY}" for s in ["firing"] * 4 + ["resolved"]]
    told = {
        c: next(m.tick for m in rising.messages if m.channel == c) for c in ("webhook", "pagerduty")
    }
    assert rising.began == told["webhook"]
    assert told["pagerduty"] - rising.began == timedelta(minutes=15)
    assert rising.incidents == [
        {
            "dedup_key": KEY,
            "summary": rising.incidents[0]["summary"],
            "severity": "critical",  # its latest trigger's
            "source": "ceilingwatch/demo",
            "status": "resolved",
            "actions": PAGES,
        }
    ]
    assert rising.incidents[0]["summary"].startswith("WARNING: demo at 82%")
    # Hysteresis: one WARNING despite the traffic wobbling around 80 % for twenty minutes.
    assert rising.statuses.count("WARNING") >= 5


KEY = "ceilingwatch/demo/capacity/20261124T1246Z"
PAGES = ["trigger", "trigger", "trigger", "trigger", "resolve"]


def test_no_secret_reaches_a_log_line_an_exception_or_a_metric(rising) -> None:
    # The Ultravox key, the Slack and Teams webhook URLs, the PagerDuty routing key, the
    # alert-source webhook's URL and its signing secret.
    assert len(rising.secrets) == 6
    assert rising.log_text.count("\n") > rising.ticks  # a decision line and EMF per tick at least
    for line in rising.log_text.splitlines():
        json.loads(line)  # every line is structured
        assert not [s for s in rising.secrets if s in line]
    for message in rising.messages:
        assert not [s for s in rising.secrets if s in message.title + message.body]
    assert "PagerDuty incidents" in PRINTED.getvalue()
    assert not [s for s in rising.secrets if s in PRINTED.getvalue()]


def test_the_outage_scenario_alerts_once_then_says_it_recovered() -> None:
    report = run_demo("api-outage", out=io.StringIO())
    assert report.failed_runs == 5
    assert report.kinds("email") == [
        "[ERROR] demo: ceilingwatch cannot judge the ceiling",
        "[OK] demo: ceilingwatch is judging again, 28/50 concurrent calls (56%)",
    ]
    assert not [s for s in report.secrets if s in report.log_text]
    # Monitor health is an incident of its own, resolved by "judging again".
    assert [(i["dedup_key"].split("/")[2], i["actions"]) for i in report.incidents] == [
        ("health", ["trigger", "resolve"])
    ]
    assert "HTTP 503" in report.log_text


def test_an_unknown_scenario_is_named_with_the_known_ones(capsys) -> None:
    from infra.demo import timeline as demo

    assert demo.main(["--scenario", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no scenario 'nope'" in err and "rising-to-ceiling" in err and "api-outage" in err
    assert "Traceback" not in err


def test_ctrl_c_stops_the_demo_with_one_line(monkeypatch, capsys) -> None:
    from infra.demo import timeline as demo

    def interrupted(name: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "run_demo", interrupted)
    assert demo.main(["--scenario", "quiet"]) == 130
    assert capsys.readouterr().err.strip() == "demo: interrupted"
