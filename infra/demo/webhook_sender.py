"""A small sender of signed Ultravox call webhooks (the demo's own, by the documented rules)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from ceilingwatch.domain.live_signature import sign


def call_body(call_id: str, stage: str = "started", created: datetime | None = None) -> bytes:
    """The body Ultravox sends for `call.<stage>`: the Call object as it stands at that stage."""
    created = created or datetime.now(UTC)
    call: dict[str, Any] = {
        "callId": call_id,
        "created": created.isoformat(),
        "joined": None,
        "ended": None,
        "joinTimeout": "30s",
        "maxDuration": "3600s",
    }
    if stage in ("joined", "ended"):
        call["joined"] = (created + timedelta(seconds=2)).isoformat()
    if stage == "ended":
        call["ended"] = (created + timedelta(seconds=60)).isoformat()
        call["endReason"] = "hangup"
    return json.dumps({"event": f"call.{stage}", "call": call}).encode()


def post(
    url: str,
    body: bytes,
    secret: str,
    *,
    at: datetime | None = None,
    session: requests.Session | None = None,
) -> int:
    """POSTs `body` signed with `secret` at `at` (now); returns the answer's status."""
    stamp = (at or datetime.now(UTC)).isoformat()
    headers = {
        "content-type": "application/json",
        "x-ultravox-webhook-timestamp": stamp,
        "x-ultravox-webhook-signature": sign(body, stamp, secret),
    }
    answer = (session or requests).post(url, data=body, headers=headers, timeout=10)
    return answer.status_code
