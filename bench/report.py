"""The bench's figures as text: one section per quality bar, then a Markdown summary."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

from bench.cold import ImportFigures, Layout, MemoryFigures
from bench.package_size import Package
from bench.warm import CALL_ROWS, CONFIG_MAX_AGE_SECONDS, HOUR_OF_TICKS, CallFigures, TimingFigures
from infra.package import REPO_ROOT

MEMORY_MB = 128  # the function's MemorySize in template.yaml


@dataclass(frozen=True)
class Results:
    layout: Layout
    imports: ImportFigures
    timing: TimingFigures
    calls: CallFigures
    memory: MemoryFigures
    package: Package
    seconds: float


def render(r: Results) -> str:
    lines = [
        f"ceilingwatch bench: Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs; figures are medians, ratios within this run",
        "",
        *_imports(r.imports, r.layout),
        "",
        *_timing(r.timing),
        "",
        *_calls(r.calls),
        "",
        *_memory(r.memory, r.layout),
        "",
        *_package(r.package),
        "",
        *_summary(r),
        "",
    ]
    if r.layout.problem:
        lines.append(f"! 1 and 4 are of the dev venv; the Lambda layout failed: {r.layout.problem}")
    lines.append(f"bench took {r.seconds:.0f} s")
    return "\n".join(lines)


def _layout_note(layout: Layout) -> str:
    if layout.name == "lambda":
        return "Lambda layout (package, then SDK; no site-packages, no .pyc)"
    return "dev venv layout (the Lambda layout failed)"


def _imports(f: ImportFigures, layout: Layout) -> list[str]:
    def row(label: str, ms: float) -> str:
        return f"   {label:43} {ms:6.0f} ms  {ms / f.boto3_ms:5.2f} x boto3"

    ready = f.handler_ready_ms / f.boto3_ready_ms
    lines = [
        "1. Cold import: is importing the handler little more than importing boto3?",
        f"   {f.runs} fresh interpreters of each kind, interleaved; {_layout_note(layout)}.",
        f"   {'import boto3':43} {f.boto3_ms:6.0f} ms",
        row("import ceilingwatch.handler", f.handler_ms),
        row("import ceilingwatch.handler; import boto3", f.handler_boto3_ms) + "  <- cold start",
    ]
    if f.handler_boto3_ms - f.handler_ms < 1:
        lines.append("   (boto3 comes in with the handler's own imports: nothing is left to defer)")
    if f.handler_pyc_ms is not None:
        lines.append(row("import ceilingwatch.handler, zip with .pyc", f.handler_pyc_ms))
    lines.append(
        f"   then build_dependencies(), against boto3 making the same 3 clients: "
        f"{f.handler_ready_ms:.0f} vs {f.boto3_ready_ms:.0f} ms, {ready:.2f} x"
    )
    return lines


def _timing(t: TimingFigures) -> list[str]:
    return [
        "2. Warm run: is the handler's overhead small beside the network it must use?",
        f"   {t.runs} quiet ticks, 5 min apart, each paired with the bare calls on the same",
        "   clients (Ultravox GET, DynamoDB GetItem and PutItem); moto on loopback answers far",
        "   faster than AWS, so this ratio is an upper bound.",
        f"   {'warm lambda_handler run':27} {t.handler_ms:7.1f} ms",
        f"   {'bare calls':27} {t.bare_ms:7.1f} ms",
        f"   {'handler / bare':27} {t.handler_ms / t.bare_ms:7.2f}"
        f"    (pair by pair: {t.pair_ratio:.2f}; {t.handler_ms - t.bare_ms:.1f} ms more)",
    ]


def _calls(c: CallFigures) -> list[str]:
    lines = [
        "3. Calls per steady-state run, counted on the wire",
        f"   {HOUR_OF_TICKS} warm ticks (one hour); botocore before-send events per operation, the",
        "   simulator's and the catcher's request logs; parameter cache max age "
        f"{CONFIG_MAX_AGE_SECONDS} s.",
        f"   {'call':27} {'per run':>8} {'in 1 h':>7} {'bar':>13}",
    ]
    for row, _, bar in CALL_ROWS:
        values = [run.get(row) for run in c.runs]
        low, high = min(values), max(values)
        per_run = str(low) if low == high else f"{low}-{high}"
        lines.append(f"   {row:27} {per_run:>8} {sum(values):>7} {bar:>13}")
    verdict = "meets" if not c.problems else "FAILS"
    lines.append(
        f"   {verdict} the bar: one Ultravox call, one state read, at most one write, "
        "no SSM call while cached"
    )
    lines += [f"   ! {problem}" for problem in c.problems]
    return lines


def _memory(m: MemoryFigures, layout: Layout) -> list[str]:
    return [
        "4. Peak memory of one cold run: import, clients and one invocation on the local stack",
        f"   worst of {m.runs} fresh interpreters; {_layout_note(layout)}.",
        f"   peak RSS {m.peak_mb:5.1f} MB of the {MEMORY_MB} MB the function is given "
        f"({100 * m.peak_mb / MEMORY_MB:.0f} %); after import boto3 alone {m.boto3_mb:.1f} MB",
    ]


def _package(p: Package) -> list[str]:
    built = f"built in {p.seconds:.0f} s" if p.rebuilt else "sources unchanged, not rebuilt"
    contents = "no boto3/botocore inside" if not p.problems else "; ".join(p.problems)
    return [
        "5. Deployment package: sam build, zipped as infra.package does",
        f"   {p.zip_path.relative_to(REPO_ROOT)} ({built})",
        f"   {p.zip_bytes / 1024:.0f} KB zipped, {p.unpacked_bytes / 1024:.0f} KB unpacked; "
        f"{contents}",
    ]


def _summary(r: Results) -> list[str]:
    f, t, m = r.imports, r.timing, r.memory

    def most(row: str) -> int:
        return max(run.get(row) for run in r.calls.runs)

    calls = (
        f"Ultravox {most('Ultravox concurrency')} (+1 account check an hour), "
        f"DynamoDB GetItem {most('DynamoDB GetItem')} + PutItem {most('DynamoDB PutItem')}, "
        f"SSM {most('SSM (any call)')}, SNS {most('SNS Publish')}, Slack {most('Slack webhook')}"
    )
    verdict = "meets the bar" if not r.calls.problems else "FAILS the bar"
    where = "" if r.layout.name == "lambda" else " (dev venv)"
    return [
        "Summary (Markdown, for the README):",
        "",
        "| Quality bar | Measured | |",
        "| --- | --- | --- |",
        *(
            [
                f"| Cold import as deployed (package with .pyc) vs boto3 alone | "
                f"{f.handler_pyc_ms:.0f} vs {f.boto3_ms:.0f} ms | "
                f"{f.handler_pyc_ms / f.boto3_ms:.2f} x |"
            ]
            if f.handler_pyc_ms is not None
            else []
        ),
        f"| Cold import{where} without .pyc: handler + boto3 vs boto3 alone | "
        f"{f.handler_boto3_ms:.0f} vs {f.boto3_ms:.0f} ms | "
        f"{f.handler_boto3_ms / f.boto3_ms:.2f} x |",
        f"| Warm run vs its bare network calls (loopback) | {t.handler_ms:.1f} vs "
        f"{t.bare_ms:.1f} ms | {t.handler_ms / t.bare_ms:.2f} x |",
        f"| Calls per steady-state run | {calls} | {verdict} |",
        f"| Peak memory of a cold run{where} | {m.peak_mb:.0f} MB of {MEMORY_MB} MB | "
        f"{100 * m.peak_mb / MEMORY_MB:.0f} % |",
        f"| Deployment zip | {r.package.zip_bytes / 1024:.0f} KB | "
        f"{'no boto3 inside' if not r.package.problems else 'NOT SHIPPABLE'} |",
    ]
