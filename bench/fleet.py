"""A thousand monitors through one tick: real runs against the stand-ins, then the fan-out's queue.

Two parts, both printed. First the real handler judges every monitor of the tick in execution
environments of its own (fresh interpreters in the Lambda layout, one invocation at a time each),
each invocation the SQS event the fan-out's message makes, against the stand-ins: Ultravox
healthy, then Ultravox hanging for all (a server that accepts and never answers). The state table
then shows, per monitor, that the tick was judged or its ERROR recorded. Second, those runs'
measured times are laid on the fan-out's queue: each message visible after its delay (the
fan-out's spread over the tick), taken in order by at most MaximumConcurrency environments, each
run's CPU stretched to what 128 MB gets (128/1769 of a vCPU) and an environment's first run paying
its cold start. It says when the last monitor is done.
"""

from __future__ import annotations

import heapq
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from bench.child import MARKER
from bench.cold import CHILD, LAMBDA_RUNTIME_ENV, Layout
from bench.stats import Spread

MONITORS = 1000
TICK_SECONDS = 300
WINDOW_SECONDS = 120  # the fan-out's CEILINGWATCH_FANOUT_SPREAD_SECONDS in template.yaml
VCPU_MB = 1769  # Lambda gives 1 vCPU at 1,769 MB, in proportion below it


def cpu_stretch(memory_mb: int) -> float:
    """How much longer a CPU-second takes at `memory_mb` than on a whole core (a process here
    uses one thread: more than one vCPU does not make it faster)."""
    return max(1.0, VCPU_MB / memory_mb)


CPU_STRETCH = cpu_stretch(128)  # the functions' MemorySize in template.yaml
DEFAULT_CONCURRENCY = 100  # template.yaml's MaximumConcurrency default
CONCURRENCIES = (50, DEFAULT_CONCURRENCY, 200)


@dataclass(frozen=True)
class Run:
    monitor: str
    cpu_ms: float
    wall_ms: float
    status: str

    def lambda_seconds(self, extra_cpu_ms: float = 0.0) -> float:
        """This run's time at 128 MB: waiting as measured, CPU stretched (a cold start's too)."""
        cpu = self.cpu_ms + extra_cpu_ms
        return (self.wall_ms - self.cpu_ms + cpu * CPU_STRETCH) / 1000


@dataclass(frozen=True)
class Outcome:
    concurrency: int  # 0: unreserved
    finished_s: Spread  # seconds after the tick at which each monitor's run ended
    late: int  # runs that ended after the tick
    peak_running: int


@dataclass(frozen=True)
class FleetPhase:
    label: str
    runs: list[Run]
    judged: int  # monitors whose state says this tick was judged
    errors_recorded: int  # monitors whose state records an ERROR on this tick instead
    run_seconds: Spread  # as measured here, wall
    outcomes: list[Outcome]


def monitor_names(count: int = MONITORS) -> list[str]:
    return [f"fleet-{i:03d}" for i in range(count)]


def run_tick(
    layout: Layout, env: Mapping[str, str], tick: datetime, monitors: list[str], environments: int
) -> tuple[list[Run], float]:
    """Every monitor's run of `tick`, spread over `environments` worker interpreters."""
    child_env = {
        "PATH": os.environ.get("PATH", ""),
        **LAMBDA_RUNTIME_ENV,
        **env,
        **layout.env,
        "PYTHONPATH": layout.pythonpath,
    }
    shares = [monitors[i::environments] for i in range(environments)]
    with tempfile.TemporaryDirectory(prefix="ceilingwatch-fleet-") as scratch:
        # Files, not pipes: a thousand events (and the runs' log lines) overflow a pipe's
        # buffer, and a worker blocked on a full pipe would stretch the runs it times.
        workers = []
        for i, share in enumerate(shares):
            events, out = Path(scratch, f"events-{i}"), Path(scratch, f"out-{i}")
            events.write_text(
                "".join(json.dumps(_event(m, tick, n)) + "\n" for n, m in enumerate(share))
            )
            with events.open() as stdin, out.open("w") as stdout:
                workers.append(
                    subprocess.Popen(
                        [sys.executable, *layout.flags, "-P", str(CHILD), "worker"],
                        env=child_env,
                        stdin=stdin,
                        stdout=stdout,
                        stderr=subprocess.DEVNULL,
                        text=True,
                    )
                )
        for worker in workers:
            worker.wait(timeout=1800)
        outputs = [Path(scratch, f"out-{i}").read_text() for i in range(len(shares))]
    runs, init_cpu = [], []
    for out in outputs:
        results = [json.loads(line[len(MARKER) :]) for line in out.splitlines() if MARKER in line]
        runs += [
            Run(r["monitor"], r["cpu_ms"], r["wall_ms"], r["status"])
            for r in results
            if "monitor" in r
        ]
        init_cpu += [r["init_cpu_ms"] for r in results if "init_cpu_ms" in r]
    return runs, Spread.of(init_cpu).median if init_cpu else 0.0


def _event(monitor: str, tick: datetime, n: int) -> dict[str, Any]:
    """The SQS event Lambda's poller makes of the fan-out's message for this monitor."""
    from ceilingwatch.domain.tick import Tick
    from ceilingwatch.services.fanout import _event as fanned_out

    when = tick.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = fanned_out(monitor, when, Tick("fleet", tick, f"fleet-tick-{when}"))
    record = {
        "messageId": f"{monitor}-{n}",
        "receiptHandle": f"receipt-{monitor}-{n}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ceilingwatch-FleetQueue",
        "awsRegion": "us-east-1",
    }
    return {"Records": [record]}


def recorded(env: Mapping[str, str], monitors: list[str], tick: datetime) -> tuple[int, int]:
    """From the state table: monitors that judged `tick`, and of those, ERRORs recorded."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    judged = errors = 0
    for monitor in monitors:
        item = dynamodb.get_item(
            TableName=env["STATE_TABLE_NAME"], Key={"monitor": {"S": monitor}}, ConsistentRead=True
        ).get("Item", {})
        judged += _at(item, "last_tick") == tick
        # A run that could not judge records its ERROR and the tick it failed on instead.
        errors += _at(item, "unhealthy_tick") == tick and "last_error" in item
    return judged, errors


def _at(item: dict[str, Any], name: str) -> datetime | None:
    text = item.get(name, {}).get("S")
    return datetime.fromisoformat(text) if text else None


def schedule(runs: list[Run], init_cpu_ms: float, concurrency: int, seed: int = 10) -> Outcome:
    """When each run ends if the fan-out's messages become visible at their delays (spread
    evenly over the window, as domain/fleet.py spreads them) and at most `concurrency`
    environments take them in order (the event source mapping's MaximumConcurrency).

    A message finds a free warm environment, or a new one (a cold start, the import's CPU added)
    while fewer than the cap exist, or waits in the queue for the first to free up.
    """
    from ceilingwatch.domain.fleet import spread

    rng = random.Random(seed)  # noqa: S311  # nosec B311 - a reproducible order, not a secret
    delays = [d for _, d in spread((r.monitor for r in runs), WINDOW_SECONDS)]
    free_at: list[float] = []  # when each existing environment is free again (a heap)
    spans = []
    for start, run in zip(delays, rng.sample(runs, len(runs)), strict=True):
        cold = False
        if free_at and free_at[0] <= start:
            heapq.heappop(free_at)
            begin = float(start)
        elif len(free_at) < concurrency:
            begin, cold = float(start), True
        else:
            begin = max(float(start), heapq.heappop(free_at))
        end = begin + run.lambda_seconds(init_cpu_ms if cold else 0.0)
        heapq.heappush(free_at, end)
        spans.append((begin, end))
    events = sorted([(b, 1) for b, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    late = sum(1 for _, end in spans if end > TICK_SECONDS)
    return Outcome(concurrency, Spread.of([end for _, end in spans]), late, peak)


def phase(
    label: str,
    layout: Layout,
    env: Mapping[str, str],
    tick: datetime,
    monitors: list[str],
    environments: int,
) -> FleetPhase:
    runs, init_cpu = run_tick(layout, env, tick, monitors, environments)
    judged, errors = recorded(env, monitors, tick)
    return FleetPhase(
        label=label,
        runs=runs,
        judged=judged,
        errors_recorded=errors,
        run_seconds=Spread.of([r.wall_ms / 1000 for r in runs]),
        outcomes=[schedule(runs, init_cpu, c) for c in CONCURRENCIES],
    )
