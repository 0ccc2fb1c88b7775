"""The FORECAST rule's backtest figures on the scenario library: lead times and false alarms."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from statistics import median

from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.domain.backtest import Backtest, backtest, buckets_from_minutes

from infra.simulator.traffic import LIBRARY, Traffic, business_days, steady_ramp

WINDOW = timedelta(minutes=30)  # forecast-minutes' default
SEEDS = range(1, 21)
LEAD_BAR = timedelta(minutes=20)
FALSE_PER_DAY_BAR = 1.0


def replay(traffic: Traffic) -> Backtest:
    config = PARAMETERS.parse(
        "bench",
        "/ceilingwatch/bench/",
        {"concurrency-limit": str(traffic.limit), "ultravox-api-key": "-"},
    )
    history = buckets_from_minutes(traffic.start, traffic.minute_peaks)
    return backtest(history, config, WINDOW, minute_peaks=traffic.minute_peaks)


def _minutes(span: timedelta | None) -> str:
    return "-" if span is None else f"{span.total_seconds() / 60:.0f} min"


def render() -> tuple[list[str], list[str]]:
    """The figures as lines, and the bars of issue 12 they fail (empty when all are met)."""
    started = time.process_time()
    failures: list[str] = []
    lines = [
        "7. Forecast backtest: runs every 5 min seeing the bucket in progress, forecast-minutes 30",
        f"   {'scenario':15} {'FORECASTs':>9} {'false':>5} {'lead':>7} "
        f"{'crossings':>9} {'missed':>6}",
    ]
    for name, make in LIBRARY.items():
        result = replay(make())
        lines.append(
            f"   {name:15} {len(result.fires):9} {len(result.false_fires):5} "
            f"{_minutes(result.median_lead()):>7} {len(result.crossings):9} {len(result.missed):6}"
        )
    leads = [
        f.lead for seed in SEEDS for f in replay(steady_ramp(seed=seed)).fires if f.lead is not None
    ]
    ramp_median = timedelta(seconds=median(t.total_seconds() for t in leads)) if leads else None
    lines.append(
        f"   steady 3-h ramp, {len(SEEDS)} noise seeds: lead median {_minutes(ramp_median)}, "
        f"min {_minutes(min(leads, default=None))}, max {_minutes(max(leads, default=None))}; "
        f"{len(SEEDS) - len(leads)} unforecast"
    )
    if ramp_median is None or ramp_median < LEAD_BAR:
        failures.append(f"forecast: median lead on the ramp {_minutes(ramp_median)} < 20 min")
    days = false = 0.0
    for seed in SEEDS:
        hump = business_days(days=5, seed=seed)
        days += hump.business_days
        false += len(replay(hump).false_fires)
    per_day = false / days
    lines.append(
        f"   business-day hump, {len(SEEDS)} seeds x 5 days: {false:.0f} false FORECASTs in "
        f"{days:.0f} days = {per_day:.2f} a day (bar: at most {FALSE_PER_DAY_BAR:g})"
    )
    if per_day > FALSE_PER_DAY_BAR:
        failures.append(f"forecast: {per_day:.2f} false FORECASTs a business day")
    lines.append(f"   backtest CPU: {time.process_time() - started:.1f} s for all of the above")
    return lines, failures


def main() -> int:
    lines, failures = render()
    print("\n".join(lines))
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
