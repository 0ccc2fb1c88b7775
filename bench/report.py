"""The bench's figures as text: one section per quality bar, each figure with its spread."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

from bench import costs, live_costs
from bench.answers import BEFORE_MB, MEMORY_OPTIONS, FunctionFigures, Samples
from bench.child import LAYERS
from bench.cold import ColdFigures, MemoryFigures
from bench.fleet import (
    DEFAULT_CONCURRENCY,
    TICK_SECONDS,
    WINDOW_SECONDS,
    FleetPhase,
    cpu_stretch,
)
from bench.package_size import Package
from bench.stats import Spread
from bench.warm import CALL_ROWS, HOUR_OF_TICKS, CallFigures, WarmFigures
from infra.packaging.package import MAX_ZIP_BYTES, REPO_ROOT

MEMORY_MB = 128  # the function's MemorySize in template.yaml
GOAL = 1.15  # PRODUCT.md: cold and warm CPU within 1.15x of the floor and the bare calls


@dataclass(frozen=True)
class Results:
    cold: ColdFigures
    large: MemoryFigures
    warm: list[WarmFigures]  # as deployed first, then with the parameters cached
    calls: CallFigures
    package: Package
    fleet: list[FleetPhase]
    answers: list[FunctionFigures]
    usage: costs.Usage
    seconds: float


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), "")
    except OSError:
        pass
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs{f' ({cpu})' if cpu else ''}"
    )


def verdict(ratio: float, goal: float = GOAL) -> str:
    if ratio <= goal:
        return f"meets the {goal:.2f} x goal"
    return f"MISSES the {goal:.2f} x goal by {100 * (ratio / goal - 1):.0f} %"


HEADER = (
    "Every figure: median (IQR q1-q3, range min-max, n samples); ratios pair by pair,",
    "the kinds interleaved with their order rotated; CPU is the process's own (user + sys).",
)


def render_cold(c: ColdFigures) -> str:
    """Section 1 alone, as `make bench` prints it."""
    return "\n".join([f"ceilingwatch bench: {machine()}", *HEADER, "", *_cold(c)])


def render(r: Results) -> str:
    lines = [
        f"ceilingwatch bench: {machine()}",
        *HEADER,
        "",
        *_cold(r.cold),
        "",
        *_warm(r.warm),
        "",
        *_calls(r.calls),
        "",
        *_memory(r.cold, r.large),
        "",
        *_package(r.package),
        "",
        *_fleet(r.fleet),
        "",
        *costs.render(r.usage),
        "",
        *answers(r.answers),
        "",
        f"bench took {r.seconds:.0f} s",
    ]
    return "\n".join(lines)


def render_warm(warm: list[WarmFigures], calls: CallFigures, seconds: float) -> str:
    """Sections 2 and 3 alone, as `render` prints them (`python -m bench.run --only warm`)."""
    lines = [f"ceilingwatch bench, warm runs only: {machine()}", *_warm(warm), "", *_calls(calls)]
    return "\n".join([*lines, "", f"bench took {seconds:.0f} s"])


def _cold(c: ColdFigures) -> list[str]:
    boto3_note = "boto3 not loaded" if not c.handler_imports_boto3 else "LOADS boto3"
    return [
        "1. Cold start, in fresh interpreters in the Lambda layout: the package as `make build`",
        "   leaves it (pruned, with .pyc), then only the runtime's SDK (with its .pyc), no",
        f"   site-packages, nothing written to disk; {c.rounds} rounds of 4 kinds.",
        f"   import boto3                         CPU {c.boto3.cpu.text()}",
        f"                                        wall {c.boto3.wall.text()}",
        f"   import ceilingwatch.handler          CPU {c.handler.cpu.text()}  ({boto3_note})",
        f"                                        wall {c.handler.wall.text()}",
        f"     handler import / boto3 import      CPU {c.handler_vs_boto3_cpu.text('x', 2)}",
        f"   whole cold invocation (import,       CPU {c.invoke.cpu.text()}",
        f"   clients, one tick)                   wall {c.invoke.wall.text()}",
        f"   floor handler (bench/floor.py:       CPU {c.floor.cpu.text()}",
        f"   botocore + urllib3, the same calls)  wall {c.floor.wall.text()}",
        f"     invocation / floor                 CPU {c.invoke_vs_floor_cpu.text('x', 2)}",
        f"                                        wall {c.invoke_vs_floor_wall.text('x', 2)}",
        f"   cold invocation CPU: {verdict(c.invoke_vs_floor_cpu.median)}",
        "   what each layer of imports adds, in a fresh interpreter, in this order:",
        *(
            f"     {label:44} CPU {c.layers[module].text()}"
            for module, label in LAYERS
            if module in c.layers
        ),
    ]


def _warm(runs: list[WarmFigures]) -> list[str]:
    lines = [
        "2. Warm runs in the Lambda layout, each beside the bare calls it must make on the same",
        "   clients (SSM by path when the cache says so, Ultravox GET, DynamoDB GetItem and a",
        "   conditional PutItem); quiet OK ticks 5 min apart; the stand-ins in another process.",
    ]
    for w in runs:
        lines += [
            f"   {w.label}:",
            f"     handler run   CPU {w.handler_cpu.text(digits=2)}   wall {w.handler_wall.text()}",
            f"     bare calls    CPU {w.bare_cpu.text(digits=2)}   wall {w.bare_wall.text()}",
            f"     handler/bare  CPU {w.cpu_ratio.text('x', 2)}   wall {w.wall_ratio.text('x', 2)}",
        ]
    deployed, cached = runs[0], runs[-1]
    saved = deployed.handler_cpu.median - cached.handler_cpu.median
    lines += [
        f"   warm CPU as deployed: {verdict(deployed.cpu_ratio.median)}",
        f"   reading SSM each run costs {saved:.2f} ms CPU (and 2 KMS decrypts) more than a",
        "   cache longer than the tick; the cache stays 60 s, so a change takes effect at the",
        "   next tick (within 5 min) instead of up to the cache's age later.",
    ]
    return lines


def _calls(c: CallFigures) -> list[str]:
    lines = [
        "3. Calls per warm run as deployed (60 s parameter cache, 5-minute ticks), counted on",
        f"   the wire: {HOUR_OF_TICKS} ticks, botocore before-send per request (retries",
        "   included), the simulator's and the catcher's request logs.",
        f"   {'call':27} {'per run':>8} {'in total':>9} {'bar':>14}",
    ]
    for row, _, bar in CALL_ROWS:
        values = [run.get(row, 0) for run in c.runs]
        low, high = min(values), max(values)
        per_run = str(low) if low == high else f"{low}-{high}"
        lines.append(f"   {row:27} {per_run:>8} {sum(values):>9} {bar:>14}")
    lines.append("   meets the bar" if not c.problems else "   FAILS the bar")
    lines += [f"   ! {problem}" for problem in c.problems]
    return lines


def _memory(c: ColdFigures, m: MemoryFigures) -> list[str]:
    return [
        "4. Peak memory (VmHWM) of a whole cold invocation, the worst of its runs:",
        f"   12 buckets (an hour)      {c.peak_mb_12:5.1f} MB of {MEMORY_MB} MB "
        f"({100 * c.peak_mb_12 / MEMORY_MB:.0f} %), {c.rounds} runs, {'/'.join(c.statuses)}",
        f"   {m.buckets:,} buckets         {m.peak_mb_huge:5.1f} MB of {MEMORY_MB} MB "
        f"({100 * m.peak_mb_huge / MEMORY_MB:.0f} %), {m.runs} runs, {'/'.join(m.statuses)}",
    ]


def _package(p: Package) -> list[str]:
    built = f"built in {p.seconds:.0f} s" if p.rebuilt else "sources unchanged, not rebuilt"
    contents = "no boto3/botocore inside" if not p.problems else "; ".join(p.problems)
    goal = "meets" if p.zip_bytes <= MAX_ZIP_BYTES else "MISSES"
    return [
        "5. Deployment package: sam build, pruned and compiled as `make build` does, zipped",
        f"   {p.zip_path.relative_to(REPO_ROOT)} ({built})",
        f"   {p.zip_bytes:,} bytes zipped ({p.zip_bytes / 1e6:.2f} MB), "
        f"{p.unpacked_bytes / 1e6:.2f} MB unpacked; {contents}",
        f"   {goal} the {MAX_ZIP_BYTES / 1e6:.1f} MB goal",
    ]


def _fleet(phases: list[FleetPhase]) -> list[str]:
    count = len(phases[0].runs)
    lines = [
        f"6. {count:,} monitors through one tick (bench/fleet.py): the real handler, each run in",
        "   an execution environment of its own, on the SQS event of the fan-out's message,",
        "   against the stand-ins; then the measured runs laid on the fleet queue: messages",
        f"   spread over {WINDOW_SECONDS} s, at most MaximumConcurrency at once, CPU stretched",
        "   x13.8 (128 MB), cold starts where an environment is new.",
    ]
    for f in phases:
        lines += [
            f"   Ultravox {f.label}: {f.judged} judged + {f.errors_recorded} ERROR recorded "
            f"of {len(f.runs)}; a run here takes {f.run_seconds.text('s', 2)}",
        ]
        for o in f.outcomes:
            default = " (default)" if o.concurrency == DEFAULT_CONCURRENCY else ""
            name = f"MaximumConcurrency={o.concurrency}{default}"
            within = len(f.runs) - o.late
            lines.append(
                f"     {name:32} last done {o.finished_s.high:5.0f} s after the tick, "
                f"{within:,}/{len(f.runs):,} within {TICK_SECONDS} s, {o.peak_running} at once"
            )
    bad = [f.label for f in phases if f.judged + f.errors_recorded < len(f.runs)]
    default_late = any(
        o.late for f in phases for o in f.outcomes if o.concurrency == DEFAULT_CONCURRENCY
    )
    ok = not bad and not default_late
    lines.append(
        f"   {count:,} monitors: every one judged or its ERROR recorded within the tick "
        f"(MaximumConcurrency={DEFAULT_CONCURRENCY})"
        if ok
        else f"   ! {count:,} monitors: not every one was judged in time: "
        f"{', '.join(bad) or 'late runs'}"
    )
    return lines


def answers(functions: list[FunctionFigures]) -> list[str]:
    lines = [
        "8. Answer times of the Function URLs (bench/answers.py): each function from its own",
        "   `sam build` output in fresh interpreters in the Lambda layout, against the stand-ins",
        "   (moto, the Slack Web API stand-in). A click: a signed Snooze on the open incident",
        "   (parameters, state read, conditional write, the root updated and a thread reply, then",
        "   the answer). A webhook: a signed call.started (secret, conditional write, the count).",
        "   Cold: import, clients, the first answer. At a MemorySize: waiting as measured, CPU",
        f"   stretched to its share of a vCPU (x{cpu_stretch(MEMORY_MB):.1f} at {MEMORY_MB} MB).",
    ]
    for f in functions:
        lines += _answer(f)
    return lines


def _answer(f: FunctionFigures) -> list[str]:
    raw, ready = f.cold["sam build"], f.cold["prepared"]
    lines = [
        f"   {f.function} (answers {'/'.join(map(str, f.statuses))}), measured here:",
        "     cold, as sam build leaves it     CPU "
        f"{Spread.of(raw.cpu).text()}   wall {Spread.of(raw.wall).text()}",
        f"       of it the import               CPU {Spread.of(raw.import_cpu).text()}",
        "     cold, prepared (pruned, .pyc)    CPU "
        f"{Spread.of(ready.cpu).text()}   wall {Spread.of(ready.wall).text()}",
        f"       of it the import               CPU {Spread.of(ready.import_cpu).text()}",
        "     warm, prepared                   CPU "
        f"{Spread.of(f.warm.cpu).text()}   wall {Spread.of(f.warm.wall).text()}",
        f"   {f.function} at Lambda's CPU share, against {f.deadline_text}:",
        f"     cold, before: sam build's, {BEFORE_MB} MB   {_at(raw, BEFORE_MB, f.deadline_s)}",
    ]
    for memory in sorted({*MEMORY_OPTIONS, f.memory_mb}):
        mark = " (template)" if memory == f.memory_mb else ""
        label = f"cold, prepared, {memory} MB{mark}"
        lines.append(f"     {label:33} {_at(ready, memory, f.deadline_s)}")
    lines.append(
        f"     {f'warm, {f.memory_mb} MB (template)':33} {f.warm.at(f.memory_mb).text('s', 3)}"
    )
    if f.kind == "webhook":
        lines += live_costs.render(f.warm.at(f.memory_mb).median, f.memory_mb)
        for memory in (m for m in MEMORY_OPTIONS if m != f.memory_mb):
            warm = f.warm.at(memory).median
            gb_s, usd = live_costs.compute(warm, memory)
            lines.append(
                f"       at {memory:4} MB instead: warm {warm * 1000:.0f} ms, "
                f"{gb_s:,.0f} GB-s, ${usd:.2f}"
            )
    return lines


def _at(samples: Samples, memory: int, deadline: float) -> str:
    at = samples.at(memory)
    return f"{at.text('s', 2)}  {_meets(at, deadline)}"


def _meets(at: Spread, deadline: float) -> str:
    if at.high <= deadline:
        return "meets it, every sample"
    if at.median <= deadline:
        return f"meets it at the median; the slowest {at.high - deadline:.2f} s over"
    return f"MISSES it by {at.median - deadline:.2f} s at the median"
