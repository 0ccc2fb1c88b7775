"""SSM Parameter Store: a monitor's parameters under its path, in one call, briefly cached."""

from __future__ import annotations

from typing import Any

from ceilingwatch.common.errors import AwsServiceError, aws_error_code
from ceilingwatch.domain.config import MonitorConfig, parameter_path
from ceilingwatch.domain.last_valid import ConfigReading, KeptValues, read_config
from ceilingwatch.domain.parameter_table import ParameterTable


class ParameterStore:
    """Reads `/ceilingwatch/<monitor>/*` with SecureStrings decrypted; the cache spares retries."""

    def __init__(
        self, client: Any, prefix: str, max_age_seconds: int = 60, *, table: ParameterTable
    ) -> None:
        # Powertools' parameters package imports boto3 and its AppConfig, DynamoDB and Secrets
        # providers when it loads: here, with the client, not when the handler is imported.
        from aws_lambda_powertools.utilities.parameters import SSMProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        self.client = client
        self._provider = SSMProvider(boto3_client=client)
        self._read_error = GetParameterError
        self.prefix = prefix
        self.max_age_seconds = max_age_seconds
        self.table = table

    def load(self, monitor: str) -> MonitorConfig:
        path = parameter_path(self.prefix, monitor)
        return self.table.parse(monitor, path, self._values(path, fresh=False))

    def read(
        self, monitor: str, last_valid: KeptValues | None = None, *, fresh: bool = False
    ) -> ConfigReading:
        """The configuration to judge with, falling back on `last_valid` while a value is bad.

        `fresh` skips the cache: a change event must see the value that was just written.
        """
        path = parameter_path(self.prefix, monitor)
        return read_config(self.table, monitor, path, self._values(path, fresh=fresh), last_valid)

    def _values(self, path: str, fresh: bool) -> dict[str, str]:
        try:
            values = self._provider.get_multiple(
                path,
                max_age=self.max_age_seconds,
                decrypt=True,
                force_fetch=fresh,
                MaxResults=10,
            )
        except self._read_error as error:
            cause = error.__cause__ or error.__context__ or error
            raise AwsServiceError(
                f"could not read the parameters under {path} ({aws_error_code(cause)})",
                f"check that the function's role may call ssm:GetParametersByPath on {path} "
                "and kms:Decrypt for SecureString parameters",
            ) from None
        return {name: str(value) for name, value in values.items()}
