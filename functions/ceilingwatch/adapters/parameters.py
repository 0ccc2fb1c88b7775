"""SSM Parameter Store: a monitor's parameters under its path, in one call, briefly cached."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.common.errors import AwsServiceError, aws_error_code
from ceilingwatch.domain.config import MonitorConfig, parameter_path
from ceilingwatch.domain.last_valid import ConfigReading, KeptValues, read_config
from ceilingwatch.domain.parameter_table import ParameterTable

PAGE_SIZE = 10  # GetParametersByPath's most per page


class ParameterStore:
    """Reads `/ceilingwatch/<monitor>/*` with SecureStrings decrypted; the cache spares retries.

    A reader of our own rather than Powertools' parameters utility, which imports boto3 and its
    AppConfig, DynamoDB and Secrets providers and builds a paginator on every read: measured,
    that cost every cold start about 25 ms CPU and every warm run about 0.2 ms (docs/measured.md).
    """

    def __init__(
        self, client: Any, prefix: str, max_age_seconds: int = 60, *, table: ParameterTable
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.max_age_seconds = max_age_seconds
        self.table = table
        self._cache: dict[str, tuple[float, dict[str, str], dict[str, int]]] = {}
        self._readings: dict[str, tuple[tuple[Any, ...], ConfigReading]] = {}

    def load(self, monitor: str) -> MonitorConfig:
        path = parameter_path(self.prefix, monitor)
        return self.table.parse(monitor, path, self._values(path, fresh=False)[0])

    def read(
        self, monitor: str, last_valid: KeptValues | None = None, *, fresh: bool = False
    ) -> ConfigReading:
        """The configuration to judge with, falling back on `last_valid` while a value is bad.

        `fresh` skips the cache: a change event must see the value that was just written.
        """
        path = parameter_path(self.prefix, monitor)
        values, versions = self._values(path, fresh=fresh)
        # Parsing is pure, and a tick reads the same values run after run: the environment keeps
        # each path's last reading: parsed again when a value, a version or the fallback changed.
        key = (monitor, values, versions, None if last_valid is None else dict(last_valid))
        kept = self._readings.get(path)
        if kept is not None and kept[0] == key:
            return kept[1]
        reading = read_config(self.table, monitor, path, values, last_valid, versions)
        if reading.error is None:  # an error is raised afresh each run, never one object twice
            self._readings[path] = (key, reading)
        return reading

    def _values(self, path: str, fresh: bool) -> tuple[dict[str, str], dict[str, int]]:
        """Each parameter's value and version, by its name after the path."""
        cached = self._cache.get(path)
        if cached is not None and not fresh and time.monotonic() < cached[0]:
            return dict(cached[1]), dict(cached[2])
        try:
            values = self._fetch(path)
        except (BotoCoreError, ClientError) as error:
            raise AwsServiceError(
                f"could not read the parameters under {path} ({aws_error_code(error)})",
                f"check that the function's role may call ssm:GetParametersByPath on {path} "
                "and kms:Decrypt for SecureString parameters",
            ) from None
        if self.max_age_seconds > 0:
            self._cache[path] = (time.monotonic() + self.max_age_seconds, *values)
        return dict(values[0]), dict(values[1])

    def _fetch(self, path: str) -> tuple[dict[str, str], dict[str, int]]:
        """Every parameter directly under `path` (not below it), by its name after the path."""
        values: dict[str, str] = {}
        versions: dict[str, int] = {}
        options: dict[str, Any] = {"Path": path, "WithDecryption": True, "MaxResults": PAGE_SIZE}
        while True:
            page = self.client.get_parameters_by_path(**options)
            for parameter in page.get("Parameters", ()):
                name = str(parameter["Name"]).removeprefix(path).lstrip("/")
                values[name] = str(parameter["Value"])
                versions[name] = int(parameter.get("Version", 0))
            if not page.get("NextToken"):
                return values, versions
            options["NextToken"] = page["NextToken"]
