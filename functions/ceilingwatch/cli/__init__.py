"""The `ceilingwatch` command: the monitor's own code on a laptop, for checks, tuning and set-up."""

from ceilingwatch.cli.entry import main

__all__ = ["main"]
