"""The Slack webhook stand-in over real sockets: validation, recording and scripted failures."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from infra.standins.slack_catcher import DEFAULT_WEBHOOK_PATH, SlackCatcher, block_problems


@pytest.fixture
def catcher() -> Iterator[SlackCatcher]:
    with SlackCatcher() as running:
        yield running


def post(catcher: SlackCatcher, payload: Any, timeout: float = 5) -> requests.Response:
    return requests.post(catcher.webhook_url(), json=payload, timeout=timeout)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": "header", "text": {"type": kind, "text": text}}


def context(elements: int) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * elements}


def fields(count: int, length: int = 10) -> dict[str, Any]:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * length}] * count}


@pytest.mark.parametrize(
    ("payload", "status", "body"),
    [
        pytest.param({"text": "hello"}, 200, "ok", id="text"),
        pytest.param(
            {"text": "t", "blocks": [section("s"), {"type": "divider"}]},
            200,
            "ok",
            id="text+blocks",
        ),
        pytest.param({"blocks": [section("s")]}, 200, "ok", id="blocks-only"),
        pytest.param(
            {"text": "t", "blocks": [section("s" * 3000)]}, 200, "ok", id="section-at-3000"
        ),
        pytest.param({"text": "t", "blocks": [header("h" * 150)]}, 200, "ok", id="header-at-150"),
        pytest.param({"text": "t", "blocks": [section("s")] * 50}, 200, "ok", id="50-blocks"),
        pytest.param(
            {"text": "t", "blocks": [fields(10, 2000), context(10)]}, 200, "ok", id="fields"
        ),
        pytest.param({}, 400, "invalid_payload", id="neither-text-nor-blocks"),
        pytest.param({"text": ""}, 400, "invalid_payload", id="empty-text"),
        pytest.param({"text": 5}, 400, "invalid_payload", id="text-not-a-string"),
        pytest.param(["text"], 400, "invalid_payload", id="not-an-object"),
        pytest.param(
            {"text": "t", "blocks": [section("s")] * 51}, 400, "invalid_blocks", id="51-blocks"
        ),
        pytest.param(
            {"text": "t", "blocks": [section("s" * 3001)]}, 400, "invalid_blocks", id="section-3001"
        ),
        pytest.param(
            {"text": "t", "blocks": [section("")]}, 400, "invalid_blocks", id="section-empty"
        ),
        pytest.param(
            {"text": "t", "blocks": [header("h" * 151)]}, 400, "invalid_blocks", id="header-151"
        ),
        pytest.param(
            {"text": "t", "blocks": [header("h", "mrkdwn")]},
            400,
            "invalid_blocks",
            id="header-mrkdwn",
        ),
        pytest.param(
            {"text": "t", "blocks": [{"type": "banner"}]}, 400, "invalid_blocks", id="unknown-type"
        ),
        pytest.param(
            {"text": "t", "blocks": [{"type": "section"}]},
            400,
            "invalid_blocks",
            id="empty-section",
        ),
        pytest.param({"text": "t", "blocks": [fields(11)]}, 400, "invalid_blocks", id="11-fields"),
        pytest.param(
            {"text": "t", "blocks": [fields(1, 2001)]}, 400, "invalid_blocks", id="field-2001"
        ),
        pytest.param(
            {"text": "t", "blocks": [context(11)]}, 400, "invalid_blocks", id="context-11"
        ),
        pytest.param(
            {"text": "t", "blocks": [{"type": "divider", "block_id": "b" * 256}]},
            400,
            "invalid_blocks",
            id="block-id-256",
        ),
        pytest.param(
            {"text": "t", "blocks": {"type": "divider"}},
            400,
            "invalid_blocks",
            id="blocks-not-a-list",
        ),
    ],
)
def test_validates_like_slack(catcher: SlackCatcher, payload: Any, status: int, body: str) -> None:
    response = post(catcher, payload)
    assert (response.status_code, response.text) == (status, body)
    assert catcher.attempts == 1
    assert catcher.messages == ([payload] if status == 200 else [])
    assert (block_problems(payload) == []) == (body != "invalid_blocks")


def test_body_that_is_not_json(catcher: SlackCatcher) -> None:
    response = requests.post(catcher.webhook_url(), data=b"text=hello", timeout=5)
    assert (response.status_code, response.text) == (400, "invalid_payload")
    assert (catcher.attempts, catcher.messages) == (1, [])


def test_records_messages_in_order_and_serves_them(catcher: SlackCatcher) -> None:
    sent = [{"text": f"message {i}"} for i in range(3)]
    for payload in sent:
        post(catcher, payload)
    post(catcher, {})  # refused: an attempt, not a message
    assert catcher.messages == sent
    assert catcher.attempts == 4
    listing = requests.get(catcher.base_url + "/_catcher/messages", timeout=5)
    assert listing.headers["Content-Type"] == "application/json"
    assert listing.json() == sent


def test_flags_blocks_without_top_level_text(catcher: SlackCatcher) -> None:
    post(catcher, {"blocks": [section("only blocks")]})
    post(catcher, {"text": "fallback", "blocks": [section("both")]})
    post(catcher, {"text": "text only"})
    assert [d.blocks_without_text for d in catcher.deliveries] == [True, False, False]


def test_webhook_url_and_paths(catcher: SlackCatcher) -> None:
    assert catcher.webhook_url() == catcher.base_url + DEFAULT_WEBHOOK_PATH
    other = catcher.webhook_url("/services/T1/B2/other")
    assert requests.post(other, json={"text": "x"}, timeout=5).status_code == 200
    assert catcher.deliveries[-1].path == "/services/T1/B2/other"
    # Anything that is not a webhook path is what a mistyped URL gets from Slack.
    response = requests.post(catcher.base_url + "/hooks/x", json={"text": "x"}, timeout=5)
    assert (response.status_code, response.text) == (404, "no_service")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, "invalid_payload"),
        (403, "action_prohibited"),
        (404, "no_service"),
        (410, "channel_is_archived"),
        (429, "rate_limited"),
        (500, "internal_error"),
    ],
)
def test_respond_with_slack_errors(catcher: SlackCatcher, status: int, body: str) -> None:
    catcher.respond_with(status)
    response = post(catcher, {"text": "hi"})
    assert (response.status_code, response.text) == (status, body)
    assert (catcher.attempts, catcher.messages) == (1, [])
    assert post(catcher, {"text": "hi"}).status_code == 200, "one use only"
    assert catcher.messages == [{"text": "hi"}]


def test_respond_with_retry_after_custom_body_and_times(catcher: SlackCatcher) -> None:
    catcher.respond_with(429, times=2, retry_after="3", body="slow down")
    catcher.respond_with(500)
    answers = [post(catcher, {"text": "x"}) for _ in range(4)]
    assert [(r.status_code, r.headers.get("Retry-After"), r.text) for r in answers] == [
        (429, "3", "slow down"),
        (429, "3", "slow down"),
        (500, None, "internal_error"),
        (200, None, "ok"),
    ]
    assert catcher.attempts == 4
    assert len(catcher.messages) == 1


def test_slow_success_still_delivers(catcher: SlackCatcher) -> None:
    """Like Slack, a message is posted even when the client gives up waiting: a retry duplicates."""
    catcher.respond_with(200, delay=2)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(catcher, {"text": "late"}, timeout=0.2)
    assert time.monotonic() - started < 1
    post(catcher, {"text": "late"})
    assert catcher.messages == [{"text": "late"}, {"text": "late"}]


def test_slow_success_answers_ok_after_the_delay(catcher: SlackCatcher) -> None:
    catcher.respond_with(200, delay=0.3)
    started = time.monotonic()
    assert post(catcher, {"text": "x"}).text == "ok"
    assert time.monotonic() - started >= 0.3


def test_scripted_success_does_not_skip_validation(catcher: SlackCatcher) -> None:
    catcher.respond_with(200)
    assert post(catcher, {}).status_code == 400


def test_clear(catcher: SlackCatcher) -> None:
    catcher.respond_with(500, times=3)
    post(catcher, {"text": "x"})
    catcher.clear()
    assert (catcher.attempts, catcher.messages) == (0, [])
    assert post(catcher, {"text": "x"}).status_code == 200


def test_messages_listing_is_json_even_when_empty(catcher: SlackCatcher) -> None:
    listing = requests.get(catcher.base_url + "/_catcher/messages", timeout=5)
    assert json.loads(listing.text) == []
