"""The simulator's webhook sender: signed as Ultravox signs, retried as it retries, with faults.

Signed as infra/simulator/signing.py says, stamped with the simulator's own now (as Ultravox
stamps its own).

Retries: Ultravox retries a non-2xx answer 10 times, the first about 30 s after the failure,
doubling (the last some 8.5 h later): REAL_RETRIES. Tests pass a fast schedule instead.

Faults on demand (`inject`), each for the next event(s) sent: `duplicate` (sent twice),
`reorder` (held back and sent after the next one), `late` (the first attempt is lost; a retry
comes `seconds` later), `lose_end` (the next `call.ended` is never sent), `forged` (signed with
a secret that is not the webhook's), `stale` and `future` (a timestamp `seconds` off, 600 by
default).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

import requests

from infra.simulator.calls import CallBook
from infra.simulator.hooks import Webhook, WebhookRegistry
from infra.simulator.signing import post_signed

REAL_RETRIES = tuple(30.0 * 2**i for i in range(10))  # 30 s ... 4.3 h: 8.5 h in all
FAST_RETRIES = (0.05, 0.1, 0.2)
MAX_CATCH_UP = timedelta(hours=1)  # a clock jumped a day ahead sends its last hour, not a day
TICK = 0.02  # seconds between looks at the clock

WebhookFaultKind = Literal["duplicate", "reorder", "late", "lose_end", "forged", "stale", "future"]
WEBHOOK_FAULT_KINDS: tuple[str, ...] = get_args(WebhookFaultKind)


@dataclass(frozen=True)
class WebhookFault:
    kind: WebhookFaultKind
    seconds: float = 600.0

    def __post_init__(self) -> None:
        if self.kind not in WEBHOOK_FAULT_KINDS:
            raise ValueError(f"unknown webhook fault {self.kind!r}; known: {WEBHOOK_FAULT_KINDS}")


@dataclass(frozen=True)
class Sent:
    """One attempt to deliver, as the simulator saw it: the answer's status or the failure."""

    webhook_id: str
    event: str
    call_id: str
    attempt: int
    status: int | None  # None: not answered (refused, timed out) or lost on purpose
    at: float  # time.monotonic() when the answer came
    posted: float = 0.0  # time.time() when the request went
    took: float = 0.0  # seconds until the answer (or the failure)


@dataclass
class Delivery:
    hook: Webhook
    body: bytes
    event: str
    call_id: str
    attempt: int = 0
    forged: bool = False
    skew: float = 0.0  # seconds the timestamp is off
    lost: bool = False  # the next attempt is not sent (a `late` fault)
    late_by: float = 0.0


@dataclass
class _Faults:
    queue: list[WebhookFault] = field(default_factory=list)
    held: list[Delivery] = field(default_factory=list)  # reordered: after the next one


class Dispatcher:
    """Sends the events of the calls behind the buckets, as the simulated clock passes them."""

    def __init__(
        self,
        registry: WebhookRegistry,
        calls: CallBook,
        clock: Callable[[], datetime],
        *,
        retries: Sequence[float] = REAL_RETRIES,
        senders: int = 1,
    ) -> None:
        self.registry, self.calls, self._clock = registry, calls, clock
        self.retries = tuple(retries)
        self._lock = threading.Lock()
        self._faults = _Faults()
        self._queue: list[tuple[float, int, Delivery]] = []  # (due, order, delivery)
        self._order = itertools.count()
        self._cursor: datetime | None = None
        self._looking = threading.Lock()  # one look at the clock at a time
        self._sent: list[Sent] = []
        self._in_flight = 0
        self._stop = threading.Event()
        self._senders = senders
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """(Again, after a stop: a simulator that was down comes back.)"""
        self._stop.clear()
        self._cursor = self._clock()
        self._pool = ThreadPoolExecutor(self._senders, thread_name_prefix="uv-webhook")
        self._thread = threading.Thread(target=self._run, daemon=True, name="uv-dispatcher")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def inject(self, fault: WebhookFault, times: int = 1) -> None:
        with self._lock:
            self._faults.queue += [fault] * times

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)

    def settle(self, timeout: float = 10.0) -> None:
        """Waits until every event the clock has passed was answered or given up on (a retry
        still waiting counts as not yet, a reordered one held for the next event does not);
        raises TimeoutError after `timeout` seconds."""
        self.catch_up()
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._queue and not self._in_flight:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("webhook deliveries still under way")
            time.sleep(TICK)

    def send(self, event: str, call: dict[str, Any]) -> None:
        """`event` for `call` to every webhook that wants it, now (faults applied)."""
        body = json.dumps({"event": event, "call": call}, separators=(",", ":")).encode()
        for hook in self.registry.all():
            if event in hook.events:
                self._plan(Delivery(hook, body, event, str(call.get("callId", ""))))

    def _plan(self, delivery: Delivery) -> None:
        with self._lock:
            fault = self._take_fault(delivery.event)
            if fault is not None and fault.kind == "reorder":
                self._faults.held.append(delivery)
                return
            copies = [delivery]
            if fault is not None:
                copies = self._apply(fault, delivery)
            copies += self._faults.held
            self._faults.held = []
            for copy in copies:
                heapq.heappush(self._queue, (time.monotonic(), next(self._order), copy))

    def _take_fault(self, event: str) -> WebhookFault | None:
        for fault in self._faults.queue:
            if fault.kind != "lose_end" or event == "call.ended":
                self._faults.queue.remove(fault)
                return fault
        return None

    def _apply(self, fault: WebhookFault, delivery: Delivery) -> list[Delivery]:
        match fault.kind:
            case "duplicate":
                return [delivery, dataclasses.replace(delivery)]
            case "lose_end":
                return []
            case "forged":
                delivery.forged = True
            case "stale":
                delivery.skew = -fault.seconds
            case "future":
                delivery.skew = fault.seconds
            case "late":
                delivery.lost, delivery.late_by = True, fault.seconds
        return [delivery]

    def _run(self) -> None:
        pool = self._pool
        if pool is None:  # start() makes it before this thread
            return
        while not self._stop.wait(TICK):
            self.catch_up()
            for delivery in self._ready():
                pool.submit(self._attempt, delivery)

    def catch_up(self, now: datetime | None = None) -> None:
        """Send the events the simulated clock has passed since the last look (up to `now`).

        A clock set back starts over from there: nothing is sent twice on its account."""
        with self._looking:
            now = now or self._clock()
            after = self._cursor if self._cursor is not None and self._cursor <= now else now
            self._cursor = now
            if after == now or not self.registry.all():
                return  # nobody to tell, or no time passed: the clock looks on from here
            for at, event, call in self.calls.due_between(max(after, now - MAX_CATCH_UP), now):
                self.send(event, call.as_of(at))

    def _ready(self) -> list[Delivery]:
        with self._lock:
            ready = []
            while self._queue and self._queue[0][0] <= time.monotonic():
                ready.append(heapq.heappop(self._queue)[2])
            self._in_flight += len(ready)
            return ready

    def _attempt(self, delivery: Delivery) -> None:
        try:
            self._try(delivery)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _try(self, delivery: Delivery) -> None:
        posted, started = time.time(), time.monotonic()
        status, failure = self._post(delivery)
        answered = time.monotonic()
        hook_id, event, attempt = delivery.hook.webhook_id, delivery.event, delivery.attempt
        took = answered - started
        sent = Sent(hook_id, event, delivery.call_id, attempt, status, answered, posted, took)
        with self._lock:
            self._sent.append(sent)
        self.registry.record(delivery.hook, failure)
        if failure is None or delivery.attempt >= len(self.retries):
            return
        wait = delivery.late_by or self.retries[delivery.attempt]
        delivery.attempt, delivery.lost, delivery.late_by = delivery.attempt + 1, False, 0.0
        with self._lock:
            heapq.heappush(self._queue, (time.monotonic() + wait, next(self._order), delivery))

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        if delivery.lost:
            return None, "lost on the way"
        at = self._clock() + timedelta(seconds=delivery.skew)
        keys = [secrets.token_hex(16)] if delivery.forged else delivery.hook.secrets
        try:
            status = post_signed(delivery.hook.url, delivery.body, keys, at=at)
        except requests.RequestException as error:
            return None, f"could not connect ({type(error).__name__})"
        if 200 <= status < 300:
            return status, None
        return status, f"HTTP {status}"
