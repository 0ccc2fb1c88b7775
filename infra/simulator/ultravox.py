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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra.simulator.clock import BUCKETS, MINUTE, floor_to, format_time, parse_time, utc
from infra.simulator.faults import (
    FAULT_KINDS,
    OUTSIDE_WINDOW_CALLS,
    Fault,
    FaultKind,
    ScheduledFault,
    mutate,
)
from infra.simulator.scenario import SCENARIO_DIR, Sample, Scenario, scenario_names
from infra.simulator.server import (
    Handler,
    QueryError,
    RecordedRequest,
    Server,
    content_type_of,
    detail,
)
from infra.standins.loopback import ServerService

# The simulator's names, where its users have always imported them from.
__all__ = [
    "ACCOUNT_PATH",
    "BUCKETS",
    "CONCURRENCY_PATH",
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
    "floor_to",
    "format_time",
    "parse_time",
    "scenario_names",
]

CONCURRENCY_PATH = "/api/accounts/me/usage/concurrency"
ACCOUNT_PATH = "/api/accounts/me"
DEFAULT_RANGE = timedelta(hours=24)
# The real API's largest range is undocumented; a cap keeps a runaway client from hanging the sim.
MAX_BUCKETS = 10_000

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
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
        self.verbose = verbose
        super().__init__(host, port)
        self._api_key = api_key.encode()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Queued] = []  # FIFO
        self._clock: tuple[datetime, float, float] | None = None  # (simulated, monotonic, rate)

    # lifecycle

    def make_server(self, address: tuple[str, int]) -> Server:
        return Server(address, self)

    def stop(self) -> None:
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
        with self._lock:
            self._clock = None if now is None else (utc(now), time.monotonic(), rate)

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
        if fault is not None and self._misbehave(handler, fault, key or ""):
            return
        if url.path not in (CONCURRENCY_PATH, ACCOUNT_PATH):
            handler.send(HTTPStatus.NOT_FOUND, detail("Not found."))
            return
        if not valid:
            handler.send(HTTPStatus.UNAUTHORIZED, detail("Invalid API key."))
            return
        if url.path == ACCOUNT_PATH:
            account = {**DEFAULT_ACCOUNT, **self.scenario.account}
            account["activeCalls"] = self.scenario.calls_at(now)
            handler.send(HTTPStatus.OK, json.dumps(account).encode())
            return
        try:
            bucket, start, end = self._parse_query(query, now)
        except QueryError as error:
            handler.send(HTTPStatus.BAD_REQUEST, detail(str(error)))
            return
        series = self.scenario.series(bucket, start, end)
        payload: dict[str, Any] = {"timeSeries": series}
        mutation = self._take_fault(url.path, now, mutating=True)
        if mutation is not None:
            payload = mutate(mutation.kind, series, bucket, start, end, mutation.count)
        handler.send(HTTPStatus.OK, json.dumps(payload).encode())

    def _parse_query(
        self, query: Mapping[str, str], now: datetime
    ) -> tuple[str, datetime, datetime]:
        """The window actually served: [start, min(end, now)), since the future has no data."""
        bucket = query.get("bucket", "minute")
        if bucket not in BUCKETS:
            raise QueryError(f'"{bucket}" is not a valid choice for bucket.')
        try:
            end = parse_time(query["end"]) if "end" in query else now
            start = parse_time(query["start"]) if "start" in query else end - DEFAULT_RANGE
        except ValueError as error:
            raise QueryError(f"Datetime has wrong format: {error}.") from None
        if start > end:
            raise QueryError("start must be before end.")
        if (end - floor_to(start, BUCKETS[bucket])) / BUCKETS[bucket] > MAX_BUCKETS:
            raise QueryError(f"Time range too large: at most {MAX_BUCKETS} buckets.")
        return bucket, start, min(end, now)

    def _misbehave(self, handler: Handler, fault: Fault, key: str) -> bool:
        """Play a transport or status fault; False when the normal answer should follow."""
        match fault.kind:
            case "delay":
                self._stopping.wait(fault.seconds)
                return False
            case "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                body = fault.body
                if body is None:
                    phrase = HTTPStatus(fault.status).phrase if fault.status in HTTPStatus else ""
                    handler.send(fault.status, detail(phrase or "Error."), headers=headers)
                else:
                    handler.send(fault.status, body.encode(), content_type_of(body), headers)
            case "reset":
                handler.reset()
            case "truncated":
                handler.close_connection = True
                partial = b'{"timeSeries": [{"timestamp": "'
                handler.send(HTTPStatus.OK, partial, length=len(partial) + 4096)
            case "html":
                page = b"<!DOCTYPE html><html><body><h1>Please sign in</h1></body></html>"
                handler.send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            case "non_json":
                handler.send(HTTPStatus.OK, b"OK", "text/plain; charset=utf-8")
            case "oversized":
                handler.send_chunked(b'{"timeSeries": [', fault.size, b"]}")
            case "echo_key":
                # A badly behaved proxy or gateway that reflects the request into its answer.
                body = f"upstream refused the request with X-API-Key: {key} (try again)"
                echo = {"X-Echo-Api-Key": key}
                handler.send(fault.status, body.encode(), f"text/x-echo-{key}", echo)
        return True


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
