"""Fresh interpreters in a Lambda-like layout: cold imports, cold invocations, peak memory."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.child import MARKER
from bench.stats import Spread, ratios
from infra.packaging.package import RUNTIME_SDK

BENCH_DIR = Path(__file__).resolve().parent
CHILD = BENCH_DIR / "child.py"
WARM_CHILD = BENCH_DIR / "warm_child.py"
REPO_ROOT = BENCH_DIR.parent
# What the runtime sets that the handler, Powertools or botocore may read.
LAMBDA_RUNTIME_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "ceilingwatch-CheckFunction",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
}


class ChildError(Exception):
    """A fresh interpreter failed; the message is its last line of error output."""


@dataclass(frozen=True)
class Layout:
    """How a child finds its modules: the built package first, then only the runtime's SDK."""

    pythonpath: str
    # -S: no site-packages, so nothing the package lacks can be found by accident.
    flags: tuple[str, ...] = ("-S",)
    # /var/task is read-only: nothing is compiled to disk, what the zip lacks is compiled again.
    env: Mapping[str, str] = field(default_factory=lambda: {"PYTHONDONTWRITEBYTECODE": "1"})


def lambda_layout(function_dir: Path, runtime_dir: Path) -> Layout:
    """The package as `make build` leaves it (pruned, with .pyc), then the SDK as the runtime
    ships it (boto3, botocore, urllib3, ... with their bytecode), as Lambda orders them."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_SDK:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ChildError(f"{name} is not installed in this venv")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = runtime_dir / source.name
        if not link.exists():
            link.symlink_to(source)
    return Layout(pythonpath=f"{function_dir}{os.pathsep}{runtime_dir}")


def run_child(
    layout: Layout, env: Mapping[str, str], *args: str, script: Path = CHILD
) -> dict[str, Any]:
    """One fresh interpreter in `layout`, with `env` and nothing else from this process."""
    child_env = {
        "PATH": os.environ.get("PATH", ""),
        **LAMBDA_RUNTIME_ENV,
        **env,
        **layout.env,
        "PYTHONPATH": layout.pythonpath,
    }
    # -P: the script's own directory stays off sys.path.
    command = [sys.executable, *layout.flags, "-P", str(script), *args]
    done = subprocess.run(
        command, env=child_env, capture_output=True, text=True, timeout=600, check=False
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            figures: dict[str, Any] = json.loads(line[len(MARKER) :])
            return figures
    lines = done.stderr.strip().splitlines() or ["no output"]
    raise ChildError(f"{script.name} {' '.join(args[:1])}: {lines[-1]}")


@dataclass(frozen=True)
class CpuWall:
    cpu: Spread
    wall: Spread

    @classmethod
    def of(cls, samples: list[dict[str, Any]]) -> CpuWall:
        return cls(
            Spread.of([s["cpu_ms"] for s in samples]), Spread.of([s["wall_ms"] for s in samples])
        )


@dataclass(frozen=True)
class ColdFigures:
    rounds: int
    boto3: CpuWall  # import boto3
    handler: CpuWall  # import ceilingwatch.handler
    invoke: CpuWall  # import, clients, one tick
    floor: CpuWall  # the floor handler: the same calls, botocore and urllib3 alone
    invoke_vs_floor_cpu: Spread  # pair by pair
    invoke_vs_floor_wall: Spread
    handler_vs_boto3_cpu: Spread
    handler_imports_boto3: bool
    peak_mb_12: float  # the worst cold run with the usual hour of buckets
    statuses: list[str]
    layers: dict[str, Spread]  # the CPU each layer of imports adds, in order


def measure_layers(layout: Layout, env: Mapping[str, str], rounds: int) -> dict[str, Spread]:
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for module, ms in run_child(layout, env, "breakdown")["steps"].items():
            samples.setdefault(module, []).append(ms)
    return {module: Spread.of(values) for module, values in samples.items()}


def measure_cold(
    layout: Layout,
    env: Mapping[str, str],
    rounds: int,
    event_for_round: Callable[[int], dict[str, Any]],
) -> ColdFigures:
    """Rounds of fresh interpreters, the kinds interleaved and their order rotated each round."""
    kinds = ["boto3", "handler", "invoke", "floor"]
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    # One round first, discarded: it warms the OS file cache for all alike.
    for i in range(-1, rounds):
        event = json.dumps(event_for_round(i))
        for kind in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:
            args = (kind, event) if kind in ("invoke", "floor") else (kind,)
            figures = run_child(layout, env, *args)
            if i >= 0:
                samples[kind].append(figures)

    def cpu(kind: str) -> list[float]:
        return [s["cpu_ms"] for s in samples[kind]]

    return ColdFigures(
        rounds=rounds,
        boto3=CpuWall.of(samples["boto3"]),
        handler=CpuWall.of(samples["handler"]),
        invoke=CpuWall.of(samples["invoke"]),
        floor=CpuWall.of(samples["floor"]),
        invoke_vs_floor_cpu=ratios(cpu("invoke"), cpu("floor")),
        invoke_vs_floor_wall=ratios(
            [s["wall_ms"] for s in samples["invoke"]], [s["wall_ms"] for s in samples["floor"]]
        ),
        handler_vs_boto3_cpu=ratios(cpu("handler"), cpu("boto3")),
        handler_imports_boto3=any(s["boto3_imported"] for s in samples["handler"]),
        peak_mb_12=max(s["rss_mb"] for s in samples["invoke"]),
        statuses=sorted({str(s["status"]) for s in samples["invoke"]}),
        layers=measure_layers(layout, env, rounds),
    )


@dataclass(frozen=True)
class MemoryFigures:
    runs: int
    peak_mb_huge: float
    buckets: int
    statuses: list[str]


def measure_large_answer(
    layout: Layout,
    env: Mapping[str, str],
    events: list[dict[str, Any]],
    before_each: Callable[[dict[str, Any]], object],
    buckets: int,
) -> MemoryFigures:
    """Peak RSS of cold runs whose Ultravox answer carries `buckets` buckets; the worst one."""
    peaks, statuses = [], []
    for event in events:
        before_each(event)
        figures = run_child(layout, env, "invoke", json.dumps(event))
        peaks.append(figures["rss_mb"])
        statuses.append(str(figures["status"]))
    return MemoryFigures(len(events), max(peaks), buckets, sorted(set(statuses)))


def tick_of(event: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["scheduledTime"]).replace("Z", "+00:00"))
