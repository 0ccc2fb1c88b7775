"""`make local`: the local stack, the Ultravox simulator and a Slack catcher, to try the CLI."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from infra.local_stack.stack import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator, floor_to, scenario_names
from infra.standins.slack_catcher import SlackCatcher

MONITOR = "default"
STACK = "ceilingwatch-local"
MINUTE = timedelta(minutes=1)


def shifted(scenario: Scenario, now: datetime, into: timedelta) -> Scenario:
    """The scenario moved so that wall-clock `now` falls `into` it: the CLI needs no --at."""
    start = floor_to(now, MINUTE) - into
    offset = start - scenario.start
    faults = tuple(
        dataclasses.replace(f, start=f.start + offset, end=f.end + offset) for f in scenario.faults
    )
    return dataclasses.replace(scenario, start=start, faults=faults)


def serve(
    scenario_name: str,
    out: TextIO,
    limit: int = 50,
    ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Runs until Ctrl-C (or `stop`); prints the exports and the commands to paste."""
    loaded = Scenario.load(scenario_name)
    # Halfway in: with the default scenario that is an hour past the limit, still critical.
    scenario = shifted(loaded, datetime.now(UTC), (loaded.end - loaded.start) / 2)
    api_key = f"uvx-local-{secrets.token_hex(8)}"  # valid only for this simulator
    stack = LocalStack(parameters={"MonitorName": MONITOR, "ConcurrencyLimit": str(limit)})
    stack.stack_name = STACK
    with contextlib.ExitStack() as running:
        stack.serve()
        running.callback(stack.stop)
        ultravox = running.enter_context(UltravoxSimulator(scenario, api_key))
        slack = running.enter_context(SlackCatcher())
        webhook = slack.webhook_url()
        # The README's order: the secrets first, then the stack, so no run ever lacks them.
        ssm = stack.client("ssm")
        for name, value in (("ultravox-api-key", api_key), ("slack-webhook-url", webhook)):
            ssm.put_parameter(
                Name=f"/ceilingwatch/{MONITOR}/{name}", Value=value, Type="SecureString"
            )
        stack.deploy()
        # An SQS queue on the alert topic stands in for the email inbox, so doctor sees a
        # confirmed subscription and the emails print here.
        inbox = stack.subscribe_queue()
        _instructions(out, stack, ultravox.base_url, api_key, webhook, scenario, limit)
        if ready is not None:
            ready()
        _echo_messages(out, stack, inbox, slack, stop or threading.Event())
    return 0


def _instructions(
    out: TextIO,
    stack: LocalStack,
    base_url: str,
    api_key: str,
    webhook: str,
    scenario: Scenario,
    limit: int,
) -> None:
    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    say(f"Local stack {STACK} (monitor {MONITOR!r}, limit {limit}) at {stack.endpoint_url}")
    say(f"Ultravox simulator at {base_url}: scenario {scenario.name!r} moved to now")
    say(f"Slack catcher at {webhook.split('/services/')[0]}; Slack and email messages print here")
    say()
    say("Paste into another terminal (these credentials work only here):")
    say(
        f"  export AWS_ENDPOINT_URL={stack.endpoint_url} AWS_DEFAULT_REGION={stack.region} "
        f"AWS_ACCESS_KEY_ID={FAKE_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY={FAKE_SECRET_ACCESS_KEY}"
    )
    say(f"  export ULTRAVOX_API_BASE_URL={base_url} ULTRAVOX_API_KEY={api_key}")
    say(
        f"  export CEILINGWATCH_SLACK_WEBHOOK_PREFIXES={webhook.split('/services/')[0]}/ "
        f"SLACK_WEBHOOK_URL={webhook}"
    )
    say()
    say("Then try:")
    say(f"  .venv/bin/ceilingwatch check --limit {limit}")
    say(f"  .venv/bin/ceilingwatch replay --limit {limit} --hours 3")
    say(f"  .venv/bin/ceilingwatch doctor --monitor {MONITOR} --stack-name {STACK}")
    say(f"  .venv/bin/ceilingwatch test-alert --monitor {MONITOR} --stack-name {STACK}")
    say()
    say("Ctrl-C stops everything.")


def _echo_messages(
    out: TextIO, stack: LocalStack, inbox: str, slack: SlackCatcher, stop: threading.Event
) -> None:
    sqs = stack.client("sqs")
    seen = 0
    while not stop.wait(0.5):
        messages = slack.messages
        for payload in messages[seen:]:
            print(f"slack <- {payload.get('text', '')}", file=out, flush=True)
        seen = len(messages)
        for item in sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", []):
            subject = json.loads(item["Body"]).get("Subject", "")
            print(f"email <- {subject}", file=out, flush=True)
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=item["ReceiptHandle"])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # Named, or argparse would call it `__main__.py`.
    parser = argparse.ArgumentParser(prog="python -m infra.local_stack", description=__doc__)
    parser.add_argument("--scenario", default="rising-to-ceiling")
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args(argv)
    if args.scenario not in scenario_names():
        print(
            f"local: no scenario {args.scenario!r}; known: {', '.join(scenario_names())}",
            file=sys.stderr,
        )
        return 2
    # Ctrl-C and `kill` both stop it cleanly, even when started where SIGINT was ignored (`&`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return serve(args.scenario, sys.stdout, args.limit)
    except KeyboardInterrupt:
        # The `with` blocks have stopped every server by now.
        print("\nstopped: local stack, simulator and catcher are down", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
