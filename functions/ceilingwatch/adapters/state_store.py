"""DynamoDB: one alert-state item per monitor, written only if nobody wrote it since we read it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.adapters.state_codec import state_from_item, state_to_item
from ceilingwatch.common.errors import AwsServiceError, StateConflictError
from ceilingwatch.domain.state import AlertState


class StateStore:
    """Reads consistently and writes conditionally on `version`, so two runs cannot both notify."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def load(self, monitor: str) -> AlertState | None:
        try:
            item = self.client.get_item(
                TableName=self.table_name, Key={"monitor": {"S": monitor}}, ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as error:
            raise self._failure("read", error) from None
        return None if item is None else state_from_item(item)

    def save(self, state: AlertState, expected_version: int) -> None:
        condition = (
            "attribute_not_exists(monitor)" if expected_version == 0 else "version = :expected"
        )
        values = {} if expected_version == 0 else {":expected": {"N": str(expected_version)}}
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=state_to_item(state),
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise StateConflictError(
                    f"the state of {state.monitor} changed since this run read it"
                ) from None
            raise self._failure("write", error) from None
        except BotoCoreError as error:
            raise self._failure("write", error) from None

    def _failure(self, verb: str, error: Exception) -> AwsServiceError:
        code = (
            error.response.get("Error", {}).get("Code", "ClientError")
            if isinstance(error, ClientError)
            else type(error).__name__
        )
        return AwsServiceError(
            f"could not {verb} the alert state in DynamoDB table {self.table_name} ({code})",
            "check that the table exists and the function's role may call "
            "dynamodb:GetItem and dynamodb:PutItem on it; throttling clears by itself",
        )
