"""Builds the check function's deployment package with `sam build`, zips it, and checks its size."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / ".aws-sam" / "package"
FUNCTION = "CheckFunction"
ZIP_PATH = REPO_ROOT / ".aws-sam" / "check-function.zip"
# PRODUCT.md's bar; Lambda's own limit for a direct upload is 50 MB.
MAX_ZIP_BYTES = 1_500_000
# The Lambda runtime ships the AWS SDK; a copy in the package only adds size and cold start.
FORBIDDEN = ("boto3", "botocore")
# What the python3.13 runtime ships beside the package.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
# What the handler imports at run time.
REQUIRED = ("ceilingwatch", "aws_lambda_powertools", "requests")
# Dependencies of requests and Powertools that the runtime ships as part of the SDK: a copy in
# the package would shadow the SDK's precompiled one, and be compiled again at every cold start.
SHADOWING = ("urllib3", "jmespath")
POWERTOOLS = "aws_lambda_powertools"
# Powertools subpackages a run never imports (about 1.8 MB, half the zip): import_problem()
# proves the handler still imports and builds its clients from what is left.
POWERTOOLS_UNUSED = (
    "event_handler",
    "middleware_factory",
    "logging/formatters",
    "metrics/provider/datadog",
)
# Of Powertools' utilities, the run uses only these; the rest (parser, idempotency, batch, and
# parameters: SSM is read by adapters/parameters.py) goes.
POWERTOOLS_UTILITIES_USED = ("__init__.py", "typing", "jmespath_utils")
# Our own modules that only the command line imports (the laptop's tools: the CLI, its charts,
# the backtest, the HTML report); import_problem() proves the handler imports without them.
LAPTOP_ONLY = (
    "ceilingwatch/cli",
    "ceilingwatch/domain/chart.py",
    "ceilingwatch/domain/backtest.py",
    "ceilingwatch/domain/report.py",
    "ceilingwatch/domain/replay.py",  # the CLI's replay and the backtest's loop
)
# charset_normalizer (requests' dependency) ships mypyc builds of two modules beside their pure
# Python sources, a third of the zip's compressed size between them; without them it imports the
# sources and detects the same encodings. Its command line is never run.
CHARSET_NORMALIZER = "charset_normalizer"
CHARSET_NORMALIZER_UNUSED = ("cli", "__main__.py")
# A fixed timestamp makes the zip depend on its contents only (zip cannot store 1970).
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """The package could not be built, or is not fit to deploy."""


def venv_bin() -> Path:
    """The bin directory of the dev virtualenv, whose python3.13 `sam build` must find."""
    local = REPO_ROOT / ".venv" / "bin"
    return local if local.is_dir() else Path(sys.executable).parent


def sam_build(template: Path, build_dir: Path) -> Path:
    """Runs the real `sam build` and returns the built function's directory."""
    bin_dir = venv_bin()
    sam = bin_dir / "sam"
    if not sam.exists():
        found = shutil.which("sam")
        if found is None:
            raise PackageError("sam not found: run `make dev` first")
        sam = Path(found)
    env = {
        **os.environ,
        # sam looks up `python3.13` on PATH for the python3.13 runtime: the venv's comes first.
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
    }
    command = [
        str(sam),
        "build",
        "--template",
        str(template),
        "--build-dir",
        str(build_dir),
    ]
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise PackageError(f"sam build failed (exit {result.returncode})")
    function_dir = build_dir / FUNCTION
    if not function_dir.is_dir():
        raise PackageError(f"sam build left no {function_dir}")
    return function_dir


def prune(function_dir: Path) -> list[str]:
    """Removes what a run never imports; returns the removed paths, relative to the package."""
    doomed = [function_dir / name for name in SHADOWING]
    # and their metadata: the .dist-info and .data directories pip left beside them.
    doomed += [p for name in SHADOWING for p in function_dir.glob(f"{name}-*.d*")]
    powertools = function_dir / POWERTOOLS
    doomed += [powertools / name for name in POWERTOOLS_UNUSED]
    doomed += [function_dir / name for name in LAPTOP_ONLY]
    charset = function_dir / CHARSET_NORMALIZER
    doomed += [charset / name for name in CHARSET_NORMALIZER_UNUSED]
    doomed += sorted(charset.glob("*.so")) if charset.is_dir() else []
    utilities = powertools / "utilities"
    if utilities.is_dir():
        doomed += [
            entry
            for entry in utilities.iterdir()
            if entry.name not in POWERTOOLS_UTILITIES_USED and entry.name != "__pycache__"
        ]
    removed = []
    for path in doomed:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path.relative_to(function_dir).as_posix())
    return removed


def prepare(function_dir: Path) -> bool:
    """What `sam build` leaves, made deployable: pruned, then compiled."""
    prune(function_dir)
    return compile_bytecode(function_dir)


def compile_bytecode(function_dir: Path) -> bool:
    """Ship .pyc: /var/task is read-only, so Lambda would compile every module at each cold
    start. Unchecked-hash, because the zip's fixed timestamps would fail the mtime check.

    Without the column tables of tracebacks (-X no_debug_ranges): they are a fifth of every
    .pyc, some 130 KB of the zip; a traceback still names each file, line and function.
    """
    result = subprocess.run(  # noqa: S603  # nosec B603 - our own interpreter and arguments
        [
            sys.executable,
            "-X",
            "no_debug_ranges",
            "-m",
            "compileall",
            "-q",
            "-f",  # never keep a .pyc copied from a developer's tree
            "--invalidation-mode",
            "unchecked-hash",
            str(function_dir),
        ],
        check=False,
    )
    return result.returncode == 0


# Imports every handler, then builds their clients as a first invocation does (no call is made):
# `make build` prepares every function's package the same way.
# boto3 waits for the clients: importing the handler alone must not load it.
IMPORT_CHECK = """
import sys
import ceilingwatch.handler
import ceilingwatch.interactions
import ceilingwatch.webhook
import ceilingwatch.fanout
if "boto3" in sys.modules:
    sys.exit("importing the handlers imported boto3, which only building the clients needs")
from ceilingwatch import bootstrap
bootstrap.build_dependencies()
bootstrap.build_receivers()
bootstrap.build_responders()
bootstrap.build_fleet()
"""


def import_problem(function_dir: Path) -> str:
    """Import the handler and build its clients as Lambda would: the package first, then only
    the SDK the runtime ships, no site-packages. Returns why it failed, or "" when it works."""
    with tempfile.TemporaryDirectory() as sdk:
        for name in RUNTIME_SDK:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                return f"{name} (shipped by the Lambda runtime) is not installed here"
            origin = Path(spec.origin)
            source = origin.parent if origin.name == "__init__.py" else origin
            (Path(sdk) / source.name).symlink_to(source)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": f"{function_dir}{os.pathsep}{sdk}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_LAMBDA_FUNCTION_NAME": "ceilingwatch-check",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_SERVICE_NAME": "ceilingwatch",
            # What the template sets; build_dependencies() reads them. No call is made.
            "STATE_TABLE_NAME": "ceilingwatch-state",
            "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:ceilingwatch",
            # No credentials: a client is built without them; only a call would need them.
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        result = subprocess.run(  # noqa: S603  # nosec B603 - our own interpreter and code
            [sys.executable, "-S", "-c", IMPORT_CHECK],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    lines = result.stderr.strip().splitlines()
    return "" if result.returncode == 0 else (lines[-1] if lines else f"exit {result.returncode}")


def zip_directory(source: Path, target: Path) -> None:
    """Zips source's contents (not the directory itself), in a stable order."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), ZIP_TIMESTAMP)
            # Readable by the Lambda runtime's user whatever the builder's umask was.
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def top_level(package: Path) -> dict[str, int]:
    """Uncompressed bytes per top-level entry of the zip."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(package) as zf:
        for info in zf.infolist():
            name = info.filename.split("/", 1)[0]
            sizes[name] = sizes.get(name, 0) + info.file_size
    return sizes


def check(package: Path, sizes: dict[str, int]) -> list[str]:
    """The reasons the package must not ship; empty when it may."""
    problems = []
    for name in sizes:
        distribution = name.split("-", 1)[0].lower()
        if distribution in FORBIDDEN:
            problems.append(f"{name} is inside the package: the Lambda runtime provides it")
    for name in REQUIRED:
        if name not in sizes:
            problems.append(f"{name} is missing from the package: the handler needs it")
    size = package.stat().st_size
    if size > MAX_ZIP_BYTES:
        problems.append(f"the zip is {size / 1024:.0f} KB, over {MAX_ZIP_BYTES // 1024} KB")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", type=Path, default=REPO_ROOT / "template.yaml")
    parser.add_argument(
        "--prepare", type=Path, metavar="DIR", help="only prune and compile a built function"
    )
    args = parser.parse_args()
    if args.prepare:
        return 0 if prepare(args.prepare) else 1
    try:
        function_dir = sam_build(args.template.resolve(), BUILD_DIR)
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not prepare(function_dir):
        print("error: the package does not compile", file=sys.stderr)
        return 1
    zip_directory(function_dir, ZIP_PATH)
    sizes = top_level(ZIP_PATH)
    print(f"\n{ZIP_PATH.relative_to(REPO_ROOT)}: {ZIP_PATH.stat().st_size / 1024:.0f} KB zipped")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {size / 1024:9.0f} KB  {name}")
    problems = check(ZIP_PATH, sizes)
    problem = import_problem(function_dir)
    if problem:
        problems.append(f"the handler does not import as Lambda would load it: {problem}")
    else:
        print("the handler imports from the package with only the runtime's SDK beside it")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
