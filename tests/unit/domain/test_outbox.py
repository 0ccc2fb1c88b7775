"""What a failing channel owes of an episode: its newest message, saying what it missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.outbox import Owed, coalesce
from ceilingwatch.domain.severity import Severity

AT = datetime(2026, 11, 24, 14, 1, tzinfo=UTC)


def note(kind: Kind, severity: Severity, minutes: int) -> Notification:
    return Notification(kind, "prod", severity, f"{kind} why", AT + timedelta(minutes=minutes))


RAISED = note(Kind.RAISED, Severity.WARNING, 0)
ESCALATED = note(Kind.ESCALATED, Severity.CRITICAL, 30)
RESOLVED = note(Kind.RESOLVED, Severity.OK, 120)


def test_a_channel_owing_a_ramp_gets_the_newest_saying_what_it_missed() -> None:
    owed = (
        Owed(RAISED, ("slack",), taken=True),
        Owed(ESCALATED, ("slack",), taken=True),
        Owed(RESOLVED, ("email", "slack")),
    )
    (original, late) = coalesce(owed)
    assert original == Owed(RESOLVED, ("email",))
    assert late.channels == ("slack",) and late.taken  # its original is still owed to email
    assert late.notification.why == (
        "resolved why; sent late: this channel missed "
        "raised WARNING at 14:01 UTC, escalated CRITICAL at 14:31 UTC"
    )


def test_coalescing_again_keeps_everything_missed_once() -> None:
    (late,) = coalesce((Owed(RAISED, ("slack",), True), Owed(ESCALATED, ("slack",), True)))
    (again,) = coalesce((late, Owed(RESOLVED, ("slack",), True)))
    missed = "raised WARNING at 14:01 UTC, escalated CRITICAL at 14:31 UTC"
    assert again.notification.missed == missed
    assert again.notification.why == f"resolved why; sent late: this channel missed {missed}"


def test_other_notices_and_a_single_owed_message_are_left_alone() -> None:
    problem = Notification(Kind.CHANNEL_PROBLEM, "prod", Severity.WARNING, "x", AT)
    owed = (Owed(problem, ("email",)), Owed(RAISED, ("slack",)), Owed(ESCALATED, ("email",)))
    assert coalesce(owed) == owed
