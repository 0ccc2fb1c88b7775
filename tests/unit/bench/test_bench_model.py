"""The bench's arithmetic: the cost table against the templates, and the tick's queue model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load

from bench import costs
from bench.fleet import TICK_SECONDS, Run, schedule

REPO = Path(__file__).resolve().parents[3]


def alarms(template: str) -> set[str]:
    loaded: dict[str, Any] = load(str(REPO / template))
    return {
        name
        for name, resource in loaded["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_the_cost_table_counts_the_alarms_the_templates_create() -> None:
    # A monitor added with infra/monitor.yaml brings its own alarms; the main stack has the
    # deployment's alarms plus its own monitor's heartbeat.
    per_monitor = alarms("infra/monitor.yaml")
    assert len(per_monitor) == costs.MONITOR_ALARMS
    assert len(alarms("template.yaml") - per_monitor) == costs.DEPLOYMENT_ALARMS


def test_every_service_the_deployment_uses_has_a_line() -> None:
    items = [line.item for line in costs.bill(1)]
    for service in ("Lambda", "DynamoDB", "SSM", "KMS", "SNS", "X-Ray", "Scheduler"):
        assert any(service in item for item in items), service
    for part in ("metrics", "alarms", "Logs"):
        assert any(f"CloudWatch {part}" in item for item in items), part


def test_free_tiers_only_ever_lower_a_line() -> None:
    for monitors in (1, 10, 100):
        for line in costs.bill(monitors):
            assert 0 <= line.free_usd <= line.list_usd, line


def test_a_hundred_monitors_cost_under_a_dollar_each_before_free_tiers() -> None:
    # PRODUCT.md's bar, with the default usage (a recent bench run's figures).
    assert costs.per_monitor(100) < 1.0
    # Metrics dominate: two per monitor at $0.30 each.
    [metrics] = [line for line in costs.bill(100) if line.item == "CloudWatch metrics"]
    assert metrics.list_usd == pytest.approx((2 * 100 + 3) * 0.30)


def runs(seconds: float, count: int = 100) -> list[Run]:
    return [Run(f"m{i}", cpu_ms=10.0, wall_ms=seconds * 1000, status="x") for i in range(count)]


def test_unreserved_a_hundred_hanging_runs_end_within_the_tick() -> None:
    outcome = schedule(runs(24.0), init_cpu_ms=150.0, concurrency=0)
    assert outcome.late == 0
    assert outcome.finished_s.high < TICK_SECONDS


def test_five_reserved_executions_cannot_carry_a_hundred_hanging_runs() -> None:
    # 100 runs of 24 s on 5 executions need 480 s: more than the tick.
    outcome = schedule(runs(24.0), init_cpu_ms=150.0, concurrency=5)
    assert outcome.peak_running == 5
    assert outcome.late > 0
    assert outcome.finished_s.high > TICK_SECONDS


def test_the_model_never_runs_more_than_the_reservation() -> None:
    for reserved in (1, 3, 14):
        assert schedule(runs(24.0, 40), init_cpu_ms=0.0, concurrency=reserved).peak_running <= (
            reserved
        )
