"""Slack's Web API on the shared Poster: a method call, and its `ok: false` answers as errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ceilingwatch.channels.http import Endpoint, Poster
from ceilingwatch.common.errors import ChannelError, TransientChannelError
from ceilingwatch.common.settings import SLACK_API_URL
from ceilingwatch.domain.config import Secret

SLACK_API = Endpoint(
    "Slack",
    meanings={
        429: "Slack is rate-limiting the app (ratelimited)",
        404: "Slack does not know this API method (404): check CEILINGWATCH_SLACK_API_URL",
    },
)
# Trying again later can help only with these; every other answer needs a person.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
REINSTALL_ADVICE = (
    "put the app's Bot User OAuth Token (xoxb-..., OAuth & Permissions) in slack-bot-token, "
    "reinstalling the app if it was removed"
)
FIXES = {
    "invalid_auth": REINSTALL_ADVICE,
    "not_authed": REINSTALL_ADVICE,
    "account_inactive": REINSTALL_ADVICE,
    "token_revoked": REINSTALL_ADVICE,
    "token_expired": REINSTALL_ADVICE,
    "channel_not_found": (
        "put the ID (C..., channel details > About) of a channel the app can see in "
        "slack-channel-id"
    ),
    "not_in_channel": "invite the app to the channel of slack-channel-id (/invite @ceilingwatch)",
    "is_archived": "the channel of slack-channel-id is archived: put a live channel's ID there",
    "missing_scope": "add the chat:write scope to the app and reinstall it; keep slack-bot-token",
    "ratelimited": "nothing: the notification stays owed and goes out on the next run",
}


class SlackApiError(ChannelError):
    """Slack answered `ok: false`; `error` is its code, `permanent` whether retrying can help."""

    def __init__(self, method: str, error: str) -> None:
        self.error = error
        self.permanent = error not in TRANSIENT
        fix = FIXES.get(error)
        super().__init__(f"Slack refused {method} ({error})" + (f": {fix}" if fix else ""))


class SlackWebApi:
    """Calls one method at a time with the bot token in a header, never in a message or log."""

    def __init__(self, token: Secret, poster: Poster, base_url: str = SLACK_API_URL) -> None:
        self.token = token
        self.poster = poster
        self.base_url = base_url

    def call(self, method: str, payload: Mapping[str, Any], *, deadline: float) -> dict[str, Any]:
        token = self.token.reveal()
        response = self.poster.post(
            self.base_url + method,
            dict(payload),
            SLACK_API,
            deadline=deadline,
            secrets=(token,),
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            answer = response.json()
        except ValueError:
            raise TransientChannelError(f"Slack answered {method} without JSON") from None
        if not isinstance(answer, dict):
            raise TransientChannelError(f"Slack answered {method} with no object")
        if answer.get("ok") is not True:
            code = str(answer.get("error") or "unknown_error")
            raise SlackApiError(
                method, "".join(ch for ch in code if ch.isalnum() or ch == "_")[:60]
            )
        return answer
