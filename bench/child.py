"""Runs in a fresh interpreter: one cold import or cold invocation, timed in CPU and wall.

Only the standard library at module level: whatever this script imports is what it measures.
Modes: `boto3` and `handler` (imports), `invoke` and `floor` (a whole cold invocation: import,
clients, one tick), `worker` (an execution environment judging the events it reads on stdin).
"""

from __future__ import annotations

import importlib.util
import json
import resource
import sys
import time
import uuid
from pathlib import Path
from typing import Any

MARKER = "BENCH-RESULT "
TIMEOUT_MS = 30_000  # the function's Timeout in template.yaml


class Context:
    """The slice of Lambda's context object that the handler and Powertools read."""

    function_name = "ceilingwatch-CheckFunction"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ceilingwatch"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._started = time.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        return int(TIMEOUT_MS - (time.monotonic() - self._started) * 1000)


def max_rss_mb() -> float:
    """This process image's peak resident set, in MiB."""
    # ru_maxrss keeps the parent's high-water mark across fork and exec on Linux, so a child of
    # the bench would report the bench's size; VmHWM is this image's own.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Clock:
    """CPU and wall time since it was made."""

    def __init__(self) -> None:
        self.cpu = time.process_time()
        self.wall = time.perf_counter()

    def figures(self) -> dict[str, float]:
        return {
            "cpu_ms": (time.process_time() - self.cpu) * 1000,
            "wall_ms": (time.perf_counter() - self.wall) * 1000,
        }


def import_boto3() -> dict[str, Any]:
    """The baseline: what any Python Lambda function that uses AWS pays."""
    clock = Clock()
    import boto3  # noqa: F401

    return clock.figures()


def import_handler() -> dict[str, Any]:
    clock = Clock()
    import ceilingwatch.handler  # noqa: F401

    return clock.figures() | {"boto3_imported": "boto3" in sys.modules}


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """One cold invocation as Lambda runs it: import, build the clients, judge one tick."""
    clock = Clock()
    from ceilingwatch.handler import lambda_handler

    result = lambda_handler(event, Context())
    return clock.figures() | {"rss_mb": max_rss_mb(), "status": result.get("status")}


def floor(event: dict[str, Any]) -> dict[str, Any]:
    """The same calls, cold, from the floor handler (botocore and urllib3 alone)."""
    clock = Clock()
    path = Path(__file__).with_name("floor.py")
    spec = importlib.util.spec_from_file_location("floor", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.lambda_handler(event, Context())
    return clock.figures() | {"rss_mb": max_rss_mb(), "status": result.get("status")}


# What a cold invocation imports beyond the floor's botocore and urllib3, in the order a
# fresh interpreter would pay for each: the CPU of each step is what it adds.
# A tick builds botocore's own clients, reads SSM itself and gets Ultravox by urllib3: boto3,
# Powertools' parameters and requests are not among them (tests/unit/test_tick_imports.py).
LAYERS = (
    ("botocore.session", "botocore, as the floor imports it"),
    ("aws_lambda_powertools", "Powertools' Logger, Metrics, Tracer"),
    ("ceilingwatch.handler", "ceilingwatch's own modules: the handler"),
    ("ceilingwatch.bootstrap", "ceilingwatch's own modules: the wiring"),
)


def breakdown() -> dict[str, Any]:
    """The CPU each layer of imports adds, in order."""
    steps = {}
    for module, _ in LAYERS:
        clock = Clock()
        importlib.import_module(module)
        steps[module] = clock.figures()["cpu_ms"]
    return {"steps": steps}


def worker() -> None:
    """An execution environment: one invocation at a time, each event a line on stdin."""
    clock = Clock()
    from ceilingwatch.handler import lambda_handler

    print(MARKER + json.dumps({"init_cpu_ms": clock.figures()["cpu_ms"]}), flush=True)

    for line in sys.stdin:
        event = json.loads(line)
        clock = Clock()
        # An SQS event (the fan-out's message) names its monitor in the record's body.
        records = event.get("Records") or [{"body": json.dumps(event)}]
        monitor = json.loads(records[0]["body"])["monitor"]
        try:
            answer = lambda_handler(event, Context())
            failed = answer.get("batchItemFailures")
            status = "failed: reported" if failed else str(answer.get("status", "ok"))
        except Exception as error:  # the run failed visibly, as Lambda would record it
            status = f"failed: {type(error).__name__}"
        figures = clock.figures() | {"monitor": monitor, "status": status}
        print(MARKER + json.dumps(figures), flush=True)


def main() -> None:
    mode = sys.argv[1]
    if mode == "worker":
        worker()
        return
    if mode == "boto3":
        figures = import_boto3()
    elif mode == "handler":
        figures = import_handler()
    elif mode == "breakdown":
        figures = breakdown()
    elif mode == "invoke":
        figures = invoke(json.loads(sys.argv[2]))
    elif mode == "floor":
        figures = floor(json.loads(sys.argv[2]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    # The handler logs to stdout too; the marker tells the parent which line is ours.
    print(MARKER + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
