"""The live feed on the local stack: the real webhook handler behind a loopback Function URL,
and the real check handler behind a loopback Lambda Invoke, as the deployed stack wires them."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ceilingwatch import handler, webhook
from ceilingwatch.bootstrap import build_dependencies, build_receivers
from ceilingwatch.services.base import Dependencies
from ceilingwatch.services.live import Receivers

from infra.demo.timeline import Context
from infra.local_stack.function_url import FunctionUrl, LambdaInvoke
from infra.local_stack.stack import LocalStack

WEBHOOK_HANDLER = "ceilingwatch.webhook.lambda_handler"


@dataclass
class LiveFeed:
    """Where Ultravox would post (`url` + /<monitor>) and what the check was asked to do."""

    url: str
    invoke: LambdaInvoke
    receivers: Receivers
    check: Dependencies


def webhook_environment(stack: LocalStack) -> dict[str, str]:
    """The deployed webhook function's own environment (found by its handler), plus moto's."""
    client = stack.client("lambda")
    for function in client.list_functions()["Functions"]:
        if function.get("Handler") == WEBHOOK_HANDLER:
            variables: dict[str, str] = function.get("Environment", {}).get("Variables", {})
            return {**stack.function_environment(), **variables}
    raise LookupError("the stack has no webhook function")


@contextlib.contextmanager
def live_feed(
    stack: LocalStack,
    check_env: Mapping[str, str],
    clock: Callable[[], datetime] | None = None,
) -> Iterator[LiveFeed]:
    """Serves both stand-ins until the `with` ends; `check_env` is the check's environment.
    `clock` (the wall clock by default): the functions' now, such as the simulator's."""
    holder: dict[str, Dependencies] = {}

    def check(event: dict[str, Any]) -> Any:
        return handler.lambda_handler(event, Context(), dependencies=holder["deps"])

    name = stack.outputs["CheckFunctionName"]
    with LambdaInvoke({name: check}) as invoke:
        with _environment(check_env):
            holder["deps"] = build_dependencies()
        env = {**webhook_environment(stack), "AWS_ENDPOINT_URL_LAMBDA": invoke.base_url}
        with _environment(env):
            receivers = build_receivers()
        if clock is not None:
            holder["deps"] = dataclasses.replace(holder["deps"], clock=clock)
            receivers = dataclasses.replace(receivers, clock=clock)

        def receive(event: dict[str, Any]) -> Any:
            return webhook.lambda_handler(
                event, Context(function_name="UltravoxWebhook"), dependencies=receivers
            )

        with FunctionUrl(receive) as url:
            stack.outputs["UltravoxWebhookUrl"] = url.base_url + "/"
            yield LiveFeed(url.base_url + "/", invoke, receivers, holder["deps"])


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """The process environment as the function would see it, while its clients are built."""
    import os

    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
