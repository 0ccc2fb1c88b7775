"""`make bench`: the quality bars of PRODUCT.md as figures, ratios within one run, medians."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench import cold, package_size
from bench.report import MEMORY_MB, Results, render
from bench.warm import WarmBench

COLD_INVOCATIONS = 3


def progress(text: str) -> None:
    print(f"... {text}", file=sys.stderr, flush=True)


def measure(imports: int, invocations: int, rebuild: bool) -> tuple[Results, list[str]]:
    """Every figure, and the reasons the run must fail (empty when every bar is met)."""
    started = time.monotonic()
    failures: list[str] = []
    progress("building the deployment package (sam build, skipped when the zip is fresh)")
    package = package_size.build(force=rebuild)
    failures += [f"package: {problem}" for problem in package.problems]

    with WarmBench() as bench, tempfile.TemporaryDirectory(prefix="ceilingwatch-sdk-") as sdk:
        # The fresh interpreters get the deployed function's environment, pointed at this stack.
        env = dict(bench.env)
        layout = cold.choose_layout(cold.lambda_layout(package.function_dir, Path(sdk)), env)
        if layout.problem:
            failures.append(f"the handler cannot be imported as Lambda would: {layout.problem}")
        # What shipping .pyc in the zip would save: only meaningful in the Lambda layout.
        bytecode = None
        if not layout.problem:
            bytecode = cold.with_bytecode(layout, package.function_dir, Path(sdk) / "with-pyc")
        kinds = 2 if bytecode is None else 3
        progress(f"cold imports: {kinds * imports} fresh interpreters ({layout.name} layout)")
        import_figures = cold.measure_imports(layout, env, imports, bytecode)
        progress(f"peak memory: {COLD_INVOCATIONS} cold invocations in fresh interpreters")
        events = bench.cold_events(COLD_INVOCATIONS)
        memory = cold.measure_memory(layout, env, events, bench.set_clock_for)
        if memory.peak_mb > MEMORY_MB:
            failures.append(f"a cold run peaked at {memory.peak_mb:.0f} MB, over {MEMORY_MB} MB")
        progress("warm runs: counting the calls of an hour of ticks, then timing")
        bench.warm_up()
        calls = bench.count_calls()
        failures += [f"steady state: {problem}" for problem in calls.problems]
        timing = bench.time_invocations(invocations)

    results = Results(
        layout=layout,
        imports=import_figures,
        timing=timing,
        calls=calls,
        memory=memory,
        package=package,
        seconds=time.monotonic() - started,
    )
    return results, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--imports", type=int, default=15, help="fresh interpreters of each kind")
    parser.add_argument("--invocations", type=int, default=40, help="warm runs to time")
    parser.add_argument("--rebuild", action="store_true", help="sam build even if the zip is fresh")
    args = parser.parse_args(argv)
    results, failures = measure(args.imports, args.invocations, args.rebuild)
    print(render(results))
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
