"""The send phase: every channel on its own thread, within the run's deadline, settled apart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import wait
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING

from ceilingwatch.common.errors import ChannelError
from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.outbox import Owed
from ceilingwatch.domain.ports import Channel, Context

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor


class Status(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # transient: still owed to the channel
    REFUSED = "refused"  # permanent: the channel drops it
    NOT_ANSWERED = "no answer before the run's deadline"  # still owed
    HELD = "held: dry run"


@record(frozen=False, eq=False)
class ChannelOutcome:
    """What one channel did with one notification."""

    status: Status
    detail: str = ""

    @property
    def owed(self) -> bool:
        return self.status in (Status.FAILED, Status.NOT_ANSWERED)

    def __str__(self) -> str:
        return f"{self.status.value}: {self.detail}" if self.detail else self.status.value


@record(frozen=False, eq=False)
class Delivery:
    """Where one notification went, channel by channel."""

    notification: Notification
    channels: dict[str, ChannelOutcome] = field(default_factory=dict)

    @property
    def delivered(self) -> bool:
        return any(o.status is Status.SENT for o in self.channels.values())


Outcomes = dict[tuple[int, str], ChannelOutcome]


@record(frozen=False, eq=False)
class Settlement:
    """The send phase's end: where each went, what stays owed, each channel's memory."""

    deliveries: list[Delivery]
    owed: tuple[Owed, ...]
    memory: dict[str, dict[str, str]]


def claim(
    notes: Sequence[Notification],
    channels: Sequence[Channel],
    failing: Collection[str] = (),
) -> tuple[Owed, ...]:
    """Each notification, owed to the channels its routing sends it to; a channel problem not
    to the channels `failing` (it is about them: the others carry it)."""
    owed = (
        Owed(n, tuple(c.name for c in channels if c.accepts(n) and not _about(n, c, failing)))
        for n in notes
    )
    return tuple(entry for entry in owed if entry.channels)


def _about(note: Notification, channel: Channel, failing: Collection[str]) -> bool:
    return note.kind is Kind.CHANNEL_PROBLEM and channel.name in failing


# Called, under the phase's lock, with the settlement so far each time a channel takes (or
# refuses for good) a notification: what is recorded then is never sent again, even on a crash.
OnLanding = Callable[[Settlement], None]


def send(
    owed: Sequence[Owed],
    channels: Sequence[Channel],
    *,
    links: Mapping[str, str],
    memory: Mapping[str, Mapping[str, str]],
    deadline: float,
    roster_complete: bool = True,
    on_landing: OnLanding | None = None,
) -> Settlement:
    """Deliver what is owed, each channel in order on its own thread, and settle what is left.

    A channel that hangs keeps only its own notifications owed; the others deliver on this tick.
    The phase ends at `deadline` whatever the channels do, so the run can record and log.
    """
    by_name = {c.name: c for c in channels}
    queues: dict[str, list[int]] = {name: [] for name in by_name}
    for index, entry in enumerate(owed):
        for name in _owed_to(entry, channels):
            if name in queues:
                queues[name].append(index)
    memories = {name: dict(memory.get(name, {})) for name in by_name}
    phase = _Phase(owed, links, deadline, memories)
    if on_landing is not None:
        phase.on_landing = lambda outcomes, kept: on_landing(
            _settle(owed, channels, outcomes, memory, kept, roster_complete)
        )
    busy = {name: indices for name, indices in queues.items() if indices}
    if busy:
        pool = _threads(len(busy))
        futures = [pool.submit(phase.drain, by_name[n], indices) for n, indices in busy.items()]
        wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        # A hung channel's thread is left behind: its own call timeouts end it.
        pool.shutdown(wait=False, cancel_futures=True)
    seen, kept_memory = phase.close()
    return _settle(owed, channels, seen, memory, kept_memory, roster_complete)


def _threads(count: int) -> ThreadPoolExecutor:
    """One thread a busy channel. concurrent.futures loads its thread pool on first use, and
    a quiet tick, which sends nothing, never uses it (test_tick_imports)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=count, thread_name_prefix="channel")


class _Phase:
    """One send phase: each channel's thread records its outcomes and memory under one lock."""

    def __init__(
        self,
        owed: Sequence[Owed],
        links: Mapping[str, str],
        deadline: float,
        memories: dict[str, dict[str, str]],
    ) -> None:
        self.owed, self.links, self.deadline = owed, links, deadline
        self.memories = memories
        self.outcomes: dict[tuple[int, str], ChannelOutcome] = {}
        self.lock = threading.Lock()
        self.on_landing: Callable[[Outcomes, dict[str, dict[str, str]]], None] | None = None
        self.closed = False

    def drain(self, channel: Channel, indices: list[int]) -> None:
        for index in indices:
            context = Context(self.links, self.deadline, self.memories[channel.name])
            try:
                kept = dict(channel.deliver(self.owed[index].notification, context))
            except ChannelError as error:
                status = Status.REFUSED if error.permanent else Status.FAILED
                self._record(index, channel.name, ChannelOutcome(status, str(error)))
                continue
            except Exception as error:
                # A defect in a channel must not vanish with its thread: it is named in the
                # decision line and stays owed. Only the type: the text may hold a secret.
                detail = f"unexpected {type(error).__name__} in the channel"
                self._record(index, channel.name, ChannelOutcome(Status.FAILED, detail))
                continue
            self._record(index, channel.name, ChannelOutcome(Status.SENT), kept)

    def _record(
        self, index: int, name: str, outcome: ChannelOutcome, kept: dict[str, str] | None = None
    ) -> None:
        with self.lock:
            if self.closed:
                return  # past the deadline: the run has settled without this thread
            if kept is not None:
                self.memories[name] = kept
            self.outcomes[index, name] = outcome
            if self.on_landing is not None and not outcome.owed:
                # Taken or refused for good: recorded before this channel moves on.
                self.on_landing(dict(self.outcomes), {n: dict(m) for n, m in self.memories.items()})

    def close(self) -> tuple[Outcomes, dict[str, dict[str, str]]]:
        """What the channels did by now; a thread still running changes nothing after this."""
        with self.lock:
            self.closed = True
            return dict(self.outcomes), {n: dict(m) for n, m in self.memories.items()}


def _owed_to(entry: Owed, channels: Sequence[Channel]) -> tuple[str, ...]:
    if entry.channels is not None:
        return entry.channels
    # An outbox from before per-channel settlement: owed to every channel that routes it.
    return tuple(c.name for c in channels if c.accepts(entry.notification))


def _settle(
    owed: Sequence[Owed],
    channels: Sequence[Channel],
    outcomes: Mapping[tuple[int, str], ChannelOutcome],
    before: Mapping[str, Mapping[str, str]],
    after: dict[str, dict[str, str]],
    roster_complete: bool,
) -> Settlement:
    present = {c.name for c in channels}
    deliveries, still = [], []
    for index, entry in enumerate(owed):
        delivery = Delivery(entry.notification)
        left = []
        for name in _owed_to(entry, channels):
            if name not in present:
                # Unconfigured since it was claimed: dropped. Unknown (no configuration): kept.
                if not roster_complete:
                    left.append(name)
                continue
            outcome = outcomes.get((index, name), ChannelOutcome(Status.NOT_ANSWERED))
            delivery.channels[name] = outcome
            if outcome.owed:
                left.append(name)
        deliveries.append(delivery)
        if left:
            still.append(Owed(entry.notification, tuple(left), entry.taken or delivery.delivered))
    memory = {name: dict(values) for name, values in before.items()} | after
    return Settlement(deliveries, tuple(still), memory)
