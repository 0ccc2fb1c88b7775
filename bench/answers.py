"""How fast the two Function URLs answer: a Slack click and an Ultravox webhook, cold and warm.

Each function in fresh interpreters in the Lambda layout, from its own `sam build` output: as
sam leaves it (what `make build` deployed for these two before it prepared them: no .pyc,
nothing pruned), and prepared as the check function's package is (pruned, compiled). The
answers go to the stand-ins' process (moto, the Slack Web API stand-in); their CPU is stretched
to a MemorySize's share of a vCPU as the fleet's model does, and held against the deadline.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ceilingwatch.domain.live_signature import sign
from cfnlint.decode.cfn_yaml import load

from bench.cold import BENCH_DIR, LAMBDA_RUNTIME_ENV, Layout, run_child
from bench.fleet import cpu_stretch
from bench.stats import Spread
from infra.packaging.package import REPO_ROOT, prepare

if TYPE_CHECKING:  # the stand-ins load at run time only: the unit tests run without them
    from bench.standins import StandIns

ANSWER_CHILD = BENCH_DIR / "answer_child.py"
CLICKS, WEBHOOKS = "answer-clicks", "answer-webhooks"  # the two monitors answered for
FUNCTIONS = {  # kind (answer_child.py's): the function in template.yaml, its handler
    "interactions": ("InteractionsFunction", "ceilingwatch.interactions.lambda_handler"),
    "webhook": ("UltravoxWebhookFunction", "ceilingwatch.webhook.lambda_handler"),
}
SLACK_CLICK_SECONDS = 3.0  # Slack shows the user an error unless the click is answered in 3 s
# Ultravox names no timeout, only "answer 2xx quickly" and retries (shared/ultravox/FACTS.md):
# the receiver's bound is its own Timeout in template.yaml.
LAYOUTS = ("sam build", "prepared")
MEMORY_OPTIONS = (128, 256, 512, 1024)  # MemorySize values shown beside the template's
BEFORE_MB = 128  # both functions' MemorySize before this section measured them


@dataclass(frozen=True)
class Samples:
    """One function in one layout: each answer's CPU and wall, and the cold import's CPU."""

    cpu: list[float]
    wall: list[float]
    import_cpu: list[float]

    def at(self, memory_mb: int) -> Spread:
        """The answer's seconds at `memory_mb`: waiting as measured, CPU stretched."""
        stretch = cpu_stretch(memory_mb)
        return Spread.of(
            [(w - c + c * stretch) / 1000 for c, w in zip(self.cpu, self.wall, strict=True)]
        )


@dataclass(frozen=True)
class FunctionFigures:
    kind: str
    function: str
    memory_mb: int  # its MemorySize in template.yaml
    deadline_s: float
    deadline_text: str
    cold: dict[str, Samples]  # by layout
    warm: Samples  # prepared, after the first (cold) answer in the same interpreter
    statuses: list[int]

    def problems(self) -> list[str]:
        """Why the bench fails: a wrong answer, or the cold answer as deployed too slow."""
        expected = 200 if self.kind == "interactions" else 204
        found = [f"{self.function} answered {self.statuses}"] if self.statuses != [expected] else []
        cold = self.cold["prepared"].at(self.memory_mb).median
        if cold > self.deadline_s:
            found.append(f"{self.function} answers cold in {cold:.2f} s at {self.memory_mb} MB")
        return found


def template_settings() -> dict[str, tuple[int, int]]:
    """(MemorySize, Timeout) of each measured function, as template.yaml deploys it."""
    resources = load(str(REPO_ROOT / "template.yaml"))["Resources"]
    return {
        kind: (
            int(resources[function]["Properties"]["MemorySize"]),
            int(resources[function]["Properties"]["Timeout"]),
        )
        for kind, (function, _) in FUNCTIONS.items()
    }


def layouts(build_dir: Path, sdk: Layout) -> dict[str, dict[str, Layout]]:
    """Each function's two layouts: sam build's output as is, and a prepared copy of it."""
    runtime_dir = sdk.pythonpath.split(":")[-1]
    found: dict[str, dict[str, Layout]] = {}
    for kind, (function, _) in FUNCTIONS.items():
        raw = build_dir / function
        ready = build_dir.parent / "prepared" / function
        shutil.rmtree(ready, ignore_errors=True)
        shutil.copytree(raw, ready, symlinks=True)
        if not prepare(ready):
            raise RuntimeError(f"{function} does not compile")
        found[kind] = {
            name: Layout(pythonpath=f"{path}:{runtime_dir}")
            for name, path in zip(LAYOUTS, (raw, ready), strict=True)
        }
    return found


def webhook_requests(count: int, first: int) -> list[dict[str, Any]]:
    """Signed `call.started` webhooks, each a new call, as the Function URL delivers them."""
    from bench.standins import WEBHOOK_SECRET
    from infra.simulator.calls import one_call

    requests = []
    for n in range(first, first + count):
        body = one_call(f"answer-{n}", datetime.now(UTC)).body("call.started")
        stamp = datetime.now(UTC).isoformat()
        requests.append(
            {
                "rawPath": f"/{WEBHOOKS}",
                "headers": {
                    "x-ultravox-webhook-timestamp": stamp,
                    "x-ultravox-webhook-signature": sign(body, stamp, WEBHOOK_SECRET),
                },
                "body": body.decode(),
                "isBase64Encoded": False,
            }
        )
    return requests


def measure(
    standins: StandIns,
    build_dir: Path,
    sdk: Layout,
    check: Callable[[str], object],
    rounds: int,
    warm_n: int,
) -> list[FunctionFigures]:
    """Cold rounds (every function and layout, order rotated), then warm answers, prepared."""
    standins.command("seed-answering", clicks=CLICKS, webhooks=WEBHOOKS)
    for monitor in (CLICKS, WEBHOOKS):
        check(monitor)  # an open incident to click on; the feed's state
    where = layouts(build_dir, sdk)
    envs = _environments(standins)
    made = iter(range(1_000_000))

    def requests(kind: str, count: int) -> list[dict[str, Any]]:
        if kind == "webhook":
            return webhook_requests(count, next(made) * 1000)
        return list(standins.command("clicks", action="snooze-1h", count=count)["events"])

    def answer(kind: str, layout: str, count: int) -> dict[str, Any]:
        return run_child(
            where[kind][layout],
            envs[kind],
            kind,
            json.dumps(requests(kind, count)),
            script=ANSWER_CHILD,
        )

    pairs = [(kind, layout) for kind in FUNCTIONS for layout in LAYOUTS]
    cold: dict[tuple[str, str], list[dict[str, Any]]] = {pair: [] for pair in pairs}
    for i in range(-1, rounds):  # the first round discarded: it warms the file cache for all
        for kind, layout in pairs[i % len(pairs) :] + pairs[: i % len(pairs)]:
            figures = answer(kind, layout, 1)
            if i >= 0:
                cold[kind, layout].append(figures)
    warm = {kind: answer(kind, "prepared", warm_n + 1) for kind in FUNCTIONS}
    return [_figures(kind, cold, warm[kind]) for kind in FUNCTIONS]


def _environments(standins: StandIns) -> dict[str, dict[str, str]]:
    """Each function's own environment from the local stack, as Lambda's runtime sets it."""
    functions: Mapping[str, Mapping[str, str]] = standins.info["functions"]
    envs = {}
    for kind, (function, handler) in FUNCTIONS.items():
        envs[kind] = {
            **functions[handler],
            "AWS_LAMBDA_FUNCTION_NAME": f"ceilingwatch-{function}",
            "CEILINGWATCH_SLACK_API_URL": standins.info["slack_api_url"],
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    assert "AWS_LAMBDA_FUNCTION_NAME" in LAMBDA_RUNTIME_ENV  # what the override replaces
    return envs


def _figures(
    kind: str, cold: dict[tuple[str, str], list[dict[str, Any]]], warm: dict[str, Any]
) -> FunctionFigures:
    memory, timeout = template_settings()[kind]
    samples = {layout: _samples(cold[kind, layout]) for layout in LAYOUTS}
    later = warm["answers"][1:]
    runs = [run for layout in LAYOUTS for run in cold[kind, layout]] + [warm]
    statuses = sorted({a["status"] for run in runs for a in run["answers"]})
    if kind == "interactions":
        deadline, text = SLACK_CLICK_SECONDS, "Slack's 3 s for a click"
    else:
        deadline, text = float(timeout), f"its Timeout ({timeout} s; Ultravox names none)"
    return FunctionFigures(
        kind=kind,
        function=FUNCTIONS[kind][0],
        memory_mb=memory,
        deadline_s=deadline,
        deadline_text=text,
        cold=samples,
        warm=Samples([a["cpu_ms"] for a in later], [a["wall_ms"] for a in later], import_cpu=[0.0]),
        statuses=statuses,
    )


def _samples(runs: list[dict[str, Any]]) -> Samples:
    return Samples(
        cpu=[r["answers"][0]["cpu_ms"] for r in runs],
        wall=[r["answers"][0]["wall_ms"] for r in runs],
        import_cpu=[r["import"]["cpu_ms"] for r in runs],
    )


def main() -> None:
    """This section alone: `python -m bench.answers`."""
    import tempfile

    from bench import cold, package_size, report
    from bench.run import checker
    from bench.standins import StandIns

    package = package_size.build()
    with StandIns() as standins, tempfile.TemporaryDirectory(prefix="ceilingwatch-sdk-") as sdk:
        standins.command("clock", at=standins.info["last_tick"])
        layout = cold.lambda_layout(package.function_dir, Path(sdk))
        env = standins.env | {"CEILINGWATCH_SLACK_API_URL": standins.info["slack_api_url"]}
        check = checker(layout, env, standins.first_tick())
        figures = measure(standins, package.function_dir.parent, layout, check, 9, 40)
    print("\n".join(report.answers(figures)))
    for problem in (p for f in figures for p in f.problems()):
        print(f"FAIL: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
