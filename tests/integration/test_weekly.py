"""The digest's reads against the Ultravox simulator: three requests, two weeks, the plan."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from ceilingwatch.adapters.ultravox import UltravoxClient, UltravoxSource
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.digest import HOUR
from ceilingwatch.services.weekly import gather_digest

from infra.simulator.ultravox import Scenario, UltravoxSimulator
from tests.support.builders import API_KEY, config

HISTORY = Scenario.load("two-weeks")


@pytest.fixture
def sim() -> Iterator[UltravoxSimulator]:
    with UltravoxSimulator(HISTORY, API_KEY) as simulator:
        simulator.set_clock(HISTORY.end)
        yield simulator


def test_the_digest_reads_two_weeks_of_hours_the_peak_hour_and_the_plan(
    sim: UltravoxSimulator,
) -> None:
    source = UltravoxSource(UltravoxClient(sim.base_url), Secret(API_KEY), "the key")
    digest = gather_digest(source, config(), HISTORY.end, deadline=time.monotonic() + 20)
    asked = [(r.path, r.query.get("bucket")) for r in sim.requests]
    assert asked == [
        ("/api/accounts/me/usage/concurrency", "hour"),
        ("/api/accounts/me/usage/concurrency", "5min"),
        ("/api/accounts/me", None),
    ]
    week = HISTORY.series("hour", HISTORY.end - 7 * 24 * HOUR, HISTORY.end)
    assert digest.peak == max(row["maxTotalCalls"] for row in week)
    assert digest.peak_at.minute % 5 == 0
    assert digest.previous_peak < digest.peak  # the second week is 10 % busier
    assert digest.plan_risk is not None
    assert "lapses on Thu 03 Dec" in digest.plan_risk.why


def test_an_account_with_no_plan_dates_has_no_plan_risk() -> None:
    bare = Scenario.from_dict(
        {"traffic": {"shape": "weeks", "days": 14, "growth": 0.1, "limit": 50}, "limit": 50}
    )
    with UltravoxSimulator(bare, API_KEY) as simulator:
        simulator.set_clock(bare.end)
        source = UltravoxSource(UltravoxClient(simulator.base_url), Secret(API_KEY), "the key")
        digest = gather_digest(source, config(), bare.end, deadline=time.monotonic() + 20)
    assert digest.plan_risk is None
    assert digest.peak > 0
