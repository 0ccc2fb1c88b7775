"""SSM: a monitor's `ultravox-webhook-secret`, one cached GetParameter for the webhook path."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.common.errors import AwsServiceError, aws_error_code
from ceilingwatch.domain.config import parameter_path

PARAMETER = "ultravox-webhook-secret"


class WebhookSecrets:
    """The secrets a monitor's webhook is signed with (two while one is rotated), or None."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        max_age_seconds: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, tuple[str, ...] | None]] = {}

    def __call__(self, monitor: str) -> tuple[str, ...] | None:
        cached = self._cache.get(monitor)
        if cached is not None and self._clock() - cached[0] < self.max_age_seconds:
            return cached[1]
        secrets = self._read(monitor)
        self._cache[monitor] = (self._clock(), secrets)
        return secrets

    def _read(self, monitor: str) -> tuple[str, ...] | None:
        name = parameter_path(self.prefix, monitor) + PARAMETER
        try:
            value = self.client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ClientError as error:
            if aws_error_code(error) == "ParameterNotFound":
                return None
            raise _failure(name, error) from None
        except BotoCoreError as error:
            raise _failure(name, error) from None
        # While a secret is rotated the parameter holds both, comma-separated.
        secrets = tuple(s.strip() for s in str(value).split(",") if s.strip())
        return secrets or None


def _failure(name: str, error: Exception) -> AwsServiceError:
    return AwsServiceError(
        f"could not read {name} ({aws_error_code(error)})",
        f"check that the webhook function's role may call ssm:GetParameter on {name} "
        "and kms:Decrypt",
    )
