"""`make bench`: the quality bars of PRODUCT.md as figures with their spread, and the costs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import answers, cold, costs, fleet, forecast, package_size, send_phase, warm
from bench.report import GOAL, MEMORY_MB, Results, render, render_cold, render_warm
from bench.standins import StandIns
from infra.packaging.package import MAX_ZIP_BYTES

TICK = timedelta(minutes=5)
COLD_MONITOR, LARGE_MONITOR = "cold", "large"
WARM_MONITORS = ("warm-count", "warm-deployed", "warm-cached")
LARGE_RUNS, LARGE_BUCKETS = 3, 50_000


def progress(text: str) -> None:
    print(f"... {text}", file=sys.stderr, flush=True)


def events(monitor: str, first: datetime) -> Callable[[int], dict[str, Any]]:
    """The event of round i (from -1) for `monitor`: one tick each, 5 minutes apart."""

    def event(i: int) -> dict[str, Any]:
        return {
            "monitor": monitor,
            "scheduledTime": (first + (i + 1) * TICK).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "executionId": f"{monitor}-{i}",
            "attempt": "1",
        }

    return event


def measure(args: argparse.Namespace) -> tuple[Results, list[str]]:
    """Every figure, and the reasons the run must fail (empty when every bar is met)."""
    started = time.monotonic()
    failures: list[str] = []
    progress("building the deployment package (sam build, skipped when the zip is fresh)")
    package = package_size.build(force=args.rebuild)
    failures += [f"package: {problem}" for problem in package.problems]
    with StandIns() as standins, tempfile.TemporaryDirectory(prefix="ceilingwatch-sdk-") as sdk:
        # Every tick's data is complete: the simulator's clock stands at the scenario's end.
        standins.command("clock", at=standins.info["last_tick"])
        monitors = fleet.monitor_names(args.monitors)
        standins.command("seed", monitors=[COLD_MONITOR, LARGE_MONITOR, *WARM_MONITORS, *monitors])
        layout = cold.lambda_layout(package.function_dir, Path(sdk))
        env, first = standins.env, standins.first_tick()

        progress(f"cold: {4 * (args.rounds + 1)} fresh interpreters")
        cold_figures = cold.measure_cold(layout, env, args.rounds, events(COLD_MONITOR, first))
        progress(f"peak memory: {LARGE_RUNS} cold runs with {LARGE_BUCKETS:,} buckets")
        large = cold.measure_large_answer(
            layout,
            env,
            [events(LARGE_MONITOR, first)(i) for i in range(LARGE_RUNS)],
            lambda _: standins.command("huge", count=LARGE_BUCKETS),
            LARGE_BUCKETS,
        )
        progress("warm: counting the calls of an hour, then timing as deployed and cached")
        calls = warm.count_calls(layout, env, standins, WARM_MONITORS[0], first)
        timed = [
            warm.time_runs(layout, env, standins, name, first, args.invocations, cached=cached)
            for name, cached in ((WARM_MONITORS[1], False), (WARM_MONITORS[2], True))
        ]
        progress(f"answer times: {4 * (args.answer_rounds + 1) + 2} fresh interpreters")
        answered = answers.measure(
            standins,
            package.function_dir.parent,
            layout,
            checker(
                layout, env | {"CEILINGWATCH_SLACK_API_URL": standins.info["slack_api_url"]}, first
            ),
            args.answer_rounds,
            args.invocations,
        )
        progress(f"fleet: {len(monitors)} monitors, Ultravox healthy, then hanging (~4-6 min)")
        phases = [
            fleet.phase("healthy", layout, env, first, monitors, args.environments_healthy),
            fleet.phase(
                "hanging",
                layout,
                env | {"ULTRAVOX_API_BASE_URL": standins.info["hanging_url"]},
                first + TICK,
                monitors,
                args.environments_hanging,
            ),
        ]
    usage = costs.Usage(
        cold_cpu_seconds=cold_figures.invoke.cpu.median / 1000,
        log_bytes=timed[0].log_bytes + costs.LAMBDA_LOG_BYTES,
        item_bytes=timed[0].item_bytes,
    )
    results = Results(
        cold=cold_figures,
        large=large,
        warm=timed,
        calls=calls,
        package=package,
        fleet=phases,
        answers=answered,
        usage=usage,
        seconds=time.monotonic() - started,
    )
    failures += _failures(results)
    return results, failures


def checker(layout: cold.Layout, env: dict[str, str], first: datetime) -> Callable[[str], object]:
    """A cold check of a monitor at the first tick: the state a click or a webhook finds."""
    return lambda monitor: cold.run_child(
        layout, env, "invoke", json.dumps(events(monitor, first)(0))
    )


def cold_only(args: argparse.Namespace) -> int:
    """Section 1 alone (`--only cold`): the cold start against the floor, in a minute or two."""
    progress("building the deployment package (sam build, skipped when the zip is fresh)")
    package = package_size.build(force=args.rebuild)
    with StandIns() as standins, tempfile.TemporaryDirectory(prefix="ceilingwatch-sdk-") as sdk:
        standins.command("clock", at=standins.info["last_tick"])
        standins.command("seed", monitors=[COLD_MONITOR])
        layout = cold.lambda_layout(package.function_dir, Path(sdk))
        progress(f"cold: {4 * (args.rounds + 1)} fresh interpreters")
        figures = cold.measure_cold(
            layout, standins.env, args.rounds, events(COLD_MONITOR, standins.first_tick())
        )
    print(render_cold(figures))
    if figures.invoke_vs_floor_cpu.median > GOAL:
        print(
            f"FAIL: cold CPU {figures.invoke_vs_floor_cpu.median:.2f} x the floor's",
            file=sys.stderr,
        )
        return 1
    return 0


def measure_warm(args: argparse.Namespace) -> tuple[str, list[str]]:
    """Sections 2 and 3 alone (`--only warm`): the warm runs and their calls, as `measure`
    takes them, for working on a run's own CPU without the rest of the bench."""
    started = time.monotonic()
    package = package_size.build(force=args.rebuild)
    with StandIns() as standins, tempfile.TemporaryDirectory(prefix="ceilingwatch-sdk-") as sdk:
        standins.command("clock", at=standins.info["last_tick"])
        standins.command("seed", monitors=list(WARM_MONITORS))
        layout = cold.lambda_layout(package.function_dir, Path(sdk))
        env, first = standins.env, standins.first_tick()
        progress("warm: counting the calls of an hour, then timing as deployed and cached")
        calls = warm.count_calls(layout, env, standins, WARM_MONITORS[0], first)
        timed = [
            warm.time_runs(layout, env, standins, name, first, args.invocations, cached=cached)
            for name, cached in ((WARM_MONITORS[1], False), (WARM_MONITORS[2], True))
        ]
    failures = [f"steady state: {problem}" for problem in calls.problems]
    if timed[0].cpu_ratio.median > GOAL:
        failures.append(f"warm CPU {timed[0].cpu_ratio.median:.2f} x the bare calls'")
    return render_warm(timed, calls, time.monotonic() - started), failures


def _failures(r: Results) -> list[str]:
    failures = [f"steady state: {problem}" for problem in r.calls.problems]
    failures += [problem for function in r.answers for problem in function.problems()]
    if r.cold.handler_imports_boto3:
        failures.append("importing the handler loads boto3")
    if max(r.cold.peak_mb_12, r.large.peak_mb_huge) > MEMORY_MB:
        failures.append(f"a cold run peaked over {MEMORY_MB} MB")
    if r.package.zip_bytes > MAX_ZIP_BYTES:
        failures.append(f"the zip is {r.package.zip_bytes:,} bytes, over {MAX_ZIP_BYTES:,}")
    for phase in r.fleet:
        if phase.judged + phase.errors_recorded < len(phase.runs):
            failures.append(f"fleet, Ultravox {phase.label}: a monitor neither judged nor failed")
    if r.cold.invoke_vs_floor_cpu.median > GOAL:
        failures.append(f"cold CPU {r.cold.invoke_vs_floor_cpu.median:.2f} x the floor's")
    if r.warm[0].cpu_ratio.median > GOAL:
        failures.append(f"warm CPU {r.warm[0].cpu_ratio.median:.2f} x the bare calls'")
    if costs.per_monitor(1000, r.usage) >= 0.25:
        failures.append("1,000 monitors cost $0.25 or more a month each")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="cold rounds (4 interpreters each)")
    parser.add_argument("--invocations", type=int, default=40, help="warm runs to time")
    parser.add_argument("--monitors", type=int, default=fleet.MONITORS, help="for the fleet")
    parser.add_argument("--environments-healthy", type=int, default=4)
    parser.add_argument("--environments-hanging", type=int, default=100)
    parser.add_argument("--answer-rounds", type=int, default=9, help="cold clicks and webhooks")
    parser.add_argument("--rebuild", action="store_true", help="sam build even if the zip is fresh")
    parser.add_argument(
        "--only", choices=["cold", "warm"], help="cold: section 1 alone; warm: sections 2 and 3"
    )
    args = parser.parse_args(argv)
    if args.only == "cold":
        return cold_only(args)
    if args.only == "warm":
        text, failures = measure_warm(args)
        print(text)
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        return 1 if failures else 0
    results, failures = measure(args)
    print(render(results))
    progress("forecast backtest: the scenario library through the FORECAST rule")
    lines, forecast_failures = forecast.render()
    print("\n" + "\n".join(lines))
    failures += forecast_failures
    progress("send phase: every channel answering, then every channel hung")
    lines, send_failures = send_phase.render()
    print("\n" + "\n".join(lines))
    failures += send_failures
    progress("live feed: the receiver cold and warm, webhook to Slack, its costs")
    # In a process of its own: its local stack starts from nothing, whatever ran before.
    # The send phase points SNS at its own stand-in through the environment: not inherited.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    section = subprocess.run(  # nosec B603
        [sys.executable, "-m", "bench.live"], capture_output=True, text=True, check=False, env=env
    )
    print("\n" + section.stdout.rstrip())
    if section.returncode != 0:
        failures.append("live feed: " + (section.stderr.strip().splitlines() or ["failed"])[-1])
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
