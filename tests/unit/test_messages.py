"""Exact email and Slack payloads for every kind of notification (snapshots), and their rules."""

from __future__ import annotations

import pytest
from ceilingwatch.errors import UltravoxAuthError
from ceilingwatch.lifecycle import Kind, Notification
from ceilingwatch.messages import format_email, format_slack, sparkline, subject

from .builders import Replay, config, tick_time
from .conftest import Snapshot

LINKS = {
    "Parameters": "https://us-east-1.console.aws.amazon.com/systems-manager/parameters/",
    "Ultravox": "https://app.ultravox.ai",
}


def lifecycle_notifications() -> dict[str, Notification]:
    """One real notification of each kind, made by the state machine itself."""
    replay = Replay()
    replay.run_series([10, 20, 30, 41, 45, 48, 50, 50, 44, 40, 30, 20, 10, 10])
    notes = {f"{n.kind.value}-{n.severity.lower()}": n for _, n in replay.sent}
    reminder = Replay()
    reminder.run_series([48] * 13)
    notes["reminder-critical"] = reminder.sent[-1][1]
    failing = Replay()
    for index in range(3):
        failing.fail(
            index,
            UltravoxAuthError(
                "Ultravox rejected the API key (HTTP 401)",
                "put a valid key in /ceilingwatch/prod/ultravox-api-key (SecureString)",
            ),
        )
    notes["monitor-error"] = failing.sent[-1][1]
    ceiling = Replay()
    ceiling.measure(0, [10], account=20)
    notes["account-ceiling"] = ceiling.sent[-1][1]
    limit = Replay()
    limit.measure(0, [30])
    limit.measure(1, [30, 30], cfg=config(concurrency_limit=30))
    notes["limit-changed"] = limit.sent[-1][1]
    notes["test"] = Notification(
        Kind.TEST, "prod", "TEST", "a test alert through email and Slack", tick_time(0)
    )
    return notes


NOTES = lifecycle_notifications()


def test_every_kind_of_notification_has_a_snapshot() -> None:
    assert set(NOTES) == {
        "raised-warning",
        "escalated-critical",
        "escalated-at_limit",
        "resolved-ok",
        "reminder-critical",
        "monitor-error",
        "account-ceiling",
        "limit-changed",
        "test",
    }


@pytest.mark.parametrize("name", sorted(NOTES))
def test_email_payload(name: str, snapshot: Snapshot) -> None:
    email = format_email(NOTES[name], LINKS)
    snapshot.assert_match(
        f"email-{name}.txt",
        f"Subject: {email.subject}\nAttributes: {email.attributes}\n\n{email.body}",
    )


@pytest.mark.parametrize("name", sorted(NOTES))
def test_slack_payload(name: str, snapshot: Snapshot) -> None:
    snapshot.assert_match(f"slack-{name}.json", format_slack(NOTES[name], LINKS))


@pytest.mark.parametrize("name", sorted(NOTES))
def test_subject_sorts_in_an_inbox(name: str) -> None:
    text = subject(NOTES[name])
    assert len(text) <= 100
    assert text.isascii() and "\n" not in text
    assert text.startswith(f"[{NOTES[name].severity}]")


def test_subject_example_from_the_issue() -> None:
    replay = Replay()
    replay.run_series([48])
    assert subject(replay.sent[0][1]) == "[CRITICAL] prod: 48/50 concurrent calls (96%)"


def test_long_monitor_names_keep_the_subject_within_100_characters() -> None:
    replay = Replay()
    replay.run_series([48])
    note = replay.sent[0][1]
    long = Notification(note.kind, "m" * 150, note.severity, note.why, note.at, note.reading)
    assert len(subject(long)) == 100 and subject(long).endswith("...")


def test_slack_carries_a_top_level_text_for_phones() -> None:
    for note in NOTES.values():
        payload = format_slack(note, LINKS)
        assert payload["text"] and note.why in payload["text"]
        assert payload["blocks"][0]["type"] == "header"


def test_slack_escapes_control_characters_of_mrkdwn() -> None:
    note = Notification(Kind.MONITOR_ERROR, "prod", "ERROR", "HTTP 500: '<html>&'", tick_time(0))
    section = format_slack(note, {})["blocks"][1]["text"]["text"]
    assert "&lt;html&gt;&amp;" in section


@pytest.mark.parametrize(
    ("series", "limit", "expected"),
    [((0, 25, 50), 50, "▁▅█"), ((60,), 50, "█"), ((0, 7, 14), 14, "▁▅█"), ((), 50, "")],
)
def test_sparkline_is_scaled_to_the_limit(
    series: tuple[int, ...], limit: int, expected: str
) -> None:
    assert sparkline(series, limit) == expected


def test_every_notification_survives_the_outbox_round_trip() -> None:
    from ceilingwatch.lifecycle import decode_outbox, encode_outbox

    notes = tuple(NOTES.values())
    assert decode_outbox(encode_outbox(notes)) == notes
    assert encode_outbox(()) == "" and decode_outbox("") == ()
