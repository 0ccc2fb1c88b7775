"""The fault matrix's channel columns: each channel hung, failing, throttled, refusing or
unreachable while the others are healthy, and all of them at once.

Each row runs the real handler on the tick a CRITICAL level is judged, then on the next tick
once the fault has cleared. It asserts what every channel took, exactly once over both ticks,
each channel's outcome in the decision line, and that the decision line was logged while the
invocation still had time left (the context counts down as Lambda's does).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from ceilingwatch.handler import lambda_handler

from infra.demo.timeline import Context
from infra.local_stack.function_output import captured_function_output
from infra.local_stack.stack import LocalStack
from infra.standins.channels import CHANNELS as STANDIN_CHANNELS
from infra.standins.loopback import RecordingStandin, refused_url
from tests.support.aws_faults import FailingAwsEndpoint
from tests.support.harness import START, Harness, flat_scenario, harness

# Every stand-in's channel, so a new one joins the matrix with its stand-in; email is SNS.
WEBHOOKS = STANDIN_CHANNELS
CHANNELS = ("email", *WEBHOOKS)
FAULTS = ("hung", "5xx", "429", "4xx", "refused")
FIRST = START + timedelta(hours=2, minutes=1)  # 48 of 50 calls: CRITICAL, sent to every channel
NEXT = FIRST + timedelta(minutes=5)  # the level holds: only what is still owed goes out
TIMEOUT_MS = 30_000  # the template's Timeout
# The permanent refusal each webhook channel gets in the 4xx rows.
# Incident tools: they take what opens or closes an incident, not notices about channels.
INCIDENT_TOOLS = ("pagerduty", "webhook")
REFUSALS = {"slack": 404, "teams": 404, "pagerduty": 400, "webhook": 400}
# The shortest read timeout of any channel's call (SNS's, set in bootstrap; webhooks wait 5 s).
HUNG_CALL_SECONDS = 4.0
# SNS has no 429 and no Retry-After: it throttles with HTTP 400 "Throttling"; its 4xx is
# AuthorizationError: permanent like any channel's refusal (no retry mends a policy), named as a
# channel problem rather than owed forever.
SNS_STATUS = {"5xx": 500, "429": 400, "4xx": 403}


@dataclass(frozen=True)
class Expect:
    """What a faulted channel does: takes the message on the faulted tick (after a retry), or
    leaves it owed for the next tick, or drops it for good; and its outcome's first word."""

    taken_first: int
    taken_next: int
    outcomes: tuple[str, ...]


SENT = Expect(1, 0, ("sent",))
# A hung call ends by its own timeout or by the send phase's deadline, whichever comes first.
OWED_BY_HUNG = ("failed", "no answer before the run's deadline")


def expect(channel: str, fault: str) -> Expect:
    if fault == "429" and channel != "email":
        return SENT  # Retry-After 1 s fits the run: one retry, taken
    if fault == "4xx":
        return Expect(0, 0, ("refused",))  # permanent: never sent again
    # Transient: owed, delivered by the next tick.
    return Expect(0, 1, OWED_BY_HUNG if fault == "hung" else ("failed",))


@dataclass
class Row:
    name: str
    faulted: tuple[str, ...]
    fault: str
    remaining_ms: int = TIMEOUT_MS  # what the context says is left when the run starts

    def expected(self, channel: str) -> Expect:
        if channel in self.faulted:
            return expect(channel, self.fault)
        if self.fault == "4xx" and channel not in INCIDENT_TOOLS:
            # The refusal is a channel problem: the same run tells it through the others, once
            # (PagerDuty and the alert-source webhook take only what opens or closes an incident).
            return Expect(2, 0, ("sent",))
        return SENT

    def names_a_problem(self) -> bool:
        """A refusal for good that some other channel can carry, told by the run that met it."""
        return self.fault == "4xx" and any(
            c not in self.faulted and c not in INCIDENT_TOOLS for c in CHANNELS
        )


ROWS = [
    *(Row(f"{c} {f}", (c,), f) for c in CHANNELS for f in FAULTS),
    *(Row(f"every channel {f}", CHANNELS, f) for f in FAULTS),
    # Less time left than one hung SNS call takes (two attempts of 4 s): only the send phase's
    # own deadline gets the decision logged in time.
    Row("every channel hung, 8 s left", CHANNELS, "hung", remaining_ms=8_000),
]


@dataclass
class Countdown(Context):
    """Lambda's context: the time left shrinks as the invocation runs."""

    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms - int((time.monotonic() - self.started) * 1000)


class StampedLog(io.StringIO):
    """The function's output, each write stamped with the invocation's time left."""

    def __init__(self, context: Countdown) -> None:
        super().__init__()
        self.context = context
        self.stamps: list[tuple[int, str]] = []

    def write(self, text: str) -> int:
        self.stamps.append((self.context.get_remaining_time_in_millis(), text))
        return super().write(text)


@dataclass
class Invocation:
    log: StampedLog
    failure: BaseException | None

    def decision(self) -> tuple[int, dict[str, Any]]:
        """The one decision line, and the time left when it was written."""
        lines = [(ms, text) for ms, text in self.log.stamps if '"decision"' in text]
        assert len(lines) == 1, f"{len(lines)} decision lines"
        ms, text = lines[0]
        return ms, json.loads(text)["decision"]


def invoke(h: Harness, at: datetime, remaining_ms: int = TIMEOUT_MS) -> Invocation:
    assert h.deps is not None
    h.ultravox.set_clock(at)
    h.deps.clock = lambda: at  # the outbox's grace is judged on the schedule's clock
    context = Countdown(remaining_ms=remaining_ms)
    log = StampedLog(context)
    event = {"monitor": h.monitor, "scheduledTime": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    failure: BaseException | None = None
    with captured_function_output(log):
        try:
            lambda_handler(event, context, dependencies=h.deps)
        except Exception as error:
            failure = error
    return Invocation(log, failure)


def taken(h: Harness, channel: str) -> int:
    """How many messages the channel's service took for this monitor."""
    if channel == "email":
        return len(h.emails())
    if channel == "pagerduty":
        return len(h.pagerduty.events)
    return len(h.channels[channel].payloads)


@contextlib.contextmanager
def faulted(h: Harness, row: Row) -> Iterator[dict[str, RecordingStandin]]:
    """The row's fault on each of its channels, for the first tick only; yields the servers
    that play them (a webhook's stand-in, SNS's failing endpoint), by channel."""
    broken: dict[str, RecordingStandin] = {}
    with contextlib.ExitStack() as faults:
        for channel in row.faulted:
            if channel == "email":
                sns = _break_sns(h, row.fault, faults)
                if sns is not None:
                    broken[channel] = sns
            else:
                broken[channel] = _break_webhook(h, channel, row.fault)
        yield broken
    h.rebuild()  # SNS back to the local stack
    for channel in WEBHOOKS:
        h.channels[channel].heal()


def _break_sns(h: Harness, fault: str, faults: contextlib.ExitStack) -> FailingAwsEndpoint | None:
    if fault == "refused":
        h.rebuild(AWS_ENDPOINT_URL_SNS=refused_url())
        return None
    sns = faults.enter_context(FailingAwsEndpoint(SNS_STATUS.get(fault, 500)))
    if fault == "hung":
        sns.hang(times=100)
    h.rebuild(AWS_ENDPOINT_URL_SNS=sns.base_url)
    return sns


def _break_webhook(h: Harness, channel: str, fault: str) -> RecordingStandin:
    standin = h.channels[channel]
    match fault:
        case "hung":
            standin.hang(times=100)
        case "5xx":
            standin.respond_with(503, times=100)
        case "429":
            standin.respond_with(429, times=1, retry_after="1")
        case "4xx":
            standin.respond_with(REFUSALS[channel], times=100)
        case "refused":
            standin.stop()
    return standin


def _not_held_up(h: Harness, row: Row, broken: dict[str, RecordingStandin]) -> None:
    """A hung channel holds up no other: each healthy webhook took its message before the hung
    call could have timed out, so it did not wait for it. (Email is the registry's first
    channel: a queue behind a hung one could not delay it anyway.)"""
    hung_at = min(d.received_at for standin in broken.values() for d in standin.deliveries)
    for channel in set(WEBHOOKS) - set(row.faulted):
        (delivery,) = h.channels[channel].deliveries
        assert delivery.received_at < hung_at + timedelta(seconds=HUNG_CALL_SECONDS), channel


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "channels", "ConcurrencyLimit": "50"}) as local:
        yield local


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_channel_fault(row: Row, stack: LocalStack) -> None:
    monitor = "c-" + "".join(ch if ch.isalnum() else "-" for ch in row.name)
    with harness(stack, flat_scenario(48), monitor, channels=WEBHOOKS) as h:
        with faulted(h, row) as broken:
            first = invoke(h, FIRST, row.remaining_ms)
            after_first = {c: taken(h, c) for c in CHANNELS}
            if row.fault == "hung":
                _not_held_up(h, row, broken)
        following = invoke(h, NEXT)
        after_next = {c: taken(h, c) for c in CHANNELS}

        expected = {c: row.expected(c) for c in CHANNELS}
        assert after_first == {c: e.taken_first for c, e in expected.items()}
        assert after_next == {c: e.taken_first + e.taken_next for c, e in expected.items()}
        # A run that no channel delivered fails, so Lambda retries it; any delivery succeeds.
        assert (first.failure is not None) == (sum(after_first.values()) == 0), first.failure
        assert following.failure is None, following.failure

        left_ms, decision = first.decision()
        assert left_ms > 0, "the decision line came after the function's timeout"
        told = {n["kind"]: n for n in decision["notifications"]}
        assert (
            sorted(told) == ["channel-problem", "raised"] if row.names_a_problem() else ["raised"]
        )
        note = told["raised"]
        outcomes = {c: note[c].split(":")[0] for c in CHANNELS}
        assert {c: o for c, o in outcomes.items() if o not in expected[c].outcomes} == {}
        _, later = following.decision()
        owed_next = {c for c, e in expected.items() if e.taken_next}
        assert {c for n in later["notifications"] for c in CHANNELS if c in n} == owed_next
        assert following.decision()[0] > 0

        for text in (first.log.getvalue(), following.log.getvalue(), str(first.failure)):
            for secret in (h.api_key, *h.channels.secrets()):
                assert secret not in text
        if expected["pagerduty"].taken_first + expected["pagerduty"].taken_next:
            (incident,) = h.pagerduty.open_incidents
            assert incident.actions == ["trigger"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "https://contoso.webhook.office.com/webhookb2/0000/IncomingWebhook/1111/2222",
            "Office 365 connector URL",
        ),
        ("https://example.com/workflows/x", "not a Teams Workflows URL"),
    ],
    ids=["office-365-connector", "not-a-workflows-host"],
)
def test_a_teams_url_that_is_refused_is_said_on_the_other_channels(
    stack: LocalStack, url: str, problem: str
) -> None:
    monitor = "c-teams-" + problem.split()[0].lower()
    with harness(stack, flat_scenario(48), monitor, channels=("slack",)) as h:
        h.put("teams-webhook-url", url, secure=True)
        h.rebuild(CEILINGWATCH_TEAMS_WEBHOOK_PREFIXES="")  # Teams' own hosts, as deployed
        run = invoke(h, FIRST)
        assert run.failure is None, run.failure
        _, decision = run.decision()
        kinds = [n["kind"] for n in decision["notifications"]]
        assert sorted(kinds) == ["channel-problem", "raised"]
        said = [n for n in decision["notifications"] if n["kind"] == "channel-problem"]
        assert "teams-webhook-url" in said[0]["why"] and problem in said[0]["why"]
        assert (said[0]["email"], said[0]["slack"]) == ("sent", "sent")
        assert h.teams.attempts == 0
        assert len(h.slack.messages) == len(h.emails()) == 2
        assert url not in run.log.getvalue()
