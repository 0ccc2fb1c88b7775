"""`ceilingwatch monitors list|add|remove`: the fleet's monitors as data, no deploy needed."""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Any

from ceilingwatch.adapters.registry import ParameterRegistry
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.cli import aws
from ceilingwatch.cli.common import EXIT_OK, CliError, check_monitor_name
from ceilingwatch.cli.put_secrets import ask, secret_problem
from ceilingwatch.domain.config import parameter_path

KEY = "ultravox-api-key"
# The channels' parameters: a value flag for each plain one, a prompt (--ask) for each secret.
CHANNEL_ROWS = tuple(r for r in PARAMETERS.rows if PARAMETERS.owners[r.name].startswith("channel"))
CHANNEL_SECRETS = tuple(r.name for r in CHANNEL_ROWS if r.secret)
MONITOR_METRICS = "monitor-metrics"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "monitors",
        help="list, add or remove the deployment's monitors (no deploy needed)",
        description="A monitor exists when its ultravox-api-key and concurrency-limit exist "
        "under /ceilingwatch/<monitor>/: the next tick judges it.",
    )
    verbs = parser.add_subparsers(title="verbs", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="every registered monitor")
    _aws_flags(listing)
    listing.set_defaults(run=run_list)
    add = verbs.add_parser("add", help="register a monitor: asks for its Ultravox key")
    _aws_flags(add, monitor=True)
    add.add_argument("--limit", required=True, help=PARAMETERS["concurrency-limit"].meaning)
    for row in (*CHANNEL_ROWS, *(r for r in PARAMETERS.rows if r.name == MONITOR_METRICS)):
        if not row.secret:
            add.add_argument(f"--{row.name}", dest=_dest(row.name), help=row.meaning)
    add.add_argument(
        "--ask",
        action="append",
        default=[],
        choices=CHANNEL_SECRETS,
        help="prompt (without echo) for this channel secret too (repeatable)",
    )
    add.set_defaults(run=run_add)
    remove = verbs.add_parser("remove", help="delete a monitor's parameters (and its state)")
    _aws_flags(remove, monitor=True)
    remove.add_argument("--yes", action="store_true", help="delete its alert state without asking")
    remove.add_argument("--stack", default="ceilingwatch", help="the stack holding its state")
    remove.set_defaults(run=run_remove)


def _aws_flags(parser: argparse.ArgumentParser, *, monitor: bool = False) -> None:
    if monitor:
        parser.add_argument("--monitor", required=True, help="the monitor's name")
    parser.add_argument("--prefix", default="/ceilingwatch", help="parameter path prefix")
    parser.add_argument("--region", help="AWS region (default: the AWS CLI's)")


def _dest(name: str) -> str:
    return "option_" + name.replace("-", "_")


def run_list(args: argparse.Namespace) -> int:
    aws.require_credentials(args.region)
    registry = ParameterRegistry(aws.client("ssm", args.region), args.prefix)
    members = registry.monitors()
    for member in members:
        since = f"  registered {member.since:%Y-%m-%d %H:%M} UTC" if member.since else ""
        print(f"{member.monitor}{since}")
    print(f"{len(members)} monitor{'s' if len(members) != 1 else ''}")
    return EXIT_OK


def run_add(args: argparse.Namespace) -> int:
    check_monitor_name(args.monitor)
    values = _checked_values(args)  # every flag checked before the prompt and any write
    aws.require_credentials(args.region)
    ssm = aws.client("ssm", args.region)
    path = parameter_path(args.prefix, args.monitor)
    if _names(ssm, path):
        raise CliError(
            f"monitor {args.monitor} already has parameters under {path}",
            "change them with `aws ssm put-parameter` or put-secrets, or remove it first",
        )
    interactive = sys.stdin.isatty()
    for name in (KEY, *args.ask):
        value = ask(f"{name}: ", interactive)
        problem = secret_problem(name, value)
        if problem:
            raise CliError(problem, f"paste the {name} value alone; nothing was written")
        values[name] = value
    # The key last: a monitor exists once both it and the limit exist, so it is complete then.
    for name in sorted(values, key=lambda n: n == KEY):
        _put(ssm, f"{path}{name}", values[name], PARAMETERS[name].secret, tuple(values.values()))
    print(f"monitor {args.monitor} added: the next tick judges it")
    return EXIT_OK


def _checked_values(args: argparse.Namespace) -> dict[str, str]:
    given = {"concurrency-limit": args.limit}
    given |= {
        row.name: getattr(args, _dest(row.name))
        for row in PARAMETERS.rows
        if getattr(args, _dest(row.name), None) is not None
    }
    problems = []
    for name, raw in given.items():
        try:
            PARAMETERS[name].parse(raw.strip())
        except ValueError as error:
            problems.append(f"--{'limit' if name == 'concurrency-limit' else name} {error}")
    if problems:
        raise CliError("; ".join(problems), "nothing was written; fix the flags and run it again")
    return {name: raw.strip() for name, raw in given.items()}


def run_remove(args: argparse.Namespace) -> int:
    check_monitor_name(args.monitor)
    aws.require_credentials(args.region)
    ssm = aws.client("ssm", args.region)
    path = parameter_path(args.prefix, args.monitor)
    names = _names(ssm, path)
    if not names:
        raise CliError(f"no monitor {args.monitor} under {path}", "`ceilingwatch monitors list`")
    for start in range(0, len(names), 10):
        batch = names[start : start + 10]
        aws.call(
            functools.partial(ssm.delete_parameters, Names=batch),
            f"delete the parameters under {path}",
            "you need ssm:DeleteParameters on them",
        )
    print(f"deleted {len(names)} parameters under {path}: the next tick skips it")
    if args.yes or _confirmed(f"delete the alert state of {args.monitor} too? [y/N] "):
        table = aws.stack_outputs(args.stack, args.region, ["StateTableName"])["StateTableName"]
        dynamodb = aws.client("dynamodb", args.region)
        aws.call(
            functools.partial(
                dynamodb.delete_item, TableName=table, Key={"monitor": {"S": args.monitor}}
            ),
            f"delete the state of {args.monitor} in {table}",
            "you need dynamodb:DeleteItem on the state table",
        )
        print(f"deleted the alert state of {args.monitor}")
    return EXIT_OK


def _confirmed(question: str) -> bool:
    print(question, end="", flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _names(ssm: Any, path: str) -> list[str]:
    pages = ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [path.rstrip("/")]}]
    )
    found = aws.call(
        lambda: [p["Name"] for page in pages for p in page.get("Parameters", [])],
        f"list the parameters under {path}",
        "you need ssm:DescribeParameters",
    )
    return list(found)


def _put(ssm: Any, name: str, value: str, secret: bool, secrets: tuple[str, ...]) -> None:
    kind = "SecureString" if secret else "String"
    aws.call(
        functools.partial(ssm.put_parameter, Name=name, Value=value, Type=kind, Overwrite=False),
        f"write {name}",
        "you need ssm:PutParameter on it (and kms:Encrypt on the key, if not the default)",
        secrets=secrets,
    )
    print(f"wrote {name} ({kind})")
