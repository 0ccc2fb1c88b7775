"""The live part of `make demo`: the simulator's campaign, told by the live feed once a level."""

from __future__ import annotations

import io

import pytest

from infra.demo.live import run_live_demo

pytestmark = pytest.mark.integration


def test_the_live_demo_tells_the_campaign_at_its_limit_once() -> None:
    out = io.StringIO()
    report = run_live_demo(out)
    subjects = [subject for subject, _ in report.told]
    assert subjects[-1] == "[AT_LIMIT] demo: 20/20 concurrent calls (100%)"
    assert len({s.split("]")[0] for s in subjects}) == len(subjects)  # no level told twice
    assert all(after >= 0 for _, after in report.told)
    printed = out.getvalue()
    assert "the poll alone: the next scheduled run in" in printed
    # Set up as a person does, and the call running before the feed was on counted from
    # activeCalls by the first run: without it the batch of 19 would stop at 19/20.
    assert "$ ceilingwatch live enable --monitor demo" in printed
    assert "scheduled run: 1/20 calls, OK; live count 1" in printed
    assert len(report.answers) == 2 * 19  # each call's call.started and call.joined, from the sim
