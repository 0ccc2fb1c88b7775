"""`ceilingwatch put-secrets`: the monitor's secrets into SSM as SecureStrings, never echoed."""

from __future__ import annotations

import argparse
import functools
import getpass
import sys
from typing import Any

from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.cli import aws
from ceilingwatch.cli.common import EXIT_OK, CliError, check_monitor_name, webhook_prefixes
from ceilingwatch.cli.flags import add_aws_flags
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import Secret, parameter_path

# Every secret of the parameter table, in its order: the monitor's source's, then the channels'.
SECRETS = tuple(row.name for row in PARAMETERS.rows if row.secret)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "put-secrets",
        help="store the Ultravox key and Slack webhook in SSM as SecureStrings",
        description="Prompt for the Ultravox API key and the Slack webhook URL (without echo; "
        "one line each from stdin when it is not a terminal) and store them as SecureString "
        "parameters. Run it before the first deploy: the stack does not need to exist yet.",
    )
    parser.add_argument(
        "--only",
        choices=SECRETS,
        help="prompt for this one secret only (e.g. to add Teams or PagerDuty later)",
    )
    add_aws_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_monitor_name(args.monitor)
    interactive = sys.stdin.isatty()
    if args.only:
        value = ask(f"{args.only}: ", interactive)
        problem = secret_problem(args.only, value)
        if problem:
            raise CliError(problem, f"paste the {args.only} value alone")
        store(args, {args.only: value})
        print("the monitor's next run reads it; no redeploy needed")
        return EXIT_OK
    key = ask("Ultravox API key: ", interactive)
    if not key:
        raise CliError("no Ultravox API key given", "paste the key at the prompt")
    if any(ch.isspace() for ch in key):
        raise CliError("the Ultravox API key holds whitespace", "paste the key alone")
    webhook = ask("Slack webhook URL (empty to skip): ", interactive)
    prefixes = webhook_prefixes()
    if webhook and not webhook.startswith(prefixes):
        # Never echo the value: a mistyped webhook is still mostly the secret.
        raise CliError(
            "the Slack webhook URL does not start with " + " or ".join(prefixes),
            "paste the incoming-webhook URL Slack gave you",
        )
    store(args, {"ultravox-api-key": key, "slack-webhook-url": webhook})
    if not webhook:
        print("no Slack webhook given: alerts go by email only")
    print("the monitor's next run reads them; no redeploy needed")
    return EXIT_OK


def secret_problem(name: str, value: str) -> str:
    """What its parameter's row finds wrong with a value: its parser's problem, then its check's
    (with the deployment's URL rules from this shell's environment). Never the value itself."""
    if not value:
        return f"no {name} given"
    if any(ch.isspace() for ch in value):
        return f"the {name} holds whitespace"
    row = PARAMETERS[name]
    try:
        row.parse(value)
    except ValueError as error:
        return f"{name} {error}"
    if row.check is None:
        return ""
    return row.check(Secret(value), Settings.from_env(deployed=False))


def store(args: argparse.Namespace, values: dict[str, str]) -> None:
    """Write each non-empty value under the monitor's path as a SecureString."""
    path = parameter_path(args.prefix, args.monitor)
    aws.require_credentials(args.region)
    ssm = aws.client("ssm", args.region)
    secrets = tuple(values.values())
    for short, value in values.items():
        if not value:
            continue
        name = f"{path}{short}"
        aws.call(
            functools.partial(
                ssm.put_parameter, Name=name, Value=value, Type="SecureString", Overwrite=True
            ),
            f"write {name}",
            "you need ssm:PutParameter on it (and kms:Encrypt on the key, if not the default)",
            secrets=secrets,
        )
        print(f"wrote {name} (SecureString)")


def ask(prompt: str, interactive: bool) -> str:
    if interactive:
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()
