"""A loopback simulator of the Ultravox concurrency API, driven by scenario files and faults."""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from infra.simulator.clock import BUCKETS, MINUTE, floor_to, format_time, parse_time, utc
from infra.simulator.delivery import FAST_RETRIES, REAL_RETRIES, Sent, WebhookFault
from infra.simulator.faults import (
    FAULT_KINDS,
    OUTSIDE_WINDOW_CALLS,
    Fault,
    FaultKind,
    ScheduledFault,
    mutate,
)
from infra.simulator.live import LiveSide
from infra.simulator.scenario import SCENARIO_DIR, Sample, Scenario, scenario_names
from infra.simulator.server import (
    Handler,
    QueryError,
    RecordedRequest,
    Server,
    detail,
    misbehave,
    parse_query,
)
from infra.standins.loopback import ServerService

# The simulator's names, where its users have always imported them from.
__all__ = [
    "ACCOUNT_PATH",
    "BUCKETS",
    "CONCURRENCY_PATH",
    "FAST_RETRIES",
    "FAULT_KINDS",
    "MINUTE",
    "OUTSIDE_WINDOW_CALLS",
    "SCENARIO_DIR",
    "Fault",
    "FaultKind",
    "RecordedRequest",
    "Sample",
    "Scenario",
    "ScheduledFault",
    "UltravoxSimulator",
    "WebhookFault",
    "floor_to",
    "format_time",
    "parse_time",
    "scenario_names",
]

CONCURRENCY_PATH = "/api/accounts/me/usage/concurrency"
ACCOUNT_PATH = "/api/accounts/me"

DEFAULT_ACCOUNT: dict[str, Any] = {
    "accountId": "6c0f1a2b-3d4e-4f50-8a6b-7c8d9e0f1a2b",
    "name": "Ceilingwatch simulated account",
    "billingUrl": "https://app.ultravox.ai/billing",
    "freeTimeUsed": "00:30:00",
    "freeTimeRemaining": "00:00:00",
    "hasActiveSubscription": True,
    "subscriptionTier": "scale",
    "subscriptionCadence": "monthly",
    "subscriptionExpiration": None,
    "subscriptionScheduledUpdate": None,
    "subscriptionRenewal": None,
    "allowedConcurrentCalls": None,
    "allowedVoices": None,
    "allowedCorpora": None,
}


@dataclass
class _Queued:
    fault: Fault
    left: int


class UltravoxSimulator(ServerService):
    """Serves the Ultravox concurrency and account endpoints on loopback from a scenario."""

    def __init__(
        self,
        scenario: Scenario | str | Path,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        webhook_retries: Sequence[float] = REAL_RETRIES,
        webhook_senders: int = 1,
    ) -> None:
        """`webhook_retries`: the seconds before each retry of a failed webhook (Ultravox's
        own by default; tests pass FAST_RETRIES); `webhook_senders`: deliveries at once."""
        self.scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
        self.verbose = verbose
        super().__init__(host, port)
        self._api_key = api_key.encode()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Queued] = []  # FIFO
        self._clock: tuple[datetime, float, float] | None = None  # (simulated, monotonic, rate)
        self.live = LiveSide(
            self.scenario, self.now, retries=webhook_retries, senders=webhook_senders
        )

    # lifecycle

    def make_server(self, address: tuple[str, int]) -> Server:
        return Server(address, self)

    def start(self) -> Self:
        super().start()
        self.live.dispatcher.start()
        return self

    def stop(self) -> None:
        self.live.dispatcher.stop()
        server = self._server
        super().stop()  # also wakes any `delay` fault still sleeping
        if isinstance(server, Server):
            with server.connections_lock:
                for conn in list(server.connections):
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_RDWR)

    # controls

    def set_clock(self, now: datetime | None, *, rate: float = 0.0) -> None:
        """Simulated now (None: wall clock); with `rate` > 0 it runs on, 60 = a minute a second."""
        # What the old clock has passed goes out first; a clock set back starts over from there.
        self.live.dispatcher.catch_up()
        with self._lock:
            self._clock = None if now is None else (utc(now), time.monotonic(), rate)
        self.live.dispatcher.catch_up()

    def now(self) -> datetime:
        with self._lock:
            clock = self._clock
        if clock is None:
            return datetime.now(UTC)
        at, since, rate = clock
        return at + timedelta(seconds=(time.monotonic() - since) * rate)

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Play `fault` on the next `times` requests it applies to, in FIFO order with the rest.

        Transport and status faults hit any request; payload mutations wait for the next
        concurrency request that would have succeeded (so a 401 or /accounts/me skips them).
        """
        with self._lock:
            self._faults.append(_Queued(fault, times))

    def inject_webhook_fault(self, fault: WebhookFault, times: int = 1) -> None:
        """Misdeliver the next `times` webhook events (see infra/simulator/delivery.py)."""
        self.live.dispatcher.inject(fault, times)

    @property
    def webhooks_sent(self) -> list[Sent]:
        return self.live.dispatcher.sent

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # request handling

    def _take_fault(self, path: str, now: datetime, mutating: bool) -> Fault | None:
        """The first fault that applies to this request, if it is of the wanted sort."""

        def applies(fault: Fault) -> bool:
            return not fault.mutates or path == CONCURRENCY_PATH

        with self._lock:
            for queued in self._faults:
                if applies(queued.fault):
                    if queued.fault.mutates != mutating:
                        return None
                    queued.left -= 1
                    if queued.left <= 0:
                        self._faults.remove(queued)
                    return queued.fault
        for scheduled in self.scenario.faults:
            if scheduled.start <= now < scheduled.end and applies(scheduled.fault):
                return scheduled.fault if scheduled.fault.mutates == mutating else None
        return None

    def _handle(self, handler: Handler) -> None:
        url = urlsplit(handler.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        key = handler.headers.get("X-API-Key")
        valid = key is not None and hmac.compare_digest(key.encode(), self._api_key)
        now = self.now()
        record = RecordedRequest(
            handler.command, url.path, query, key is not None, valid, datetime.now(UTC), now
        )
        with self._lock:
            self._requests.append(record)

        fault = self._take_fault(url.path, now, mutating=False)
        if fault is not None and misbehave(handler, fault, key or "", self._stopping):
            return
        live = self.live.serves(url.path)
        if not live and handler.command != "GET":
            handler.refuse_method()
            return
        if not live and url.path not in (CONCURRENCY_PATH, ACCOUNT_PATH):
            handler.send(HTTPStatus.NOT_FOUND, detail("Not found."))
            return
        if not valid:
            handler.send(HTTPStatus.UNAUTHORIZED, detail("Invalid API key."))
            return
        if live:
            body = handler.json_body() if handler.command in ("POST", "PUT", "PATCH") else None
            status, answer = self.live.answer(handler.command, url.path, query, body, self.base_url)
            handler.send(status, b"" if answer is None else json.dumps(answer).encode())
            return
        if url.path == ACCOUNT_PATH:
            account = {**DEFAULT_ACCOUNT, **self.scenario.account}
            account["activeCalls"] = self.live.active_calls(now)
            handler.send(HTTPStatus.OK, json.dumps(account).encode())
            return
        try:
            bucket, start, end = parse_query(query, now)
        except QueryError as error:
            handler.send(HTTPStatus.BAD_REQUEST, detail(str(error)))
            return
        # The buckets count every call the simulator runs: its scenario's and any campaign's.
        series = self.scenario.series(bucket, start, end, self.live.calls.added_minutes(now))
        payload: dict[str, Any] = {"timeSeries": series}
        mutation = self._take_fault(url.path, now, mutating=True)
        if mutation is not None:
            payload = mutate(mutation.kind, series, bucket, start, end, mutation.count)
        handler.send(HTTPStatus.OK, json.dumps(payload).encode())


# --- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="rising-to-ceiling", help="name or path")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", required=True)
    parser.add_argument(
        "--clock",
        help="simulated now: ISO time, start, end or wall (default: end; start with --rate)",
    )
    parser.add_argument("--rate", type=float, default=0.0, help="simulated seconds per second")
    args = parser.parse_args(argv)

    sim = UltravoxSimulator(args.scenario, args.api_key, args.host, args.port, verbose=True)
    scenario = sim.scenario
    clock = args.clock or ("start" if args.rate else "end")
    fixed = {"start": scenario.start, "end": scenario.end, "wall": None}
    sim.set_clock(fixed[clock] if clock in fixed else parse_time(clock), rate=args.rate)
    with sim:
        print(f"{scenario.name}: {scenario.description}", file=sys.stderr)
        clock_text = format_time(sim.now())
        print(f"serving {sim.base_url}, clock {clock_text}; Ctrl-C stops", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
