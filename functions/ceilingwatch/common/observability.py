"""One Logger, Metrics and Tracer for the service, and a log formatter that masks secrets."""

from __future__ import annotations

import importlib.util
import logging
import threading
import warnings
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from ceilingwatch.common.scrub import MIN_SECRET_LENGTH, scrub

SERVICE = "ceilingwatch"
NAMESPACE = "Ceilingwatch"
F = TypeVar("F", bound=Callable[..., Any])


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Masks every secret a run has loaded, wherever it lands: message, extra keys, traceback."""

    _secrets: ClassVar[set[str]] = set()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def register(cls, *secrets: str) -> None:
        with cls._lock:
            cls._secrets.update(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), self._secrets)


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# A run that could not judge has no per-monitor figure to send: that is expected, not news.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


class UntracedHandler:
    """Stands in for Powertools' Tracer where the X-Ray SDK is absent (Tracer imports it even
    when disabled). The SDK pulls in its own botocore (+17 MB), so the package leaves it out:
    Lambda still traces each invocation (Tracing: Active), without Powertools' subsegments."""

    def capture_lambda_handler(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        return lambda handler: handler


# The handler uses only capture_lambda_handler, which the stand-in provides.
tracer: Tracer = (
    Tracer(service=SERVICE)
    if importlib.util.find_spec("aws_xray_sdk") is not None
    else cast(Tracer, UntracedHandler())
)


def redact(*secrets: str) -> None:
    RedactingFormatter.register(*secrets)


def loaded_secrets() -> tuple[str, ...]:
    """Every secret this execution environment has loaded, for scrubbing text from outside."""
    with RedactingFormatter._lock:
        return tuple(RedactingFormatter._secrets)
