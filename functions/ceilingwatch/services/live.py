"""The live feed: a signed Ultravox webhook recorded, and the check started when it is news."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import field
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.common.observability import logger
from ceilingwatch.common.records import record
from ceilingwatch.domain.config import is_monitor_name
from ceilingwatch.domain.live_alert import live_news
from ceilingwatch.domain.live_calls import BadEventError, CallRecord, record_of
from ceilingwatch.domain.live_signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRefusedError,
    verify,
)
from ceilingwatch.domain.ports import AlertStates, Invoker, LiveCalls

MAX_BODY_BYTES = 256 * 1024


@record(frozen=False)
class Receivers:
    """What a webhook touches: the monitor's secret, its call records, its state, the check."""

    secrets: Callable[[str], tuple[str, ...] | None]
    calls: LiveCalls
    states: AlertStates
    invoker: Invoker
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def receive(request: Mapping[str, Any], deps: Receivers) -> dict[str, Any]:
    """A Function URL request answered: 204 once verified and recorded (a duplicate too).

    Nothing is written and nothing is started unless the signature holds; the order of the
    refusals is the order of what may be read: the size, the path, the signature, the body.
    """
    raw = request.get("body") or ""
    if len(raw) > MAX_BODY_BYTES * 4 // 3 + 4:
        return _answer(413, "body over 256 KiB")
    monitor = str(request.get("rawPath", "")).strip("/")
    if not is_monitor_name(monitor):
        return _answer(404, "no such monitor")
    secrets = deps.secrets(monitor)
    if not secrets:
        # An unknown monitor and one without the live feed look alike from outside.
        return _answer(404, "no such monitor")
    body = _body(raw, bool(request.get("isBase64Encoded")))
    if body is None or len(body) > MAX_BODY_BYTES:
        return _answer(413 if body is not None else 400, "body over 256 KiB or not base64")
    headers = {str(k).lower(): str(v) for k, v in (request.get("headers") or {}).items()}
    now = deps.clock()
    try:
        verify(body, headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER), secrets, now)
    except SignatureRefusedError as refused:
        logger.warning("webhook refused", extra={"monitor": monitor, "why": str(refused)})
        return _answer(401, "signature refused")
    try:
        call = record_of(json.loads(body))
    except (BadEventError, ValueError) as bad:
        why = str(bad) if isinstance(bad, BadEventError) else "the body is not JSON"
        return _answer(400, why)
    return _record(monitor, call, deps, now)


def _record(monitor: str, call: CallRecord, deps: Receivers, now: datetime) -> dict[str, Any]:
    try:
        opened = deps.calls.record(monitor, call)
        if call.open:
            # Every open event counts again, duplicates included: a retry after a failed invoke
            # must be able to start the check the first delivery could not.
            live = deps.calls.count(monitor, now).calls
            if live_news(live, deps.states.load(monitor)):
                deps.invoker.live(monitor)
                logger.info("live count is news: check started", extra={"live": live})
    except MonitorError as error:
        # Ultravox retries anything but 2xx: what failed here is done again, and changes nothing
        # that was already written.
        logger.error("webhook not recorded", extra={"problem": error.problem})
        return _answer(503, "try again")
    logger.info(
        "webhook recorded",
        extra={
            "monitor": monitor,
            "call": call.call_id,
            "stage": call.stage.name,
            "opened": opened,
        },
    )
    return {"statusCode": 204, "headers": {}, "body": ""}


def _body(raw: str, encoded: bool) -> bytes | None:
    if not encoded:
        return raw.encode()
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _answer(status: int, text: str) -> dict[str, Any]:
    # Plain, fixed words: nothing of the request or a secret is echoed.
    return {"statusCode": status, "headers": {"content-type": "text/plain"}, "body": text}
