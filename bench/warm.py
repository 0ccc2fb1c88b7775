"""Warm runs of the real handler in the Lambda layout: their calls, their CPU beside bare I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.cold import WARM_CHILD, Layout, run_child
from bench.stats import Spread, ratios

if TYPE_CHECKING:  # the stand-ins are the bench's, never a unit test's (test_suite_isolation)
    from bench.standins import StandIns

WARM_UP_TICKS = 5
HOUR_OF_TICKS = 12
# As deployed, the parameter cache lives 60 s and ticks come every 300 s: it has expired by the
# next tick. The bench's ticks come milliseconds apart, so a max age of 0 has the same effect.
AS_DEPLOYED_MAX_AGE = "0"
CACHED_MAX_AGE = "3600"  # what a cache longer than the tick would do

# The table's rows, in order: (row, the most one run may make, the bar as the table shows it).
CALL_ROWS = (
    ("Ultravox concurrency", 1, "= 1"),
    ("Ultravox account (hourly)", 1, "<= 1 an hour"),
    ("DynamoDB GetItem", 1, "= 1"),
    ("DynamoDB PutItem", 1, "<= 1"),
    ("SSM GetParametersByPath", 1, "<= 1 (cache)"),
    ("SNS Publish", 0, "0"),
    ("Slack webhook", 0, "0"),
    ("other AWS calls", 0, "0"),
)


@dataclass(frozen=True)
class CallFigures:
    runs: list[dict[str, int]]
    problems: list[str]

    def most(self, row: str) -> int:
        return max(run.get(row, 0) for run in self.runs)


@dataclass(frozen=True)
class WarmFigures:
    label: str
    handler_cpu: Spread
    bare_cpu: Spread
    handler_wall: Spread
    bare_wall: Spread
    cpu_ratio: Spread  # pair by pair
    wall_ratio: Spread
    log_bytes: int  # what one quiet run writes to its log
    item_bytes: int  # the size of its state item


def _plan(standins: StandIns, monitor: str, first_tick: datetime, **fields: Any) -> str:
    import json

    plan = {
        "monitor": monitor,
        "first_tick": first_tick.isoformat(),
        "api_key": standins.info["api_key"],
        "warmup": WARM_UP_TICKS,
        "count_runs": 0,
        "timed_runs": 0,
        "reads_parameters": True,
    }
    return json.dumps(plan | fields)


def count_calls(
    layout: Layout, env: Mapping[str, str], standins: StandIns, monitor: str, first_tick: datetime
) -> CallFigures:
    """An hour of warm ticks as deployed, every call counted: AWS per run on the wire in the
    child, Ultravox and Slack from the stand-ins' own logs over the whole child."""
    before = standins.command("counts")
    figures = run_child(
        layout,
        dict(env) | {"CEILINGWATCH_CONFIG_MAX_AGE": AS_DEPLOYED_MAX_AGE},
        # The first run builds the clients (its AWS calls go uncounted), then 11 more: an hour.
        _plan(standins, monitor, first_tick, warmup=0, count_runs=HOUR_OF_TICKS - 1),
        script=WARM_CHILD,
    )
    after = standins.command("counts")
    runs = [_classify(calls) for calls in figures["calls"]]
    from infra.simulator.ultravox import CONCURRENCY_PATH  # the simulator: the bench's only

    concurrency = after["ultravox"].get(CONCURRENCY_PATH, 0) - before["ultravox"].get(
        CONCURRENCY_PATH, 0
    )
    account = sum(after["ultravox"].values()) - sum(before["ultravox"].values()) - concurrency
    slack = after["slack"] - before["slack"]
    total_runs = figures["runs"]
    # Ultravox and Slack are counted over the whole child: spread evenly, checked in total.
    for run in runs:
        run["Ultravox concurrency"] = concurrency // total_runs
        run["Slack webhook"] = slack
    runs[0]["Ultravox account (hourly)"] = account  # the hour's one check, whichever run
    problems = _problems(runs)
    if concurrency != total_runs:
        problems.append(f"{concurrency} concurrency calls in {total_runs} runs")
    if account > 1:
        problems.append(f"the account was fetched {account} times in an hour of ticks")
    return CallFigures(runs, problems)


def _classify(aws: dict[str, int]) -> dict[str, int]:
    named = {
        "DynamoDB GetItem": aws.pop("dynamodb GetItem", 0),
        "DynamoDB PutItem": aws.pop("dynamodb PutItem", 0),
        "SNS Publish": aws.pop("sns Publish", 0),
        "SSM GetParametersByPath": aws.pop("ssm GetParametersByPath", 0),
    }
    named["other AWS calls"] = sum(aws.values())
    return named


def _problems(runs: list[dict[str, int]]) -> list[str]:
    problems = []
    for row, most, _ in CALL_ROWS:
        worst = max(run.get(row, 0) for run in runs)
        if worst > most:
            problems.append(f"{row}: {worst} in one run, the bar is {most}")
    if min(run.get("DynamoDB GetItem", 0) for run in runs) < 1:
        problems.append("a run judged without reading its state")
    return problems


def time_runs(
    layout: Layout,
    env: Mapping[str, str],
    standins: StandIns,
    monitor: str,
    first_tick: datetime,
    runs: int,
    *,
    cached: bool,
) -> WarmFigures:
    """Warm handler runs against the bare calls they must make, interleaved pair by pair."""
    max_age = CACHED_MAX_AGE if cached else AS_DEPLOYED_MAX_AGE
    figures = run_child(
        layout,
        dict(env) | {"CEILINGWATCH_CONFIG_MAX_AGE": max_age},
        _plan(standins, monitor, first_tick, timed_runs=runs, reads_parameters=not cached),
        script=WARM_CHILD,
    )
    s = figures["samples"]
    return WarmFigures(
        label="parameters cached" if cached else "as deployed (SSM read every run)",
        handler_cpu=Spread.of(s["handler_cpu"]),
        bare_cpu=Spread.of(s["bare_cpu"]),
        handler_wall=Spread.of(s["handler_wall"]),
        bare_wall=Spread.of(s["bare_wall"]),
        cpu_ratio=ratios(s["handler_cpu"], s["bare_cpu"]),
        wall_ratio=ratios(s["handler_wall"], s["bare_wall"]),
        log_bytes=figures["log_bytes"],
        item_bytes=figures["item_bytes"],
    )
