"""The entry point: parse, run one command, and turn every failure into a fix and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ceilingwatch import __version__
from ceilingwatch.cli import (
    check,
    doctor,
    live,
    monitors,
    put_secrets,
    replay,
    report,
    terminal,
    test_alert,
)
from ceilingwatch.cli.common import (
    EXIT_CODES_TEXT,
    EXIT_INTERRUPTED,
    EXIT_PROBLEM,
    KEY_FIX,
    CliError,
    unreachable_fix,
)
from ceilingwatch.cli.flags import Parser
from ceilingwatch.common.errors import MonitorError, UltravoxAuthError, UltravoxUnavailableError

COMMANDS = (check, replay, report, put_secrets, monitors, doctor, test_alert, live)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="ceilingwatch",
        description="Watch an Ultravox account's call concurrency against its ceiling.",
        epilog=EXIT_CODES_TEXT,
    )
    parser.add_argument("--version", action="version", version=f"ceilingwatch {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed
        return stop.code if isinstance(stop.code, int) else EXIT_PROBLEM
    except KeyboardInterrupt:
        return _interrupted()
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except KeyboardInterrupt:
        return _interrupted()
    except CliError as error:
        terminal.fail(error.problem, error.fix)
    except UltravoxAuthError as error:
        terminal.fail(error.problem, KEY_FIX if "401" in error.problem else error.what_to_fix)
    except UltravoxUnavailableError as error:
        terminal.fail(error.problem, unreachable_fix(getattr(args, "base_url", None)))
    except MonitorError as error:
        terminal.fail(error.problem, error.what_to_fix)
    except Exception as error:
        # Python's own exit code 1 would read as WARNING to a script: any failure is 3.
        terminal.fail(
            f"unexpected {type(error).__name__}: {terminal.masked(str(error))[:200]}",
            "this is a bug in ceilingwatch or an answer it does not understand; please report it",
        )
    return EXIT_PROBLEM


def _interrupted() -> int:
    # One line, and the shell's own code for Ctrl-C; nothing was half-written.
    print("\nceilingwatch: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED
