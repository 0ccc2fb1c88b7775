"""What the command prints and how: the terminal's width, colour, wrapping, and error lines."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import TextIO

from ceilingwatch.cli.common import KEY_ENV, WEBHOOK_ENV


def size() -> tuple[int, int]:
    """Width and chart rows: the terminal's, honouring COLUMNS and LINES when piped."""
    columns, lines = shutil.get_terminal_size((100, 40))
    return max(columns, 20), max(8, min(20, lines - 12))


def wrap(text: str, indent: int = 0, width: int | None = None) -> str:
    """`text` in lines of the terminal's width, broken between words (a URL stays whole)."""
    return textwrap.fill(
        text,
        width=width or size()[0],
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def labelled(label: str, text: str, code: str, colour: bool, width: int | None = None) -> str:
    """`label` then `text`, wrapped under the text's first column; the label in colour."""
    wrapped = wrap(f"{label} {text}", indent=len(label) + 1, width=width)
    return paint(label, code, colour) + wrapped[len(label) :]


def use_colour(stream: TextIO) -> bool:
    """Colour only for a person at a terminal who has not asked for none (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def masked(text: str) -> str:
    """Masks the secrets this process was handed, in text it did not write itself."""
    for name in (KEY_ENV, WEBHOOK_ENV):
        secret = os.environ.get(name, "").strip()
        if secret:
            text = text.replace(secret, "****")
    return text


def fail(problem: str, fix: str) -> None:
    print(wrap(f"ceilingwatch: error: {problem}", indent=2), file=sys.stderr)
    if fix:
        print(wrap(f"fix: {fix}", indent=5), file=sys.stderr)
