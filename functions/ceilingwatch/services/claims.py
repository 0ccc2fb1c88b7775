"""What a run owes: claimed with a conditional write, delivered, settled; never sent twice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from ceilingwatch.common.errors import DeliveryError, StateConflictError
from ceilingwatch.common.observability import logger
from ceilingwatch.common.records import replace
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.outbox import ChannelMemory, Owed, coalesce
from ceilingwatch.domain.ports import Roster
from ceilingwatch.domain.state import AlertState, DeliveryRecord
from ceilingwatch.services.base import Dependencies, RunResult
from ceilingwatch.services.delivery import Settlement, Status, claim, send

MERGES = 4  # a change's verdict claimed beside a delivering run: a few writes may interleave


def delivering(state: AlertState, now: datetime, grace: timedelta) -> bool:
    """An outbox younger than the grace belongs to a live run; an older one to a dead run."""
    since = state.delivery.outbox_since or now
    return bool(state.delivery.outbox) and now - since < grace


def claim_and_send(
    previous: AlertState | None,
    state: AlertState,
    owed: tuple[Owed, ...],
    config: MonitorConfig | None,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
    *,
    beside: tuple[Owed, ...] = (),
) -> AlertState | None:
    """Store the state with what it owes (the claim), deliver, then store what is still owed.

    The claim is a conditional write: of two overlapping runs only one sends. The state never
    says a channel took a notification it has not taken: a retry or the next tick sends it.
    `beside` is what a live run is delivering right now: kept in the outbox, not sent here.
    Returns the state as last stored, None when another writer came first.
    """
    owed = coalesce(owed)  # a channel back from an outage gets where the episode stands
    since = (state.delivery.outbox_since if beside else None) or (deps.clock() if owed else None)
    outbox = beside + owed
    claimed = replace(state, delivery=replace(state.delivery, outbox=outbox, outbox_since=since))
    try:
        deps.states.save(claimed, expected_version=previous.version if previous else 0)
    except StateConflictError:
        # Another run (a duplicate delivery or an overlap) stored first and owns the messages.
        result.skipped = "another run judged this monitor first"
        return None
    if not owed:
        return claimed
    memory = previous.delivery.channel_memory if previous else {}
    ledger = Ledger(claimed, deps, owed, memory)
    ledger.watch(previous.delivery.outbox if previous else (), roster)
    settlement = send(
        owed,
        roster.channels,
        links=links(deps.settings, config, state.monitor),
        memory=memory,
        deadline=deadline,
        roster_complete=roster.complete,
        on_landing=ledger.landed,
    )
    _settled(ledger, settlement, state.monitor, result)
    return ledger.state


def _settled(ledger: Ledger, settlement: Settlement, monitor: str, result: RunResult) -> None:
    result.deliveries += settlement.deliveries
    ledger.settle(settlement)
    if result.error is None:
        result.error = _undelivered(settlement, monitor)


def beside_or_carried(
    previous: AlertState | None, owed: tuple[Owed, ...], deps: Dependencies
) -> tuple[tuple[Owed, ...], tuple[Owed, ...]]:
    """What a notice outside the run sends, and what it keeps beside it: a live run's outbox is
    that run's to deliver; a dead or finished run's owed entries go out with the notice."""
    if previous is None:
        return owed, ()
    if delivering(previous, deps.clock(), deps.settings.outbox_grace):
        return owed, previous.delivery.outbox
    return previous.delivery.outbox + owed, ()


def claim_beside(
    previous: AlertState | None,
    state: AlertState,
    note: Notification,
    config: MonitorConfig,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
) -> AlertState | None:
    """`note` claimed in `state`'s next version beside what is owed, and sent: what was stored."""
    owed, kept = beside_or_carried(previous, claim([note], roster.channels), deps)
    claimed = replace(state, version=state.version + 1)
    return claim_and_send(
        previous, claimed, owed, config, roster, deps, deadline, result, beside=kept
    )


def claim_notice(
    note: Notification,
    config: MonitorConfig,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
) -> bool:
    """A notice decided after the run's claim, sent as claim_beside does; False: tell it later."""
    previous = deps.states.load(note.monitor)
    told = RunResult(note.monitor, result.tick)
    state = previous or AlertState(note.monitor)
    claim_beside(previous, state, note, config, roster, deps, deadline, told)
    result.deliveries += told.deliveries
    result.error = result.error or told.error
    return not told.skipped


def carry_owed(
    previous: AlertState,
    config: MonitorConfig | None,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
) -> None:
    """Judge nothing, but send what is still owed, unless a live run is delivering it."""
    carried = previous.delivery.outbox
    if not carried or delivering(previous, deps.clock(), deps.settings.outbox_grace):
        return
    again = replace(previous, version=previous.version + 1)
    claim_and_send(previous, again, carried, config, roster, deps, deadline, result)


class Ledger:
    """The claim, settled as each channel lands: a crash at any instant owes only what no
    record says was taken. Each write is conditional on the one before it; when another
    writer came between (a change's verdict claimed beside this run), its entries are kept."""

    def __init__(
        self,
        claimed: AlertState,
        deps: Dependencies,
        owned: tuple[Owed, ...],
        memory: ChannelMemory,
    ) -> None:
        self.state, self.deps = claimed, deps
        self.owned = [entry.notification for entry in owned]
        self.memory = {name: dict(values) for name, values in memory.items()}
        self.failed = False
        self.owing: frozenset[str] = frozenset()
        self.parameters: dict[str, str] = {}

    def watch(self, earlier: tuple[Owed, ...], roster: Roster) -> None:
        """Channels that owed something before this run: failing again, they keep failing."""
        self.owing = frozenset(n for e in earlier for n in e.channels or ())
        self.parameters = {c.name: getattr(c, "parameter", c.name) for c in roster.channels}

    def landed(self, settlement: Settlement) -> None:
        """One channel took a notification: recorded before it takes the next (phase's lock)."""
        if self.failed:
            return
        try:
            self._write(settlement)
        except Exception as error:
            # Not fatal to the other channels: the phase's end writes the whole settlement.
            self.failed = True
            logger.warning("could not record a delivery as it landed", extra={"error": str(error)})

    def settle(self, settlement: Settlement) -> None:
        """What is still owed, what the channels remember and which keep failing, stored."""
        outbox, memory = self._merged(self.state, settlement)
        delivery, watches = self.state.delivery, self.state.watches
        failures = failing_channels(
            watches.channel_failures, settlement, self.owing, self.parameters
        )
        if (
            not self.failed
            and outbox == delivery.outbox
            and memory == delivery.channel_memory
            and failures == watches.channel_failures
        ):
            return
        self._write(settlement, failures)

    def _merged(
        self, base: AlertState, settlement: Settlement
    ) -> tuple[tuple[Owed, ...], dict[str, dict[str, str]]]:
        """This run's entries as settled, anyone else's as stored; the memory it changed."""
        others = tuple(e for e in base.delivery.outbox if e.notification not in self.owned)
        changed = {
            name: dict(values)
            for name, values in settlement.memory.items()
            if dict(values) != self.memory.get(name, {})
        }
        memory = {name: dict(values) for name, values in base.delivery.channel_memory.items()}
        return settlement.owed + others, memory | changed

    def _write(self, settlement: Settlement, failures: Mapping[str, str] | None = None) -> None:
        for _ in range(MERGES):
            base = self.state
            if failures is not None:
                base = replace(base, watches=replace(base.watches, channel_failures=failures))
            outbox, memory = self._merged(base, settlement)
            since = (base.delivery.outbox_since or self.deps.clock()) if outbox else None
            settled = replace(
                base,
                delivery=DeliveryRecord(outbox, since, memory),
                version=base.version + 1,
            )
            try:
                self.deps.states.save(settled, expected_version=base.version)
            except StateConflictError:
                fresh = self.deps.states.load(base.monitor)
                if fresh is None:
                    raise
                self.state = fresh
                continue
            self.state = settled
            return
        raise StateConflictError(f"the state of {self.state.monitor} kept changing under a run")


def failing_channels(
    before: Mapping[str, str],
    settlement: Settlement,
    owing: frozenset[str],
    parameters: Mapping[str, str],
) -> dict[str, str]:
    """Which channels keep failing, each as its problem naming the parameter to fix.

    A refusal for good counts at once (a revoked token, a webhook gone); a transient failure
    once the channel already owed something from an earlier run. A channel that takes anything
    is well again. The first words seen are kept, so the notice is told once, not per answer.
    """
    failures = dict(before)
    taken: set[str] = set()
    for delivery in settlement.deliveries:
        for name, outcome in delivery.channels.items():
            if outcome.status is Status.SENT:
                taken.add(name)
            elif outcome.status is Status.REFUSED or (outcome.owed and name in owing):
                said = outcome.detail or outcome.status.value
                failures.setdefault(name, f"{parameters.get(name, name)}: {said}")
    return {name: text for name, text in failures.items() if name not in taken}


def _undelivered(settlement: Settlement, monitor: str) -> DeliveryError | None:
    """A notification no channel at all took is this run's failure: Lambda's retry sends it.

    One that some channel took, in this run or an earlier one, is not: what the others still
    owe is a channel's problem (NotificationFailures, the channel-problem notice), and failing
    the run for it would retry, alarm and fill the dead-letter queue every tick of an outage.
    """
    still = {id(entry.notification): entry for entry in settlement.owed}
    lost = [
        d.notification.kind.value
        for d in settlement.deliveries
        if not d.delivered
        # Owed still and never taken, or refused by every channel for good.
        and (id(d.notification) not in still or not still[id(d.notification)].taken)
        and (id(d.notification) in still or d.channels)
    ]
    if not lost:
        return None
    return DeliveryError(
        f"no channel delivered the {', '.join(lost)} notification for {monitor}; "
        "it stays owed for the retry",
        "see each channel's error in this run's decision line; the retry sends it",
    )


def links(settings: Settings, config: MonitorConfig | None, monitor: str) -> dict[str, str]:
    """Where a message's reader goes next: the parameters, Ultravox, and the stack's dashboard."""
    region = settings.region
    path = config.parameter_path if config else f"{settings.parameter_prefix}/{monitor}/"
    links = {
        "Parameters": f"https://{region}.console.aws.amazon.com/systems-manager/parameters/"
        f"?region={region}&tab=Table#list_parameter_filters=Path:Recursive:{path.rstrip('/')}",
        "Ultravox": "https://app.ultravox.ai",
    }
    # The stack's dashboard charts its own monitor; monitors added later have none of their own.
    if settings.dashboard_name == f"ceilingwatch-{monitor}":
        links["Dashboard"] = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards/dashboard/{settings.dashboard_name}"
        )
    return links
