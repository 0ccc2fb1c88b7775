"""The real handler against the local stack: moto's server, the Ultravox simulator, channels."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ceilingwatch.bootstrap import build_dependencies
from ceilingwatch.handler import lambda_handler
from ceilingwatch.services.base import Dependencies

from infra.demo.timeline import Context
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator
from infra.standins.channels import ChannelStandins
from infra.standins.pagerduty import PagerDutyStandin
from infra.standins.slack_catcher import SlackCatcher
from infra.standins.teams import TeamsStandin

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
EVENTS = Path(__file__).parents[2] / "events"


def flat_scenario(calls: int, minutes: int = 240, **extra: Any) -> Scenario:
    return Scenario.from_dict(
        {
            "start": START.isoformat(),
            "account": {"allowedConcurrentCalls": None},
            "segments": [{"minutes": minutes, "hold": calls}],
            **extra,
        }
    )


@dataclass
class Harness:
    """One monitor wired like the deployed function, with its own secrets and inbox."""

    stack: LocalStack
    ultravox: UltravoxSimulator
    channels: ChannelStandins
    monitor: str
    api_key: str
    inbox: str
    env: dict[str, str]
    deps: Dependencies | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slack(self) -> SlackCatcher:
        return self.channels.slack

    @property
    def teams(self) -> TeamsStandin:
        return self.channels.teams

    @property
    def pagerduty(self) -> PagerDutyStandin:
        return self.channels.pagerduty

    def invoke(self, at: datetime, execution_id: str = "exec", **event: Any) -> dict[str, Any]:
        self.ultravox.set_clock(at)
        payload = {
            "monitor": self.monitor,
            "scheduledTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "executionId": execution_id,
            **event,
        }
        assert self.deps is not None
        result: dict[str, Any] = lambda_handler(payload, Context(), dependencies=self.deps)
        return result

    def change(
        self, name: str, at: datetime, operation: str = "Update", event_id: str = ""
    ) -> dict[str, Any]:
        """What EventBridge delivers when a parameter of this monitor changes, to the handler:
        each event its own `id` unless `event_id` repeats one (a duplicate delivery)."""
        event = json.loads(EVENTS.joinpath("parameter-change.json").read_text())
        event["id"] = event_id or str(uuid.uuid4())
        event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        event["detail"] |= {"name": f"/ceilingwatch/{self.monitor}/{name}", "operation": operation}
        event["resources"] = [
            f"arn:aws:ssm:us-east-1:123456789012:parameter{event['detail']['name']}"
        ]
        assert self.deps is not None
        result: dict[str, Any] = lambda_handler(event, Context(), dependencies=self.deps)
        return result

    def emails(self) -> list[dict[str, Any]]:
        """Every email (SNS envelope) for this monitor so far, read back from the inbox queue."""
        sqs = self.stack.client("sqs")
        while batch := sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for item in batch:
                envelope = json.loads(item["Body"])
                if envelope["MessageAttributes"]["monitor"]["Value"] == self.monitor:
                    self.received.append(envelope)
                sqs.delete_message(QueueUrl=self.inbox, ReceiptHandle=item["ReceiptHandle"])
        return self.received

    def subjects(self) -> list[str]:
        return [e["Subject"] for e in self.emails()]

    def state(self) -> dict[str, str]:
        item = self.stack.client("dynamodb").get_item(
            TableName=self.stack.outputs["StateTableName"], Key={"monitor": {"S": self.monitor}}
        )["Item"]
        return {k: next(iter(v.values())) for k, v in item.items()}

    def put(self, name: str, value: str, secure: bool = False) -> None:
        self.stack.client("ssm").put_parameter(
            Name=f"/ceilingwatch/{self.monitor}/{name}",
            Value=value,
            Type="SecureString" if secure else "String",
            Overwrite=True,
        )

    def rebuild(self, **env: str) -> None:
        """Dependencies as the handler builds them, from this monitor's environment."""
        with pytest.MonkeyPatch.context() as patch:
            for key, value in (self.env | env).items():
                patch.setenv(key, value)
            self.deps = build_dependencies()


@contextmanager
def harness(
    stack: LocalStack,
    scenario: Scenario,
    monitor: str,
    parameters: Mapping[str, str] | None = None,
    channels: Collection[str] = ("slack",),
    limit: str | None = "50",
) -> Iterator[Harness]:
    """A monitor with `channels` configured (email always), and `limit` unless None."""
    api_key = f"uvx-itest-{secrets.token_hex(8)}"
    with UltravoxSimulator(scenario, api_key) as ultravox, ChannelStandins() as standins:
        env = (
            stack.function_environment()
            | standins.environment()
            | {
                "ULTRAVOX_API_BASE_URL": ultravox.base_url,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "CEILINGWATCH_CONFIG_MAX_AGE": "0",
            }
        )
        inbox = stack.subscribe_queue(f"inbox-{monitor}")
        h = Harness(stack, ultravox, standins, monitor, api_key, inbox, env)
        h.put("ultravox-api-key", api_key, secure=True)
        for name, value in standins.secure_parameters(channels).items():
            h.put(name, value, secure=True)
        plain = {"concurrency-limit": limit} if limit is not None else {}
        for name, value in {**plain, **(parameters or {})}.items():
            h.put(name, value)
        h.rebuild()
        yield h
