"""Notices outside the alert lifecycle, each claimed once by its id: the test alert, the digest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ceilingwatch.common.errors import DeliveryError
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.digest_text import digest_notification
from ceilingwatch.domain.ports import Roster
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.state import AlertState
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.base import Dependencies, RunResult, judge_by
from ceilingwatch.services.claims import carry_owed, claim_beside
from ceilingwatch.services.delivery import Status
from ceilingwatch.services.failures import name_new_failures
from ceilingwatch.services.weekly import gather_digest

CLAIM_ATTEMPTS = 3  # the 5-minute tick runs beside the digest's: it may store first

Build = Callable[[], Notification]


def send_test(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    """A labelled test message through every channel, claimed like every notification.

    Claimed under the invocation's id (the event's `executionId`, else Lambda's request id,
    which its retry keeps): a duplicate sends nothing again, a crash mid-send re-sends only
    what no channel took. Any channel that did not take it fails the run: the test says so.
    """
    config = deps.parameters.load(tick.monitor)
    deps.on_secrets(*config.secrets())
    roster = deps.channels(config)
    names = [c.name for c in roster.channels]
    note = Notification(
        Kind.TEST,
        tick.monitor,
        Severity.TEST,
        f"a test alert through {', '.join(names)}, sent on request; "
        "nothing is wrong and no alert state changed",
        tick.scheduled_time,
    )
    result = _claimed_once(tick, lambda: note, "the test alert", config, roster, deps, deadline)
    result.status = "TEST"
    failed = [
        f"{name} ({outcome})"
        for d in result.deliveries
        if d.notification.kind is Kind.TEST
        for name, outcome in d.channels.items()
        if outcome.status is not Status.SENT
    ] + list(roster.problems)
    if failed and not result.skipped:
        result.error = DeliveryError("the test alert failed on " + "; ".join(failed))
    return result


def send_digest(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    """The weekly digest: read, build, claim, send; it judges nothing.

    Claimed in the state under the scheduler's executionId like every notification: a
    duplicate delivery of the same execution sends nothing again, and a channel that fails
    keeps it owed for the next run rather than failing this one (and resending to the rest).
    """
    config = deps.parameters.load(tick.monitor)
    deps.on_secrets(*config.secrets())
    roster = deps.channels(config)

    def build() -> Notification:
        source = deps.usage(config)
        digest = gather_digest(source, config, tick.scheduled_time, deadline=judge_by(deadline))
        return digest_notification(digest, tick.scheduled_time)

    result = _claimed_once(tick, build, "the weekly digest", config, roster, deps, deadline)
    result.status = "DIGEST"
    return result


def _claimed_once(
    tick: Tick,
    build: Build,
    what: str,
    config: MonitorConfig,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
) -> RunResult:
    """A notice outside the lifecycle, built only if its id was not claimed yet, then claimed
    under that id beside what a live run is delivering, and sent."""
    result = RunResult(tick.monitor, tick.scheduled_time)
    note: Notification | None = None
    for _ in range(CLAIM_ATTEMPTS):
        previous = deps.states.load(tick.monitor)
        if previous is not None and previous.told.handled(tick.execution_id):
            result.skipped = f"{what} was already claimed (a duplicate delivery)"
            carry_owed(previous, config, roster, deps, deadline, result)
            return result
        if note is None:
            note = build()
            result.reason = note.why  # no PeakCalls metric: a digest's peak is not a tick's
        result.skipped = ""
        _claim(previous, tick, note, config, roster, deps, deadline, result)
        if not result.skipped:
            return result
    result.error = DeliveryError(
        f"{what} for {tick.monitor} could not be claimed: {result.skipped}",
        "nothing to do: Lambda's retry claims it",
    )
    return result


def _claim(
    previous: AlertState | None,
    tick: Tick,
    note: Notification,
    config: MonitorConfig,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
) -> None:
    """The notice claimed under its invocation's id, beside what a live run is delivering."""
    state = previous or AlertState(tick.monitor)
    remembered = replace(state.told, events=state.told.remembering(tick.execution_id))
    state = replace(state, told=remembered)
    stored = claim_beside(previous, state, note, config, roster, deps, deadline, result)
    name_new_failures(stored, config, roster, deps, deadline, result, tick.scheduled_time)
