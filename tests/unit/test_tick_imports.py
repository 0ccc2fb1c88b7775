"""A scheduled tick imports only what a tick uses: every module more is paid at each cold start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Modules of other actions and of the laptop, and library layers a tick never uses.
FORBIDDEN = (
    "boto3",  # the clients are botocore's own: boto3's session and resources are not needed
    "boto3.resources",
    "s3transfer",
    "aws_lambda_powertools.utilities.parameters",
    "ceilingwatch.cli",
    "ceilingwatch.domain.digest",
    "ceilingwatch.domain.digest_text",
    "ceilingwatch.domain.report",
    "ceilingwatch.domain.chart",
    "ceilingwatch.domain.backtest",
    "ceilingwatch.domain.replay",
    "ceilingwatch.services.config_change",
    "ceilingwatch.services.interactions",
    "ceilingwatch.services.responses",
    "ceilingwatch.services.notices",
    "ceilingwatch.services.weekly",
    "ceilingwatch.channels.slack_clicks",
    "ceilingwatch.interactions",
    # Loaded only where a monitor uses them: the Slack app, the live feed, the fan-out.
    "ceilingwatch.channels.slack_app",
    "ceilingwatch.channels.slack_web",
    "ceilingwatch.channels.slack_thread",
    "ceilingwatch.adapters.ultravox.webhooks",
    "ceilingwatch.services.reconcile",
    "ceilingwatch.domain.live_reconcile",
    "ceilingwatch.domain.fleet",
    "statistics",  # with fractions and decimal: the forecast's median is its own
    "requests",  # Ultravox's GET goes by urllib3 (botocore's); the channels load it to send
    "concurrent.futures.thread",  # the send phase's threads: a quiet tick starts none
)

# The real handler and the real wiring (bootstrap's clients and adapters), with only the wire
# faked: SSM, DynamoDB and Ultravox answer from memory. Only the standard library and the
# package are imported before the tick, so sys.modules afterwards is what the tick loaded.
TICK = r"""
import gc, json, sys

from ceilingwatch import handler
# Frozen objects are in no generation: no collection walks them.
walked = any(o is handler.lambda_handler for o in gc.get_objects())
from ceilingwatch.bootstrap import build_dependencies

class Ssm:
    def get_parameters_by_path(self, **options):
        values = {"concurrency-limit": "50", "ultravox-api-key": "uvx-import-check-key-0001"}
        path = options["Path"]
        return {"Parameters": [{"Name": path + k, "Value": v} for k, v in values.items()]}

class Dynamodb:
    def get_item(self, **options):
        return {}
    def put_item(self, **options):
        return {}

class Answer:
    status_code, ok, headers = 200, True, {"Content-Type": "application/json"}
    def __init__(self, body):
        self.body = json.dumps(body).encode()
    def iter_content(self, size):
        yield self.body
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        pass

class Ultravox:
    def get(self, url, **options):
        if "/usage/concurrency" in url:
            bucket = {"timestamp": "2026-11-24T14:30:00Z", "maxTotalCalls": 12,
                      "maxJoinedCalls": 12, "avgTotalCalls": 9.0, "avgJoinedCalls": 9.0}
            return Answer({"timeSeries": [bucket]})
        return Answer({"allowedConcurrentCalls": 50, "activeCalls": 3})

deps = build_dependencies()
deps.parameters.client = Ssm()
deps.states.client = Dynamodb()
deps.usage.keywords["wiring"].session = Ultravox()
handler._dependencies = deps

class Context:
    function_name, memory_limit_in_mb, aws_request_id = "check", 128, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:check"
    def get_remaining_time_in_millis(self):
        return 30_000

event = {"monitor": "default", "scheduledTime": "2026-11-24T14:36:00Z",
         "executionId": "import-check", "attempt": "1"}
result = handler.lambda_handler(event, Context())
print("TICK-RESULT " + json.dumps(
    {"status": result.get("status"), "modules": sorted(sys.modules), "walked": walked}
))
"""


def run_one_tick() -> dict[str, object]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO_ROOT / "functions"),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105 - never sent anywhere
        "AWS_EC2_METADATA_DISABLED": "true",
        "STATE_TABLE_NAME": "ceilingwatch-state",
        "LIVE_CALLS_TABLE_NAME": "ceilingwatch-live-calls",  # as template.yaml sets it
        "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:ceilingwatch",
        "ULTRAVOX_API_BASE_URL": "https://ultravox.invalid",
        "POWERTOOLS_SERVICE_NAME": "ceilingwatch",
    }
    done = subprocess.run(  # noqa: S603  # nosec B603 - our own interpreter and code
        [sys.executable, "-c", TICK], env=env, capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("TICK-RESULT "):
            found: dict[str, object] = json.loads(line.removeprefix("TICK-RESULT "))
            return found
    raise AssertionError(f"the tick did not finish: {done.stderr.strip()[-2000:]}")


def test_a_tick_imports_nothing_of_the_other_actions_or_the_laptop() -> None:
    tick = run_one_tick()
    assert tick["status"] == "OK"  # judged: the check below saw a whole tick's imports
    modules = set(tick["modules"])  # type: ignore[call-overload]
    loaded = sorted(
        name
        for name in modules
        for forbidden in FORBIDDEN
        if name == forbidden or name.startswith(forbidden + ".")
    )
    assert loaded == [], f"a tick imported {loaded}"
    # What it must load, so a test that ran nothing cannot pass.
    assert {"botocore.client", "ceilingwatch.services.monitor"} <= modules


def test_what_the_handler_imported_is_frozen_out_of_every_collection() -> None:
    # Unfrozen, the first tick's generation-1 collection walks every object the imports made.
    assert run_one_tick()["walked"] is False
