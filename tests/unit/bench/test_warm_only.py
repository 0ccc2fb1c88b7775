"""`bench.run --only warm`: sections 2 and 3 as the whole bench prints them, and the verdict."""

from __future__ import annotations

from bench.report import render_warm
from bench.stats import Spread, ratios
from bench.warm import CALL_ROWS, CallFigures, WarmFigures


def figures(label: str, handler: list[float], bare: list[float]) -> WarmFigures:
    return WarmFigures(
        label=label,
        handler_cpu=Spread.of(handler),
        bare_cpu=Spread.of(bare),
        handler_wall=Spread.of(handler),
        bare_wall=Spread.of(bare),
        cpu_ratio=ratios(handler, bare),
        wall_ratio=ratios(handler, bare),
        log_bytes=900,
        item_bytes=600,
    )


def test_the_warm_sections_alone_carry_the_figures_and_the_verdict() -> None:
    quiet = {row: 1 if most else 0 for row, most, _ in CALL_ROWS}
    calls = CallFigures(runs=[quiet] * 11, problems=[])
    deployed = figures("as deployed (SSM read every run)", [11.0, 12.0, 13.0], [10.0] * 3)
    cached = figures("parameters cached", [7.0, 7.5, 8.0], [5.0] * 3)
    text = render_warm([deployed, cached], calls, 80)
    assert "2. Warm runs in the Lambda layout" in text and "3. Calls per warm run" in text
    assert "CPU 1.20 x (IQR" in text  # the pair-by-pair ratio, with its spread
    assert "warm CPU as deployed: MISSES the 1.15 x goal" in text
    met = figures("as deployed (SSM read every run)", [11.0, 11.2, 11.4], [10.0] * 3)
    assert "warm CPU as deployed: meets the 1.15 x goal" in render_warm([met, cached], calls, 80)
