"""What a run owes: claimed with a conditional write, delivered, settled; never sent twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ceilingwatch.common.errors import DeliveryError, StateConflictError
from ceilingwatch.common.observability import logger
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.outbox import Owed
from ceilingwatch.domain.ports import Roster
from ceilingwatch.domain.state import AlertState, DeliveryRecord
from ceilingwatch.services.base import Dependencies, RunResult
from ceilingwatch.services.delivery import Settlement, send


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
) -> None:
    """Store the state with what it owes (the claim), deliver, then store what is still owed.

    The claim is a conditional write: of two overlapping runs only one sends. The state never
    says a channel took a notification it has not taken: a retry or the next tick sends it.
    """
    since = deps.clock() if owed else None
    claimed = replace(state, delivery=replace(state.delivery, outbox=owed, outbox_since=since))
    try:
        deps.states.save(claimed, expected_version=previous.version if previous else 0)
    except StateConflictError:
        # Another run (a duplicate delivery or an overlap) stored first and owns the messages.
        result.skipped = "another run judged this monitor first"
        return
    if not owed:
        return
    ledger = Ledger(claimed, deps)
    settlement = send(
        owed,
        roster.channels,
        links=links(deps.settings, config, state.monitor),
        memory=previous.delivery.channel_memory if previous else {},
        deadline=deadline,
        roster_complete=roster.complete,
        on_landing=ledger.landed,
    )
    result.deliveries += settlement.deliveries
    ledger.settle(settlement)
    if result.error is None:
        result.error = _undelivered(settlement, state.monitor)


class Ledger:
    """The claim, settled as each channel lands: a crash at any instant owes only what no
    record says was taken. Each write is conditional on the one before it."""

    def __init__(self, claimed: AlertState, deps: Dependencies) -> None:
        self.state, self.deps = claimed, deps
        self.failed = False

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
        """What is still owed, and what the channels remember, stored over the claim."""
        if self._unchanged(settlement):
            return
        self._write(settlement)

    def _unchanged(self, settlement: Settlement) -> bool:
        delivery = self.state.delivery
        return (
            not self.failed
            and delivery.outbox == settlement.owed
            and dict(delivery.channel_memory) == dict(settlement.memory)
        )

    def _write(self, settlement: Settlement) -> None:
        claimed = self.state
        since = claimed.delivery.outbox_since if settlement.owed else None
        settled = replace(
            claimed,
            delivery=DeliveryRecord(settlement.owed, since, settlement.memory),
            version=claimed.version + 1,
        )
        self.deps.states.save(settled, expected_version=claimed.version)
        self.state = settled


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
