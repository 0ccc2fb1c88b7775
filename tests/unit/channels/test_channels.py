"""The channel layer: routing, PagerDuty's incidents, Teams' URLs and cards, the send phase."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from ceilingwatch.channels import Wiring, build_channels
from ceilingwatch.channels.base import routed
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.pagerduty import PagerDutyChannel
from ceilingwatch.channels.teams import CARD_LIMIT, TeamsChannel, format_teams, webhook_problem
from ceilingwatch.common.errors import PermanentChannelError, TransientChannelError
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.severity import Severity
from ceilingwatch.services.delivery import Status, claim, send

from tests.support.builders import Replay, config, notification
from tests.support.fakes import FakeChannel
from tests.unit.adapters.test_adapters_http import FakeTime, ScriptedSession, answer

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
TEAMS_URL = "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual?sig=s3cr3t"


def episode() -> dict[str, Notification]:
    """One real episode from the state machine: WARNING, CRITICAL, AT_LIMIT, then resolved."""
    replay = Replay()
    replay.run_series([10, 41, 48, 50, 30, 20, 10, 10])
    return {f"{n.kind.value}-{n.severity}": n for _, n in replay.sent}


@pytest.mark.parametrize(
    ("name", "floor", "expected"),
    [
        ("raised-WARNING", "WARNING", True),
        ("raised-WARNING", "CRITICAL", False),
        ("escalated-CRITICAL", "CRITICAL", True),
        ("escalated-AT_LIMIT", "AT_LIMIT", True),
        ("escalated-CRITICAL", "AT_LIMIT", False),
        # The resolve goes wherever the episode's highest level went.
        ("resolved-OK", "CRITICAL", True),
        ("resolved-OK", "AT_LIMIT", True),
    ],
)
def test_routing_by_severity(name: str, floor: str, expected: bool) -> None:
    assert routed(episode()[name], Severity(floor)) is expected


def test_a_warning_only_episode_never_reaches_a_critical_channel() -> None:
    replay = Replay()
    replay.run_series([10, 41, 42, 20, 10, 10])
    assert [n.kind for _, n in replay.sent] == [Kind.RAISED, Kind.RESOLVED]
    assert not any(routed(n, Severity.CRITICAL) for _, n in replay.sent)


def test_monitor_health_reaches_every_channel_whatever_its_routing() -> None:
    error = notification(kind=Kind.MONITOR_ERROR, severity=Severity.ERROR, reading=None)
    assert routed(error, Severity.AT_LIMIT)


class PagerDuty:
    """The channel over a scripted session: what it posted, and its memory between calls."""

    def __init__(self, script: list[Any]) -> None:
        self.session, self.time = ScriptedSession(script), FakeTime()
        poster = Poster(self.session, sleep=self.time.sleep, clock=self.time.clock)  # type: ignore[arg-type]
        self.channel = PagerDutyChannel(Secret(ROUTING_KEY), poster)
        self.memory: dict[str, str] = {}

    def deliver(self, note: Notification) -> None:
        self.memory = dict(
            self.channel.deliver(note, Context({"Ultravox": "u"}, 25.0, self.memory))
        )

    def events(self) -> list[dict[str, Any]]:
        return [call["json"] for call in self.session.calls]


def accepted(count: int) -> list[Any]:
    return [answer(202, {"status": "success"}) for _ in range(count)]


def test_pagerduty_keeps_one_incident_per_episode_and_a_new_one_after() -> None:
    notes = episode()
    pd = PagerDuty(accepted(8))
    first = [notes[k] for k in ("escalated-CRITICAL", "escalated-AT_LIMIT", "resolved-OK")]
    assert all(pd.channel.accepts(n) for n in first)
    assert not pd.channel.accepts(notes["raised-WARNING"])
    for note in first:
        pd.deliver(note)
    second = replace(
        notes["escalated-CRITICAL"],
        at=notes["resolved-OK"].at + timedelta(hours=2),
        opened_at=notes["resolved-OK"].at + timedelta(hours=2),
    )
    pd.deliver(second)
    actions = [(e["event_action"], e["dedup_key"]) for e in pd.events()]
    key = actions[0][1]
    assert actions[:3] == [("trigger", key), ("trigger", key), ("resolve", key)]
    assert actions[3][0] == "trigger" and actions[3][1] != key
    trigger = pd.events()[0]
    assert trigger["routing_key"] == ROUTING_KEY
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["source"] == "ceilingwatch/prod"
    assert trigger["payload"]["custom_details"]["limit"] == 50
    assert len(trigger["payload"]["summary"]) <= 1024


def test_a_broken_monitor_never_resolves_a_capacity_incident() -> None:
    notes = episode()
    pd = PagerDuty(accepted(3))
    pd.deliver(notes["escalated-CRITICAL"])
    pd.deliver(notification(kind=Kind.MONITOR_ERROR, severity=Severity.ERROR, reading=None))
    pd.deliver(notification(kind=Kind.MONITOR_RECOVERED, severity=Severity.CRITICAL))
    capacity, health, recovered = pd.events()
    assert health["dedup_key"] != capacity["dedup_key"]
    assert recovered == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": health["dedup_key"],
    }
    assert pd.memory == {"capacity": capacity["dedup_key"]}  # the capacity incident stays open


def test_a_summary_is_cut_to_pagerduty_limit() -> None:
    pd = PagerDuty(accepted(1))
    pd.deliver(replace(episode()["escalated-CRITICAL"], why="x" * 5000))
    assert len(pd.events()[0]["payload"]["summary"]) == 1024


def test_pagerduty_400_is_permanent_and_never_echoes_the_key() -> None:
    pd = PagerDuty([answer(400, {"status": "invalid event", "errors": [f"bad key {ROUTING_KEY}"]})])
    with pytest.raises(PermanentChannelError, match="invalid") as caught:
        pd.deliver(episode()["escalated-CRITICAL"])
    assert ROUTING_KEY not in str(caught.value) and len(pd.session.calls) == 1


def test_pagerduty_429_and_5xx_are_retried_within_the_budget() -> None:
    pd = PagerDuty([answer(429, b"", {"Retry-After": "2"}), answer(202, {"status": "success"})])
    pd.deliver(episode()["escalated-CRITICAL"])
    assert pd.time.slept == [2.0] and len(pd.session.calls) == 2
    failing = PagerDuty([answer(503), answer(502)])
    with pytest.raises(TransientChannelError, match="HTTP 502"):
        failing.deliver(episode()["escalated-CRITICAL"])


def test_a_pagerduty_test_leaves_no_incident_open() -> None:
    pd = PagerDuty(accepted(2))
    pd.deliver(notification(kind=Kind.TEST, severity=Severity.TEST, reading=None))
    trigger, resolve = pd.events()
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"] and pd.memory == {}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://contoso.webhook.office.com/webhookb2/x", "Office 365 connector URL"),
        ("http://prod-1.westus.logic.azure.com/workflows/x", "not a Teams Workflows URL"),
        ("https://evil.example.com/logic.azure.com", "not a Teams Workflows URL"),
        ("https://logic.azure.com.evil.io/x", "not a Teams Workflows URL"),
    ],
)
def test_teams_accepts_only_workflows_urls(url: str, problem: str) -> None:
    found = webhook_problem(Secret(url))
    assert problem in found and found.startswith("teams-webhook-url") and url not in found


@pytest.mark.parametrize(
    "url",
    [
        TEAMS_URL,
        "https://default0123.45.environment.api.powerplatform.com/powerautomate/x",
        "https://x.powerautomate.com/flows/x",
    ],
)
def test_teams_workflows_urls_pass(url: str) -> None:
    assert webhook_problem(Secret(url)) == ""


def test_a_refused_teams_url_is_a_problem_for_the_other_channels_to_carry() -> None:
    wiring = Wiring(Settings("state", "arn:aws:sns:us-east-1:1:t"), sns=lambda: None)
    roster = build_channels(
        config(teams_webhook_url="https://contoso.webhook.office.com/webhookb2/x"), wiring
    )
    assert [c.name for c in roster.channels] == ["email", "slack"]
    assert len(roster.problems) == 1 and "teams-webhook-url" in roster.problems[0]


def test_the_registry_builds_only_what_is_configured() -> None:
    wiring = Wiring(Settings("state", "arn:aws:sns:us-east-1:1:t"), sns=lambda: None)
    everything = config(teams_webhook_url=TEAMS_URL, pagerduty_routing_key=ROUTING_KEY)
    assert [c.name for c in build_channels(everything, wiring).channels] == [
        "email",
        "slack",
        "teams",
        "pagerduty",
    ]
    email_only = config(slack_webhook_url="")
    assert [c.name for c in build_channels(email_only, wiring).channels] == ["email"]
    # Without a readable configuration only email can work, and the roster says it is partial.
    unknown = build_channels(None, wiring)
    assert [c.name for c in unknown.channels] == ["email"] and not unknown.complete


def test_teams_card_fits_the_size_limit_whatever_the_why() -> None:
    note = replace(episode()["escalated-CRITICAL"], why="é" * 40_000)
    card = format_teams(note, {})
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= CARD_LIMIT
    assert card["attachments"][0]["content"]["type"] == "AdaptiveCard"


def test_teams_takes_200_and_202() -> None:
    for status in (200, 202):
        session = ScriptedSession([answer(status, b"")])
        channel = TeamsChannel(Secret(TEAMS_URL), Poster(session))  # type: ignore[arg-type]
        channel.deliver(episode()["escalated-CRITICAL"], Context({}, time.monotonic() + 10))
        assert session.calls[0]["url"] == TEAMS_URL


def test_a_hung_channel_keeps_only_its_own_notifications_owed() -> None:
    released = threading.Event()
    hung = FakeChannel("teams", hang=released)
    healthy = FakeChannel("slack")
    notes = [episode()["raised-WARNING"], episode()["escalated-CRITICAL"]]
    owed = claim(notes, [hung, healthy])
    try:
        settled = send(owed, [hung, healthy], links={}, memory={}, deadline=time.monotonic() + 0.3)
    finally:
        released.set()
    assert healthy.sent == notes
    assert [str(d.channels["teams"]) for d in settled.deliveries] == [Status.NOT_ANSWERED.value] * 2
    assert [entry.channels for entry in settled.owed] == [("teams",), ("teams",)]


def test_a_permanent_refusal_is_dropped_and_a_transient_one_kept() -> None:
    refusing = FakeChannel("pagerduty", fail=PermanentChannelError("invalid event"))
    flaky = FakeChannel("email", fail=TransientChannelError("SNS throttled"))
    owed = claim([episode()["escalated-CRITICAL"]], [refusing, flaky])
    settled = send(owed, [refusing, flaky], links={}, memory={}, deadline=time.monotonic() + 5)
    outcome = settled.deliveries[0].channels
    assert outcome["pagerduty"].status is Status.REFUSED
    assert outcome["email"].status is Status.FAILED
    assert [entry.channels for entry in settled.owed] == [("email",)]


def test_a_channel_removed_since_the_claim_is_no_longer_owed_but_an_unknown_one_is() -> None:
    email = FakeChannel("email")
    owed = claim([episode()["escalated-CRITICAL"]], [email, FakeChannel("slack")])
    known = send(owed, [email], links={}, memory={}, deadline=time.monotonic() + 5)
    assert known.owed == ()
    unknown = send(
        owed, [email], links={}, memory={}, deadline=time.monotonic() + 5, roster_complete=False
    )
    assert [entry.channels for entry in unknown.owed] == [("slack",)]


def test_memory_flows_through_one_channel_in_order() -> None:
    channel = FakeChannel("pagerduty", min_severity=Severity.WARNING)
    notes = list(episode().values())
    settled = send(
        claim(notes, [channel]),
        [channel],
        links={},
        memory={"pagerduty": {"count": "5"}},
        deadline=time.monotonic() + 5,
    )
    assert settled.memory == {"pagerduty": {"count": str(5 + len(notes))}}


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (400, b"no_text", "no_text"),
        (400, b"invalid_payload", "invalid_payload"),
        (404, b"no_service", PermanentChannelError),
        (410, b"channel_is_archived", PermanentChannelError),
        (400, b"something_else", PermanentChannelError),
        (200, b"ok", PermanentChannelError),
        (503, b"", TransientChannelError),
    ],
)
def test_the_slack_probe_tells_a_live_webhook_without_posting(
    status: int, body: bytes, outcome: Any
) -> None:
    from ceilingwatch.channels.slack_webhook import probe

    url = "https://hooks.slack.com/services/T0/B0/secret"
    session, clock = ScriptedSession([answer(status, body)] * 2), FakeTime()
    poster = Poster(session, sleep=clock.sleep, clock=clock.clock)  # type: ignore[arg-type]
    if isinstance(outcome, str):
        assert probe(Secret(url), poster, deadline=10.0) == outcome
    else:
        with pytest.raises(outcome) as caught:
            probe(Secret(url), poster, deadline=10.0)
        assert url not in str(caught.value)
    # The probe's body has no text: nothing a channel could show.
    assert session.calls[0]["json"] == {}


@pytest.mark.parametrize(
    ("kind", "severity"),
    [(Kind.FORECAST, "WARNING"), (Kind.PLAN_RISK, "WARNING"), (Kind.DIGEST, "INFO")],
)
def test_foresight_goes_where_a_warning_goes_and_never_pages(kind: Kind, severity: str) -> None:
    note = notification(kind=kind, severity=Severity(severity))
    built = build_channels(
        config(teams_webhook_url=TEAMS_URL, pagerduty_routing_key=ROUTING_KEY),
        Wiring(Settings("state", "arn:aws:sns:us-east-1:1:t"), sns=lambda: None),
    )
    takers = {channel.name for channel in built.channels if channel.accepts(note)}
    assert takers == {"email", "slack", "teams"}
    # a channel routed from CRITICAL up takes no FORECAST; the weekly digest reaches it anyway
    assert routed(note, Severity.CRITICAL) is (kind is Kind.DIGEST)


def test_a_malformed_routing_key_is_a_problem_for_the_other_channels_never_echoed() -> None:
    wiring = Wiring(Settings("state", "arn:aws:sns:us-east-1:1:t"), sns=lambda: None)
    pasted = "https://events.pagerduty.com/integration/leaky-42"
    roster = build_channels(config(pagerduty_routing_key=pasted), wiring)
    assert "pagerduty" not in [c.name for c in roster.channels]
    [problem] = roster.problems
    assert problem.startswith("pagerduty-routing-key") and "leaky-42" not in problem


def test_a_defect_in_a_channel_is_named_and_stays_owed_never_swallowed() -> None:
    class Broken(FakeChannel):
        def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
            raise KeyError("xoxb-secret-token")

    broken, healthy = Broken("teams"), FakeChannel("slack")
    owed = claim([episode()["raised-WARNING"]], [broken, healthy])
    settled = send(owed, [broken, healthy], links={}, memory={}, deadline=time.monotonic() + 5)
    outcome = settled.deliveries[0].channels["teams"]
    assert str(outcome) == "failed: unexpected KeyError in the channel"
    assert [entry.channels for entry in settled.owed] == [("teams",)]
    assert len(healthy.sent) == 1


class _RefusingSns:
    """SNS answering every Publish with one error code, as botocore raises it."""

    def __init__(self, code: str) -> None:
        self.code = code

    def publish(self, **request: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        error = {"Error": {"Code": self.code, "Message": f"{self.code} on the topic"}}
        raise ClientError(error, "Publish")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "permanent", "named"),
    [
        ("AuthorizationError", True, "may not publish to the alert topic"),
        ("KMSAccessDenied", True, "KMS key refuses the function"),
        ("KMSDisabled", True, "KMS key is disabled"),
        ("InvalidParameter", True, "refused the message"),
        ("Throttling", False, "refused the message"),
        ("KMSThrottling", False, "refused the message"),
    ],
)
def test_sns_access_refusals_are_permanent_and_named(
    code: str, permanent: bool, named: str
) -> None:
    from ceilingwatch.channels.email import EmailChannel

    channel = EmailChannel(lambda: _RefusingSns(code), "arn:aws:sns:us-east-1:1:t")
    with pytest.raises((PermanentChannelError, TransientChannelError)) as raised:
        channel.deliver(episode()["escalated-CRITICAL"], Context({}, time.monotonic() + 5))
    assert raised.value.permanent is permanent
    assert named in str(raised.value) and code in str(raised.value)
