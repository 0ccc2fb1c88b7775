"""Every registered channel through the same cases: taken, transient, permanent, hung, no secret.

The channels come from the registry, so a new one is covered by its registry line alone (once
its parameters are in CONFIGURED). Each meets a fake at its transport's seam: the shared Poster
over a scripted upstream, or an SNS stub.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from ceilingwatch.channels import REGISTRY, Wiring
from ceilingwatch.channels.base import ChannelBuild
from ceilingwatch.common.errors import ChannelError, PermanentChannelError, TransientChannelError
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.parameters import PlugIn
from ceilingwatch.domain.ports import Channel, Context
from ceilingwatch.services.delivery import Status, claim, send

from tests.support.builders import API_KEY, WEBHOOK, config, notification
from tests.support.upstream import SPELLINGS, Echo, Fault, Upstream, UpstreamPoster, leaked

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
TEAMS_URL = "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual?sig=s3cr3t"
BOT_TOKEN = "xoxb-1234567890-0987654321-s3cr3tb0tt0k3n"
INCIDENT_IO = "https://api.incident.io/v2/alert_events/http/01HZCONFIG7?token=inc-s3cr3t-t0k3n"
JSM_OPS = "https://api.atlassian.com/jsm/ops/integration/v2/alerts?apiKey=0f1e2d3c-jsm-k3y"
ALERTMANAGER = "https://alerts.example.com/am-7q8w9e0r1t2y/api/v2/alerts"
GENERIC = "https://hooks.example.com/in/7c1d9e2a5b0f4a3d"
SIGNING = "whsec-9a8b7c6d5e4f3a2b1c0d"
SECRETS = (
    API_KEY,
    WEBHOOK,
    ROUTING_KEY,
    TEAMS_URL,
    BOT_TOKEN,
    INCIDENT_IO,
    JSM_OPS,
    ALERTMANAGER,
    GENERIC,
    SIGNING,
)
# What of them anyone may see: hosts and a token's kind. The rest, even cut short, is secret.
PUBLIC = (
    "https://hooks.slack.com/services/",
    TEAMS_URL.split("abc")[0],
    "xoxb-",
    "https://api.incident.io/v2/alert_events/http/",
    "https://api.atlassian.com/jsm/ops/integration/v2/alerts",
    "https://alerts.example.com/",
    "https://hooks.example.com/in/",
)
ECHOES = [*(Echo("url", spelling) for spelling in SPELLINGS), Echo("headers"), Echo("payload")]
# Every channel configured; the second set swaps Slack's webhook for the app (a bot token).
CONFIGURED: tuple[dict[str, str], ...] = (
    {"teams_webhook_url": TEAMS_URL, "pagerduty_routing_key": ROUTING_KEY},
    {
        "teams_webhook_url": TEAMS_URL,
        "pagerduty_routing_key": ROUTING_KEY,
        "slack_bot_token": BOT_TOKEN,
        "slack_channel_id": "C0CEILING1",
        "webhook_url": INCIDENT_IO,
        "webhook_format": "incident-io",
    },
    {
        "webhook_url": GENERIC,
        "webhook_signing_secret": SIGNING,
        "chatbot_topic_arn": "arn:aws:sns:us-east-1:123456789012:ceilingwatch-chat",
    },
    {"webhook_url": ALERTMANAGER, "webhook_format": "alertmanager"},
    {"webhook_url": JSM_OPS, "webhook_format": "jsm-ops", "webhook_signing_secret": SIGNING},
)
Build = PlugIn[ChannelBuild]
TRANSIENT = (Fault.SERVER_ERROR, Fault.THROTTLED, Fault.TIMEOUT, Fault.UNREACHABLE)
LINKS = {"Ultravox": "https://app.ultravox.ai/usage"}


@dataclass(frozen=True)
class Registered:
    """One channel the registry can build, with the configuration that builds it."""

    build: Build
    overrides: dict[str, str]

    def built(self, upstream: Upstream) -> Channel | str | None:
        # No time is lost to Retry-After in a unit test; the deadline still bounds every call.
        poster = UpstreamPoster(session=upstream, sleep=lambda seconds: None)  # type: ignore[arg-type]
        wiring = Wiring(Settings("state", "arn:aws:sns:us-east-1:1:t"), lambda: upstream, poster)
        return self.build.build(config(**self.overrides), wiring)

    def channel(self, upstream: Upstream) -> Channel:
        built = self.built(upstream)
        assert built is not None and not isinstance(built, str), built
        return built


def registered() -> list[Any]:
    """Each kind of channel the registry builds, once (Slack twice: webhook and app)."""
    seen: dict[str, Registered] = {}
    for overrides in CONFIGURED:
        for build in REGISTRY:
            entry = Registered(build, overrides)
            built = entry.built(Upstream())
            if built is not None and not isinstance(built, str):
                # The webhook once per body format: each speaks to another receiver.
                form = getattr(built, "form", "")
                seen.setdefault(f"{type(built).__name__}{'-' if form else ''}{form}", entry)
    return [pytest.param(entry, id=kind) for kind, entry in seen.items()]


CHANNELS = registered()


@pytest.fixture
def note() -> Notification:
    raised = notification(peaks=(10, 30, 48))  # the CRITICAL raise: even PagerDuty takes it
    assert raised.severity == "CRITICAL"
    return raised


def deliver(entry: Registered, fault: Fault, note: Notification, seconds: float = 10.0) -> Any:
    channel = entry.channel(upstream := Upstream(fault))
    assert channel.accepts(note)
    memory = channel.deliver(note, Context(LINKS, time.monotonic() + seconds))
    assert upstream.calls, "the channel delivered without calling its upstream"
    return memory


@pytest.mark.parametrize("build", REGISTRY, ids=lambda plugin: plugin.name)
def test_every_registered_channel_is_built_by_the_contracts_configuration(build: Build) -> None:
    # A new channel fails here until its parameters are in CONFIGURED; then every case runs it.
    built = [Registered(build, overrides).built(Upstream()) for overrides in CONFIGURED]
    assert any(b is not None and not isinstance(b, str) for b in built), (
        f"{build.name} builds no channel from CONFIGURED ({built}): add its parameters there"
    )


def test_the_leak_check_sees_a_secret_cut_short_or_respelled() -> None:
    cut = f"Slack refused: '{WEBHOOK[:50]}'"
    assert leaked(SECRETS, cut, PUBLIC) == [WEBHOOK]
    assert leaked(SECRETS, quote(ROUTING_KEY, safe=""), PUBLIC) == [ROUTING_KEY]
    assert leaked(SECRETS, "Slack at https://hooks.slack.com/services/ said ****", PUBLIC) == []


@pytest.mark.parametrize("entry", CHANNELS)
def test_a_2xx_is_taken(entry: Registered, note: Notification) -> None:
    memory = deliver(entry, Fault.NONE, note)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in dict(memory).items())


@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize("entry", CHANNELS)
def test_a_5xx_429_or_timeout_is_transient(
    entry: Registered, fault: Fault, note: Notification
) -> None:
    with pytest.raises(TransientChannelError):
        deliver(entry, fault, note)


@pytest.mark.parametrize("entry", CHANNELS)
def test_a_4xx_refusal_is_permanent(entry: Registered, note: Notification) -> None:
    with pytest.raises(PermanentChannelError):
        deliver(entry, Fault.REFUSED, note)


@pytest.mark.parametrize("entry", CHANNELS)
def test_a_hung_call_is_cut_at_the_deadline_and_stays_owed(
    entry: Registered, note: Notification
) -> None:
    upstream = Upstream(Fault.HUNG)
    channel = entry.channel(upstream)
    started = time.monotonic()
    try:
        # Time enough to make the call (the Poster does not start one with under 0.5 s left).
        settled = send(
            claim([note], [channel]), [channel], links=LINKS, memory={}, deadline=started + 1.0
        )
    finally:
        upstream.release.set()
    assert time.monotonic() - started < 2.0
    assert upstream.calls, "the call was never made, so it could not hang"
    assert settled.deliveries[0].channels[channel.name].status is Status.NOT_ANSWERED
    assert [entry.channels for entry in settled.owed] == [(channel.name,)]


@pytest.mark.parametrize(
    "echo", ECHOES, ids=lambda echo: f"{echo.part}-{echo.spelling}".replace(" ", "-")
)
@pytest.mark.parametrize("fault", [*TRANSIENT, Fault.REFUSED])
@pytest.mark.parametrize("entry", CHANNELS)
def test_no_secret_the_upstream_echoes_reaches_the_error_or_the_log(
    entry: Registered,
    fault: Fault,
    echo: Echo,
    note: Notification,
    log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    channel = entry.channel(upstream := Upstream(fault, echo))
    with pytest.raises(ChannelError) as caught:
        channel.deliver(note, Context(LINKS, time.monotonic() + 10))
    # Through the send phase too: its outcome is what the decision line prints.
    settled = send(
        claim([note], [channel]), [channel], links=LINKS, memory={}, deadline=time.monotonic() + 10
    )
    outcome = str(settled.deliveries[0].channels[channel.name])
    said = "\n".join([str(caught.value), repr(caught.value), outcome, log.getvalue(), caplog.text])
    assert upstream.calls
    assert not leaked(SECRETS, said, PUBLIC), f"{fault} passed on a secret: {said[:400]}"
