"""Cold start in fresh interpreters: import cost against boto3's, and peak memory of one run."""

from __future__ import annotations

import compileall
import importlib.util
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.child import MARKER
from infra.package import RUNTIME_SDK

CHILD = Path(__file__).resolve().parent / "child.py"
REPO_ROOT = CHILD.parents[1]
# What the Lambda Python runtime puts on sys.path after /var/task: the AWS SDK and its deps.

# What the runtime sets that the handler, Powertools or botocore may read.
LAMBDA_RUNTIME_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "ceilingwatch-CheckFunction",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
}


class ChildError(Exception):
    """A fresh interpreter failed; the message is its last line of error output."""


@dataclass(frozen=True)
class Layout:
    """How a child finds its modules: like Lambda (the built package, then the SDK) or the venv."""

    name: str
    pythonpath: str
    flags: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    problem: str = ""  # why the Lambda layout could not be used


def lambda_layout(function_dir: Path, runtime_dir: Path) -> Layout:
    """The built package first, then a directory holding only the SDK, as Lambda orders them.

    The zip carries no .pyc and /var/task is read-only, so Lambda compiles the package's modules
    on every cold start: the child may not write bytecode either (the SDK's is precompiled).
    """
    runtime_dir.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_SDK:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ChildError(f"{name} is not installed in this venv")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = runtime_dir / source.name
        if not link.exists():
            link.symlink_to(source)
    for cache in function_dir.rglob("__pycache__"):
        shutil.rmtree(cache)
    return Layout(
        name="lambda",
        pythonpath=f"{function_dir}{os.pathsep}{runtime_dir}",
        # -S: no site-packages, so nothing the package lacks can be found by accident.
        flags=("-S",),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )


def with_bytecode(layout: Layout, function_dir: Path, copy_dir: Path) -> Layout:
    """`layout` with a copy of the package that carries .pyc, as the zip could.

    Unchecked-hash .pyc, because the zip's fixed timestamps would fail the usual mtime check.
    """
    shutil.copytree(function_dir, copy_dir, symlinks=True)
    compileall.compile_dir(
        copy_dir, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    paths = [
        str(copy_dir) if p == str(function_dir) else p for p in layout.pythonpath.split(os.pathsep)
    ]
    return replace(layout, name=f"{layout.name} + .pyc", pythonpath=os.pathsep.join(paths))


def dev_layout(problem: str) -> Layout:
    """The repository's venv: the fallback when the package cannot even be imported."""
    return Layout(
        name="dev venv",
        pythonpath=str(REPO_ROOT / "functions"),
        # The venv has the X-Ray SDK, which would trace; the tests and the demo turn it off too.
        env={"POWERTOOLS_TRACE_DISABLED": "true"},
        problem=problem,
    )


def run_child(layout: Layout, env: Mapping[str, str], *args: str) -> dict[str, Any]:
    """One fresh interpreter in `layout`, with `env` and nothing else from this process."""
    child_env = {
        "PATH": os.environ.get("PATH", ""),
        **LAMBDA_RUNTIME_ENV,
        **env,
        **layout.env,
        "PYTHONPATH": layout.pythonpath,
    }
    # -P: the script's own directory stays off sys.path.
    command = [sys.executable, *layout.flags, "-P", str(CHILD), *args]
    done = subprocess.run(
        command, env=child_env, capture_output=True, text=True, timeout=120, check=False
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            figures: dict[str, Any] = json.loads(line[len(MARKER) :])
            return figures
    lines = done.stderr.strip().splitlines() or ["no output"]
    raise ChildError(f"{' '.join(args[:1])} in the {layout.name} layout: {lines[-1]}")


def choose_layout(lambda_: Layout, env: Mapping[str, str]) -> Layout:
    """The Lambda layout if the handler imports there; otherwise the venv, with the reason."""
    try:
        run_child(lambda_, env, "handler")
    except ChildError as error:
        return dev_layout(str(error))
    return lambda_


@dataclass(frozen=True)
class ImportFigures:
    runs: int
    boto3_ms: float
    handler_ms: float
    handler_boto3_ms: float
    boto3_ready_ms: float
    handler_ready_ms: float
    handler_pyc_ms: float | None  # the handler again, from a package that carries .pyc


def measure_imports(
    layout: Layout, env: Mapping[str, str], runs: int, bytecode: Layout | None = None
) -> ImportFigures:
    """Median figures over `runs` rounds of fresh interpreters, the kinds interleaved."""
    kinds = [("boto3", layout), ("handler", layout)]
    if bytecode is not None:
        kinds.append(("handler", bytecode))
    samples: dict[str, list[float]] = {"boto3": [], "boto3_ready": [], "handler": []}
    samples |= {"handler_boto3": [], "handler_ready": [], "handler_pyc": []}
    # One of each first, discarded: it warms the OS file cache for all alike.
    for mode, where in kinds:
        run_child(where, env, mode)
    for i in range(runs):
        # Rotate which goes first, so drift in the machine's load falls on every kind.
        for mode, where in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:
            figures = run_child(where, env, mode)
            if mode == "boto3":
                samples["boto3"].append(figures["import_ms"])
                samples["boto3_ready"].append(figures["ready_ms"])
            elif where is bytecode:
                samples["handler_pyc"].append(figures["import_ms"])
            else:
                samples["handler"].append(figures["import_ms"])
                samples["handler_boto3"].append(figures["with_boto3_ms"])
                samples["handler_ready"].append(figures["ready_ms"])
    median = {name: statistics.median(values) for name, values in samples.items() if values}
    return ImportFigures(
        runs=runs,
        boto3_ms=median["boto3"],
        handler_ms=median["handler"],
        handler_boto3_ms=median["handler_boto3"],
        boto3_ready_ms=median["boto3_ready"],
        handler_ready_ms=median["handler_ready"],
        handler_pyc_ms=median.get("handler_pyc"),
    )


@dataclass(frozen=True)
class MemoryFigures:
    runs: int
    peak_mb: float
    boto3_mb: float
    statuses: list[str]


def measure_memory(
    layout: Layout, env: Mapping[str, str], events: list[dict[str, Any]], before_each: Any
) -> MemoryFigures:
    """Peak RSS of one cold invocation per event, each in a fresh interpreter; the worst one."""
    peaks, boto3_peaks, statuses = [], [], []
    for event in events:
        before_each(event)
        figures = run_child(layout, env, "invoke", json.dumps(event))
        peaks.append(figures["rss_mb"])
        boto3_peaks.append(figures["boto3_rss_mb"])
        statuses.append(str(figures["status"]))
    return MemoryFigures(len(events), max(peaks), max(boto3_peaks), statuses)
