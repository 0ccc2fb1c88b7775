"""The pruned package: every module the handler imports still resolves, in a fresh interpreter."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest

from infra.packaging.package import POWERTOOLS, SHADOWING, import_problem, prepare, prune

REPO_ROOT = Path(__file__).resolve().parents[2]
# What `sam build` installs from functions/requirements.txt, copied from this venv instead.
DISTRIBUTIONS = (
    POWERTOOLS,
    "requests",
    "charset_normalizer",
    "idna",
    "certifi",
    "typing_extensions",
    *SHADOWING,
)


def built_like_sam(target: Path) -> Path:
    """A function directory as `sam build` leaves it: our package and its dependencies."""
    shutil.copytree(REPO_ROOT / "functions" / "ceilingwatch", target / "ceilingwatch")
    for name in DISTRIBUTIONS:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, f"{name} is not installed"
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, target / name, ignore=shutil.ignore_patterns("*.pyc"))
        else:
            shutil.copy2(origin, target / origin.name)
    return target


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    function_dir = built_like_sam(tmp_path_factory.mktemp("package") / "CheckFunction")
    assert prepare(function_dir)
    return function_dir


def test_the_pruned_package_imports_the_handler_and_builds_its_clients(package: Path) -> None:
    # Given the package pruned and compiled as `make build` does, when a fresh interpreter with
    # only the runtime's SDK beside it imports the handler and builds the clients: it works.
    assert import_problem(package) == ""


def test_the_unused_powertools_and_the_shadowing_sdk_copies_are_gone(package: Path) -> None:
    powertools = package / POWERTOOLS
    assert not (powertools / "event_handler").exists()
    assert not (powertools / "utilities" / "parser").exists()
    assert not (powertools / "utilities" / "idempotency").exists()
    assert not (powertools / "utilities" / "parameters").exists()  # our own SSM reader
    assert (powertools / "logging" / "logger.py").is_file()
    for name in SHADOWING:
        assert not (package / name).exists(), f"{name} would shadow the runtime's copy"
    assert list(package.rglob("ceilingwatch/__pycache__/handler.*.pyc")), "no bytecode shipped"
    # the laptop's tools stay on the laptop; what a run needs of foresight ships
    assert not (package / "ceilingwatch" / "cli").exists()
    assert not (package / "ceilingwatch" / "domain" / "report.py").exists()
    assert (package / "ceilingwatch" / "domain" / "forecast.py").is_file()
    assert (package / "ceilingwatch" / "services" / "weekly.py").is_file()


def test_charset_normalizer_ships_its_sources_and_still_detects_an_encoding(package: Path) -> None:
    # Its mypyc builds are pruned (a third of the zip); requests' encoding guess must still work.
    charset = package / "charset_normalizer"
    assert not list(charset.glob("*.so")) and not (charset / "cli").exists()
    guess = subprocess.run(  # noqa: S603  # nosec B603 - our own interpreter and code
        [sys.executable, "-S", "-c", DETECT],
        env={"PYTHONPATH": str(package), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert guess.stdout.strip() == "utf_8 False"


DETECT = """
import charset_normalizer, charset_normalizer.md
best = charset_normalizer.from_bytes("Zürich, Genève, Ærø: café".encode()).best()
print(best.encoding, charset_normalizer.md.__file__.endswith(".so"))
"""


def test_the_check_names_a_module_that_pruning_took_away(tmp_path: Path) -> None:
    # Given a package pruned one subpackage too far, the import check says what is missing.
    function_dir = built_like_sam(tmp_path / "CheckFunction")
    prune(function_dir)
    shutil.rmtree(function_dir / POWERTOOLS / "utilities" / "typing")
    problem = import_problem(function_dir)
    assert "aws_lambda_powertools.utilities.typing" in problem
