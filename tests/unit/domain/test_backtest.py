"""The FORECAST rule backtested on a library of realistic traffic: the figures issue 12 pins."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

import pytest
from ceilingwatch.domain.backtest import Backtest, backtest, buckets_from_minutes

from infra.simulator.traffic import Traffic, business_days, plateau, steady_ramp, sudden_spike
from tests.support.builders import START, config

WINDOW = timedelta(minutes=30)


def replayed(traffic: Traffic, *, live: bool = True) -> Backtest:
    history = buckets_from_minutes(traffic.start, traffic.minute_peaks)
    cfg = config(concurrency_limit=traffic.limit)
    return backtest(history, cfg, WINDOW, minute_peaks=traffic.minute_peaks if live else None)


@pytest.mark.parametrize("live", [True, False], ids=["live-runs", "completed-buckets-only"])
def test_a_steady_three_hour_ramp_is_forecast_at_least_20_minutes_ahead(live: bool) -> None:
    result = replayed(steady_ramp(hours=3), live=live)
    assert len(result.fires) == 1
    assert not result.false_fires
    lead = result.fires[0].lead
    assert lead is not None and lead >= timedelta(minutes=20)
    assert result.missed == ()


def test_over_many_noisy_ramps_the_median_lead_is_at_least_20_minutes() -> None:
    leads = []
    for seed in range(1, 13):
        result = replayed(steady_ramp(hours=3, seed=seed))
        assert result.crossings, "every ramp reaches the limit"
        leads += [f.lead for f in result.fires if f.lead is not None]
    assert len(leads) >= 11, "at most one ramp goes unforecast"
    assert median(leads) >= timedelta(minutes=20)


@pytest.mark.parametrize("seed", [7, 8, 9, 10])
def test_the_business_day_hump_cries_wolf_at_most_once_a_day(seed: int) -> None:
    traffic = business_days(days=5, seed=seed)
    result = replayed(traffic)
    assert result.crossings == ()
    assert len(result.false_fires) <= traffic.business_days
    assert len(result.fires) == len(result.false_fires), "nothing reached the limit"


def test_a_flat_plateau_near_the_ceiling_is_no_forecast() -> None:
    result = replayed(plateau(share=0.85, hours=6))
    assert result.fires == ()


def test_a_sudden_spike_is_not_foreseen_and_is_reported_as_missed() -> None:
    result = replayed(sudden_spike())
    assert result.false_fires == ()
    assert len(result.crossings) == 1
    assert result.missed == result.crossings


def test_a_ramp_that_flattens_below_the_limit_is_a_false_forecast() -> None:
    # Given a climb of 2 calls a minute-bucket to 44, then flat at 44 for an hour
    minutes = [20] * 60 + [min(44, 20 + i // 3) for i in range(120)] + [44] * 60
    history = buckets_from_minutes(START, minutes)
    result = backtest(history, config(), WINDOW, minute_peaks=minutes)
    assert len(result.fires) == 1
    assert result.fires[0].false
    assert result.fires[0].lead is None
    assert "1 FORECAST (1 false)" in result.summary()


def test_an_empty_history_backtests_to_nothing() -> None:
    result = backtest([], config(), WINDOW)
    assert result.fires == () and result.crossings == ()
