"""Builds the check function's deployment package with `sam build`, zips it, and checks its size."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess  # nosec B404
import sys
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / ".aws-sam" / "package"
FUNCTION = "CheckFunction"
ZIP_PATH = REPO_ROOT / ".aws-sam" / "check-function.zip"
# Lambda's limit for a direct upload is 50 MB; a package this small keeps cold starts short.
MAX_ZIP_BYTES = 10 * 1024 * 1024
# The Lambda runtime ships the AWS SDK; a copy in the package only adds size and cold start.
FORBIDDEN = ("boto3", "botocore")
# What the handler imports at run time.
REQUIRED = ("ceilingwatch", "aws_lambda_powertools", "requests")
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


def zip_directory(source: Path, target: Path) -> None:
    """Zips source's contents (not the directory itself), in a stable order."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
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
    args = parser.parse_args()
    try:
        function_dir = sam_build(args.template.resolve(), BUILD_DIR)
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    zip_directory(function_dir, ZIP_PATH)
    sizes = top_level(ZIP_PATH)
    print(f"\n{ZIP_PATH.relative_to(REPO_ROOT)}: {ZIP_PATH.stat().st_size / 1024:.0f} KB zipped")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {size / 1024:9.0f} KB  {name}")
    problems = check(ZIP_PATH, sizes)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
