"""A loopback simulator of the Ultravox concurrency API, driven by scenario files and faults."""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlsplit

from infra.simulator import traffic
from infra.standins.loopback import QuietServer, ServerService

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
CONCURRENCY_PATH = "/api/accounts/me/usage/concurrency"
ACCOUNT_PATH = "/api/accounts/me"

MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BUCKETS: dict[str, timedelta] = {
    "minute": MINUTE,
    "5min": timedelta(minutes=5),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
DEFAULT_RANGE = timedelta(hours=24)
# The real API's largest range is undocumented; a cap keeps a runaway client from hanging the sim.
MAX_BUCKETS = 10_000
# Loud enough that a client which trusts out-of-window buckets visibly misbehaves.
OUTSIDE_WINDOW_CALLS = 999

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

FaultKind = Literal[
    "status",
    "delay",
    "reset",
    "truncated",
    "html",
    "non_json",
    "wrong_types",
    "nulls",
    "negative",
    "unsorted",
    "duplicates",
    "outside_window",
    "missing_field",
    "empty",
    "huge",
    "microseconds",
    "offset",
    "off_grid",
    "oversized",
    "echo_key",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
COUNT_FIELDS = ("maxTotalCalls", "maxJoinedCalls", "avgTotalCalls", "avgJoinedCalls")
MUTATIONS = frozenset(FAULT_KINDS) - {
    "status",
    "delay",
    "reset",
    "truncated",
    "html",
    "non_json",
    "oversized",
    "echo_key",
}
OFF_GRID_SHIFT = timedelta(minutes=2, seconds=30)  # buckets stamped :02:30, :07:30, ...


# --- time helpers -----------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """ISO-8601 to an aware UTC datetime; naive values are taken as UTC, like the API's default."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_time(moment: datetime) -> str:
    # isoformat is quicker than strftime, which counts when a `huge` fault formats 50,000 times.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def floor_to(moment: datetime, step: timedelta) -> datetime:
    return EPOCH + (moment - EPOCH) // step * step


def ceil_to(moment: datetime, step: timedelta) -> datetime:
    return EPOCH - (EPOCH - moment) // step * step


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- faults -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One misbehaviour. `status` uses status/retry_after/body, `delay` seconds, `huge` count,
    `oversized` size (bytes, sent chunked, so only a client that counts can stop), `echo_key`
    status (the key the request carried comes back in the body and in two headers)."""

    kind: FaultKind
    status: int = 503
    retry_after: str | None = None
    body: str | None = None
    seconds: float = 0.0
    count: int = 50_000
    size: int = 32 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")

    @property
    def mutates(self) -> bool:
        """Payload mutations rewrite a real, successful series; the rest replace the answer."""
        return self.kind in MUTATIONS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        # A bare {"status": 503} is the common case in scenario files.
        kind = data.get("kind", "status" if "status" in data else None)
        if kind is None:
            raise ValueError(f"fault needs a 'kind' or a 'status': {dict(data)}")
        known = {"status", "retry_after", "body", "seconds", "count", "size"}
        return cls(kind=kind, **{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class ScheduledFault:
    """A fault applied to every request while the simulated clock is in [start, end)."""

    start: datetime
    end: datetime
    fault: Fault

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduledFault:
        rest = {k: v for k, v in data.items() if k not in ("from", "to")}
        return cls(parse_time(data["from"]), parse_time(data["to"]), Fault.from_dict(rest))


# --- scenarios --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One minute of traffic: the peak and the mean number of calls in existence."""

    max_total: int
    avg_total: float


def _round_half_up(value: float) -> int:
    return int(value + 0.5)


def _expand_segment(segment: Mapping[str, Any]) -> list[int]:
    if "values" in segment:
        return [int(v) for v in segment["values"]]
    minutes = int(segment["minutes"])
    if "hold" in segment:
        return [int(segment["hold"])] * minutes
    if "from" in segment and "to" in segment:
        low, high = float(segment["from"]), float(segment["to"])
        span = max(minutes - 1, 1)
        return [_round_half_up(low + (high - low) * i / span) for i in range(minutes)]
    raise ValueError(f"segment needs 'values', 'hold' or 'from'/'to': {dict(segment)}")


_SCENARIO_KEYS = {
    "description",
    "start",
    "limit",
    "account",
    "joined_ratio",
    "avg_ratio",
    "omit_empty_buckets",
    "segments",
    "traffic",
    "spikes",
    "faults",
}
# Generated traffic (infra/simulator/traffic.py) for histories too long to write as segments: two
# weeks of business days for the digest, say. Options are the generator's keyword arguments.
TRAFFIC_SHAPES: dict[str, Any] = {
    "weeks": traffic.weeks,
    "business-days": traffic.business_days,
    "steady-ramp": traffic.steady_ramp,
    "sudden-spike": traffic.sudden_spike,
    "flat-plateau": traffic.plateau,
}


def _generated(spec: Mapping[str, Any]) -> traffic.Traffic:
    options = {k: v for k, v in spec.items() if k != "shape"}
    shape = spec.get("shape")
    if shape not in TRAFFIC_SHAPES:
        raise ValueError(f"unknown traffic shape {shape!r}; known: {', '.join(TRAFFIC_SHAPES)}")
    generated: traffic.Traffic = TRAFFIC_SHAPES[shape](**options)
    return generated


@dataclass(frozen=True)
class Scenario:
    """Per-minute traffic from `start`, plus the account and the faults to play."""

    name: str
    description: str
    start: datetime
    samples: tuple[Sample, ...]
    limit: int | None = None
    account: Mapping[str, Any] = field(default_factory=dict)
    joined_ratio: float = 0.85
    omit_empty_buckets: bool = False
    faults: tuple[ScheduledFault, ...] = ()

    @property
    def end(self) -> datetime:
        return self.start + len(self.samples) * MINUTE

    @classmethod
    def load(cls, source: str | Path) -> Scenario:
        """A scenario by name (a file in infra/simulator/scenarios, without .json) or by path."""
        path = Path(source)
        if isinstance(source, str) and path.suffix != ".json" and len(path.parts) == 1:
            path = SCENARIO_DIR / f"{source}.json"
        if not path.is_file():
            raise FileNotFoundError(f"no scenario {source!r}; known: {', '.join(scenario_names())}")
        return cls.from_dict(json.loads(path.read_text()), name=path.stem)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "inline") -> Scenario:
        unknown = set(data) - _SCENARIO_KEYS
        if unknown:
            raise ValueError(f"unknown scenario keys: {sorted(unknown)}")
        generated = _generated(data["traffic"]) if "traffic" in data else None
        start = parse_time(data["start"]) if "start" in data else None
        if start is None:
            if generated is None:
                raise ValueError("a scenario needs a 'start' (or generated 'traffic')")
            start = generated.start
        if start != floor_to(start, MINUTE):
            raise ValueError("scenario start must fall on a minute boundary")
        counts = [c for segment in data.get("segments", ()) for c in _expand_segment(segment)]
        if generated is not None:
            counts = list(generated.minute_peaks) + counts
        if any(c < 0 for c in counts):
            raise ValueError("call counts cannot be negative")
        avg_ratio = float(data.get("avg_ratio", 0.9))
        samples = [Sample(c, c * avg_ratio) for c in counts]
        for spike in data.get("spikes", ()):
            first = (parse_time(spike["at"]) - start) // MINUTE
            for i in range(first, first + int(spike.get("minutes", 1))):
                if not 0 <= i < len(samples):
                    raise ValueError(f"spike outside the scenario: {spike}")
                # A spike is a burst within the minute: it lifts the peak, barely the mean.
                peak = max(samples[i].max_total, int(spike["calls"]))
                samples[i] = Sample(peak, samples[i].avg_total)
        return cls(
            name=name,
            description=str(data.get("description", "")),
            start=start,
            samples=tuple(samples),
            limit=data.get("limit"),
            account=dict(data.get("account", {})),
            joined_ratio=float(data.get("joined_ratio", 0.85)),
            omit_empty_buckets=bool(data.get("omit_empty_buckets", False)),
            faults=tuple(ScheduledFault.from_dict(f) for f in data.get("faults", ())),
        )

    def calls_at(self, moment: datetime) -> int:
        """Peak calls in the minute holding `moment` (0 outside the scenario)."""
        index = (moment - self.start) // MINUTE
        return self.samples[index].max_total if 0 <= index < len(self.samples) else 0

    def series(self, bucket: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Buckets over [start, end); a minute counts if its start lies in the window."""
        step = BUCKETS[bucket]
        out = []
        bucket_start = floor_to(start, step)
        while bucket_start < end:
            window_start = ceil_to(max(start, bucket_start), MINUTE)
            window_end = ceil_to(min(end, bucket_start + step), MINUTE)
            minutes = (window_end - window_start) // MINUTE
            if minutes > 0:
                lo = max(0, (window_start - self.start) // MINUTE)
                hi = min(len(self.samples), (window_end - self.start) // MINUTE)
                row = self._aggregate(bucket_start, self.samples[lo:hi] if lo < hi else (), minutes)
                if row["maxTotalCalls"] or not self.omit_empty_buckets:
                    out.append(row)
            bucket_start += step
        return out

    def _aggregate(self, at: datetime, samples: Sequence[Sample], minutes: int) -> dict[str, Any]:
        # Minutes outside the scenario have no calls: they count in the mean as zeros.
        peak = max((s.max_total for s in samples), default=0)
        mean = sum(s.avg_total for s in samples) / minutes
        return {
            "timestamp": format_time(at),
            "maxTotalCalls": peak,
            "maxJoinedCalls": _round_half_up(peak * self.joined_ratio),
            "avgTotalCalls": round(mean, 3),
            "avgJoinedCalls": round(mean * self.joined_ratio, 3),
        }


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))


# --- payload mutations --------------------------------------------------------------------------


def mutate(
    kind: str, series: list[dict[str, Any]], bucket: str, start: datetime, end: datetime, count: int
) -> dict[str, Any]:
    """Apply a payload mutation to a copy of a series; most touch every bucket."""
    step = BUCKETS[bucket]
    rows = [dict(row) for row in series]
    match kind:
        case "wrong_types":
            for row in rows:
                row["maxTotalCalls"] = str(row["maxTotalCalls"])
        case "nulls":
            for row in rows:
                row.update(dict.fromkeys(COUNT_FIELDS))
        case "negative":
            for row in rows:
                row["maxTotalCalls"] = -1 - row["maxTotalCalls"]
        case "missing_field":
            for row in rows:
                del row["maxTotalCalls"]
        case "microseconds":
            for row in rows:
                row["timestamp"] = row["timestamp"].replace("Z", ".000000Z")
        case "offset":
            for row in rows:
                row["timestamp"] = row["timestamp"].replace("Z", "+00:00")
        case "off_grid":
            for row in rows:
                row["timestamp"] = format_time(parse_time(row["timestamp"]) + OFF_GRID_SHIFT)
        case "unsorted":
            # The newest bucket first: a client that takes series[-1] as "now" is fooled.
            rows = rows[-1:] + rows[:-1]
        case "duplicates":
            rows = [copy for row in rows for copy in (row, dict(row))]
        case "outside_window":
            loud = dict.fromkeys(COUNT_FIELDS, OUTSIDE_WINDOW_CALLS)
            before = {"timestamp": format_time(floor_to(start, step) - step), **loud}
            after = {"timestamp": format_time(ceil_to(end, step)), **loud}
            rows = [before, *rows, after]
        case "empty":
            rows = []
        case "huge":
            first = parse_time(rows[0]["timestamp"]) if rows else floor_to(start, step)
            pad = max(count - len(rows), 0)
            zeros = dict.fromkeys(COUNT_FIELDS, 0)
            stamps = (format_time(first - (pad - i) * step) for i in range(pad))
            rows = [{"timestamp": stamp, **zeros} for stamp in stamps] + rows
        case _:
            raise ValueError(f"not a payload mutation: {kind}")
    return {"timeSeries": rows}


# --- the simulator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """What the simulator saw; the key itself is never kept."""

    method: str
    path: str
    query: dict[str, str]
    api_key_present: bool
    api_key_valid: bool
    received_at: datetime  # wall clock, UTC
    simulated_at: datetime  # the simulator's clock


@dataclass
class _Queued:
    fault: Fault
    left: int


class QueryError(ValueError):
    """A query the real API would refuse with 400."""


def _detail(message: str) -> bytes:
    return json.dumps({"detail": message}).encode()


class _Server(QuietServer):
    def __init__(self, address: tuple[str, int], simulator: UltravoxSimulator) -> None:
        self.simulator = simulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server_version = "ultravox-sim"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.simulator.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self.server.simulator._handle(self)

    def _refuse_method(self) -> None:
        self.close_connection = True  # the body, if any, is left unread
        message = f'Method "{self.command}" not allowed.'
        self.send(HTTPStatus.METHOD_NOT_ALLOWED, _detail(message), headers={"Allow": "GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse_method

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, head: bytes, size: int, tail: bytes) -> None:
        """`size` bytes of padding between head and tail, with no Content-Length ahead."""
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pad = b" " * (256 * 1024)
        with contextlib.suppress(OSError):  # a client that stops reading hangs up mid-way
            self._chunk(head)
            for sent in range(0, size, len(pad)):
                self._chunk(pad[: size - sent])
            self._chunk(tail)
            self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def reset(self) -> None:
        # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


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

    def make_server(self, address: tuple[str, int]) -> _Server:
        return _Server(address, self)

    def stop(self) -> None:
        server = self._server
        super().stop()  # also wakes any `delay` fault still sleeping
        if isinstance(server, _Server):
            with server.connections_lock:
                for conn in list(server.connections):
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_RDWR)

    # controls

    def set_clock(self, now: datetime | None, *, rate: float = 0.0) -> None:
        """Simulated now (None: wall clock); with `rate` > 0 it runs on, 60 = a minute a second."""
        with self._lock:
            self._clock = None if now is None else (_utc(now), time.monotonic(), rate)

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

    def _handle(self, handler: _Handler) -> None:
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
            handler.send(HTTPStatus.NOT_FOUND, _detail("Not found."))
            return
        if not valid:
            handler.send(HTTPStatus.UNAUTHORIZED, _detail("Invalid API key."))
            return
        if url.path == ACCOUNT_PATH:
            account = {**DEFAULT_ACCOUNT, **self.scenario.account}
            account["activeCalls"] = self.scenario.calls_at(now)
            handler.send(HTTPStatus.OK, json.dumps(account).encode())
            return
        try:
            bucket, start, end = self._parse_query(query, now)
        except QueryError as error:
            handler.send(HTTPStatus.BAD_REQUEST, _detail(str(error)))
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

    def _misbehave(self, handler: _Handler, fault: Fault, key: str) -> bool:
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
                    handler.send(fault.status, _detail(phrase or "Error."), headers=headers)
                else:
                    handler.send(fault.status, body.encode(), _content_type_of(body), headers)
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


def _content_type_of(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


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
