"""The Teams Workflows webhook stand-in over real sockets: card validation, recording, faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.standins.loopback import refused_url
from infra.standins.teams import CARDS_PATH, TeamsStandin, card_lines, message_problems


@pytest.fixture
def teams() -> Iterator[TeamsStandin]:
    with TeamsStandin() as running:
        yield running


def card(*body: dict[str, Any], version: str = "1.5", **extra: Any) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": version, "body": list(body), **extra}


def message(*cards: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": c} for c in cards
        ],
    }


def text(value: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True}


def facts(*pairs: tuple[Any, Any]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def post(teams: TeamsStandin, body: Any, timeout: float = 5) -> requests.Response:
    return requests.post(teams.webhook_url, json=body, timeout=timeout)


ALERT = card(
    text("CRITICAL: 48 of 50 calls"),
    facts(("Peak", "48 calls at 14:35 UTC"), ("Headroom", "2 calls")),
    {"type": "Container", "items": [text("trend rising")]},
    {"type": "ColumnSet", "columns": [{"type": "Column", "items": [text("left")]}]},
    actions=[{"type": "Action.OpenUrl", "title": "Dashboard", "url": "https://example.test/d"}],
)


def test_a_card_is_taken_with_202_and_recorded(teams: TeamsStandin) -> None:
    response = post(teams, message(ALERT))
    assert (response.status_code, response.text) == (202, "")
    assert teams.cards == [ALERT]
    assert list(card_lines(ALERT)) == [
        "CRITICAL: 48 of 50 calls",
        "Peak: 48 calls at 14:35 UTC",
        "Headroom: 2 calls",
        "trend rising",
        "left",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(["message"], "the body must be a JSON object", id="not-an-object"),
        pytest.param(
            {**message(ALERT), "type": "MessageCard"}, "type must be 'message'", id="type"
        ),
        pytest.param(
            {"type": "message", "attachments": []},
            "attachments must be a non-empty list",
            id="no-attachments",
        ),
        pytest.param(
            {"type": "message", "text": "hello"},
            "attachments must be a non-empty list",
            id="text-only-like-o365-connectors",
        ),
        pytest.param(
            {"type": "message", "attachments": [{"contentType": "text/plain", "content": ALERT}]},
            "attachments[0].contentType must be 'application/vnd.microsoft.card.adaptive'",
            id="content-type",
        ),
        pytest.param(
            message({**ALERT, "type": "MessageCard"}),
            "attachments[0].content.type must be 'AdaptiveCard'",
            id="card-type",
        ),
        pytest.param(
            message({"type": "AdaptiveCard", "body": []}),
            "attachments[0].content.version must be a string such as '1.5'",
            id="no-version",
        ),
        pytest.param(
            message(card(version="1.6")),
            "attachments[0].content.version 1.6 is above what Teams renders (1.5)",
            id="version-1.6",
        ),
        pytest.param(
            message(card(version="1")),
            "attachments[0].content.version must be a string such as '1.5'",
            id="version-1",
        ),
        pytest.param(
            message({**card(), "body": {"type": "TextBlock"}}),
            "attachments[0].content.body must be a list",
            id="body-not-a-list",
        ),
        pytest.param(
            message(card({"type": "Banner"})),
            "attachments[0].content.body[0]: unknown type 'Banner'",
            id="unknown-element",
        ),
        pytest.param(
            message(card({"type": "TextBlock"})),
            "attachments[0].content.body[0].text is required",
            id="text-missing",
        ),
        pytest.param(
            message(card(text(5))),
            "attachments[0].content.body[0].text must be a string",
            id="text-not-a-string",
        ),
        pytest.param(
            message(card(facts(("Peak", 48)))),
            "attachments[0].content.body[0].facts[0] must have a string title and value",
            id="fact-value-int",
        ),
        pytest.param(
            message(card({"type": "Container", "items": [{"type": "Image"}]})),
            "attachments[0].content.body[0].items[0].url is required",
            id="nested-image-url",
        ),
        pytest.param(
            message(card({"type": "ColumnSet", "columns": [{"type": "TextBlock"}]})),
            "attachments[0].content.body[0].columns[0].type must be 'Column'",
            id="column-type",
        ),
        pytest.param(
            message(card(actions=[{"type": "Action.OpenUrl", "title": "x"}])),
            "attachments[0].content.actions[0].url is required",
            id="open-url-without-url",
        ),
        pytest.param(
            message(card(actions=[{"type": "Action.Http"}])),
            "attachments[0].content.actions[0]: unknown type 'Action.Http'",
            id="unknown-action",
        ),
        pytest.param(
            message(card(actions=[{"type": "Action.ShowCard", "card": {"type": "AdaptiveCard"}}])),
            None,
            id="show-card-needs-no-version",
        ),
        pytest.param(
            message(card(actions=[{"type": "Action.ShowCard", "card": {"type": "Card"}}])),
            "attachments[0].content.actions[0].card.type must be 'AdaptiveCard'",
            id="show-card-type",
        ),
    ],
)
def test_validates_the_message_and_its_card(
    teams: TeamsStandin, body: Any, problem: str | None
) -> None:
    response = post(teams, body)
    if problem is None:
        assert response.status_code == 202
        return
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "InvalidRequestContent", "message": problem}}
    assert message_problems(body) == [problem]
    assert (teams.attempts, teams.cards) == (1, [])


def test_two_cards_in_one_message(teams: TeamsStandin) -> None:
    second = card(text("second"), version="1.2")
    assert post(teams, message(ALERT, second)).status_code == 202
    assert teams.cards == [ALERT, second]


def test_a_message_over_28_kb_is_too_large(teams: TeamsStandin) -> None:
    at_limit = message(card(text("")))
    at_limit["attachments"][0]["content"]["body"][0]["text"] = "x" * (
        28 * 1024 - len(json.dumps(at_limit))
    )
    assert post(teams, at_limit).status_code == 202
    over = message(card(text("x" * 28 * 1024)))
    response = post(teams, over)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "RequestEntityTooLarge"
    assert len(teams.cards) == 1


def test_body_that_is_not_json(teams: TeamsStandin) -> None:
    response = requests.post(teams.webhook_url, data=b"text=hello", timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "the body is not JSON"


def test_the_url_must_arrive_whole(teams: TeamsStandin) -> None:
    """The signature in the query string is the credential: a client that drops it is refused."""
    without_query = teams.webhook_url.split("?")[0]
    wrong_sig = teams.webhook_url.rsplit("sig=", 1)[0] + "sig=forged"
    for url in (without_query, wrong_sig):
        response = requests.post(url, json=message(ALERT), timeout=5)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "DirectApiAuthorizationRequired"
    other_workflow = teams.webhook_url.replace(teams.workflow_id, "0" * 32)
    assert requests.post(other_workflow, json=message(ALERT), timeout=5).status_code == 404
    assert teams.cards == []


def test_webhook_url_looks_like_a_workflow_trigger(teams: TeamsStandin) -> None:
    assert teams.webhook_url.startswith(f"{teams.base_url}/workflows/{teams.workflow_id}/")
    assert "/triggers/manual/paths/invoke?api-version=" in teams.webhook_url
    with TeamsStandin() as other:
        assert other.webhook_url.split("sig=")[1] != teams.webhook_url.split("sig=")[1]


@pytest.mark.parametrize("status", [400, 403, 404, 429, 500, 502, 503])
def test_scripted_errors_post_nothing(teams: TeamsStandin, status: int) -> None:
    teams.respond_with(status, retry_after="3" if status == 429 else None)
    response = post(teams, message(ALERT))
    assert response.status_code == status
    assert "code" in response.json()["error"]
    assert response.headers.get("Retry-After") == ("3" if status == 429 else None)
    assert (teams.attempts, teams.cards) == (1, [])
    assert post(teams, message(ALERT)).status_code == 202, "one use only"
    assert teams.cards == [ALERT]


def test_hung_never_answers_and_posts_nothing(teams: TeamsStandin) -> None:
    teams.hang(times=2)
    for _ in range(2):
        with pytest.raises(requests.exceptions.ReadTimeout):
            post(teams, message(ALERT), timeout=0.3)
    assert [d.status for d in teams.deliveries] == [None, None]
    assert teams.cards == []
    assert post(teams, message(ALERT)).status_code == 202


def test_slow_answer_still_posts(teams: TeamsStandin) -> None:
    teams.respond_with(202, delay=2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(teams, message(ALERT), timeout=0.2)
    assert teams.cards == [ALERT]


def test_connection_refused_on_a_closed_port() -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(refused_url("/workflows/x"), json=message(ALERT), timeout=5)


def test_cards_listing_and_clear(teams: TeamsStandin) -> None:
    post(teams, message(ALERT))
    assert requests.get(teams.base_url + CARDS_PATH, timeout=5).json() == [ALERT]
    teams.respond_with(500, times=2)
    teams.clear()
    assert (teams.attempts, teams.cards) == (0, [])
    assert post(teams, message(ALERT)).status_code == 202


SNAPSHOTS = sorted((Path(__file__).parents[1] / "unit" / "snapshots").glob("teams-*.json"))


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_every_card_the_channel_sends_is_posted(teams: TeamsStandin, snapshot: Path) -> None:
    """The channel's snapshotted messages against the stand-in: neither side may drift alone."""
    body = json.loads(snapshot.read_text(encoding="utf-8"))
    response = post(teams, body)
    assert (response.status_code, response.text) == (202, "")
    assert teams.cards == [a["content"] for a in body["attachments"]]


def test_there_are_snapshots_to_check() -> None:
    assert len(SNAPSHOTS) >= 10
