"""The composition root: builds every client, adapter and channel, and the one parameter table."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ceilingwatch.adapters.sources import REGISTRY as SOURCES
from ceilingwatch.adapters.sources import SourceWiring, build_source
from ceilingwatch.adapters.ultravox import UltravoxClient
from ceilingwatch.channels import REGISTRY as CHANNELS
from ceilingwatch.channels import Wiring, build_channels
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.parameter_table import ParameterTable
from ceilingwatch.services.base import Dependencies

if TYPE_CHECKING:  # other functions' services: a tick never imports them
    from ceilingwatch.domain.config import MonitorConfig
    from ceilingwatch.domain.ports import Roster
    from ceilingwatch.services.fanout import Fleet
    from ceilingwatch.services.interactions import Responders
    from ceilingwatch.services.live import Receivers

# The one parameter table: the monitor's own parameters, then each registered source's and
# channel's. Secrets, kept values, put-secrets, the flags and the docs derive from it.
PARAMETERS = ParameterTable.assemble(SOURCES, CHANNELS)


def build_dependencies(
    settings: Settings | None = None,
    *,
    region: str | None = None,
    on_secrets: Callable[..., None] | None = None,
) -> Dependencies:
    """Everything a run needs, for the handler, the CLI, the demo and the bench alike.

    botocore honours AWS_ENDPOINT_URL (the local stack); clients a run does not always need
    (SNS) are built on first use.
    """
    from ceilingwatch.adapters.parameters import ParameterStore
    from ceilingwatch.adapters.state_store import StateStore
    from ceilingwatch.common.observability import redact

    settings = settings or Settings.from_env()
    # Bounded by the function's 30 s. Standard mode counts the first try in total_max_attempts.
    session = _session()
    aws = _clients(region, connect=3, read=5, attempts=3, session=session)
    # A channel gets one retry and a short wait: the send phase has other channels to serve.
    channel = _clients(region, connect=2, read=4, attempts=2, session=session)
    ssm = aws("ssm")()
    # One DynamoDB client for the state and the live calls: each client built costs CPU.
    dynamodb = aws("dynamodb")
    return Dependencies(
        settings=settings,
        parameters=ParameterStore(
            ssm, settings.parameter_prefix, settings.config_max_age_seconds, table=PARAMETERS
        ),
        usage=functools.partial(build_source, wiring=SourceWiring(settings)),
        states=StateStore(dynamodb(), settings.state_table_name),
        channels=functools.partial(
            _LastRoster(), wiring=Wiring(settings=settings, sns=channel("sns"))
        ),
        on_secrets=on_secrets or redact,
        live=_live_calls(settings, dynamodb),
    )


class _LastRoster:
    """The channels built for the last configuration: a warm tick's configuration is the same
    object while Parameter Store's values are unchanged, and building them costs every tick."""

    def __init__(self) -> None:
        self.last: tuple[MonitorConfig | None, Wiring, Roster] | None = None

    def __call__(self, config: MonitorConfig | None, wiring: Wiring) -> Roster:
        if self.last is None or self.last[0] is not config or self.last[1] is not wiring:
            self.last = (config, wiring, build_channels(config, wiring))
        return self.last[2]


def _live_calls(settings: Settings, dynamodb: Callable[[], Any]) -> Any:
    from ceilingwatch.adapters.live_calls import LiveCallStore

    if not settings.live_calls_table_name:
        return None
    return LiveCallStore(dynamodb(), settings.live_calls_table_name)


def build_receivers(settings: Settings | None = None, *, region: str | None = None) -> Receivers:
    """What the webhook function needs: the secret, the call records, the state, the check."""
    from ceilingwatch.adapters.check_invoker import CheckInvoker
    from ceilingwatch.adapters.live_calls import LiveCallStore
    from ceilingwatch.adapters.state_store import StateStore
    from ceilingwatch.adapters.webhook_secrets import WebhookSecrets
    from ceilingwatch.services.live import Receivers

    settings = settings or Settings.from_env(deployed=False)
    # Ultravox waits for the answer and retries what fails: short timeouts, one retry.
    aws = _clients(region, connect=1, read=2, attempts=2)
    dynamodb = aws("dynamodb")()
    return Receivers(
        secrets=WebhookSecrets(aws("ssm")(), settings.parameter_prefix),
        calls=LiveCallStore(dynamodb, settings.live_calls_table_name),
        states=StateStore(dynamodb, settings.state_table_name),
        invoker=CheckInvoker(aws("lambda")(), settings.check_function_name),
    )


def build_fleet(settings: Settings | None = None, *, region: str | None = None) -> Fleet:
    """The fan-out's registry (cached for the life of the environment), queue and states, and
    a run's ports to tell a forgotten monitor's channels."""
    from ceilingwatch.adapters.fleet_states import FleetStates
    from ceilingwatch.adapters.registry import ParameterRegistry
    from ceilingwatch.adapters.tick_queue import TickQueue
    from ceilingwatch.services.fanout import Fleet

    settings = settings or Settings.from_env()
    aws = _clients(region, connect=3, read=5, attempts=3)
    return Fleet(
        registry=ParameterRegistry(aws("ssm")(), settings.parameter_prefix),
        queue=TickQueue(aws("sqs")(), os.environ.get("FLEET_QUEUE_URL", "")),
        states=FleetStates(aws("dynamodb")(), settings.state_table_name),
        run=build_dependencies(settings, region=region),
        spread_seconds=int(os.environ.get("CEILINGWATCH_FANOUT_SPREAD_SECONDS", "120")),
    )


def build_responders(settings: Settings | None = None, *, region: str | None = None) -> Responders:
    """What the interactions function needs: the monitor's parameters and state, and Slack."""
    from ceilingwatch.adapters.parameters import ParameterStore
    from ceilingwatch.adapters.state_store import StateStore
    from ceilingwatch.channels.slack_clicks import SlackClicks
    from ceilingwatch.common.observability import redact
    from ceilingwatch.services.interactions import Responders

    settings = settings or Settings.from_env()
    # A click must be answered within Slack's 3 s: short timeouts, one retry.
    aws = _clients(region, connect=1, read=1, attempts=2)
    ssm, dynamodb = aws("ssm")(), aws("dynamodb")()
    return Responders(
        settings=settings,
        parameters=ParameterStore(
            ssm, settings.parameter_prefix, settings.config_max_age_seconds, table=PARAMETERS
        ),
        states=StateStore(dynamodb, settings.state_table_name),
        clicks=SlackClicks(api_url=settings.slack_api_url),
        on_secrets=redact,
    )


def _clients(
    region: str | None, *, connect: float, read: float, attempts: int, session: Any = None
) -> Callable[[str], Callable[[], Any]]:
    """Clients with these timeouts and attempts, each built on its first use.

    botocore's own clients, the layer boto3's are made of: boto3 itself would bring its
    resource layer and s3transfer into every cold start (about 20 ms CPU) and a session of its
    own (about 25 ms more), for nothing a run uses (docs/measured.md).
    """
    from botocore.config import Config

    config = Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"mode": "standard", "total_max_attempts": attempts},
    )
    session = session or _session()

    def client(service: str) -> Callable[[], Any]:
        # Where the client points is read now, so a client built later points at the same place.
        options = _client_options(service, region)
        return functools.cache(lambda: session.create_client(service, config=config, **options))

    return client


def _session() -> Any:
    """A botocore session for one set of dependencies: service models, endpoints and
    credentials are loaded once for every client built from it."""
    import botocore.session  # the runtime's own SDK, imported when the first invocation wires up

    return botocore.session.get_session()


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
    """The Ultravox client of the command line; `key_parameter` is where a bad key's fix tells
    to look."""
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
