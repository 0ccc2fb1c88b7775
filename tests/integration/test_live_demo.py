"""The live part of `make demo` runs, and the live feed tells the campaign once per level."""

from __future__ import annotations

import io

import pytest

from infra.demo.live import run_live_demo

pytestmark = pytest.mark.integration


def test_the_live_demo_tells_the_campaign_at_its_limit_once() -> None:
    out = io.StringIO()
    report = run_live_demo(out, calls=20)
    subjects = [subject for subject, _ in report.told]
    assert subjects[-1] == "[AT_LIMIT] demo: 20/20 concurrent calls (100%)"
    assert len({s.split("]")[0] for s in subjects}) == len(subjects)  # no level told twice
    assert all(after >= 0 for _, after in report.told)
    assert "the poll alone: the next scheduled run in" in out.getvalue()
