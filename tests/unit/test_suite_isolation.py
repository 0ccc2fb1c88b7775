"""The unit suite runs without the integration stack: no moto server, no local stand-ins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Refuses the modules only the integration stack needs, then runs pytest on the unit tests.
BLOCKED_RUN = """
import sys
BLOCKED = (
    "moto.server", "flask", "infra.local_stack.stack", "infra.demo", "infra.simulator.ultravox"
)

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.startswith(BLOCKED):
            raise ImportError(f"blocked for this test: {name}")
        return None

sys.meta_path.insert(0, Blocker())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def pytest_without_the_stack(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", BLOCKED_RUN, "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(  # noqa: S603
        command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def test_unit_tests_need_no_moto_server_nor_local_stand_ins() -> None:
    # Every unit test is collected (conftest included); the template's tests and the handler's
    # (which use the log fixture) also run.
    collected = pytest_without_the_stack("--collect-only", "tests/unit")
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    ran = pytest_without_the_stack(
        "tests/unit/template/test_template.py", "tests/unit/test_handler.py"
    )
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout
