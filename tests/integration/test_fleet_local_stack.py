"""The fleet in the local stack: monitors added by the CLI, one tick fanned out through the
template's real SQS queue (moto) to the real check handler under the mapping's concurrency cap."""

from __future__ import annotations

import io
import json
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ceilingwatch import fanout
from ceilingwatch.bootstrap import build_dependencies, build_fleet
from ceilingwatch.cli.entry import main
from ceilingwatch.handler import lambda_handler
from ceilingwatch.services.fanout import Fleet

from infra.demo.timeline import Context
from infra.local_stack.poller import Polled, QueuePoller
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator
from infra.standins.channels import ChannelStandins

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
TICK = NOW - timedelta(minutes=NOW.minute % 5) + timedelta(minutes=1) - timedelta(minutes=5)


@dataclass
class FleetWorld:
    stack: LocalStack
    ultravox: UltravoxSimulator
    env: dict[str, str]
    inbox: str
    monkeypatch: pytest.MonkeyPatch
    key: str

    def cli(self, *argv: str, stdin: str = "") -> int:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return main(list(argv))

    def add(self, monitor: str, limit: str = "50", *extra: str) -> int:
        key = self.key
        return self.cli(
            "monitors", "add", "--monitor", monitor, "--limit", limit, *extra, stdin=f"{key}\n"
        )

    def fleet(self) -> Fleet:
        return build_fleet()

    def tick(self, fleet: Fleet, at: datetime, execution_id: str = "exec-1") -> dict[str, Any]:
        event = {"scheduledTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "executionId": execution_id}
        result: dict[str, Any] = fanout.lambda_handler(event, Context(), fleet=fleet)
        return result

    def poller(self) -> QueuePoller:
        deps = build_dependencies()
        return QueuePoller.for_function(
            self.stack.client("lambda"),
            self.stack.client("sqs"),
            self.stack.outputs["CheckFunctionName"],
            lambda event: lambda_handler(event, Context(), dependencies=deps),
        )

    def last_tick(self, monitor: str) -> str | None:
        item = (
            self.stack.client("dynamodb")
            .get_item(
                TableName=self.stack.outputs["StateTableName"], Key={"monitor": {"S": monitor}}
            )
            .get("Item")
        )
        return item["last_tick"]["S"] if item and "last_tick" in item else None

    def emails(self) -> list[dict[str, Any]]:
        sqs, found = self.stack.client("sqs"), []
        while batch := sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for item in batch:
                found.append(json.loads(item["Body"]))
                sqs.delete_message(QueueUrl=self.inbox, ReceiptHandle=item["ReceiptHandle"])
        return found


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[FleetWorld]:
    scenario = Scenario.from_dict(
        {
            "start": (NOW - timedelta(hours=3)).isoformat(),
            "account": {"allowedConcurrentCalls": None},
            "segments": [{"minutes": 240, "hold": 10}],
        }
    )
    key = f"uvx-fleet-{secrets.token_hex(8)}"
    with (
        LocalStack(parameters={"MaximumConcurrency": "3"}) as stack,
        UltravoxSimulator(scenario, key) as ultravox,
        ChannelStandins() as standins,
    ):
        fanout_env = stack.client("lambda").get_function_configuration(
            FunctionName=stack.outputs["FanoutFunctionName"]
        )["Environment"]["Variables"]
        env = (
            stack.function_environment()
            | fanout_env
            | standins.environment()
            | {
                "ULTRAVOX_API_BASE_URL": ultravox.base_url,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "CEILINGWATCH_CONFIG_MAX_AGE": "0",
                "CEILINGWATCH_FANOUT_SPREAD_SECONDS": "2",
            }
        )
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ultravox.set_clock(NOW)
        yield FleetWorld(stack, ultravox, env, stack.subscribe_queue("inbox"), monkeypatch, key)


def test_the_template_creates_the_queue_its_mapping_and_dead_letters(world: FleetWorld) -> None:
    stack = world.stack
    [mapping] = stack.client("lambda").list_event_source_mappings(
        FunctionName=stack.outputs["CheckFunctionName"]
    )["EventSourceMappings"]
    sqs = stack.client("sqs")
    queue = sqs.get_queue_attributes(
        QueueUrl=stack.outputs["FleetQueueUrl"], AttributeNames=["All"]
    )
    assert mapping["EventSourceArn"] == queue["Attributes"]["QueueArn"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 3}  # the template parameter
    assert mapping["BatchSize"] == 1 and mapping["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]
    redrive = json.loads(queue["Attributes"]["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": stack.outputs["DeadLetterQueueArn"],
        "maxReceiveCount": 3,
    }
    assert int(queue["Attributes"]["VisibilityTimeout"]) >= 6 * 30
    schedules = stack.client("scheduler").list_schedules()["Schedules"]
    # One schedule for the deployment's ticks (and the weekly digest), both to the fan-out.
    targets = {
        s["Name"]: stack.client("scheduler").get_schedule(Name=s["Name"])["Target"]["Arn"]
        for s in schedules
    }
    fanout_arn = stack.client("lambda").get_function(
        FunctionName=stack.outputs["FanoutFunctionName"]
    )["Configuration"]["FunctionArn"]
    assert len(targets) == 2 and set(targets.values()) == {fanout_arn}


def test_monitors_added_with_the_cli_are_judged_at_the_next_tick(world: FleetWorld) -> None:
    assert world.add("acme") == 0 and world.add("globex", "20") == 0
    fleet = world.fleet()
    result = world.tick(fleet, TICK)
    assert result["queued"] == 2
    polled = world.poller().drain(timeout=30)
    assert polled.deleted == 2 and polled.left == 0
    assert polled.peak_running <= 3
    for monitor in ("acme", "globex"):
        assert world.last_tick(monitor) == TICK.isoformat()
    out = io.StringIO()
    world.monkeypatch.setattr(sys, "stdout", out)
    assert world.cli("monitors", "list") == 0
    listed = out.getvalue().splitlines()
    assert [line.split()[0] for line in listed[:2]] == ["acme", "globex"]
    assert all("registered" in line for line in listed[:2])
    assert "2 monitors" in out.getvalue()


def test_removed_monitor_is_not_queued_and_its_state_goes_with_confirmation(
    world: FleetWorld,
) -> None:
    world.add("acme")
    world.add("globex")
    fleet = world.fleet()
    world.tick(fleet, TICK)
    world.poller().drain(timeout=30)
    assert (
        world.cli(
            "monitors",
            "remove",
            "--monitor",
            "globex",
            "--stack",
            world.stack.stack_name,
            stdin="y\n",
        )
        == 0
    )
    assert world.last_tick("globex") is None
    # The change event makes the cached list stale; the next tick queues acme alone.
    change = {
        "source": "aws.ssm",
        "detail-type": "Parameter Store Change",
        "detail": {"name": "/ceilingwatch/globex/concurrency-limit", "operation": "Delete"},
    }
    fanout.lambda_handler(change, Context(), fleet=fleet)
    assert world.tick(fleet, TICK + timedelta(minutes=5))["queued"] == 1
    polled = world.poller().drain(timeout=30)
    assert [json.loads(b)["monitor"] for b in polled.bodies] == ["acme"]


def test_add_validates_everything_before_writing_anything(world: FleetWorld) -> None:
    assert world.add("acme", "fifty") == 3
    assert world.add("acme", "50", "--slack-min-severity", "LOUD") == 3
    names = world.stack.client("ssm").describe_parameters()["Parameters"]
    assert not [p for p in names if p["Name"].startswith("/ceilingwatch/acme/")]
    # A bad key is refused before anything is written, and never echoed.
    world.monkeypatch.setattr(sys, "stdin", io.StringIO("has space\n"))
    assert main(["monitors", "add", "--monitor", "acme", "--limit", "50"]) == 3
    names = world.stack.client("ssm").describe_parameters()["Parameters"]
    assert not [p for p in names if p["Name"].startswith("/ceilingwatch/acme/")]


def test_a_poison_message_is_dead_lettered_and_blocks_no_other_monitor(world: FleetWorld) -> None:
    world.add("acme")
    sqs = world.stack.client("sqs")
    sqs.send_message(QueueUrl=world.stack.outputs["FleetQueueUrl"], MessageBody="{not json")
    world.tick(world.fleet(), TICK)
    polled: Polled = world.poller().drain(timeout=30, visibility_timeout=0)
    assert world.last_tick("acme") == TICK.isoformat()
    dead = sqs.receive_message(
        QueueUrl=world.stack.outputs["DeadLetterQueueUrl"], MaxNumberOfMessages=10
    ).get("Messages", [])
    assert [m["Body"] for m in dead] == ["{not json"]
    assert polled.left == 3  # received three times (maxReceiveCount), then redriven


def test_upgrade_old_schedule_and_fan_out_judge_a_tick_once(world: FleetWorld) -> None:
    # A monitor of an infra/monitor.yaml stack: its own schedule still invokes the function.
    world.add("legacy", "10")  # at 10 calls of 10: AT_LIMIT, one alert owed
    old = {
        "monitor": "legacy",
        "scheduledTime": TICK.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "executionId": "old-stack-exec",
        "attempt": "1",
    }
    first = lambda_handler(old, Context(), dependencies=build_dependencies())
    world.tick(world.fleet(), TICK, execution_id="fanout-exec")
    polled = world.poller().drain(timeout=30)
    assert first["status"] and polled.deleted == 1 and polled.left == 0
    alerts = [e for e in world.emails() if e["MessageAttributes"]["monitor"]["Value"] == "legacy"]
    assert len(alerts) == 1, [a["Subject"] for a in alerts]
    assert world.last_tick("legacy") == TICK.isoformat()


def test_a_monitor_with_no_completed_run_in_three_ticks_is_named(world: FleetWorld) -> None:
    world.add("acme")
    world.add("stuck")
    fleet = world.fleet()
    base = TICK - timedelta(minutes=25)
    deps = build_dependencies()

    def run(monitor: str, at: datetime) -> None:
        event = {"monitor": monitor, "scheduledTime": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        lambda_handler(event, Context(), dependencies=deps)

    run("stuck", base)  # its last completed run; after that its runs never complete
    for n in range(6):  # acme runs every tick
        run("acme", base + timedelta(minutes=5 * n))
    result = world.tick(fleet, TICK)
    assert result["forgotten"] == ["stuck"]
    notices = [e for e in world.emails() if "stuck" in e["Message"]]
    assert len(notices) == 1 and "no completed run in 3 ticks" in notices[0]["Message"]
    # Told once: the next tick names it again in its result, but sends nothing new.
    assert world.tick(fleet, TICK, execution_id="exec-2")["forgotten"] == ["stuck"]
    assert not [e for e in world.emails() if "stuck" in e["Message"]]
