"""The send phase in the worst case: every channel hung, against every channel answering."""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from ceilingwatch.bootstrap import PARAMETERS, build_dependencies
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.severity import Severity
from ceilingwatch.services.base import SEND_SECONDS
from ceilingwatch.services.delivery import Status, claim, send

from infra.standins.loopback import QuietServer, serve_in_background

ROUNDS = 3
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"


@contextmanager
def hung_server() -> Iterator[str]:
    """Accepts connections and never answers: the fault that costs a sender the most."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        for conn in held:
            conn.close()
        listener.close()


class _Taken(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # SNS's Publish answer for the email channel; the webhooks ignore the body.
        body = (
            b'<?xml version="1.0"?><PublishResponse><PublishResult><MessageId>m</MessageId>'
            b"</PublishResult></PublishResponse>"
        )
        self.send_response(202 if "enqueue" in self.path else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def answering_server() -> Iterator[str]:
    server = QuietServer(("127.0.0.1", 0), _Taken)
    serve_in_background(server)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def one_send(base: str) -> tuple[float, float, dict[str, str]]:
    """Wall and CPU seconds of one send phase through all four channels pointed at `base`."""
    os.environ["AWS_ENDPOINT_URL_SNS"] = base
    settings = Settings(
        state_table_name="state",
        alert_topic_arn="arn:aws:sns:us-east-1:123456789012:alerts",
        slack_webhook_prefixes=(base,),
        teams_webhook_prefixes=(base,),
        pagerduty_events_url=f"{base}/v2/enqueue",
    )
    deps = build_dependencies(settings, region="us-east-1", on_secrets=lambda *s: None)
    config = PARAMETERS.parse(
        "bench",
        "/ceilingwatch/bench/",
        {
            "concurrency-limit": "50",
            "ultravox-api-key": "uvx-bench",
            "slack-webhook-url": f"{base}/services/x",
            "teams-webhook-url": f"{base}/workflows/x",
            "pagerduty-routing-key": ROUTING_KEY,
            "pagerduty-min-severity": "WARNING",
        },
    )
    roster = deps.channels(config)
    note = Notification(
        Kind.RAISED, "bench", Severity.WARNING, "peak 41 of 50 calls", datetime.now(UTC)
    )
    wall, cpu = time.perf_counter(), time.process_time()
    settled = send(
        claim([note], roster.channels),
        roster.channels,
        links={},
        memory={},
        deadline=time.monotonic() + SEND_SECONDS,
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    outcomes = {n: o.status.value for n, o in settled.deliveries[0].channels.items()}
    return wall, cpu, outcomes


def render() -> tuple[list[str], list[str]]:
    """The figures as lines, and the failures (a hung channel must never count as delivered)."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    rows: dict[str, list[tuple[float, float]]] = {"answering": [], "all hung": []}
    seen: dict[str, dict[str, str]] = {}
    for _ in range(ROUNDS):  # interleaved, so a noisy moment hits both kinds alike
        with answering_server() as base:
            wall, cpu, seen["answering"] = one_send(base)
            rows["answering"].append((wall, cpu))
        with hung_server() as base:
            wall, cpu, seen["all hung"] = one_send(base)
            rows["all hung"].append((wall, cpu))
    lines = [
        f"Send phase, 4 channels (email/SNS, Slack, Teams, PagerDuty), {ROUNDS} rounds each, "
        f"budget {SEND_SECONDS:.0f} s: median wall (min-max), median CPU"
    ]
    for name, samples in rows.items():
        walls, cpus = [w for w, _ in samples], [c for _, c in samples]
        lines.append(
            f"  {name:<10} wall {statistics.median(walls):6.2f} s "
            f"({min(walls):.2f}-{max(walls):.2f})  CPU {statistics.median(cpus) * 1000:6.1f} ms"
            f"  outcomes {seen[name]}"
        )
    failures = []
    if any(v == Status.SENT.value for v in seen["all hung"].values()):
        failures.append(f"send phase: a hung channel claimed a delivery: {seen['all hung']}")
    if max(w for w, _ in rows["all hung"]) > SEND_SECONDS:
        failures.append("send phase: every channel hung overran the send budget")
    return lines, failures


if __name__ == "__main__":
    lines, failures = render()
    print("\n".join(lines))
    raise SystemExit("\n".join(failures) or None)
