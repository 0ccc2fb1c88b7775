"""`ceilingwatch put-secrets`: the Ultravox key and the Slack webhook into SSM, never echoed."""

from __future__ import annotations

import argparse
import functools
import getpass
import sys
from typing import Any

from ceilingwatch.cli import aws
from ceilingwatch.cli.common import EXIT_OK, CliError, check_monitor_name, webhook_prefixes
from ceilingwatch.cli.flags import add_aws_flags
from ceilingwatch.config import parameter_path


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "put-secrets",
        help="store the Ultravox key and Slack webhook in SSM as SecureStrings",
        description="Prompt for the Ultravox API key and the Slack webhook URL (without echo; "
        "one line each from stdin when it is not a terminal) and store them as SecureString "
        "parameters. Run it before the first deploy: the stack does not need to exist yet.",
    )
    add_aws_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_monitor_name(args.monitor)
    interactive = sys.stdin.isatty()
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
    path = parameter_path(args.prefix, args.monitor)
    values = {f"{path}ultravox-api-key": key}
    if webhook:
        values[f"{path}slack-webhook-url"] = webhook
    aws.require_credentials(args.region)
    ssm = aws.client("ssm", args.region)
    for name, value in values.items():
        aws.call(
            functools.partial(
                ssm.put_parameter, Name=name, Value=value, Type="SecureString", Overwrite=True
            ),
            f"write {name}",
            "you need ssm:PutParameter on it (and kms:Encrypt on the key, if not the default)",
            secrets=(key, webhook),
        )
        print(f"wrote {name} (SecureString)")
    if not webhook:
        print("no Slack webhook given: alerts go by email only")
    print("the monitor's next run reads them; no redeploy needed")
    return EXIT_OK


def ask(prompt: str, interactive: bool) -> str:
    if interactive:
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()
