"""The lagging feed's notice: what is wrong, which webhook, what to do, and who hears it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ceilingwatch.channels.base import routed, takes_incident
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.live_lag import lag_notice
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.subjects import subject

AT = datetime(2026, 11, 24, 14, 10, tzinfo=UTC)
NOTE = lag_notice("prod-eu", 3, 2, 7, AT)


def test_it_says_what_is_wrong_which_webhook_and_what_to_do() -> None:
    assert NOTE.kind is Kind.LIVE_LAG and NOTE.severity is Severity.WARNING
    assert NOTE.why.startswith("the live count was below Ultravox's activeCalls for 3 scheduled")
    assert "(now 2 live, 7 activeCalls)" in NOTE.why
    assert "URL path /prod-eu on the stack's UltravoxWebhookUrl" in NOTE.why
    assert "raised to activeCalls meanwhile" in NOTE.why
    assert "`ceilingwatch doctor --monitor prod-eu`" in NOTE.fix
    assert "`ceilingwatch live enable --monitor prod-eu`" in NOTE.fix
    assert subject(NOTE) == (
        "[WARNING] prod-eu: the live feed keeps missing calls; check its Ultravox webhook"
    )


@pytest.mark.parametrize("floor", [Severity.WARNING, Severity.CRITICAL, Severity.AT_LIMIT])
def test_every_chat_channel_hears_it_whatever_its_floor_and_no_incident_tool_pages(
    floor: Severity,
) -> None:
    # As a channel problem or a bad parameter: something to fix, not an incident to open and
    # close; the count is raised to activeCalls, so the capacity alerts still fire.
    assert routed(NOTE, floor)
    assert not takes_incident(NOTE, floor)
