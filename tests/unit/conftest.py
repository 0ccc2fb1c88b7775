"""Unit-test fixtures: snapshots of exact payloads, kept in tests/unit/snapshots."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"


class Snapshot:
    """Compares a payload with its stored copy; UPDATE_SNAPSHOTS=1 rewrites it after a review."""

    def assert_match(self, name: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        path = SNAPSHOTS / name
        if os.environ.get("UPDATE_SNAPSHOTS") == "1":
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no snapshot {name}: run with UPDATE_SNAPSHOTS=1 and review it"
        assert text == path.read_text(encoding="utf-8"), f"{name} changed"


@pytest.fixture
def snapshot() -> Snapshot:
    return Snapshot()
