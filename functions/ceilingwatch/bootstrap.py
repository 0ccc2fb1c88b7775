"""The composition root: the one place that builds clients, adapters and channels."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ceilingwatch.common.settings import Settings
from ceilingwatch.services.base import Dependencies

if TYPE_CHECKING:
    from ceilingwatch.adapters.ultravox import UltravoxClient
    from ceilingwatch.services.interactions import Responders


def build_dependencies(
    settings: Settings | None = None,
    *,
    region: str | None = None,
    on_secrets: Callable[..., None] | None = None,
) -> Dependencies:
    """Everything a run needs, for the handler, the CLI, the demo and the bench alike.

    boto3 honours AWS_ENDPOINT_URL (the local stack); clients a run does not always need (SNS)
    are built on first use.
    """
    import boto3  # the runtime's own SDK, imported when the first invocation wires up
    from botocore.config import Config

    from ceilingwatch.adapters.parameters import ParameterStore
    from ceilingwatch.adapters.state_store import StateStore
    from ceilingwatch.channels import Wiring, build_channels
    from ceilingwatch.common.observability import redact

    settings = settings or Settings.from_env()
    # Bounded by the function's 30 s. Standard mode counts the first try in total_max_attempts.
    aws = Config(
        connect_timeout=3, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3}
    )
    # A channel gets one retry and a short wait: the send phase has other channels to serve.
    channel = Config(
        connect_timeout=2, read_timeout=4, retries={"mode": "standard", "total_max_attempts": 2}
    )

    def client(service: str, config: Config) -> Callable[[], Any]:
        # Where the client points is read now, so a client built later points at the same place.
        options = _client_options(service, region)
        return functools.cache(lambda: boto3.client(service, config=config, **options))  # type: ignore[call-overload]

    wiring = Wiring(settings=settings, sns=client("sns", channel))
    ultravox = ultravox_client(settings.ultravox_base_url)
    return Dependencies(
        settings=settings,
        parameters=ParameterStore(
            client("ssm", aws)(), settings.parameter_prefix, settings.config_max_age_seconds
        ),
        usage=lambda config: ultravox.source(
            config.ultravox_api_key, config.parameter("ultravox-api-key")
        ),
        states=StateStore(client("dynamodb", aws)(), settings.state_table_name),
        channels=functools.partial(build_channels, wiring=wiring),
        on_secrets=on_secrets or redact,
    )


def build_responders(settings: Settings | None = None, *, region: str | None = None) -> Responders:
    """What the interactions function needs: the monitor's parameters and state, and Slack."""
    import boto3  # the runtime's own SDK, imported when the first click wires up
    from botocore.config import Config

    from ceilingwatch.adapters.parameters import ParameterStore
    from ceilingwatch.adapters.state_store import StateStore
    from ceilingwatch.channels.slack_clicks import SlackClicks
    from ceilingwatch.common.observability import redact
    from ceilingwatch.services.interactions import Responders

    settings = settings or Settings.from_env()
    # A click must be answered within Slack's 3 s: short timeouts, one retry.
    aws = Config(
        connect_timeout=1, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 2}
    )
    ssm, dynamodb = (
        boto3.client(name, config=aws, **_client_options(name, region))  # type: ignore[call-overload]
        for name in ("ssm", "dynamodb")
    )
    return Responders(
        settings=settings,
        parameters=ParameterStore(ssm, settings.parameter_prefix, settings.config_max_age_seconds),
        states=StateStore(dynamodb, settings.state_table_name),
        clicks=SlackClicks(api_url=settings.slack_api_url),
        on_secrets=redact,
    )


def aws_client(service: str, *, region: str | None = None) -> Any:
    """One client for the command line's own calls (put-secrets, doctor, stack outputs),
    pointed where the run's clients point."""
    import boto3

    return boto3.client(service, **_client_options(service, region))  # type: ignore[call-overload]


def has_aws_credentials(region: str | None = None) -> bool:
    """Whether boto3's credential chain finds any, as the clients above would look for them."""
    import boto3

    return boto3.session.Session(region_name=region).get_credentials() is not None


def ultravox_client(base_url: str, *, key_parameter: str | None = None) -> UltravoxClient:
    """The Ultravox adapter; `key_parameter` is where a bad key's fix tells to look."""
    from ceilingwatch.adapters.ultravox import UltravoxClient

    if key_parameter is None:
        return UltravoxClient(base_url)
    return UltravoxClient(base_url, key_parameter=key_parameter)


def _client_options(service: str, region: str | None) -> dict[str, str | None]:
    # boto3 honours AWS_ENDPOINT_URL itself; reading it here keeps a lazily built client on
    # the endpoint of the moment the dependencies were built.
    return {
        "region_name": region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION"),
        "endpoint_url": os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
        or os.environ.get("AWS_ENDPOINT_URL"),
    }
