"""The answer-time section's model: CPU stretched to a MemorySize, deadlines, what it measures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load

from bench import live_costs
from bench.answers import BEFORE_MB, FUNCTIONS, FunctionFigures, Samples, template_settings
from bench.fleet import CPU_STRETCH, VCPU_MB

REPO = Path(__file__).resolve().parents[3]


def resources() -> dict[str, Any]:
    loaded: dict[str, Any] = load(str(REPO / "template.yaml"))
    return dict(loaded["Resources"])


def test_only_the_cpu_is_stretched_and_never_below_one_core() -> None:
    samples = Samples(cpu=[100.0], wall=[150.0], import_cpu=[40.0])
    # 50 ms of waiting stays 50 ms; 100 ms of CPU takes 1769/128 times as long at 128 MB.
    assert samples.at(128).median == pytest.approx(0.05 + 0.1 * CPU_STRETCH)
    assert samples.at(VCPU_MB).median == pytest.approx(0.15)
    # A single-threaded answer gains nothing from a second vCPU.
    assert samples.at(2 * VCPU_MB).median == pytest.approx(0.15)


def test_the_bench_measures_the_handlers_the_template_deploys() -> None:
    found = resources()
    for function, handler in FUNCTIONS.values():
        assert found[function]["Properties"]["Handler"] == handler
    settings = template_settings()
    assert settings["interactions"] == (
        found["InteractionsFunction"]["Properties"]["MemorySize"],
        found["InteractionsFunction"]["Properties"]["Timeout"],
    )


def test_make_build_prepares_every_function_it_deploys() -> None:
    # A function left as sam build leaves it has no .pyc: every cold start compiles it all.
    functions = {
        name
        for name, resource in resources().items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"^FUNCTIONS := (.+)$", makefile, re.MULTILINE)
    assert listed is not None
    assert set(listed.group(1).split()) == functions
    assert "--prepare .aws-sam/build/$$function" in makefile


def figures(kind: str, cold_cpu: float, statuses: list[int], memory: int) -> FunctionFigures:
    cold = Samples(cpu=[cold_cpu] * 3, wall=[cold_cpu + 100] * 3, import_cpu=[50.0] * 3)
    warm = Samples(cpu=[5.0], wall=[20.0], import_cpu=[0.0])
    return FunctionFigures(
        kind=kind,
        function=FUNCTIONS[kind][0],
        memory_mb=memory,
        deadline_s=3.0,
        deadline_text="Slack's 3 s",
        cold={"sam build": cold, "prepared": cold},
        warm=warm,
        statuses=statuses,
    )


def test_a_cold_answer_over_its_deadline_at_the_template_memory_fails_the_bench() -> None:
    # 330 ms of CPU: 4.7 s at 128 MB, 1.2 s at 512 MB.
    assert figures("interactions", 330.0, [200], 512).problems() == []
    [problem] = figures("interactions", 330.0, [200], BEFORE_MB).problems()
    assert problem == "InteractionsFunction answers cold in 4.66 s at 128 MB"


def test_a_wrong_answer_fails_the_bench_whatever_its_speed() -> None:
    assert figures("webhook", 10.0, [204], 256).problems() == []
    assert figures("webhook", 10.0, [204, 401], 256).problems() == [
        "UltravoxWebhookFunction answered [204, 401]"
    ]
    # A click is answered 200, a webhook 204: each is held to its own.
    assert figures("interactions", 10.0, [204], 512).problems() != []


def test_webhook_compute_is_billed_per_started_millisecond_in_proportion_to_memory() -> None:
    gb_s, usd = live_costs.compute(0.0101, 128)  # 10.1 ms bills 11 ms
    assert gb_s == pytest.approx(live_costs.WEBHOOKS_A_MONTH * 0.011 / 8)
    assert usd == pytest.approx(gb_s * live_costs.PRICE["lambda_gb_second_arm"])
    assert live_costs.compute(0.011, 512)[0] == pytest.approx(4 * gb_s)
