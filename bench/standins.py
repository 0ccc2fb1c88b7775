"""The stand-ins in a process of their own, so their threads never share the measured GIL.

`python -m bench.standins` starts the local stack (moto), the Ultravox simulator, the Slack
catcher, the Slack Web API stand-in (for the buttons' clicks) and a server that accepts
connections and never answers (a hanging Ultravox); it prints one READY line of JSON, then
answers one JSON command a line on stdin. `StandIns` is the bench's side of that pipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from infra.simulator.ultravox import SCENARIO_DIR, Fault, Scenario

MONITOR = "bench"  # the stack's own monitor
LIMIT = "50"
# Local-only secrets of the Slack app's and the live feed's monitors (bench/answers.py).
SLACK_BOT_TOKEN = "xoxb-bench-local-only"  # noqa: S105  # nosec B105
SLACK_SIGNING_SECRET = "bench-signing-local-only"  # noqa: S105  # nosec B105
WEBHOOK_SECRET = "whsec-bench-local-only"  # noqa: S105  # nosec B105
REPO_ROOT = Path(__file__).resolve().parent.parent


def quiet_scenario(repeats: int = 6) -> Scenario:
    """The `quiet` scenario, its two hours played `repeats` times so every tick has traffic."""
    data = json.loads((SCENARIO_DIR / "quiet.json").read_text(encoding="utf-8"))
    data["segments"] = data["segments"] * repeats
    return Scenario.from_dict(data, name="quiet")


class HangingServer:
    """Accepts every connection and never answers: Ultravox hung, for every monitor at once."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=512)
        self._held: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self._socket.accept()
                self._held.append(connection)  # held open, never read, never answered

    @property
    def accepted(self) -> int:
        return len(self._held)


class _Server:
    """The child's side: the stand-ins and the commands that steer them."""

    def __init__(self, exit_stack: contextlib.ExitStack) -> None:
        from infra.local_stack.stack import LocalStack
        from infra.simulator.ultravox import UltravoxSimulator
        from infra.standins.slack_api import SlackWebApiStandIn
        from infra.standins.slack_catcher import SlackCatcher

        self.scenario = quiet_scenario()
        self.api_key = f"uvx-bench-{secrets.token_hex(12)}"
        self.stack = exit_stack.enter_context(
            LocalStack(parameters={"MonitorName": MONITOR, "ConcurrencyLimit": LIMIT})
        )
        self.ultravox = exit_stack.enter_context(UltravoxSimulator(self.scenario, self.api_key))
        self.slack = exit_stack.enter_context(SlackCatcher())
        self.slack_api = exit_stack.enter_context(
            SlackWebApiStandIn(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)
        )
        self.hanging = HangingServer()

    def ready(self) -> dict[str, Any]:
        webhook = self.slack.webhook_url()
        env = self.stack.function_environment() | {
            "ULTRAVOX_API_BASE_URL": self.ultravox.base_url,
            "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES": webhook.split("/services/")[0] + "/",
        }
        self.seed([MONITOR])
        return {
            "env": env,
            "outputs": self.stack.outputs,
            "api_key": self.api_key,
            "hanging_url": self.hanging.url,
            "slack_api_url": self.slack_api.base_url,
            "functions": self.function_environments(),
            "first_tick": (self.scenario.start + timedelta(hours=1, minutes=1)).isoformat(),
            "last_tick": self.scenario.end.isoformat(),
        }

    def seed(self, monitors: list[str]) -> None:
        """Each monitor's secrets and limit, as `put-secrets` and the template would leave them."""
        ssm = self.stack.client("ssm")
        values = {"ultravox-api-key": self.api_key, "slack-webhook-url": self.slack.webhook_url()}
        for monitor in monitors:
            for name, value in values.items():
                ssm.put_parameter(
                    Name=f"/ceilingwatch/{monitor}/{name}",
                    Value=value,
                    Type="SecureString",
                    Overwrite=True,
                )
            ssm.put_parameter(
                Name=f"/ceilingwatch/{monitor}/concurrency-limit",
                Value=LIMIT,
                Type="String",
                Overwrite=True,
            )

    def function_environments(self) -> dict[str, dict[str, str]]:
        """Each deployed function's own environment, by handler, plus what reaches moto."""
        functions = self.stack.client("lambda").list_functions()["Functions"]
        aws = {k: v for k, v in self.stack.function_environment().items() if k.startswith("AWS_")}
        return {
            f["Handler"]: {**f.get("Environment", {}).get("Variables", {}), **aws}
            for f in functions
        }

    def seed_answering(self, clicks: str, webhooks: str) -> None:
        """A monitor on the Slack app over its limit (clicks answer on its open incident), and
        one with the live feed far under its limit (a webhook is recorded, never news)."""
        from infra.standins.slack_api import DEFAULT_CHANNEL

        ssm = self.stack.client("ssm")
        values = {
            clicks: {
                "ultravox-api-key": self.api_key,
                "slack-bot-token": SLACK_BOT_TOKEN,
                "slack-signing-secret": SLACK_SIGNING_SECRET,
                "slack-channel-id": DEFAULT_CHANNEL,
                "concurrency-limit": "1",
            },
            webhooks: {
                "ultravox-api-key": self.api_key,
                "ultravox-webhook-secret": WEBHOOK_SECRET,
                "concurrency-limit": "100000",
            },
        }
        for monitor, parameters in values.items():
            for name, value in parameters.items():
                plain = name in ("concurrency-limit", "slack-channel-id")
                kind = "String" if plain else "SecureString"
                ssm.put_parameter(
                    Name=f"/ceilingwatch/{monitor}/{name}", Value=value, Type=kind, Overwrite=True
                )

    def click(self, action: str) -> dict[str, Any]:
        """A click signed now on the newest incident's root, as its Function URL gets it."""
        roots = self.slack_api.roots()
        if not roots:
            raise ValueError("no incident in Slack to click on: the check posted nothing")
        return self.slack_api.click(roots[-1].ts, action)

    def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        match command["op"]:
            case "clock":
                self.ultravox.set_clock(datetime.fromisoformat(command["at"]))
            case "huge":  # the next concurrency answer carries `count` buckets
                self.ultravox.inject(Fault(kind="huge", count=int(command["count"])))
            case "seed":
                self.seed(list(command["monitors"]))
            case "seed-answering":
                self.seed_answering(command["clicks"], command["webhooks"])
            case "clicks":
                return {"events": [self.click(command["action"]) for _ in range(command["count"])]}
            case "counts":
                paths = Counter(r.path for r in self.ultravox.requests)
                return {
                    "ultravox": dict(paths),
                    "slack": self.slack.attempts,
                    "hanging": self.hanging.accepted,
                }
            case other:
                raise ValueError(f"unknown command {other!r}")
        return {}


def serve(commands: IO[str], replies: IO[str]) -> None:
    with contextlib.ExitStack() as exit_stack:
        server = _Server(exit_stack)
        print("READY " + json.dumps(server.ready()), file=replies, flush=True)
        for line in commands:
            command = json.loads(line)
            if command["op"] == "stop":
                break
            try:
                reply = {"ok": True, **server.handle(command)}
            except Exception as error:  # reported to the bench, which fails with it
                reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            print(json.dumps(reply), file=replies, flush=True)


class StandInsError(Exception):
    """The stand-ins' process failed or refused a command."""


class StandIns:
    """The bench's handle on the stand-ins' process."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    def __enter__(self) -> StandIns:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.standins"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("READY "):
            self.__exit__(None, None, None)
            raise StandInsError("the stand-ins did not start (run `python -m bench.standins`)")
        self.info = json.loads(line[len("READY ") :])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps({"op": "stop"}) + "\n")
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None

    def command(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self._process is not None
        assert self._process.stdin
        assert self._process.stdout
        self._process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self._process.stdin.flush()
        reply: dict[str, Any] = json.loads(self._process.stdout.readline() or "{}")
        if not reply.get("ok"):
            raise StandInsError(reply.get("error", "the stand-ins' process ended"))
        return reply

    def set_clock(self, at: datetime) -> None:
        self.command("clock", at=at.isoformat())

    @property
    def env(self) -> dict[str, str]:
        return dict(self.info["env"])

    def first_tick(self) -> datetime:
        return datetime.fromisoformat(self.info["first_tick"])


def main() -> None:
    # The stand-ins log to stdout (moto, the handler's logger setup): replies get a private copy.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr
    os.dup2(sys.stderr.fileno(), 1)
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
