"""A real execution environment for the crash tests: the real handler, killed at one step.

Run as `python crash_child.py EVENT_JSON [STEP]`, with the function's environment. STEP names
where the process SIGKILLs itself, as an out-of-memory or runtime crash does: `claim` (before the
claim is written), `claimed`, `<channel>:before` (its call not started), `<channel>:during` (its
request built, not yet sent), `<channel>:answered` (the channel took it, the record not yet
written), `<channel>:recorded`, `settled`. Exit 3 if the run never reached STEP. The channels drain
one at a time here, so the steps come in one order and each kill point is the same every time.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from botocore.client import BaseClient
from ceilingwatch.handler import lambda_handler
from ceilingwatch.services import claims, delivery

from infra.demo.timeline import Context

STEP = sys.argv[2] if len(sys.argv) > 2 else ""
current = threading.local()
last_channel = [""]


def at(step: str) -> None:
    if step == STEP:
        os.kill(os.getpid(), signal.SIGKILL)


def one_at_a_time(count: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, "channel")


def wrap_drain(original: Any) -> Any:
    def drain(phase: Any, channel: Any, indices: list[int]) -> None:
        deliver = channel.deliver

        def watched(note: Any, context: Any) -> Any:
            current.channel = last_channel[0] = channel.name
            at(f"{channel.name}:before")
            kept = deliver(note, context)
            at(f"{channel.name}:answered")
            return kept

        channel.deliver = watched
        try:
            original(phase, channel, indices)
        finally:
            del channel.deliver

    return drain


def wrap_send(original: Any, service_call: str | None) -> Any:
    def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(current, "channel", "")
        if service_call is None or (args and args[0] == service_call):
            at(f"{name}:during")
        return original(self, *args, **kwargs)

    return send


def wrap_ledger() -> None:
    landed, settle = claims.Ledger.landed, claims.Ledger.settle

    def after_landing(ledger: Any, settlement: Any) -> None:
        landed(ledger, settlement)
        at(f"{last_channel[0]}:recorded")

    def after_settle(ledger: Any, settlement: Any) -> None:
        settle(ledger, settlement)
        at("settled")

    claims.Ledger.landed = after_landing  # type: ignore[method-assign]
    claims.Ledger.settle = after_settle  # type: ignore[method-assign]


def wrap_claim() -> None:
    claim_and_send = claims.claim_and_send

    def watched(previous: Any, state: Any, owed: Any, *args: Any, **kwargs: Any) -> Any:
        save = args[2].states.save

        def first_save(*a: Any, **k: Any) -> None:
            at("claim")
            save(*a, **k)
            at("claimed")
            args[2].states.save = save

        args[2].states.save = first_save
        return claim_and_send(previous, state, owed, *args, **kwargs)

    claims.claim_and_send = watched  # type: ignore[assignment]


def main() -> None:
    event = json.loads(sys.argv[1])
    delivery._threads = one_at_a_time
    delivery._Phase.drain = wrap_drain(delivery._Phase.drain)  # type: ignore[method-assign]
    requests.Session.send = wrap_send(requests.Session.send, None)  # type: ignore[method-assign]
    BaseClient._make_api_call = wrap_send(BaseClient._make_api_call, "Publish")  # type: ignore[method-assign]
    wrap_ledger()
    wrap_claim()
    # The orchestrator imported claim_and_send by name: point it at the watched one.
    from ceilingwatch.services import monitor

    monitor.claim_and_send = claims.claim_and_send
    result = lambda_handler(event, Context())
    print(json.dumps(result, default=str))
    sys.exit(3 if STEP else 0)


if __name__ == "__main__":
    main()
