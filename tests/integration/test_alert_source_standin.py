"""The real webhook channel against the alert-source stand-in, each format, errors included."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.webhook import WebhookChannel
from ceilingwatch.channels.webhook_formats import Format
from ceilingwatch.common.errors import PermanentChannelError
from ceilingwatch.domain.config import Secret
from ceilingwatch.domain.ports import Context

from infra.standins.alert_source import ALERTS_PATH, PATHS, AlertSourceStandin
from tests.support.builders import Replay

LINKS = {"Ultravox": "https://app.ultravox.ai/usage"}


@pytest.fixture(scope="module")
def standin() -> Iterator[AlertSourceStandin]:
    with AlertSourceStandin() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(standin: AlertSourceStandin) -> None:
    standin.clear()
    standin.signing_secret = "whsec-standin-0123456789"


def channel(standin: AlertSourceStandin, form: Format, **overrides: str) -> WebhookChannel:
    url = overrides.get("url", standin.webhook_url(form.value))
    signing = overrides.get("signing", standin.signing_secret or "")
    return WebhookChannel(
        Secret(url), Poster(), form=form, signing_secret=Secret(signing) if signing else None
    )


def an_episode() -> list:  # type: ignore[type-arg]
    replay = Replay()
    replay.run_series([10, 41, 48, 50, 30, 20, 10, 10])
    return [note for _, note in replay.sent]


@pytest.mark.parametrize("form", list(Format))
def test_an_episode_opens_and_closes_one_alert(standin: AlertSourceStandin, form: Format) -> None:
    hook = channel(standin, form)
    memory: dict[str, str] = {}
    notes = an_episode()
    for note in notes:
        memory = dict(hook.deliver(note, Context(LINKS, time.monotonic() + 10, memory)))
    (alert,) = standin.alerts
    assert alert.status == "resolved"
    assert alert.actions == ["firing"] * (len(notes) - 1) + ["resolved"]
    assert alert.key.startswith("ceilingwatch/prod/capacity/")
    assert all(d.accepted for d in standin.deliveries)
    listed = requests.get(standin.base_url + ALERTS_PATH, timeout=5).json()
    assert listed[0]["key"] == alert.key


@pytest.mark.parametrize("form", list(Format))
def test_a_bad_signature_is_refused_as_the_receiver_would(
    standin: AlertSourceStandin, form: Format
) -> None:
    hook = channel(standin, form, signing="whsec-not-the-one")
    with pytest.raises(PermanentChannelError, match=r"\(401\)"):
        hook.deliver(an_episode()[0], Context(LINKS, time.monotonic() + 10))
    assert standin.alerts == []


@pytest.mark.parametrize(
    ("form", "url"),
    [
        (Format.INCIDENT_IO, "{base}" + PATHS["incident-io"] + "?token=inc-wrong"),
        (Format.JSM_OPS, "{base}" + PATHS["jsm-ops"]),
    ],
)
def test_a_wrong_credential_is_refused_and_never_echoed(
    standin: AlertSourceStandin, form: Format, url: str
) -> None:
    hook = channel(standin, form, url=url.format(base=standin.base_url))
    with pytest.raises(PermanentChannelError) as caught:
        hook.deliver(an_episode()[0], Context(LINKS, time.monotonic() + 10))
    assert "(401)" in str(caught.value) and "inc-wrong" not in str(caught.value)


def test_unsigned_requests_pass_when_the_receiver_wants_no_signature(
    standin: AlertSourceStandin,
) -> None:
    standin.signing_secret = None
    hook = channel(standin, Format.GENERIC, signing="")
    hook.deliver(an_episode()[0], Context(LINKS, time.monotonic() + 10))
    assert len(standin.open_alerts) == 1


@pytest.mark.parametrize(
    ("form", "body", "status", "said"),
    [
        ("alertmanager", [{"labels": {"bad-name": "x"}}], 400, "invalid label"),
        ("alertmanager", {"labels": {}}, 400, "must be of type array"),
        (
            "alertmanager",
            [
                {
                    "labels": {"a": "b"},
                    "startsAt": "2026-11-24T12:00:00Z",
                    "endsAt": "2026-11-24T11:00:00Z",
                }
            ],
            400,
            "start time must be before end time",
        ),
        ("incident-io", {"status": "firing"}, 400, "title: must be provided"),
        ("incident-io", {"title": "t", "status": "open"}, 400, "status: must be one of"),
        ("jsm-ops", {"message": ""}, 422, "Message can not be empty."),
        ("jsm-ops", {"message": "m" * 131}, 422, "at most 130"),
        ("jsm-ops", {"message": "m", "priority": "P9"}, 422, "Priority should be one of"),
        ("generic", {"status": "firing"}, 400, "'schema' must be"),
    ],
)
def test_each_receiver_refuses_what_its_vendor_documents(
    standin: AlertSourceStandin, form: str, body: object, status: int, said: str
) -> None:
    standin.signing_secret = None
    url = standin.webhook_url(form)
    headers = {
        "incident-io": {"Authorization": f"Bearer {standin.token}"},
        "jsm-ops": {"Authorization": f"GenieKey {standin.api_key}"},
    }.get(form, {})
    answer = requests.post(url.split("?")[0], json=body, headers=headers, timeout=5)
    assert answer.status_code == status
    assert said in json.dumps(answer.json())
    assert standin.alerts == []
