"""A click on a Slack root's button: the request read, its signature checked, the answer shown."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack import BOT_TOKEN, SIGNING_SECRET
from ceilingwatch.channels.slack_app import SlackAppChannel
from ceilingwatch.channels.slack_thread import Root
from ceilingwatch.channels.slack_web import SlackWebApi
from ceilingwatch.common.records import record
from ceilingwatch.common.settings import SLACK_API_URL
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.ports import Answer, Click, ClickRefusedError, Stream

MAX_AGE = timedelta(minutes=5)  # Slack's advice: older requests may be replays
MAX_BODY = 16_384
SLACK_SECONDS = 1.5  # Slack wants its answer within 3 s; the confirmation gets what is left
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
NOT_A_CLICK = "the request is not a Slack click on a ceilingwatch button"


@record
class SlackClicks:
    """The Slack app's side of a click, for the interactions function (a ClickChannel)."""

    poster: Poster = field(default_factory=Poster)
    api_url: str = SLACK_API_URL
    name: str = "slack"

    def monitor_named(self, request: Mapping[str, Any]) -> str:
        body = _body(request)
        try:
            return read_click(body or "").monitor
        except ClickRefusedError:
            raise ClickRefusedError(NOT_A_CLICK, 401) from None

    def verified(self, request: Mapping[str, Any], config: MonitorConfig, now: datetime) -> Click:
        secret = config.secret(SIGNING_SECRET.name)
        if secret is None:
            raise ClickRefusedError(f"{config.parameter(SIGNING_SECRET.name)} is not set", 401)
        headers = {str(k).lower(): str(v) for k, v in (request.get("headers") or {}).items()}
        body = _body(request) or ""
        problem = signature_problem(secret.reveal(), headers, body, now)
        if problem:
            raise ClickRefusedError(problem, 401)
        return read_click(body)

    def on_open_incident(self, memory: Mapping[str, str], click: Click) -> bool:
        root = Root.recall(memory, Stream.CAPACITY)
        return root is not None and (root.channel, root.ts) == (click.channel, click.ts)

    def with_answer(self, memory: Mapping[str, str], said: str) -> dict[str, str]:
        root = Root.recall(memory, Stream.CAPACITY)
        return replace(root, answer=said).remember(memory) if root is not None else dict(memory)

    def confirm(self, config: MonitorConfig, memory: Mapping[str, str], said: str) -> None:
        """Shown on the root and in its thread; the answer is stored first, so an outage of
        Slack loses only this."""
        root, token = Root.recall(memory, Stream.CAPACITY), config.secret(BOT_TOKEN.name)
        if token is None or root is None:
            return
        api = SlackWebApi(token, self.poster, self.api_url)
        channel = SlackAppChannel(api, root.channel)
        channel.show_answer(root, config.monitor, said, deadline=time.monotonic() + SLACK_SECONDS)


def signature_problem(
    secret: str, headers: Mapping[str, str], body: str, now: datetime
) -> str | None:
    """Slack's v0 signature: HMAC-SHA256 of v0:{timestamp}:{body}, fresh within five minutes."""
    given = headers.get("x-slack-signature", "")
    stamp = headers.get("x-slack-request-timestamp", "")
    if not given or not stamp:
        return "the request carries no Slack signature"
    if not stamp.isdigit():
        return "the request's timestamp is not a number"
    if abs(now.timestamp() - int(stamp)) > MAX_AGE.total_seconds():
        return "the request's timestamp is more than 5 minutes off: a replay, or a wrong clock"
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(f"v0={digest}", given):
        return "the signature does not match slack-signing-secret"
    return None


def read_click(body: str) -> Click:
    """The click in Slack's form-encoded `payload`; refused unless it is one of our buttons."""
    raw = parse_qs(body, max_num_fields=4).get("payload", [""])[0]
    try:
        payload = json.loads(raw)
        action = payload["actions"][0]
        click = Click(
            monitor=str(action["value"]),
            action=Answer(action["action_id"]),
            user=str(payload["user"]["id"]),
            channel=str(payload["container"]["channel_id"]),
            ts=str(payload["container"]["message_ts"]),
        )
    except (ValueError, KeyError, IndexError, TypeError):
        raise ClickRefusedError("the request is not a click on a ceilingwatch button") from None
    if not click.monitor or set(click.monitor) - NAME_CHARS or not click.user.isalnum():
        raise ClickRefusedError("the click names no valid monitor or user")
    return click


def _body(request: Mapping[str, Any]) -> str | None:
    raw = request.get("body")
    if not isinstance(raw, str) or len(raw) > MAX_BODY:
        return None
    if not request.get("isBase64Encoded"):
        return raw
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
