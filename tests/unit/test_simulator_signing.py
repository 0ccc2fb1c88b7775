"""The simulator signs its webhooks as Ultravox documents, checked by an independent HMAC."""

from __future__ import annotations

import hashlib
import hmac

from infra.simulator.signing import sign

BODY = b'{"event":"call.started","call":{"callId":"c1"}}'
STAMP = "2026-11-24T13:00:00.000Z"


def expected(secret: str) -> str:
    mac = hmac.HMAC(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(BODY)
    mac.update(STAMP.encode("utf-8"))  # the body's raw bytes, then the timestamp's
    return mac.hexdigest()


def test_one_secret_signs_the_body_then_the_timestamp_in_lowercase_hex() -> None:
    signature = sign(BODY, STAMP, ["whsec-one"])
    assert signature == expected("whsec-one")
    assert signature == signature.lower() and len(signature) == 64


def test_two_secrets_give_two_signatures_comma_separated_in_order() -> None:
    assert sign(BODY, STAMP, ["old", "new"]) == f"{expected('old')},{expected('new')}"


def test_the_signature_covers_the_timestamp() -> None:
    assert sign(BODY, STAMP, ["k"]) != sign(BODY, STAMP.replace("13:00", "13:01"), ["k"])
