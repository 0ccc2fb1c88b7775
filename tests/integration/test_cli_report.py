"""`ceilingwatch report` over real sockets: the simulator's two weeks, in text and as a page."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from ceilingwatch.cli import main

from infra.simulator.ultravox import Scenario, UltravoxSimulator

pytestmark = pytest.mark.integration

API_KEY = f"uvx-itest-{secrets.token_hex(8)}"
HISTORY = Scenario.load("two-weeks")
AT = HISTORY.end.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def ultravox(monkeypatch: pytest.MonkeyPatch) -> Iterator[UltravoxSimulator]:
    with UltravoxSimulator(HISTORY, API_KEY) as simulator:
        simulator.set_clock(HISTORY.end)
        monkeypatch.setenv("ULTRAVOX_API_KEY", API_KEY)
        monkeypatch.setenv("ULTRAVOX_API_BASE_URL", simulator.base_url)
        monkeypatch.setenv("COLUMNS", "120")
        yield simulator


def test_report_prints_the_digest(
    ultravox: UltravoxSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--limit", "50", "--days", "14", "--at", AT]) == 0
    out = capsys.readouterr().out
    for part in ("Highest peak", "Utilisation", "Warning hours", "Trend", "Busiest hours"):
        assert part in out
    assert re.search(r"Recommendation (today|next \w+day) \d\d:00 UTC is forecast at \d+/50", out)
    assert "Plan risk     the pro plan lapses on Thu 03 Dec" in out
    assert API_KEY not in out
    hourly = [r for r in ultravox.requests if r.query.get("bucket") == "hour"]
    assert len(hourly) == 1 and hourly[0].query["start"] == "2026-11-16T00:00:00Z"


def test_report_writes_one_self_contained_page(
    ultravox: UltravoxSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    assert main(["report", "--limit", "50", "--html", str(page), "--at", AT]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<script" not in html
    assert f"wrote {page}: peak " in capsys.readouterr().out


@pytest.mark.parametrize(("days", "problem"), [("6", "from 7 to 56 days"), ("x", "whole number")])
def test_report_refuses_a_history_it_cannot_judge(
    days: str, problem: str, ultravox: UltravoxSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--limit", "50", "--days", days]) == 3
    assert problem in capsys.readouterr().err


def test_report_says_when_the_page_cannot_be_written(
    ultravox: UltravoxSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "report.html"
    assert main(["report", "--limit", "50", "--html", str(target), "--at", AT]) == 3
    assert "could not write" in capsys.readouterr().err
