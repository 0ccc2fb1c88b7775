"""The Function URL Ultravox's call webhooks reach: wire once, then record the call."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ceilingwatch.common.observability import logger
from ceilingwatch.services.live import Receivers, receive

_dependencies: Receivers | None = None


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, dependencies: Receivers | None = None
) -> dict[str, Any]:
    global _dependencies
    if dependencies is None:
        from ceilingwatch.bootstrap import build_receivers

        _dependencies = _dependencies or build_receivers()
        dependencies = _dependencies
    return receive(event, dependencies)
