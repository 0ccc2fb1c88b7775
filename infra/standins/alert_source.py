"""A loopback stand-in for the alert sources the webhook channel speaks to, all four at once.

generic (ours), incident.io's HTTP alert source, Alertmanager's v2 API and JSM Ops' integration
API, each on its own path with its own credential, refusing what its vendor documents it
refuses. Every request must carry a valid `X-Ceilingwatch-Signature` while a signing secret
is set. Alerts are kept by deduplication key: opened by a firing, closed by a resolve.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.standins import alert_formats as formats
from infra.standins.loopback import Delivery, RecordingStandin, Verdict, serve_until_interrupted

FORMATS = ("generic", "incident-io", "alertmanager", "jsm-ops")
PATHS = {
    "generic": "/hooks/ceilingwatch",
    "incident-io": "/v2/alert_events/http/01HZSTANDIN",
    "alertmanager": "/api/v2/alerts",
    "jsm-ops": "/jsm/ops/integration/v2/alerts",
}
ALERTS_PATH = "/_standin/alerts"
MAX_SKEW_SECONDS = 300


@dataclass
class Alert:
    """One alert a receiver keeps open by its deduplication key until it is resolved."""

    form: str
    key: str
    title: str
    status: str = "firing"
    actions: list[str] = field(default_factory=list)  # "firing" / "resolved", in order

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "actions": list(self.actions),
        }


class AlertSourceStandin(RecordingStandin):
    """The four receivers on one loopback port; `form` is the one a monitor is configured with."""

    server_name = "alert-source-standin"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        form: str = "generic",
        verbose: bool = False,
    ) -> None:
        super().__init__(host, port, verbose=verbose)
        self.form = form
        self.token = "inc-" + secrets.token_hex(12)  # incident.io's alert source token
        self.api_key = secrets.token_hex(16)  # JSM Ops' integration API key
        self.signing_secret: str | None = "whsec-" + secrets.token_hex(16)
        self._alerts: list[Alert] = []

    def webhook_url(self, form: str | None = None) -> str:
        """The webhook-url a monitor stores for `form` (its credential in the query)."""
        form = form or self.form
        credential = {"incident-io": f"?token={self.token}", "jsm-ops": f"?apiKey={self.api_key}"}
        return f"{self.base_url}{PATHS[form]}{credential.get(form, '')}"

    @property
    def alerts(self) -> list[Alert]:
        with self._lock:
            return list(self._alerts)

    @property
    def open_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]

    def serves(self, path: str) -> bool:
        return any(urlsplit(path).path.startswith(p) for p in PATHS.values())

    def judge_request(
        self, path: str, raw: bytes, payload: Any, headers: Mapping[str, str]
    ) -> Verdict:
        form = next(f for f, p in PATHS.items() if urlsplit(path).path.startswith(p))
        refusal = self._credential_refusal(form, headers) or self._signature_refusal(raw, headers)
        if refusal is not None:
            return refusal
        if payload is None and raw:
            return _refuse(form, 400, ["body is not valid JSON"])
        problems = self._problems(form, path, payload)
        if problems:
            return _refuse(form, 422 if form == "jsm-ops" else 400, problems)
        return _taken(form)

    def judge(self, path: str, raw: bytes, payload: Any) -> Verdict:
        raise NotImplementedError("judge_request reads the headers")

    def _problems(self, form: str, path: str, payload: Any) -> list[str]:
        if form == "jsm-ops" and urlsplit(path).path.endswith("/close"):
            return formats.jsm_close_problems(payload, dict(parse_qsl(urlsplit(path).query)))
        check: dict[str, Callable[[Any], list[str]]] = {
            "generic": formats.generic_problems,
            "incident-io": formats.incident_io_problems,
            "alertmanager": formats.alertmanager_problems,
            "jsm-ops": formats.jsm_create_problems,
        }
        return check[form](payload)

    def _credential_refusal(self, form: str, headers: Mapping[str, str]) -> Verdict | None:
        wanted = {"incident-io": f"Bearer {self.token}", "jsm-ops": f"GenieKey {self.api_key}"}
        if form in wanted and headers.get("Authorization") != wanted[form]:
            return _refuse(form, 401, ["invalid or missing credentials"])
        return None

    def _signature_refusal(self, raw: bytes, headers: Mapping[str, str]) -> Verdict | None:
        if self.signing_secret is None:
            return None
        stamp = headers.get("X-Ceilingwatch-Timestamp", "")
        given = headers.get("X-Ceilingwatch-Signature", "")
        mac = hmac.new(self.signing_secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < MAX_SKEW_SECONDS
        if fresh and hmac.compare_digest(f"v1={mac.hexdigest()}", given):
            return None
        return Verdict(401, json.dumps({"error": "signature does not match"}))

    def accepted(self, delivery: Delivery, verdict: Verdict) -> None:
        form, key, status, title = _event(delivery)
        with self._lock:
            current = next(
                (
                    a
                    for a in reversed(self._alerts)
                    if a.form == form and a.key == key and a.status == "firing"
                ),
                None,
            )
            if current is None:
                if status == "resolved":
                    return  # a resolve for no open alert changes nothing, as the receivers do
                current = Alert(form, key, title)
                self._alerts.append(current)
            current.actions.append(status)
            current.status = status

    def listings(self) -> dict[str, Callable[[], Any]]:
        return {ALERTS_PATH: lambda: [a.as_dict() for a in self.alerts]}

    def clear(self) -> None:
        super().clear()
        with self._lock:
            self._alerts.clear()


def _event(delivery: Delivery) -> tuple[str, str, str, str]:
    """(form, key, firing|resolved, title) of a request a receiver took."""
    parts = urlsplit(delivery.path)
    form = next(f for f, p in PATHS.items() if parts.path.startswith(p))
    body = delivery.payload
    if form == "jsm-ops":
        if parts.path.endswith("/close"):
            alias = unquote(parts.path.removeprefix(PATHS[form] + "/").removesuffix("/close"))
            return form, alias, "resolved", ""
        return form, body["alias"], "firing", body["message"]
    if form == "alertmanager":
        alert = body[0]
        ended = formats._instant(alert.get("endsAt"))
        started = formats._instant(alert.get("startsAt"))
        status = "resolved" if ended is not None and ended == started else "firing"
        return form, alert["labels"]["dedup_key"], status, alert["annotations"]["summary"]
    key = body.get("dedup_key") or body.get("deduplication_key", "")
    return form, key, body["status"], body["title"]


def _taken(form: str) -> Verdict:
    bodies = {
        "generic": {"ok": True},
        "incident-io": {"status": "success", "message": "Event accepted for processing"},
        "alertmanager": "",
        "jsm-ops": {
            "result": "Request will be processed",
            "took": 0.01,
            "requestId": secrets.token_hex(8),
        },
    }
    status = {"alertmanager": 200, "generic": 200}.get(form, 202)
    body = bodies[form]
    return Verdict(status, json.dumps(body) if body != "" else "")


def _refuse(form: str, status: int, problems: list[str]) -> Verdict:
    if form == "alertmanager":
        return Verdict(status, json.dumps("; ".join(problems)))
    if form == "jsm-ops":
        return Verdict(status, json.dumps({"message": " ".join(problems), "took": 0.0}))
    if form == "incident-io":
        errors = [{"code": "invalid_value", "message": p} for p in problems]
        return Verdict(
            status, json.dumps({"type": "validation_error", "status": status, "errors": errors})
        )
    return Verdict(status, json.dumps({"error": "; ".join(problems)}))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--format", choices=FORMATS, default="generic")
    args = parser.parse_args(argv)
    standin = AlertSourceStandin(args.host, args.port, form=args.format, verbose=True)
    serve_until_interrupted(standin, lambda: f"alert sources on {standin.webhook_url()}")


if __name__ == "__main__":
    main()
