"""Builds the deployment package as infra.packaging.package does (own build dir), sizes the zip."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from infra.packaging.package import FUNCTION, REPO_ROOT, check, top_level

BUILD_ROOT = REPO_ROOT / ".aws-sam" / "bench"
BUILD_DIR = BUILD_ROOT / "build"
ZIP_PATH = BUILD_ROOT / "check-function.zip"
# What goes into the package; a zip newer than all of them is still the package of this tree.
SOURCES = ("functions", "template.yaml")
# In a child, so that sam's chatter is captured and shown only when the build fails.
BUILD_SCRIPT = """
import sys
from pathlib import Path
from infra.packaging.package import prepare, sam_build, zip_directory
function_dir = sam_build(Path(sys.argv[1]), Path(sys.argv[2]))
assert prepare(function_dir), "the package does not compile"
zip_directory(function_dir, Path(sys.argv[3]))
"""


class BuildError(Exception):
    """sam build failed; the message carries the tail of its output."""


@dataclass(frozen=True)
class Package:
    zip_path: Path
    function_dir: Path
    zip_bytes: int
    unpacked_bytes: int
    problems: list[str]
    rebuilt: bool
    seconds: float


def build(force: bool = False) -> Package:
    """The package of the current tree, rebuilt only when a source is newer than the last zip."""
    started = time.monotonic()
    function_dir = BUILD_DIR / FUNCTION
    rebuild = force or not (function_dir.is_dir() and _fresh(ZIP_PATH))
    if rebuild:
        command = [sys.executable, "-c", BUILD_SCRIPT]
        command += [str(REPO_ROOT / "template.yaml"), str(BUILD_DIR), str(ZIP_PATH)]
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise BuildError(f"sam build failed (exit {done.returncode}):\n{tail}")
    sizes = top_level(ZIP_PATH)
    return Package(
        zip_path=ZIP_PATH,
        function_dir=function_dir,
        zip_bytes=ZIP_PATH.stat().st_size,
        unpacked_bytes=sum(sizes.values()),
        problems=check(ZIP_PATH, sizes),
        rebuilt=rebuild,
        seconds=time.monotonic() - started,
    )


def _fresh(target: Path) -> bool:
    if not target.is_file():
        return False
    built = target.stat().st_mtime
    for source in SOURCES:
        path = REPO_ROOT / source
        files = [path] if path.is_file() else path.rglob("*")
        for file in files:
            if "__pycache__" not in file.parts and file.is_file() and file.stat().st_mtime > built:
                return False
    return True
