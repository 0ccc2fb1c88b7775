"""Ultravox's webhook signature: HMAC-SHA256 of the raw body then the timestamp, fresh 5 min."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

TIMESTAMP_HEADER = "x-ultravox-webhook-timestamp"
SIGNATURE_HEADER = "x-ultravox-webhook-signature"
TOLERANCE = timedelta(minutes=5)


class SignatureRefusedError(Exception):
    """Why a request is not Ultravox's; the text names no secret and echoes no raw input."""


def sign(body: bytes, timestamp: str, secret: str) -> str:
    """The lowercase hex signature Ultravox sends for `body` at `timestamp`."""
    return hmac.new(secret.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def verify(
    body: bytes,
    timestamp: str | None,
    signatures: str | None,
    secrets: Iterable[str],
    now: datetime,
) -> None:
    """Raises SignatureRefusedError unless one signature matches one secret at a fresh time."""
    if not timestamp or not signatures:
        raise SignatureRefusedError("missing signature or timestamp header")
    sent = _parse_time(timestamp)
    if abs(now - sent) > TOLERANCE:
        # Either way: a stale request may be a replay, a future one a forged clock.
        raise SignatureRefusedError("timestamp more than 5 minutes from now")
    given = [s.strip().lower().encode() for s in signatures.split(",") if s.strip()]
    # Every pair is compared, so the time taken says nothing about which one matched.
    matched = False
    for secret in secrets:
        expected = sign(body, timestamp, secret).encode()
        for candidate in given:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureRefusedError("no signature matches the monitor's webhook secret")


def _parse_time(text: str) -> datetime:
    try:
        sent = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SignatureRefusedError("timestamp is not ISO-8601") from None
    if sent.tzinfo is None:
        raise SignatureRefusedError("timestamp has no time zone")
    return sent
