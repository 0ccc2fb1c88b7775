"""The command line's own AWS calls: credentials first, stack outputs, errors as fixes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.bootstrap import aws_client, has_aws_credentials
from ceilingwatch.cli.common import CliError
from ceilingwatch.common.errors import aws_error_code

AWS_ERRORS = (BotoCoreError, ClientError)


def require_credentials(region: str | None) -> None:
    """Fails early, with the laptop's fix, where boto3 would fail late and vaguely."""
    if not has_aws_credentials(region):
        raise CliError(
            "no AWS credentials found",
            "run `aws configure` (or `aws sso login`, or export AWS_PROFILE); to try the CLI "
            "without an account, paste the exports `make local` prints",
        )


def client(service: str, region: str | None) -> Any:
    try:
        return aws_client(service, region=region)
    except AWS_ERRORS as error:
        raise CliError(
            f"cannot make an AWS {service} client ({aws_error_code(error)})",
            "pass --region or set AWS_DEFAULT_REGION, and configure credentials (aws configure)",
        ) from None


def call(run: Callable[[], Any], doing: str, fix: str, secrets: Sequence[str] = ()) -> Any:
    try:
        return run()
    except AWS_ERRORS as error:
        message = aws_error_code(error)
        for secret in secrets:
            if secret:
                message = message.replace(secret, "****")
        raise CliError(f"could not {doing} ({message})", fix) from None


def stack_outputs(stack: str, region: str | None, wanted: Sequence[str]) -> dict[str, str]:
    cloudformation = client("cloudformation", region)
    described = call(
        lambda: cloudformation.describe_stacks(StackName=stack),
        f"describe stack {stack}",
        "check the stack name and region, and that you may call cloudformation:DescribeStacks",
    )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    missing = [name for name in wanted if name not in outputs]
    if missing:
        raise CliError(
            f"stack {stack} has no output {', '.join(missing)}",
            "deploy ceilingwatch's template.yaml under that stack name",
        )
    return outputs
