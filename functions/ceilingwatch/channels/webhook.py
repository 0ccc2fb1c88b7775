"""Any incident tool through one alert-source webhook: one key per episode, signed if asked."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ceilingwatch.channels.base import (
    ChannelBuild,
    Wiring,
    min_severity,
    takes_incident,
    tell_incident,
)
from ceilingwatch.channels.http import Endpoint, Poster
from ceilingwatch.channels.webhook_formats import Format, Status, alert_event
from ceilingwatch.common.settings import SAFE_URL_PREFIXES, Settings
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig, Secret
from ceilingwatch.domain.parameters import Parameter, PlugIn
from ceilingwatch.domain.ports import Channel, Context
from ceilingwatch.domain.severity import Severity

TIMESTAMP_HEADER = "X-Ceilingwatch-Timestamp"
SIGNATURE_HEADER = "X-Ceilingwatch-Signature"
# A credential some receivers take in a header, carried in the (secret) URL's query.
URL_CREDENTIALS = {
    Format.INCIDENT_IO: ("token", "Bearer {}"),
    Format.JSM_OPS: ("apiKey", "GenieKey {}"),
}
ENDPOINTS = {
    form: Endpoint(
        f"the {form.value} webhook",
        taken=frozenset(range(200, 300)),
        meanings={
            400: f"the {form.value} webhook refused the alert as invalid (400)",
            401: f"the {form.value} webhook refused its credentials (401)",
            403: f"the {form.value} webhook refused its credentials (403)",
            404: f"the {form.value} webhook does not exist (404): check webhook-url",
            422: f"the {form.value} webhook refused the alert as invalid (422)",
        },
    )
    for form in Format
}


def _url_check(url: Secret, settings: Settings) -> str:
    return url_problem(url)


def url_problem(url: Secret) -> str:
    """A secret travels only over https (or to a loopback stand-in); never shows the value."""
    if url.reveal().startswith(SAFE_URL_PREFIXES) and urlsplit(url.reveal()).hostname:
        return ""
    return "webhook-url is not an https URL"


URL = Parameter(
    "webhook-url",
    "an alert source's inbound webhook URL (incident.io, Rootly, FireHydrant, JSM Ops, "
    "Alertmanager's `/api/v2/alerts`, your own): one alert per episode, fired and resolved",
    Secret,
    secret=True,
    default_text="none (no webhook)",
    check=_url_check,
)


def _format(raw: str) -> Format:
    try:
        return Format(raw.strip().lower())
    except ValueError:
        raise ValueError(f"is not one of {', '.join(Format)}") from None


FORMAT = Parameter(
    "webhook-format",
    "the body: `generic` (ours, documented), `incident-io`, `alertmanager` or `jsm-ops`",
    _format,
    Format.GENERIC,
    kept=True,
    show=lambda form: str(form.value),
)
SIGNING_SECRET = Parameter(
    "webhook-signing-secret",
    f"signs each request: `{TIMESTAMP_HEADER}` and `{SIGNATURE_HEADER}: v1=<hex HMAC-SHA256 of "
    "'<timestamp>.<body>'>`",
    Secret,
    secret=True,
    default_text="none (unsigned)",
)
MIN_SEVERITY = min_severity("webhook", Severity.WARNING, "to the webhook")


def build(config: MonitorConfig | None, wiring: Wiring) -> Channel | str | None:
    url = config.secret(URL.name) if config else None
    if config is None or url is None:
        return None
    return url_problem(url) or WebhookChannel(
        url,
        wiring.poster,
        form=config.option(FORMAT.name) or Format.GENERIC,
        signing_secret=config.secret(SIGNING_SECRET.name),
        min_severity=config.option(MIN_SEVERITY.name) or Severity.WARNING,
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of "<timestamp>.<body>" under the signing secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


class WebhookChannel:
    """Keeps each stream's episode key in its memory, as PagerDuty does: a resolve goes only
    where the raise went, under the same key."""

    name = "webhook"

    def __init__(
        self,
        url: Secret,
        poster: Poster,
        *,
        form: Format = Format.GENERIC,
        signing_secret: Secret | None = None,
        min_severity: Severity = Severity.WARNING,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url, self.poster, self.form = url, poster, form
        self.signing_secret = signing_secret
        self.min_severity = min_severity
        self.clock = clock

    def accepts(self, note: Notification) -> bool:
        return takes_incident(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        return tell_incident(
            note,
            context.memory,
            lambda key: self._send(note, key, Status.FIRING, context),
            lambda key: self._send(note, key, Status.RESOLVED, context),
        )

    def _send(self, note: Notification, key: str, status: Status, context: Context) -> None:
        request = alert_event(self.form, note, key, status, context.links)
        url, headers = self._target(request.path)
        body = json.dumps(request.body, separators=(",", ":"), ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
        # The URL called (without a credential it carried) is as secret as the one configured.
        secrets = [self.url.reveal(), url, *headers.values(), *self._credentials()]
        if self.signing_secret is not None:
            stamp = str(int(self.clock()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = sign(self.signing_secret.reveal(), stamp, body)
            secrets.append(self.signing_secret.reveal())
        self.poster.post(
            url,
            None,
            ENDPOINTS[self.form],
            deadline=context.deadline,
            secrets=tuple(s for s in secrets if len(s) > 8),
            headers=headers,
            body=body,
        )

    def _credentials(self) -> list[str]:
        query = parse_qsl(urlsplit(self.url.reveal()).query, keep_blank_values=True)
        return [value for _, value in query]

    def _target(self, path: str) -> tuple[str, dict[str, str]]:
        """The URL to call, with a credential the receiver wants in a header moved there."""
        parts = urlsplit(self.url.reveal())
        headers: dict[str, str] = {}
        query = parse_qsl(parts.query, keep_blank_values=True)
        if self.form in URL_CREDENTIALS:
            name, spelling = URL_CREDENTIALS[self.form]
            found = [value for key, value in query if key == name]
            if found:
                headers["Authorization"] = spelling.format(found[0])
                query = [(key, value) for key, value in query if key != name]
        extra_path, _, extra_query = path.partition("?")
        query += parse_qsl(extra_query)
        url = urlunsplit(
            (parts.scheme, parts.netloc, parts.path.rstrip("/") + extra_path, urlencode(query), "")
        )
        return url, headers


PLUGIN: PlugIn[ChannelBuild] = PlugIn("webhook", (URL, FORMAT, SIGNING_SECRET, MIN_SEVERITY), build)
