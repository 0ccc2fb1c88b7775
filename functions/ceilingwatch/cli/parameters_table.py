"""`python -m ceilingwatch.cli.parameters_table [FILE]`: the parameter table as a docs page."""

from __future__ import annotations

import sys
from pathlib import Path

from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.domain.parameter_table import ParameterTable

COMMAND = ".venv/bin/python -m ceilingwatch.cli.parameters_table docs/parameters-table.md"
INTRO = f"""# Parameters, as the code declares them

<!-- Generated from the parameter table by
    {COMMAND}
The monitor's own parameters are declared in functions/ceilingwatch/domain/monitor_parameters.py,
each usage source's and channel's beside its code. Edit a declaration, then run the command: a
unit test fails while this file is out of date. -->

Each monitor reads its parameters from SSM Parameter Store under `/ceilingwatch/<monitor>/`
(the prefix is the `CEILINGWATCH_PARAMETER_PREFIX` of the deployment). A SecureString is never
echoed and is stored with `ceilingwatch put-secrets --monitor <monitor> --only <parameter>`.
A value *kept* with the last valid configuration is judged with while a new one is wrong.
"""
COLUMNS = ("parameter", "type", "default", "kept", "flag", "declared by", "meaning")


def render(table: ParameterTable = PARAMETERS) -> str:
    lines = [INTRO, "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in table.rows:
        cells = (
            f"`{row.name}`",
            "SecureString" if row.secret else "String",
            row.documented_default(),
            "yes" if row.kept else "no",
            f"`{row.flag}`" if row.flag else "",
            table.owners[row.name],
            row.meaning,
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        print(render(), end="")
        return 0
    Path(argv[0]).write_text(render(), encoding="utf-8")
    print(f"wrote {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
