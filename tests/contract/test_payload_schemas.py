"""Every channel's payload snapshots through the schema its receiver publishes.

Adaptive Cards 1.5 (Teams) and PagerDuty's Events v2 OpenAPI come from the shared schemas folder
beside the repository (never copied in: the test skips, saying so, where it is absent);
Slack's payloads go through slack_sdk's Block Kit models and Slack's limits; Amazon Q's custom
notification, Alertmanager's postableAlerts, incident.io's alert event, JSM Ops' bodies and our
own generic body through the schemas of their documented fields in tests/contract/schemas/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from slack_sdk.models.blocks import Block

ROOT = Path(__file__).parents[2]
SNAPSHOTS = ROOT / "tests" / "unit" / "snapshots"
OURS = Path(__file__).parent / "schemas"
SLACK_TEXT_LIMIT = 40_000  # chat.postMessage's text; Block Kit's own limits are in the models
SLACK_BLOCK_LIMIT = 50
SUBJECT_LIMIT = 99  # SNS: "less than 100 characters"


def shared_schemas() -> Path | None:
    """`shared/schemas` beside the repository or one of its parents (CI: ../shared/schemas)."""
    for parent in ROOT.parents:
        if (parent / "shared" / "schemas").is_dir():
            return parent / "shared" / "schemas"
    return None


SHARED = shared_schemas()
needs_shared = pytest.mark.skipif(
    SHARED is None, reason=f"no shared/schemas beside {ROOT}: third parties' schemas unavailable"
)


def ours(name: str) -> Draft202012Validator:
    schema = json.loads((OURS / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def problems(validator: Any, value: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)
    ]


def snapshots(prefix: str) -> list[Any]:
    found = sorted(SNAPSHOTS.glob(f"{prefix}*.json"))
    assert found, f"no {prefix} snapshots"
    return [pytest.param(path, id=path.stem) for path in found]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- Teams: Adaptive Cards 1.5 ----------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("path", snapshots("teams-"))
def test_teams_cards_are_adaptive_cards_1_5(path: Path) -> None:
    assert SHARED is not None
    schema = json.loads((SHARED / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
    (attachment,) = load(path)["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = dict(attachment["content"])
    # Teams' documented extension, which the card schema does not define: reported apart.
    assert card.pop("msteams") == {"width": "Full"}
    assert problems(Draft7Validator(schema), card) == []


# --- PagerDuty: Events API v2 ------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("path", snapshots("pagerduty-"))
def test_pagerduty_events_match_the_events_v2_openapi(path: Path) -> None:
    assert SHARED is not None
    document = json.loads((SHARED / "pagerduty-events-v2.openapi.json").read_text(encoding="utf-8"))
    body = "#/paths/~1enqueue/post/requestBody/content/application~1json/schema"
    validator = Draft7Validator({**document, "$ref": body}, format_checker=FormatChecker())
    event = {"routing_key": "R0UT1NGKEY0123456789abcdef012345", **load(path)}
    assert problems(validator, event) == []


# --- Slack: Block Kit models and limits ---------------------------------------------------------


def slack_messages(payload: Any) -> Iterator[dict[str, Any]]:
    """The messages of a webhook payload, or of the app's Web API calls."""
    if isinstance(payload, dict):
        yield payload
        return
    for _method, arguments in payload:
        if "blocks" in arguments or "text" in arguments:
            yield arguments


@pytest.mark.parametrize("path", snapshots("slack-"))
def test_slack_messages_pass_block_kit_and_its_limits(path: Path) -> None:
    for message in slack_messages(load(path)):
        assert len(message.get("text", "")) <= SLACK_TEXT_LIMIT
        blocks = message.get("blocks", [])
        assert len(blocks) <= SLACK_BLOCK_LIMIT
        for block in Block.parse_all(blocks):
            block.validate_json()  # raises SlackObjectFormationError past a limit
        assert [b.to_dict()["type"] for b in Block.parse_all(blocks)] == [b["type"] for b in blocks]


# --- Email: SNS's subject ------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SNAPSHOTS.glob("email-*.txt")), ids=lambda p: p.stem)
def test_email_subjects_fit_sns(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    subject = first.removeprefix("Subject: ")
    assert 0 < len(subject) <= SUBJECT_LIMIT and subject.isascii() and subject.isprintable()


# --- the schemas of documented fields, our own ---------------------------------------------------

WEBHOOK_SCHEMAS: dict[str, Callable[[dict[str, Any]], str]] = {
    "webhook-generic-": lambda snap: "ceilingwatch-generic-alert",
    "webhook-incident-io-": lambda snap: "incident-io-alert-event",
    "webhook-alertmanager-": lambda snap: "alertmanager-postable-alerts",
    "webhook-jsm-ops-": lambda snap: (
        "jsm-ops-close-alert" if snap["path"] else "jsm-ops-create-alert"
    ),
}


@pytest.mark.parametrize("path", snapshots("chatbot-"))
def test_amazon_q_notifications_match_the_custom_notification_schema(path: Path) -> None:
    assert problems(ours("amazon-q-custom-notification"), load(path)) == []


@pytest.mark.parametrize("path", snapshots("webhook-"))
def test_webhook_bodies_match_their_receivers_schemas(path: Path) -> None:
    snap = load(path)
    (schema,) = [
        pick(snap) for prefix, pick in WEBHOOK_SCHEMAS.items() if path.name.startswith(prefix)
    ]
    assert problems(ours(schema), snap["body"]) == []


def test_every_snapshot_has_a_contract() -> None:
    """A new channel's snapshots fail here until a schema checks them."""
    covered = ("teams-", "pagerduty-", "slack-", "chatbot-", "webhook-", "email-", "state-")
    stray = [p.name for p in SNAPSHOTS.iterdir() if not p.name.startswith(covered)]
    assert stray == []


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        (
            "amazon-q-custom-notification",
            {"version": "1.0", "source": "aws", "content": {"description": "d"}},
        ),
        ("amazon-q-custom-notification", {"version": "1.0", "source": "custom", "content": {}}),
        ("alertmanager-postable-alerts", [{"labels": {"bad-name": "x"}}]),
        ("alertmanager-postable-alerts", {"labels": {"a": "b"}}),
        ("incident-io-alert-event", {"title": "t", "status": "open"}),
        ("jsm-ops-create-alert", {"message": "m" * 131}),
        ("ceilingwatch-generic-alert", {"schema": "ceilingwatch.alert/1"}),
    ],
)
def test_each_schema_refuses_what_its_owner_refuses(schema: str, body: Any) -> None:
    assert problems(ours(schema), body)


@needs_shared
def test_the_shared_schemas_refuse_a_broken_card_and_a_broken_event() -> None:
    assert SHARED is not None
    card = load(SNAPSHOTS / "teams-raised-warning.json")["attachments"][0]["content"]
    card = {k: v for k, v in card.items() if k != "msteams"}
    broken_card = {**card, "body": [{"type": "TextBlock", "text": "x", "size": "Huge"}]}
    schema = json.loads((SHARED / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
    assert problems(Draft7Validator(schema), card) == []
    assert problems(Draft7Validator(schema), broken_card)
    document = json.loads((SHARED / "pagerduty-events-v2.openapi.json").read_text(encoding="utf-8"))
    body = "#/paths/~1enqueue/post/requestBody/content/application~1json/schema"
    validator = Draft7Validator({**document, "$ref": body})
    event = load(SNAPSHOTS / "pagerduty-raised-warning.json")
    event["payload"]["severity"] = "bogus"
    assert problems(validator, {"routing_key": "k", **event})


def test_block_kit_refuses_a_header_past_its_limit() -> None:
    from slack_sdk.errors import SlackObjectFormationError

    (block,) = Block.parse_all(
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    )
    with pytest.raises(SlackObjectFormationError):
        block.validate_json()
