"""Notices outside the alert lifecycle: the test alert and the weekly digest, sent once."""

from __future__ import annotations

from ceilingwatch.common.errors import DeliveryError
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.digest_text import digest_notification
from ceilingwatch.domain.ports import Roster
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.base import Dependencies, RunResult, judge_by
from ceilingwatch.services.claims import links
from ceilingwatch.services.delivery import Status, claim, send
from ceilingwatch.services.weekly import gather_digest


def send_test(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    """A labelled test message through every channel; no alert state is read or written."""
    config = deps.parameters.load(tick.monitor)
    deps.on_secrets(*config.secrets())
    roster = deps.channels(config)
    names = [c.name for c in roster.channels]
    note = Notification(
        Kind.TEST,
        tick.monitor,
        Severity.TEST,
        f"a test alert through {', '.join(names)}, sent on request; "
        "nothing is wrong and no state changed",
        tick.scheduled_time,
    )
    return _send_notice(note, "TEST", "the test alert", config, roster, deps, deadline)


def send_digest(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    """The weekly digest: read, build, send; no alert state is read or written."""
    config = deps.parameters.load(tick.monitor)
    deps.on_secrets(*config.secrets())
    source = deps.usage(config)
    digest = gather_digest(source, config, tick.scheduled_time, deadline=judge_by(deadline))
    note = digest_notification(digest, tick.scheduled_time)
    result = _send_notice(
        note, "DIGEST", "the weekly digest", config, deps.channels(config), deps, deadline
    )
    result.reason = note.why  # no PeakCalls metric: a week's peak is not a tick's
    return result


def _send_notice(
    note: Notification,
    status: str,
    what: str,
    config: MonitorConfig,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
) -> RunResult:
    """A notice outside the alert lifecycle: sent once, never stored; any failure fails the run,
    so Lambda's retry sends it again."""
    settlement = send(
        claim([note], roster.channels),
        roster.channels,
        links=links(deps.settings, config, note.monitor),
        memory={},
        deadline=deadline,
    )
    result = RunResult(note.monitor, note.at, status=status, deliveries=settlement.deliveries)
    failed = [
        f"{name} ({outcome})"
        for d in settlement.deliveries
        for name, outcome in d.channels.items()
        if outcome.status is not Status.SENT
    ] + list(roster.problems)
    if failed:
        result.error = DeliveryError(f"{what} failed on " + "; ".join(failed))
    return result
