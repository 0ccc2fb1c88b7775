"""Ultravox's webhook signature, and one signed POST.

`X-Ultravox-Webhook-Signature` is the lowercase hex HMAC-SHA256, keyed with each of the webhook's
secrets, of the raw body followed by the `X-Ultravox-Webhook-Timestamp` value; several (one a
secret, while one is rotated) are joined by commas.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime

import requests

TIMESTAMP_HEADER = "X-Ultravox-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Ultravox-Webhook-Signature"


def sign(body: bytes, timestamp: str, keys: Sequence[str]) -> str:
    """Ultravox's signature header: one hex HMAC-SHA256 a secret, comma-separated."""
    message = body + timestamp.encode()
    return ",".join(hmac.new(k.encode(), message, hashlib.sha256).hexdigest() for k in keys)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post_signed(
    url: str,
    body: bytes,
    keys: Sequence[str],
    *,
    at: datetime | None = None,
    session: requests.Session | None = None,
) -> int:
    """One signed POST as Ultravox makes it, stamped `at` (now); the answer's status. Tests and
    the bench that script an exact order of events send them with it, one at a time."""
    stamp = timestamp(at or datetime.now(UTC))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(body, stamp, keys),
    }
    return (session or requests).post(url, data=body, headers=headers, timeout=10).status_code
