"""The alert-source webhook: one key per episode in each format, signatures, credentials."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from ceilingwatch.channels import webhook
from ceilingwatch.channels.base import Wiring, stream_of
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookChannel
from ceilingwatch.channels.webhook_formats import Format, Status, alert_event
from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.severity import Severity

from tests.support.builders import config, notification
from tests.unit.adapters.test_adapters_http import FakeTime, ScriptedSession, answer
from tests.unit.channels.test_channels import episode
from tests.unit.conftest import Snapshot
from tests.unit.domain.test_messages import LINKS, NOTES

DOCS = Path(__file__).parents[3] / "docs" / "channels.md"
KEY = "ceilingwatch/prod/capacity/20261124T1200Z"
SIGNING = "whsec-0123456789abcdef"
URLS = {
    Format.GENERIC: "https://hooks.example.com/in/abc123",
    Format.INCIDENT_IO: "https://api.incident.io/v2/alert_events/http/01HZ?token=inc-t0k3n",
    Format.ALERTMANAGER: "https://am.example.com/api/v2/alerts",
    Format.JSM_OPS: "https://api.atlassian.com/jsm/ops/integration/v2/alerts?apiKey=jsm-k3y",
}


class Webhook:
    """The channel over a scripted session: what it posted, and its memory between calls."""

    def __init__(self, form: Format, *, signing: str | None = None, answers: int = 8) -> None:
        self.session, self.time = (
            ScriptedSession([answer(202, {}) for _ in range(answers)]),
            FakeTime(),
        )
        poster = Poster(self.session, sleep=self.time.sleep, clock=self.time.clock)  # type: ignore[arg-type]
        self.channel = WebhookChannel(
            Secret(URLS[form]),
            poster,
            form=form,
            signing_secret=Secret(signing) if signing else None,
            clock=lambda: 1764000000.0,
        )
        self.memory: dict[str, str] = {}

    def deliver(self, note: Notification) -> None:
        context = Context({"Ultravox": "https://app.ultravox.ai"}, 25.0, self.memory)
        self.memory = dict(self.channel.deliver(note, context))

    def bodies(self) -> list[Any]:
        return [json.loads(call["data"]) for call in self.session.calls]


# What the webhook takes: what an alert fires and resolves for, and the test.
TAKEN = sorted(n for n, note in NOTES.items() if stream_of(note) or note.kind is Kind.TEST)


@pytest.mark.parametrize("form", list(Format))
@pytest.mark.parametrize("name", TAKEN)
def test_webhook_payload(name: str, form: Format, snapshot: Snapshot) -> None:
    note = NOTES[name]
    status = (
        Status.RESOLVED if note.kind in (Kind.RESOLVED, Kind.MONITOR_RECOVERED) else Status.FIRING
    )
    request = alert_event(form, note, KEY, status, LINKS)
    snapshot.assert_match(
        f"webhook-{form.value}-{name}.json", {"path": request.path, "body": request.body}
    )


def _key_of(form: Format, body: Any) -> str:
    match form:
        case Format.INCIDENT_IO:
            return str(body["deduplication_key"])
        case Format.ALERTMANAGER:
            return str(body[0]["labels"]["dedup_key"])
        case Format.JSM_OPS:
            return str(body.get("alias", ""))
        case _:
            return str(body["dedup_key"])


@pytest.mark.parametrize("form", list(Format))
def test_one_key_per_episode_from_the_first_firing_to_the_resolve(form: Format) -> None:
    notes = episode()
    hook = Webhook(form)
    for name in ("raised-WARNING", "escalated-CRITICAL", "escalated-AT_LIMIT", "resolved-OK"):
        hook.deliver(notes[name])
    again = replace(
        notes["raised-WARNING"],
        at=notes["resolved-OK"].at + timedelta(hours=2),
        opened_at=notes["resolved-OK"].at + timedelta(hours=2),
    )
    hook.deliver(again)
    calls = hook.session.calls
    keys = [_key_of(form, body) for body in hook.bodies()]
    first = keys[0]
    assert first.startswith("ceilingwatch/prod/capacity/")
    if form is Format.JSM_OPS:
        # The close names the alert by its alias in the path.
        close = urlsplit(calls[3]["url"])
        assert close.path.endswith(
            "/alerts/ceilingwatch%2Fprod%2Fcapacity%2F" + first.split("/")[-1] + "/close"
        )
        assert dict(parse_qsl(close.query)) == {"identifierType": "alias"}
        assert keys[:3] == [first] * 3
    else:
        assert keys[:4] == [first] * 4
    assert keys[4] != first and keys[4].startswith("ceilingwatch/prod/capacity/")
    assert hook.memory == {"capacity": keys[4]}


def test_statuses_and_alertmanager_endsat() -> None:
    notes = episode()
    for form, status_of in (
        (Format.GENERIC, lambda b: b["status"]),
        (Format.INCIDENT_IO, lambda b: b["status"]),
    ):
        hook = Webhook(form)
        hook.deliver(notes["raised-WARNING"])
        hook.deliver(notes["resolved-OK"])
        assert [status_of(b) for b in hook.bodies()] == ["firing", "resolved"]
    hook = Webhook(Format.ALERTMANAGER)
    hook.deliver(notes["raised-WARNING"])
    hook.deliver(notes["resolved-OK"])
    fired, resolved = (b[0] for b in hook.bodies())
    assert fired["labels"] == resolved["labels"]  # the same alert, by Alertmanager's identity
    assert fired["endsAt"] > notes["raised-WARNING"].at.isoformat()
    assert resolved["endsAt"] == notes["resolved-OK"].at.isoformat()


def test_a_resolve_goes_only_where_the_raise_went() -> None:
    hook = Webhook(Format.GENERIC)
    hook.deliver(episode()["resolved-OK"])  # no raise was told to this channel
    assert hook.session.calls == [] and hook.memory == {}


def test_a_broken_monitor_never_resolves_a_capacity_alert() -> None:
    hook = Webhook(Format.GENERIC)
    hook.deliver(episode()["escalated-CRITICAL"])
    hook.deliver(notification(kind=Kind.MONITOR_ERROR, severity=Severity.ERROR, reading=None))
    hook.deliver(notification(kind=Kind.MONITOR_RECOVERED, severity=Severity.CRITICAL))
    capacity, health, recovered = hook.bodies()
    assert health["dedup_key"] != capacity["dedup_key"] == hook.memory["capacity"]
    assert (recovered["status"], recovered["dedup_key"]) == ("resolved", health["dedup_key"])


def test_a_test_fires_and_resolves_its_own_key() -> None:
    hook = Webhook(Format.GENERIC)
    hook.deliver(notification(kind=Kind.TEST, severity=Severity.TEST))
    fired, resolved = hook.bodies()
    assert fired["dedup_key"] == resolved["dedup_key"] and "/test/" in fired["dedup_key"]
    assert (fired["status"], resolved["status"]) == ("firing", "resolved")
    assert hook.memory == {}


@pytest.mark.parametrize(
    ("form", "header"),
    [(Format.INCIDENT_IO, "Bearer inc-t0k3n"), (Format.JSM_OPS, "GenieKey jsm-k3y")],
)
def test_a_credential_in_the_url_travels_in_the_header_only(form: Format, header: str) -> None:
    hook = Webhook(form)
    hook.deliver(episode()["raised-WARNING"])
    (call,) = hook.session.calls
    assert call["headers"]["Authorization"] == header
    secret = header.split()[1]
    assert secret not in call["url"] and secret not in call["data"].decode()


def _documented_verifier() -> Any:
    text = DOCS.read_text(encoding="utf-8")
    (snippet,) = re.findall(r"```python\n(.*?)```", text[text.index("Signed requests") :], re.S)[:1]
    lines = [line for line in snippet.splitlines() if line.strip()]
    assert len(lines) == 5, "the docs promise a five-line check"
    scope: dict[str, Any] = {}
    exec(snippet, scope)  # noqa: S102 - our own documentation's snippet, run as a reader would
    return scope["verified"]


def test_a_signed_request_passes_the_documented_five_line_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = Webhook(Format.GENERIC, signing=SIGNING)
    hook.deliver(episode()["raised-WARNING"])
    (call,) = hook.session.calls
    stamp, signature = call["headers"][TIMESTAMP_HEADER], call["headers"][SIGNATURE_HEADER]
    assert stamp == "1764000000" and re.fullmatch(r"v1=[0-9a-f]{64}", signature)
    verified = _documented_verifier()
    import time as clock

    monkeypatch.setattr(clock, "time", lambda: 1764000010.0)
    assert verified(SIGNING.encode(), stamp, call["data"], signature)
    assert not verified(SIGNING.encode(), stamp, call["data"] + b" ", signature)  # body changed
    assert not verified(b"another secret", stamp, call["data"], signature)
    assert not verified(SIGNING.encode(), "1764000001", call["data"], signature)  # time changed
    monkeypatch.setattr(clock, "time", lambda: 1764000000.0 + 3600)
    assert not verified(SIGNING.encode(), stamp, call["data"], signature)  # replayed an hour late


def test_unsigned_without_a_signing_secret() -> None:
    hook = Webhook(Format.GENERIC)
    hook.deliver(episode()["raised-WARNING"])
    (call,) = hook.session.calls
    assert TIMESTAMP_HEADER not in call["headers"] and SIGNATURE_HEADER not in call["headers"]


def test_a_plain_http_url_is_refused_never_echoed() -> None:
    url = "http://hooks.example.com/in/s3cr3t-path"
    built = webhook.build(config(webhook_url=url), Wiring(Settings("t", "a"), lambda: None))
    assert built == "webhook-url is not an https URL"


def test_an_unknown_format_names_the_parameter_and_the_choices() -> None:
    with pytest.raises(ConfigurationError) as caught:
        config(webhook_url=URLS[Format.GENERIC], webhook_format="opsgenie")
    assert "webhook-format" in str(caught.value) and "incident-io" in str(caught.value)


def test_pagerduty_and_the_webhook_share_the_episodes_key_whatever_they_heard_first() -> None:
    from tests.unit.channels.test_channels import PagerDuty, accepted

    notes = episode()
    hook, pd = Webhook(Format.GENERIC), PagerDuty(accepted(2))
    hook.deliver(notes["raised-WARNING"])  # the webhook at once
    pd.deliver(notes["escalated-CRITICAL"])  # PagerDuty only from CRITICAL (or after a delay)
    assert hook.bodies()[0]["dedup_key"] == pd.events()[0]["dedup_key"]
    assert notes["escalated-CRITICAL"].at > notes["raised-WARNING"].at
