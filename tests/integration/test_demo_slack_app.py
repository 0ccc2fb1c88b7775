"""The Slack app demo: one root, its thread growing, a Snooze clicked halfway, no secret shown."""

from __future__ import annotations

import io

from infra.demo.slack_app import run_slack_app_demo


def test_the_demo_shows_one_thread_and_a_snooze_through_the_real_handler() -> None:
    out = io.StringIO()
    report = run_slack_app_demo("rising-to-ceiling", out)
    assert report.failed_runs == 0 and report.click_status == 200
    *forecasts, root = report.roots  # a forecast is a message of its own, before the episode
    assert all("FORECAST" in m.header for m in forecasts)
    assert root.header.startswith("✅ demo: resolved after") and "peak 50/50" in root.header
    replies = [m.text for m in report.thread]
    snooze = next(i for i, text in enumerate(replies) if "snoozed by <@U0MARIA>" in text)
    # Halfway: after the escalation, and a rise still went out through the snooze.
    assert 0 < snooze < len(replies) - 1
    assert any("AT LIMIT" in text or "[AT_LIMIT]" in text for text in replies[snooze + 1 :])
    shown = out.getvalue()
    assert "@maria taps Snooze 1 h -> HTTP 200" in shown
    for secret in report.secrets:
        assert secret not in shown and secret not in report.log_text
