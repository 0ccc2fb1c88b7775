"""One Logger, Metrics and Tracer for the service, and a log formatter that masks secrets."""

from __future__ import annotations

import importlib.util
import logging
import threading
from typing import ClassVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

SERVICE = "ceilingwatch"
NAMESPACE = "Ceilingwatch"
MASK = "****"


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Masks every secret a run has loaded, wherever it lands: message, extra keys, traceback."""

    _secrets: ClassVar[set[str]] = set()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def register(cls, *secrets: str) -> None:
        with cls._lock:
            # Very short values would mask ordinary words; real keys and webhook URLs are long.
            cls._secrets.update(s for s in secrets if len(s) >= 8)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# The X-Ray SDK pulls in its own botocore (+17 MB), so the package leaves it out: Lambda still
# traces each invocation (Tracing: Active); Powertools adds subsegments where the SDK is present.
_without_xray = importlib.util.find_spec("aws_xray_sdk") is None
tracer = Tracer(service=SERVICE, disabled=True) if _without_xray else Tracer(service=SERVICE)


def redact(*secrets: str) -> None:
    RedactingFormatter.register(*secrets)
