"""SSM Parameter Store as the fleet's registry: every monitor's registering parameters, cached."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.common.errors import AwsServiceError, aws_error_code
from ceilingwatch.domain.fleet import Registered, registered


class ParameterRegistry:
    """Lists the monitors under the prefix (names and dates only, never a value) and keeps the
    list until it is `max_age_seconds` old or a Parameter Store change makes it stale."""

    def __init__(self, client: Any, prefix: str, max_age_seconds: int = 900) -> None:
        self.client = client
        self.prefix = prefix
        self.max_age_seconds = max_age_seconds
        self._cached: tuple[Registered, ...] | None = None
        self._read_at = 0.0
        self.reads = 0  # how many times the list was read from SSM (the cache's proof)

    def monitors(self) -> tuple[Registered, ...]:
        if self._cached is None or time.monotonic() - self._read_at > self.max_age_seconds:
            self._cached = registered(self._parameters(), self.prefix)
            self._read_at = time.monotonic()
            self.reads += 1
        return self._cached

    def stale(self) -> None:
        """A monitor's registering parameter was created or deleted: read the list again."""
        self._cached = None

    def _parameters(self) -> dict[str, datetime | None]:
        found: dict[str, datetime | None] = {}
        # DescribeParameters pages 50 names at a time, where GetParametersByPath pages 10 values.
        pages = self.client.get_paginator("describe_parameters").paginate(
            ParameterFilters=[
                {"Key": "Path", "Option": "Recursive", "Values": [self.prefix.rstrip("/")]}
            ],
            PaginationConfig={"PageSize": 50},
        )
        try:
            for page in pages:
                for parameter in page.get("Parameters", []):
                    found[parameter["Name"]] = parameter.get("LastModifiedDate")
        except (ClientError, BotoCoreError) as error:
            raise AwsServiceError(
                f"could not list the monitors under {self.prefix} ({aws_error_code(error)})",
                "check that the fan-out function's role may call ssm:DescribeParameters",
            ) from None
        return found
