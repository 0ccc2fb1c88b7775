"""The Function URL Slack's buttons call: wire once, then answer the click."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ceilingwatch.common.observability import logger
from ceilingwatch.services.interactions import Responders, respond

_dependencies: Responders | None = None


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, dependencies: Responders | None = None
) -> dict[str, Any]:
    global _dependencies
    if dependencies is None:
        from ceilingwatch.bootstrap import build_responders

        _dependencies = _dependencies or build_responders()
        dependencies = _dependencies
    return respond(event, dependencies)
