"""`ceilingwatch put-secrets`: the monitor's secrets into SSM as SecureStrings, never echoed."""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import sys
from typing import Any

from ceilingwatch.channels import teams
from ceilingwatch.cli import aws
from ceilingwatch.cli.common import EXIT_OK, CliError, check_monitor_name, webhook_prefixes
from ceilingwatch.cli.flags import add_aws_flags
from ceilingwatch.domain.config import Secret, parameter_path

TEAMS_PREFIXES_ENV = "CEILINGWATCH_TEAMS_WEBHOOK_PREFIXES"

# What each secret must look like before it is stored; the problem never echoes the value.
SECRETS = ("ultravox-api-key", "slack-webhook-url", "teams-webhook-url", "pagerduty-routing-key")


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
    if not value:
        return f"no {name} given"
    if any(ch.isspace() for ch in value):
        return f"the {name} holds whitespace"
    if name == "teams-webhook-url":
        prefixes = tuple(
            p.strip() for p in os.environ.get(TEAMS_PREFIXES_ENV, "").split(",") if p.strip()
        )
        return teams.webhook_problem(Secret(value), prefixes)
    if name == "slack-webhook-url" and not value.startswith(webhook_prefixes()):
        return "the Slack webhook URL does not start with " + " or ".join(webhook_prefixes())
    if name == "pagerduty-routing-key" and not (len(value) == 32 and value.isalnum()):
        return "a PagerDuty Events v2 routing key is 32 letters and digits"
    return ""


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
