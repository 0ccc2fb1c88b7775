"""The bench's arithmetic: the cost table against the templates, and the tick's queue model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load

from bench import costs
from bench.fleet import DEFAULT_CONCURRENCY, TICK_SECONDS, WINDOW_SECONDS, Run, schedule

REPO = Path(__file__).resolve().parents[3]


def alarms(template: str) -> set[str]:
    loaded: dict[str, Any] = load(str(REPO / template))
    return {
        name
        for name, resource in loaded["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_the_cost_table_counts_the_alarms_the_template_creates() -> None:
    # The fleet has the deployment's alarms only: a monitor added as data brings none.
    assert costs.MONITOR_ALARMS == 0
    assert len(alarms("template.yaml")) == costs.DEPLOYMENT_ALARMS


def test_every_service_the_deployment_uses_has_a_line() -> None:
    items = [line.item for line in costs.bill(1)]
    for service in ("Lambda", "SQS", "DynamoDB", "SSM", "KMS", "SNS", "X-Ray", "Scheduler"):
        assert any(service in item for item in items), service
    for part in ("metrics", "alarms", "Logs"):
        assert any(f"CloudWatch {part}" in item for item in items), part


def test_free_tiers_only_ever_lower_a_line() -> None:
    for monitors in (1, 10, 100):
        for line in costs.bill(monitors):
            assert 0 <= line.free_usd <= line.list_usd, line


def test_the_cost_a_monitor_falls_as_the_fleet_grows_under_the_goal_at_1000() -> None:
    # The fleet's goal, list prices without free tiers, with the default usage.
    assert costs.per_monitor(1000) < 0.25
    assert costs.per_monitor(1000) < costs.per_monitor(100) < costs.per_monitor(10)
    # No per-monitor metric: the deployment's six counts, whatever the fleet's size.
    [metrics] = [line for line in costs.bill(1000) if line.item == "CloudWatch metrics"]
    assert metrics.list_usd == pytest.approx(6 * 0.30)


def runs(seconds: float, count: int = 100) -> list[Run]:
    return [Run(f"m{i}", cpu_ms=10.0, wall_ms=seconds * 1000, status="x") for i in range(count)]


def test_a_thousand_hanging_runs_end_within_the_tick_at_the_default_cap() -> None:
    outcome = schedule(runs(17.0, 1000), init_cpu_ms=150.0, concurrency=DEFAULT_CONCURRENCY)
    assert outcome.late == 0
    assert outcome.finished_s.high < TICK_SECONDS
    assert outcome.peak_running == DEFAULT_CONCURRENCY


def test_fifty_at_once_cannot_carry_a_thousand_hanging_runs() -> None:
    # 1,000 runs of 17 s, 50 at a time, need 340 s: more than the tick.
    outcome = schedule(runs(17.0, 1000), init_cpu_ms=150.0, concurrency=50)
    assert outcome.peak_running == 50
    assert outcome.late > 0


def test_healthy_runs_follow_the_spread_not_the_cap() -> None:
    # Short runs end soon after their message appears: the spread, not the cap, sets the pace.
    outcome = schedule(runs(0.3, 1000), init_cpu_ms=150.0, concurrency=200)
    assert WINDOW_SECONDS - 1 < outcome.finished_s.high < WINDOW_SECONDS + 10
    assert outcome.peak_running < 40  # cold starts overlap at first; far under the cap


def test_the_model_never_runs_more_than_the_cap() -> None:
    for cap in (2, 3, 14):
        assert schedule(runs(24.0, 40), init_cpu_ms=0.0, concurrency=cap).peak_running <= cap
