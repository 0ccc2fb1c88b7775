"""A click on a Slack button answered: signature checked, answer stored, shown in the thread."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.adapters.parameters import ParameterStore
from ceilingwatch.adapters.state_store import StateStore
from ceilingwatch.channels.base import Stream
from ceilingwatch.channels.http import Poster
from ceilingwatch.channels.slack_thread import Root, cut, mrkdwn
from ceilingwatch.channels.slack_web import SlackWebApi
from ceilingwatch.common.errors import ChannelError, MonitorError, StateConflictError
from ceilingwatch.common.observability import logger
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.state import AlertState
from ceilingwatch.services.responses import (
    Click,
    ClickRefusedError,
    answer,
    monitor_named,
    read_click,
    signature_problem,
)

SLACK_SECONDS = 1.5  # Slack wants its answer within 3 s; the confirmation gets what is left
MAX_BODY = 16_384
WRITE_ATTEMPTS = 3
BUSY_WAIT = 0.25  # while a run is delivering, its settle write must not be beaten


@dataclass
class Responders:
    """What a click touches: the monitor's parameters, its state item, and Slack."""

    settings: Settings
    parameters: ParameterStore
    states: StateStore
    poster: Poster = field(default_factory=Poster)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    on_secrets: Callable[..., None] = field(default=lambda *secrets: None)


def respond(event: Mapping[str, Any], deps: Responders) -> dict[str, Any]:
    """401 unless Slack signed it; 403 for a click that is not the open incident's; else 200."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    body = _body(event)
    monitor = monitor_named(body) if body is not None else None
    if body is None or monitor is None:
        return _refuse(401, "the request is not a Slack click on a ceilingwatch button")
    logger.append_keys(monitor=monitor)
    try:
        config = deps.parameters.load(monitor)
    except MonitorError as error:
        return _refuse(401, f"no configuration for the monitor the click names: {error.problem}")
    deps.on_secrets(*config.secrets())
    if config.slack_signing_secret is None:
        return _refuse(401, f"{config.parameter('slack-signing-secret')} is not set")
    problem = signature_problem(config.slack_signing_secret.reveal(), headers, body, deps.clock())
    if problem:
        return _refuse(401, problem)
    try:
        click = read_click(body)
        root, said = _store(click, deps)
    except ClickRefusedError as error:
        return _refuse(403, str(error))
    except StateConflictError:
        return _refuse(503, "the state kept changing under the click: click again")
    logger.info("click answered", extra={"action": click.action.value, "user": click.user})
    _confirm(config, root, said, deps)
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": ""}


def _store(click: Click, deps: Responders) -> tuple[Root, str]:
    """The answer, written only if the state is what this click read (a conditional write)."""
    for _ in range(WRITE_ATTEMPTS):
        state = deps.states.load(click.monitor)
        if state is not None and _delivering(state, deps):
            deps.sleep(BUSY_WAIT)
            continue
        memory = dict(state.delivery.channel_memory) if state is not None else {}
        root = Root.recall(memory.get("slack", {}), Stream.CAPACITY)
        if state is None or root is None or (root.channel, root.ts) != (click.channel, click.ts):
            # A forged value, another monitor's button, or an episode that is over.
            raise ClickRefusedError(
                f"the clicked message is not the open incident of monitor {click.monitor}"
            )
        changed, said = answer(state, click, deps.clock())
        root = replace(root, answer=said)
        memory["slack"] = root.remember(memory["slack"])
        changed = replace(changed, delivery=replace(changed.delivery, channel_memory=memory))
        try:
            deps.states.save(changed, expected_version=state.version)
        except StateConflictError:
            continue  # a run or another click wrote first: read again and answer on top of it
        return root, said
    raise StateConflictError(f"the state of {click.monitor} kept changing")


def _delivering(state: AlertState, deps: Responders) -> bool:
    since = state.delivery.outbox_since or deps.clock()
    return bool(state.delivery.outbox) and deps.clock() - since < deps.settings.outbox_grace


def _confirm(config: MonitorConfig, root: Root, said: str, deps: Responders) -> None:
    """Shown on the root and in its thread; stored first, so a Slack outage loses only this."""
    if config.slack_bot_token is None:
        return
    api = SlackWebApi(config.slack_bot_token, deps.poster, deps.settings.slack_api_url)
    deadline = time.monotonic() + SLACK_SECONDS
    update = {"channel": root.channel, "ts": root.ts, **root.message(config.monitor)}
    confirmation = {
        "channel": root.channel,
        "thread_ts": root.ts,
        "text": cut(said, 3000),
        "blocks": [{"type": "section", "text": mrkdwn(said)}],
    }
    try:
        api.call("chat.update", update, deadline=deadline)
        api.call("chat.postMessage", confirmation, deadline=deadline)
    except ChannelError as error:
        logger.warning("the click is stored but Slack was not told", extra={"problem": str(error)})


def _body(event: Mapping[str, Any]) -> str | None:
    raw = event.get("body")
    if not isinstance(raw, str) or len(raw) > MAX_BODY:
        return None
    if not event.get("isBase64Encoded"):
        return raw
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _refuse(status: int, why: str) -> dict[str, Any]:
    logger.warning("click refused; nothing changed", extra={"status": status, "problem": why})
    return {"statusCode": status, "headers": {"content-type": "text/plain"}, "body": why}
