"""Warm runs of the real handler on the local stack: its calls, and its time beside bare I/O."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import boto3

from infra.demo import Context
from infra.function_output import captured_function_output
from infra.local_stack import LocalStack
from infra.slack_catcher import SlackCatcher
from infra.ultravox_sim import CONCURRENCY_PATH, SCENARIO_DIR, Scenario, UltravoxSimulator

MONITOR = "bench"  # the stack's own monitor, judged warm in this process
COLD_MONITOR = "bench-cold"  # judged by the fresh interpreters, so the two never share state
TICK = timedelta(minutes=5)
# Far longer than the bench: the warm path must use the cache, as successive ticks in Lambda do.
CONFIG_MAX_AGE_SECONDS = 900
WARM_UP_TICKS = 5
HOUR_OF_TICKS = 12


def quiet_scenario(repeats: int = 4) -> Scenario:
    """The `quiet` scenario, its two hours played `repeats` times so every tick has traffic."""
    data = json.loads((SCENARIO_DIR / "quiet.json").read_text(encoding="utf-8"))
    data["segments"] = data["segments"] * repeats
    return Scenario.from_dict(data, name="quiet")


class CallCounter:
    """Counts every HTTP request botocore sends, by service and operation, retries included."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        # before-send.<service>.<Operation>; returning None lets the request go.
        service, operation = event_name.split(".", 2)[1:]
        self.counts[f"{service} {operation}"] += 1


@dataclass
class RunCalls:
    """The outside calls of one run, by the names of the bars they are held to."""

    counts: dict[str, int] = field(default_factory=dict)

    def get(self, name: str) -> int:
        return self.counts.get(name, 0)


# The table's rows, in order: (row, the most one run may make, the bar as the table shows it).
CALL_ROWS = (
    ("Ultravox concurrency", 1, "= 1"),
    ("Ultravox account (hourly)", 1, "<= 1 an hour"),
    ("DynamoDB GetItem", 1, "= 1"),
    ("DynamoDB PutItem", 1, "<= 1"),
    ("SSM (any call)", 0, "0 if cached"),
    ("SNS Publish", 0, "0"),
    ("Slack webhook", 0, "0"),
    ("other AWS calls", 0, "0"),
)


@dataclass(frozen=True)
class CallFigures:
    runs: list[RunCalls]
    problems: list[str]


@dataclass(frozen=True)
class TimingFigures:
    runs: int
    handler_ms: float
    bare_ms: float
    pair_ratio: float  # median of the per-pair ratios, a check on the ratio of medians


class WarmBench:
    """LocalStack, the Ultravox simulator (quiet) and the Slack catcher, with the handler wired."""

    def __init__(self) -> None:
        self.scenario = quiet_scenario()
        self.api_key = f"uvx-bench-{secrets.token_hex(12)}"
        self.counter = CallCounter()
        self.logs = io.StringIO()
        self._exit = contextlib.ExitStack()
        self._tick = self.scenario.start + timedelta(hours=1, minutes=1)
        self.stack: LocalStack
        self.ultravox: UltravoxSimulator
        self.slack: SlackCatcher
        self.env: dict[str, str] = {}
        self.deps: Any = None
        self._handler: Callable[..., dict[str, Any]] | None = None

    def __enter__(self) -> WarmBench:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit.close()

    def _start(self) -> None:
        self.stack = self._exit.enter_context(
            LocalStack(parameters={"MonitorName": MONITOR, "ConcurrencyLimit": "50"})
        )
        self.ultravox = self._exit.enter_context(UltravoxSimulator(self.scenario, self.api_key))
        self.slack = self._exit.enter_context(SlackCatcher())
        webhook = self.slack.webhook_url()
        self.env = self.stack.function_environment() | {
            "ULTRAVOX_API_BASE_URL": self.ultravox.base_url,
            "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES": webhook.split("/services/")[0] + "/",
            "CEILINGWATCH_CONFIG_MAX_AGE": str(CONFIG_MAX_AGE_SECONDS),
        }
        ssm = self.stack.client("ssm")
        for monitor in (MONITOR, COLD_MONITOR):
            values = {"ultravox-api-key": self.api_key, "slack-webhook-url": webhook}
            for name, value in values.items():
                ssm.put_parameter(
                    Name=f"/ceilingwatch/{monitor}/{name}",
                    Value=value,
                    Type="SecureString",
                    Overwrite=True,
                )
        # The stack made the warm monitor's limit; the cold one is outside the stack.
        ssm.put_parameter(
            Name=f"/ceilingwatch/{COLD_MONITOR}/concurrency-limit", Value="50", Type="String"
        )

    # --- the in-process handler -------------------------------------------------------------

    @contextlib.contextmanager
    def _function_env(self) -> Iterator[None]:
        """The function's environment in this process, and its output kept out of the report."""
        saved = dict(os.environ)
        # The venv has the X-Ray SDK, which would trace; the tests and the demo turn it off too.
        os.environ.update(self.env | {"POWERTOOLS_TRACE_DISABLED": "true"})
        try:
            with captured_function_output(self.logs):
                yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def warm_up(self) -> None:
        """Wires the handler as a Lambda execution environment does, then runs a few ticks."""
        with self._function_env():
            from ceilingwatch.bootstrap import build_dependencies
            from ceilingwatch.handler import lambda_handler

            # Clients made from this session carry the counter: every AWS request is seen.
            boto3.setup_default_session()
            assert boto3.DEFAULT_SESSION is not None
            boto3.DEFAULT_SESSION.events.register("before-send", self.counter)
            self.deps = build_dependencies()
            self._handler = lambda_handler
            for _ in range(WARM_UP_TICKS):
                self._invoke(self._next_tick())

    def _next_tick(self) -> datetime:
        tick = self._tick
        self._tick += TICK
        if tick > self.scenario.end:
            raise RuntimeError("the scenario ran out of ticks: lengthen quiet_scenario()")
        self.ultravox.set_clock(tick)
        return tick

    def _invoke(self, tick: datetime) -> dict[str, Any]:
        assert self._handler is not None
        event = {
            "monitor": MONITOR,
            "scheduledTime": tick.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "executionId": str(uuid.uuid4()),
            "attempt": "1",
        }
        result = self._handler(event, Context(), dependencies=self.deps)
        if result.get("status") != "OK" or result.get("notifications"):
            raise RuntimeError(f"a quiet tick was not a quiet OK run: {result}")
        return result

    # --- 3. calls per run -------------------------------------------------------------------

    def count_calls(self) -> CallFigures:
        """The outside calls of each of an hour of warm ticks, held to the steady-state bars."""
        runs = []
        with self._function_env():
            for _ in range(HOUR_OF_TICKS):
                aws_before = Counter(self.counter.counts)
                ultravox_before = len(self.ultravox.requests)
                slack_before = self.slack.attempts
                self._invoke(self._next_tick())
                aws = self.counter.counts - aws_before
                paths = Counter(r.path for r in self.ultravox.requests[ultravox_before:])
                runs.append(self._classify(aws, paths, self.slack.attempts - slack_before))
        return CallFigures(runs, self._problems(runs))

    @staticmethod
    def _classify(aws: Counter[str], paths: Counter[str], slack: int) -> RunCalls:
        named = {
            "DynamoDB GetItem": aws.pop("dynamodb GetItem", 0),
            "DynamoDB PutItem": aws.pop("dynamodb PutItem", 0),
            "SNS Publish": aws.pop("sns Publish", 0),
        }
        named["SSM (any call)"] = sum(n for op, n in aws.items() if op.startswith("ssm "))
        named["other AWS calls"] = sum(n for op, n in aws.items() if not op.startswith("ssm "))
        named["Ultravox concurrency"] = paths.pop(CONCURRENCY_PATH, 0)
        named["Ultravox account (hourly)"] = sum(paths.values())
        named["Slack webhook"] = slack
        return RunCalls(named)

    @staticmethod
    def _problems(runs: list[RunCalls]) -> list[str]:
        problems = []
        for row, most, _ in CALL_ROWS:
            worst = max(run.get(row) for run in runs)
            if worst > most:
                problems.append(f"{row}: {worst} in one run, the bar is {most}")
        if runs and min(run.get("Ultravox concurrency") for run in runs) < 1:
            problems.append("a run judged without fetching the concurrency series")
        if runs and min(run.get("DynamoDB GetItem") for run in runs) < 1:
            problems.append("a run judged without reading its state")
        # The account cross-check is hourly: at most one in an hour of ticks.
        if sum(run.get("Ultravox account (hourly)") for run in runs) > 1:
            problems.append("the account was fetched more than once in an hour")
        return problems

    # --- 2. warm invocation against the bare calls ------------------------------------------

    def time_invocations(self, runs: int) -> TimingFigures:
        """Warm handler runs against the bare calls they must make, interleaved pair by pair."""
        table = self.stack.outputs["StateTableName"]
        dynamodb = self.deps.states.client
        session = self.deps.ultravox.session
        url = self.ultravox.base_url + CONCURRENCY_PATH
        headers = {"X-API-Key": self.api_key, "Accept": "application/json"}
        key = {"monitor": {"S": MONITOR}}
        # The bare write stores a copy of the real item under its own key: the same size.
        item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        item = item | {"monitor": {"S": "bench-bare"}}

        def bare(tick: datetime) -> None:
            start = tick - timedelta(hours=1)
            start = start.replace(minute=start.minute - start.minute % 5, second=0)
            params = {
                "bucket": "5min",
                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": tick.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            response = session.get(url, params=params, headers=headers, timeout=(3.05, 10.0))
            response.raise_for_status()
            response.json()
            dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)
            dynamodb.put_item(TableName=table, Item=item)

        handler_ms, bare_ms = [], []
        with self._function_env():
            for i in range(runs):
                tick = self._next_tick()
                # Alternate which goes first, so drift in the machine's load falls on both.
                for which in ("handler", "bare") if i % 2 == 0 else ("bare", "handler"):
                    started = time.perf_counter()
                    if which == "handler":
                        self._invoke(tick)
                        handler_ms.append((time.perf_counter() - started) * 1000)
                    else:
                        bare(tick)
                        bare_ms.append((time.perf_counter() - started) * 1000)
        if self.slack.attempts or self.counter.counts["sns Publish"]:
            raise RuntimeError("a quiet run sent a message: the timings are not of quiet runs")
        return TimingFigures(
            runs=runs,
            handler_ms=statistics.median(handler_ms),
            bare_ms=statistics.median(bare_ms),
            pair_ratio=statistics.median(h / b for h, b in zip(handler_ms, bare_ms, strict=True)),
        )

    # --- 4. what the fresh interpreters need ------------------------------------------------

    def cold_events(self, count: int) -> list[dict[str, Any]]:
        """Events for cold invocations of COLD_MONITOR, one tick apart; its state is its own."""
        start = self.scenario.start + timedelta(hours=1, minutes=1)
        return [
            {
                "monitor": COLD_MONITOR,
                "scheduledTime": (start + i * TICK).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "executionId": str(uuid.uuid4()),
                "attempt": "1",
            }
            for i in range(count)
        ]

    def set_clock_for(self, event: dict[str, Any]) -> None:
        self.ultravox.set_clock(datetime.fromisoformat(event["scheduledTime"]))
