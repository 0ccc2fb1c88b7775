"""The README and docs/ as a script: every command runs here, or is marked as needing an account."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
# The README first: its `make dev` builds what the pages' commands use. infra/ is searched, not
# named, so its pages (extra monitors) are still run wherever infra/ keeps them.
DOCS = (README, *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "infra").rglob("*.md")))
# A command that needs what this machine lacks says so in its comment, or in a comment line
# right above it.
MARKERS = ("(AWS account)", "(Ultravox account)")
BLOCK = re.compile(r"^[ \t]*```sh\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
# Running `make test` from a test would run this test again: its recipe is checked with -n.
DRY_RUN = {"make test"}
LONG_RUNNING = "make local"  # runs beside the commands after it in its block, then gets Ctrl-C


@dataclass(frozen=True)
class Command:
    doc: str  # its path from the repository's root
    block: int
    text: str
    marker: str  # "" when the command must run here

    def __str__(self) -> str:
        return f"{self.doc} block {self.block}: {self.text}"


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment): a `#` starts a comment when it is outside quotes and after a blank."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip(), line[index:]
    return line.rstrip(), ""


def commands(doc: Path) -> Iterator[Command]:
    text = doc.read_text(encoding="utf-8")
    name = doc.relative_to(REPO).as_posix()
    for number, match in enumerate(BLOCK.finditer(text)):
        pending_marker, code, marker = "", "", ""
        for raw in match.group(1).splitlines():
            part, comment = split_comment(raw.strip())
            found = next((m for m in MARKERS if m in comment), "")
            if not part:
                pending_marker = found or pending_marker
                continue
            code, marker = code + part.removesuffix("\\").strip() + " ", marker or found
            if part.endswith("\\"):
                continue
            yield Command(name, number, code.strip(), marker or pending_marker)
            pending_marker, code, marker = "", "", ""


def all_commands() -> list[Command]:
    return [command for doc in DOCS for command in commands(doc)]


@pytest.mark.parametrize("doc", ["README.md", "docs/deploy.md"])
def test_the_deploy_path_is_in_order(doc: str) -> None:
    texts = [c.text for c in all_commands() if c.doc == doc]
    order = ["make dev", "make secrets", "make deploy", "make test-alert", "make logs"]
    assert [texts.index(step) for step in order] == sorted(texts.index(step) for step in order)
    assert any(t.startswith(".venv/bin/sam delete") for t in texts)


def test_the_readme_fits_on_a_screen_and_links_every_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 300
    pages = {p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md")}
    assert len(pages) >= 5
    assert pages <= {target.split("#")[0] for target, _ in links(README)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.relative_to(REPO).as_posix())
def test_every_link_leads_somewhere(doc: Path) -> None:
    for target, where in links(doc):
        path, _, anchor = target.partition("#")
        assert (REPO / path).exists(), f"{where}: no {path}"
        if anchor:
            assert anchor in anchors(REPO / path), f"{where}: no heading #{anchor} in {path}"


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^[ \t]*```.*?^[ \t]*```", re.DOTALL | re.MULTILINE)


def links(doc: Path) -> Iterator[tuple[str, str]]:
    """(target from the repository's root, where it was found) for each relative link."""
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    for match in LINK.finditer(text):
        target = match.group(1)
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        resolved = (doc.parent / path).resolve() if path else doc
        where = f"{doc.relative_to(REPO)}: {match.group(0)}"
        yield f"{resolved.relative_to(REPO).as_posix()}{'#' if anchor else ''}{anchor}", where


def anchors(doc: Path) -> set[str]:
    """GitHub's ids for a page's headings: lower case, punctuation dropped, blanks as hyphens."""
    if doc.suffix != ".md":
        return set()
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    headings = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_no_command_hands_a_secret_to_a_flag() -> None:
    for command in all_commands():
        # AWS CLI v1 fetches an https:// --value instead of storing it, and shell history keeps it.
        assert "--value" not in command.text, command
        assert "hooks.slack.com" not in command.text, command


def test_every_command_names_a_program_that_exists_here() -> None:
    for command in all_commands():
        program = command.text.split()[0]
        if command.marker or program in {"export", "read"}:
            continue
        assert (REPO / program).exists() or program == "make", command


@pytest.mark.integration
def test_every_unmarked_readme_command_runs_here() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ULTRAVOX_"))}
    env["PATH"] = os.environ["PATH"]
    ran: list[str] = []
    for doc in DOCS:
        by_block: dict[int, list[Command]] = {}
        for command in commands(doc):
            by_block.setdefault(command.block, []).append(command)
        for block in by_block.values():
            env = run_block(block, env, ran)
    assert "make local" in ran and "make demo" in ran, ran


def run_block(block: list[Command], env: dict[str, str], ran: list[str]) -> dict[str, str]:
    background: subprocess.Popen[str] | None = None
    block_env = dict(env)
    try:
        for command in block:
            if command.marker:
                continue
            ran.append(command.text)
            if command.text == LONG_RUNNING:
                background, exports = start_local(block_env)
                block_env = exported(exports, block_env)
            elif command.text.startswith("export "):
                block_env = exported(command.text, block_env)
                env = exported(command.text, env)
            else:
                run_one(command, block_env)
    finally:
        if background is not None:
            stop_local(background)
    return env


def run_one(command: Command, env: dict[str, str]) -> None:
    text = command.text.replace("make ", "make -n ", 1) if command.text in DRY_RUN else command.text
    done = subprocess.run(  # noqa: S603
        ["bash", "-c", text],  # noqa: S607
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    report = f"{command}\nexit {done.returncode}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
    assert "Traceback" not in done.stderr, report
    if text.startswith(".venv/bin/ceilingwatch"):
        # The documented exit codes: 0 OK, 1 WARNING, 2 CRITICAL or AT_LIMIT, 3 a problem;
        # only check judges, so the set-up commands must succeed.
        judged = text.split()[1] == "check"
        assert done.returncode in ((0, 1, 2) if judged else (0,)), report
    else:
        assert done.returncode == 0, report


def start_local(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        ["make", "local"],  # noqa: S607
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # Ctrl-C goes to the process group, as from a terminal
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ctrl-C stops"):
            break
    output = "".join(lines)
    assert "Ctrl-C stops" in output, output
    exports = [line.strip() for line in lines if line.strip().startswith("export ")]
    assert len(exports) >= 2, output
    return process, "\n".join(exports)


def stop_local(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    assert "stopped" in rest, rest
    assert "Traceback" not in rest, rest


def exported(exports: str, env: dict[str, str]) -> dict[str, str]:
    """The environment after the shell ran these export lines."""
    script = (
        f"{exports}\n{sys.executable} -c 'import json, os; print(json.dumps(dict(os.environ)))'"
    )
    done = subprocess.run(  # noqa: S603
        ["bash", "-c", script],  # noqa: S607
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, str] = json.loads(done.stdout)
    return result
