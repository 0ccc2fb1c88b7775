"""Runs in a fresh interpreter: warm runs of the real handler, beside the bare calls they make.

Only the standard library at module level. The handler is wired as Lambda wires it (its first
invocation builds the clients); the bare calls then use those very clients, so the difference
is ceilingwatch's own work: judging, state encoding, logging, metrics. Every AWS request is
counted per run with botocore's before-send event. The stand-ins run in another process.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any


def _load_child() -> Any:
    """child.py beside this script, loaded by path: nothing else joins sys.path."""
    spec = importlib.util.spec_from_file_location("child", Path(__file__).with_name("child.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


child = _load_child()
MARKER, Clock, Context = child.MARKER, child.Clock, child.Context

TICK = timedelta(minutes=5)


def event_for(monitor: str, tick: datetime, n: int) -> dict[str, Any]:
    return {
        "monitor": monitor,
        "scheduledTime": tick.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "executionId": f"bench-{n}",
        "attempt": "1",
    }


class Counted:
    """AWS requests by service and operation, retries included, as sent on the wire."""

    def __init__(self, *clients: Any) -> None:
        self.counts: Counter[str] = Counter()
        for client in clients:
            client.meta.events.register("before-send", self.count)

    def count(self, event_name: str, **kwargs: Any) -> None:
        service, operation = event_name.split(".", 2)[1:]
        self.counts[f"{service} {operation}"] += 1


def main() -> None:
    plan = json.loads(sys.argv[1])
    from ceilingwatch import handler

    monitor, tick = plan["monitor"], datetime.fromisoformat(plan["first_tick"])
    n = 0

    def run() -> dict[str, Any]:
        nonlocal tick, n
        result: dict[str, Any] = handler.lambda_handler(event_for(monitor, tick, n), Context())
        tick, n = tick + TICK, n + 1
        if result.get("status") != "OK" or result.get("notifications"):
            raise SystemExit(f"a quiet tick was not a quiet OK run: {result}")
        return result

    run()  # the first invocation builds the clients, as in Lambda
    deps: Any = handler._dependencies
    # A quiet run's log, measured only where the Ultravox calls are not being counted.
    log_bytes = logged_bytes(run) if plan["timed_runs"] else 0
    assert deps is not None
    # The run's clients, the SNS one included (built here if no run has needed it yet).
    sns = deps.channels.keywords["wiring"].sns()
    counted = Counted(deps.parameters.client, deps.states.client, sns)
    for _ in range(plan["warmup"]):
        run()
    calls = []
    for _ in range(plan["count_runs"]):
        before = Counter(counted.counts)
        run()
        calls.append(dict(counted.counts - before))

    bare = bare_calls(deps, monitor, plan["api_key"], read_parameters=plan["reads_parameters"])
    samples: dict[str, list[float]] = {"handler_cpu": [], "handler_wall": []}
    samples |= {"bare_cpu": [], "bare_wall": []}
    for i in range(plan["timed_runs"]):
        # Alternate which goes first, so drift in the machine's load falls on both.
        for which in ("handler", "bare") if i % 2 == 0 else ("bare", "handler"):
            clock = Clock()
            if which == "handler":
                run()
            else:
                bare(tick)
            figures = clock.figures()
            samples[f"{which}_cpu"].append(figures["cpu_ms"])
            samples[f"{which}_wall"].append(figures["wall_ms"])
    item = deps.states.client.get_item(
        TableName=deps.settings.state_table_name, Key={"monitor": {"S": monitor}}
    )["Item"]
    figures = {"calls": calls, "samples": samples, "runs": n, "log_bytes": log_bytes}
    print(MARKER + json.dumps(figures | {"item_bytes": item_bytes(item)}), flush=True)


def logged_bytes(run: Any) -> int:
    """What one run writes to stdout (log lines and EMF metrics), as CloudWatch Logs takes it."""
    import logging

    written = CountingStream(sys.stdout)
    # Powertools' handler holds the stdout it found when the logger was made.
    handlers = [h for h in logging.getLogger("ceilingwatch").handlers if hasattr(h, "setStream")]
    streams = [h.setStream(written) for h in handlers]
    sys.stdout = written
    try:
        run()
    finally:
        sys.stdout = written.stream
        for h, stream in zip(handlers, streams, strict=True):
            h.setStream(stream)
    return written.count


class CountingStream:
    """Passes writes through and counts their bytes."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.count = stream, 0

    def write(self, text: str) -> int:
        self.count += len(text.encode())
        return int(self.stream.write(text))

    def flush(self) -> None:
        self.stream.flush()


def item_bytes(item: dict[str, dict[str, str]]) -> int:
    """DynamoDB's size of an item: attribute names and values (numbers taken as their text)."""
    return sum(len(name) + len(next(iter(value.values()))) for name, value in item.items())


def bare_calls(deps: Any, monitor: str, api_key: str, *, read_parameters: bool) -> Any:
    """The calls a quiet run must make, on the handler's own clients, and nothing else."""
    from ceilingwatch.adapters.ultravox import CONCURRENCY_PATH

    settings = deps.settings
    dynamodb, ssm = deps.states.client, deps.parameters.client
    # The usage source's wiring holds the session every run's Ultravox client reuses.
    session = deps.usage.keywords["wiring"].session
    key = {"monitor": {"S": monitor}}
    # The bare write stores a copy of the real item under its own key: the same size.
    item = dynamodb.get_item(TableName=settings.state_table_name, Key=key)["Item"]
    item = item | {"monitor": {"S": f"bare-{monitor}"}, "version": {"N": "1"}}
    dynamodb.put_item(TableName=settings.state_table_name, Item=item)
    path = f"{settings.parameter_prefix}/{monitor}/"
    version = 1

    def bare(tick: datetime) -> None:
        key_value = api_key
        if read_parameters:
            found = ssm.get_parameters_by_path(Path=path, WithDecryption=True, MaxResults=10)
            key_value = next(p["Value"] for p in found["Parameters"] if "api-key" in p["Name"])
        start = tick - timedelta(hours=1)
        start = start.replace(minute=start.minute - start.minute % 5, second=0)
        # By urllib3, as the handler's client sends it (adapters/transport.py).
        response = session.get(
            settings.ultravox_base_url + CONCURRENCY_PATH,
            params={
                "bucket": "5min",
                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": tick.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            headers={"X-API-Key": key_value, "Accept": "application/json"},
            timeout=(3.05, 10.0),
            allow_redirects=False,
        )
        with response:
            if not response.ok:
                raise RuntimeError(f"Ultravox answered HTTP {response.status_code}")
            json.loads(b"".join(response.iter_content(64 * 1024)))
        dynamodb.get_item(TableName=settings.state_table_name, Key=key, ConsistentRead=True)
        # Conditional on the version, as the handler's write is.
        nonlocal version
        item["version"] = {"N": str(version + 1)}
        dynamodb.put_item(
            TableName=settings.state_table_name,
            Item=item,
            ConditionExpression="version = :expected",
            ExpressionAttributeValues={":expected": {"N": str(version)}},
        )
        version += 1

    return bare


if __name__ == "__main__":
    main()
