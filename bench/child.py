"""Runs in a fresh interpreter: times a cold import or a cold invocation and prints the figures."""

# Only the standard library at module level: whatever this script imports is what it measures.
from __future__ import annotations

import json
import resource
import sys
import time
import uuid
from typing import Any

MARKER = "BENCH-RESULT "
SERVICES = ("ssm", "dynamodb", "sns")  # the clients build_dependencies() creates


class Context:
    """The slice of Lambda's context object that the handler and Powertools read."""

    function_name = "ceilingwatch-CheckFunction"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ceilingwatch"
    aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def max_rss_mb() -> float:
    """This process image's peak resident set, in MiB."""
    # ru_maxrss keeps the parent's high-water mark across fork and exec on Linux, so a child of
    # the bench (which holds moto) would report the bench's size; VmHWM is this image's own.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def since_ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def boto3_only() -> dict[str, Any]:
    """The baseline: what any Python Lambda function that uses AWS pays."""
    start = time.perf_counter()
    import boto3

    imported = since_ms(start)
    for service in SERVICES:
        boto3.client(service)  # type: ignore[call-overload]
    return {"import_ms": imported, "ready_ms": since_ms(start), "rss_mb": max_rss_mb()}


def handler() -> dict[str, Any]:
    start = time.perf_counter()
    import ceilingwatch.handler

    handler_ms = since_ms(start)
    import boto3  # noqa: F401  # the handler defers it to build_dependencies(); the cold start does not

    with_boto3_ms = since_ms(start)
    import ceilingwatch.bootstrap

    ceilingwatch.bootstrap.build_dependencies()
    return {
        "import_ms": handler_ms,
        "with_boto3_ms": with_boto3_ms,
        "ready_ms": since_ms(start),
        "rss_mb": max_rss_mb(),
    }


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """One cold invocation as Lambda runs it: import, build the clients, judge one tick."""
    import boto3  # noqa: F401  # first, for the reference figure

    boto3_rss = max_rss_mb()
    from ceilingwatch.handler import lambda_handler

    result = lambda_handler(event, Context())
    return {"boto3_rss_mb": boto3_rss, "rss_mb": max_rss_mb(), "status": result.get("status")}


def main() -> None:
    mode = sys.argv[1]
    if mode == "boto3":
        figures = boto3_only()
    elif mode == "handler":
        figures = handler()
    elif mode == "invoke":
        figures = invoke(json.loads(sys.argv[2]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    # The handler logs to stdout too; the marker tells the parent which line is ours.
    print(MARKER + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
