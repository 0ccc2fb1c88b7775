"""Ultravox's webhook signature: what is accepted and what is refused, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ceilingwatch.domain.live_signature import SignatureRefusedError, sign, verify

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
STAMP = "2026-07-01T12:00:00Z"
BODY = b'{"event": "call.started", "call": {"callId": "c1"}}'
SECRET = "whsec-live-one"


def test_a_matching_signature_is_accepted() -> None:
    verify(BODY, STAMP, sign(BODY, STAMP, SECRET), [SECRET], NOW)


def test_the_signature_is_hmac_sha256_of_body_then_timestamp_in_lowercase_hex() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), BODY + STAMP.encode(), hashlib.sha256).hexdigest()
    assert sign(BODY, STAMP, SECRET) == expected == expected.lower()


def test_one_of_several_comma_separated_signatures_is_enough() -> None:
    header = f"{'0' * 64},{sign(BODY, STAMP, SECRET)}"
    verify(BODY, STAMP, header, [SECRET], NOW)


def test_either_of_two_secrets_being_rotated_is_enough() -> None:
    verify(BODY, STAMP, sign(BODY, STAMP, "old-secret"), [SECRET, "old-secret"], NOW)


@pytest.mark.parametrize(
    ("body", "stamp", "header", "secrets"),
    [
        pytest.param(BODY, STAMP, None, [SECRET], id="no signature"),
        pytest.param(BODY, None, "ab", [SECRET], id="no timestamp"),
        pytest.param(BODY, STAMP, "", [SECRET], id="empty signature"),
        pytest.param(BODY + b" ", STAMP, sign(BODY, STAMP, SECRET), [SECRET], id="body changed"),
        pytest.param(BODY, STAMP, sign(BODY, STAMP, "another"), [SECRET], id="another secret"),
        pytest.param(BODY, STAMP, sign(BODY, STAMP, SECRET), [], id="no secret at all"),
        pytest.param(
            BODY,
            "2026-07-01T12:00:01Z",
            sign(BODY, STAMP, SECRET),
            [SECRET],
            id="timestamp swapped after signing",
        ),
        pytest.param(BODY, "yesterday", "ab", [SECRET], id="timestamp not ISO"),
        pytest.param(BODY, "2026-07-01T12:00:00", "ab", [SECRET], id="timestamp without zone"),
    ],
)
def test_a_forged_or_incomplete_request_is_refused(
    body: bytes, stamp: str | None, header: str | None, secrets: list[str]
) -> None:
    with pytest.raises(SignatureRefusedError) as refused:
        verify(body, stamp, header, secrets, NOW)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)]
)
def test_a_stale_or_future_timestamp_is_refused_even_when_signed(skew: timedelta) -> None:
    stamp = (NOW + skew).isoformat()
    with pytest.raises(SignatureRefusedError, match="5 minutes"):
        verify(BODY, stamp, sign(BODY, stamp, SECRET), [SECRET], NOW)


@pytest.mark.parametrize("skew", [timedelta(minutes=5), -timedelta(minutes=5), timedelta(0)])
def test_a_timestamp_within_five_minutes_either_way_is_accepted(skew: timedelta) -> None:
    stamp = (NOW + skew).isoformat()
    verify(BODY, stamp, sign(BODY, stamp, SECRET), [SECRET], NOW)
