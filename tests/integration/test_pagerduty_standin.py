"""The PagerDuty Events API v2 stand-in over real sockets: validation, incidents and faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.standins.loopback import refused_url
from infra.standins.pagerduty import INCIDENTS_PATH, PagerDutyStandin, event_problems


@pytest.fixture
def pd() -> Iterator[PagerDutyStandin]:
    with PagerDutyStandin() as running:
        yield running


def trigger(pd: PagerDutyStandin, dedup_key: str | None = "episode-1", **payload: Any) -> Any:
    event: dict[str, Any] = {
        "routing_key": pd.routing_key,
        "event_action": "trigger",
        "payload": {
            "summary": "peak 48 of 50 calls (96 %)",
            "source": "ceilingwatch/demo",
            "severity": "critical",
            **payload,
        },
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    return event


def follow_up(pd: PagerDutyStandin, action: str, dedup_key: str = "episode-1") -> Any:
    return {"routing_key": pd.routing_key, "event_action": action, "dedup_key": dedup_key}


def post(pd: PagerDutyStandin, event: Any, timeout: float = 5) -> requests.Response:
    return requests.post(pd.events_url, json=event, timeout=timeout)


def test_trigger_is_taken_with_its_dedup_key(pd: PagerDutyStandin) -> None:
    event = trigger(
        pd,
        timestamp="2026-11-24T14:35:00Z",
        component="concurrency",
        group="ultravox",
        custom_details={"peak": 48, "limit": 50},
    )
    response = post(pd, event)
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "episode-1",
    }
    assert pd.events == [event]


def test_trigger_without_dedup_key_gets_one(pd: PagerDutyStandin) -> None:
    first = post(pd, trigger(pd, dedup_key=None)).json()["dedup_key"]
    second = post(pd, trigger(pd, dedup_key=None)).json()["dedup_key"]
    assert first and second and first != second
    assert [i.dedup_key for i in pd.open_incidents] == [first, second]


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        pytest.param(
            lambda e: e.update(routing_key="short"),
            "Length of 'routing_key' is incorrect (should be 32 characters)",
            id="routing-key-31",
        ),
        pytest.param(
            lambda e: e.pop("routing_key"), "'routing_key' is missing or blank", id="no-routing-key"
        ),
        pytest.param(
            lambda e: e.update(event_action="escalate"),
            "'event_action' is invalid (must be one of trigger, acknowledge, resolve)",
            id="unknown-action",
        ),
        pytest.param(
            lambda e: e.update(dedup_key="k" * 256),
            "Length of 'dedup_key' is too long (maximum is 255 characters)",
            id="dedup-key-256",
        ),
        pytest.param(
            lambda e: e.update(dedup_key=7),
            "'dedup_key' must be a non-empty string",
            id="dedup-int",
        ),
        pytest.param(
            lambda e: e.pop("payload"),
            "'payload' is missing or not an object (required for event_action 'trigger')",
            id="no-payload",
        ),
        pytest.param(
            lambda e: e["payload"].update(summary="s" * 1025),
            "Length of 'payload.summary' is too long (maximum is 1024 characters)",
            id="summary-1025",
        ),
        pytest.param(
            lambda e: e["payload"].update(summary="  "),
            "'payload.summary' is missing or blank",
            id="blank-summary",
        ),
        pytest.param(
            lambda e: e["payload"].pop("source"),
            "'payload.source' is missing or blank",
            id="no-source",
        ),
        pytest.param(
            lambda e: e["payload"].update(severity="high"),
            "'payload.severity' is invalid (must be one of critical, error, warning, info)",
            id="unknown-severity",
        ),
        pytest.param(
            lambda e: e["payload"].update(severity="CRITICAL"),
            "'payload.severity' is invalid (must be one of critical, error, warning, info)",
            id="severity-upper-case",
        ),
        pytest.param(
            lambda e: e["payload"].update(timestamp="14:35 UTC"),
            "'payload.timestamp' is not a valid ISO 8601 timestamp",
            id="timestamp-not-iso",
        ),
        pytest.param(
            lambda e: e["payload"].update(custom_details="peak 48"),
            "'payload.custom_details' must be an object",
            id="custom-details-string",
        ),
        pytest.param(
            lambda e: e["payload"].update(component=5),
            "'payload.component' must be a string",
            id="component-int",
        ),
        pytest.param(
            lambda e: e.update(links=[{"text": "dashboard"}]),
            "'links' must be a list of objects, each with 'href'",
            id="link-without-href",
        ),
        pytest.param(
            lambda e: e.update(images=[{"src": "http://x/y.png"}]),
            "'images' must be served over https",
            id="image-over-http",
        ),
    ],
)
def test_invalid_events_get_400_with_errors(pd: PagerDutyStandin, mutate: Any, error: str) -> None:
    event = trigger(pd)
    mutate(event)
    response = post(pd, event)
    assert response.status_code == 400
    assert response.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [error],
    }
    assert (pd.attempts, pd.events, pd.incidents) == (1, [], [])


def test_every_problem_is_listed(pd: PagerDutyStandin) -> None:
    response = post(pd, {"event_action": "trigger", "payload": {"severity": "bad"}})
    assert response.json()["errors"] == [
        "'routing_key' is missing or blank",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is invalid (must be one of critical, error, warning, info)",
    ]


@pytest.mark.parametrize(
    ("timestamp", "valid"),
    [
        ("2026-11-24T14:35:00Z", True),
        ("2026-11-24T14:35:00+00:00", True),
        ("2015-07-17T08:42:58.315+0000", True),  # the documentation's own example
        ("2026-11-24", False),
        ("yesterday", False),
        (1732459200, False),
    ],
)
def test_timestamps_must_be_iso8601(pd: PagerDutyStandin, timestamp: Any, valid: bool) -> None:
    assert (event_problems(trigger(pd, timestamp=timestamp)) == []) == valid


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_follow_ups_need_a_dedup_key_but_no_payload(pd: PagerDutyStandin, action: str) -> None:
    event = follow_up(pd, action)
    assert event_problems(event) == []
    del event["dedup_key"]
    assert event_problems(event) == [f"'dedup_key' is required for event_action '{action}'"]


def test_bodies_that_are_not_events(pd: PagerDutyStandin) -> None:
    not_json = requests.post(pd.events_url, data=b"summary=hi", timeout=5)
    not_object = post(pd, ["trigger"])
    too_big = post(pd, trigger(pd, custom_details={"blob": "x" * (512 * 1024)}))
    assert [r.status_code for r in (not_json, not_object, too_big)] == [400, 400, 400]
    assert not_json.json()["errors"] == ["Event body is not valid JSON"]
    assert not_object.json()["errors"] == ["Event must be a JSON object"]
    assert "512 KB" in too_big.json()["errors"][0]
    assert pd.events == []


def test_other_paths_are_not_found(pd: PagerDutyStandin) -> None:
    response = requests.post(pd.base_url + "/v1/enqueue", json=trigger(pd), timeout=5)
    assert response.status_code == 404
    assert pd.attempts == 0


def test_incident_lifecycle_by_dedup_key(pd: PagerDutyStandin) -> None:
    post(pd, trigger(pd, severity="warning"))
    post(pd, trigger(pd, severity="critical"))  # an escalation: the same incident
    post(pd, trigger(pd, dedup_key="health-1", severity="error", summary="monitor cannot judge"))
    assert [(i.dedup_key, i.severity, i.status) for i in pd.open_incidents] == [
        ("episode-1", "critical", "triggered"),
        ("health-1", "error", "triggered"),
    ]
    post(pd, follow_up(pd, "acknowledge"))
    post(pd, follow_up(pd, "resolve"))
    assert [i.dedup_key for i in pd.open_incidents] == ["health-1"]
    episode = pd.incidents[0]
    assert (episode.status, episode.actions) == (
        "resolved",
        ["trigger", "trigger", "acknowledge", "resolve"],
    )
    assert episode.summary == "peak 48 of 50 calls (96 %)"


def test_a_trigger_after_a_resolve_opens_a_new_incident(pd: PagerDutyStandin) -> None:
    post(pd, trigger(pd))
    post(pd, follow_up(pd, "resolve"))
    post(pd, trigger(pd))
    assert [(i.dedup_key, i.status) for i in pd.incidents] == [
        ("episode-1", "resolved"),
        ("episode-1", "triggered"),
    ]


def test_a_resolve_for_nothing_open_is_taken_and_dropped(pd: PagerDutyStandin) -> None:
    assert post(pd, follow_up(pd, "resolve", "never-triggered")).status_code == 202
    assert pd.incidents == []
    assert len(pd.events) == 1


def test_another_routing_key_opens_no_incident_of_this_integration(pd: PagerDutyStandin) -> None:
    event = trigger(pd)
    event["routing_key"] = "R" * 32
    assert post(pd, event).status_code == 202
    assert pd.incidents == []


def test_incidents_listing(pd: PagerDutyStandin) -> None:
    post(pd, trigger(pd))
    listing = requests.get(pd.base_url + INCIDENTS_PATH, timeout=5)
    assert [(i["dedup_key"], i["status"], i["actions"]) for i in listing.json()] == [
        ("episode-1", "triggered", ["trigger"])
    ]


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, "throttle event"), (500, "error"), (502, "error"), (503, "error"), (403, "error")],
)
def test_scripted_errors_take_nothing(pd: PagerDutyStandin, status: int, kind: str) -> None:
    pd.respond_with(status, retry_after="2" if status == 429 else None)
    response = post(pd, trigger(pd))
    assert response.status_code == status
    assert response.json()["status"] == kind
    assert response.headers.get("Retry-After") == ("2" if status == 429 else None)
    assert (pd.attempts, pd.events, pd.incidents) == (1, [], [])
    assert post(pd, trigger(pd)).status_code == 202, "one use only"
    assert len(pd.open_incidents) == 1


def test_hung_takes_the_request_and_never_answers(pd: PagerDutyStandin) -> None:
    pd.hang()
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(pd, trigger(pd), timeout=0.3)
    assert pd.attempts == 1
    assert [d.status for d in pd.deliveries] == [None]
    assert (pd.events, pd.incidents) == ([], [])
    assert post(pd, trigger(pd)).status_code == 202, "one use only"


def test_slow_answer_still_opens_the_incident(pd: PagerDutyStandin) -> None:
    pd.respond_with(202, delay=2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(pd, trigger(pd), timeout=0.2)
    assert [i.dedup_key for i in pd.open_incidents] == ["episode-1"]


def test_connection_refused_on_a_closed_port(pd: PagerDutyStandin) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(refused_url("/v2/enqueue"), json=trigger(pd), timeout=5)


def test_clear_forgets_events_incidents_and_faults(pd: PagerDutyStandin) -> None:
    post(pd, trigger(pd))
    pd.respond_with(500, times=3)
    pd.clear()
    assert (pd.attempts, pd.events, pd.incidents) == (0, [], [])
    assert post(pd, trigger(pd)).status_code == 202


def test_routing_keys_differ_per_stand_in() -> None:
    with PagerDutyStandin() as one, PagerDutyStandin() as other:
        assert one.routing_key != other.routing_key
        assert len(one.routing_key) == 32
        assert json.loads(post(one, trigger(one)).text)["status"] == "success"


SNAPSHOTS = sorted((Path(__file__).parents[1] / "unit" / "snapshots").glob("pagerduty-*.json"))


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_every_event_the_channel_sends_is_taken(pd: PagerDutyStandin, snapshot: Path) -> None:
    """The channel's snapshotted events against the stand-in: neither side may drift alone."""
    event = {"routing_key": pd.routing_key, **json.loads(snapshot.read_text(encoding="utf-8"))}
    response = post(pd, event)
    assert (response.status_code, response.json().get("errors")) == (202, None)


def test_there_are_snapshots_to_check() -> None:
    assert len(SNAPSHOTS) >= 10
