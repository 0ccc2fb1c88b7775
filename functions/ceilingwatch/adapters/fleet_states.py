"""DynamoDB: each monitor's last completed tick in batches, and the fleet's own item."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.common.errors import AwsServiceError, aws_error_code

# Not a monitor name (those start with a letter or a digit): the fleet's notice memory.
FLEET_KEY = "#fleet"
BATCH = 100  # BatchGetItem's most keys


class FleetStates:
    """Reads only `monitor` and `last_tick` of each state: a tenth of a read unit a monitor."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def last_runs(self, monitors: Sequence[str]) -> dict[str, datetime | None]:
        found: dict[str, datetime | None] = dict.fromkeys(monitors)
        for start in range(0, len(monitors), BATCH):
            keys: list[dict[str, Any]] = [
                {"monitor": {"S": m}} for m in monitors[start : start + BATCH]
            ]
            while keys:
                answer = self._call(
                    "read",
                    self.client.batch_get_item,
                    RequestItems={
                        self.table_name: {
                            "Keys": keys,
                            "ProjectionExpression": "monitor, last_tick",
                        }
                    },
                )
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    tick = item.get("last_tick", {}).get("S")
                    found[item["monitor"]["S"]] = datetime.fromisoformat(tick) if tick else None
                keys = answer.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
        return found

    def told(self) -> tuple[tuple[str, ...], datetime | None]:
        item = self._call(
            "read",
            self.client.get_item,
            TableName=self.table_name,
            Key={"monitor": {"S": FLEET_KEY}},
        ).get("Item")
        if not item:
            return (), None
        names = tuple(n for n in item.get("forgotten", {}).get("S", "").split(",") if n)
        return names, datetime.fromisoformat(item["told_at"]["S"])

    def remember(self, names: tuple[str, ...], at: datetime) -> None:
        self._call(
            "write",
            self.client.put_item,
            TableName=self.table_name,
            Item={
                "monitor": {"S": FLEET_KEY},
                "forgotten": {"S": ",".join(names)},
                "told_at": {"S": at.isoformat()},
            },
        )

    def _call(self, verb: str, call: Any, **kwargs: Any) -> Any:
        try:
            return call(**kwargs)
        except (ClientError, BotoCoreError) as error:
            raise AwsServiceError(
                f"could not {verb} the fleet's states in {self.table_name} "
                f"({aws_error_code(error)})",
                "check the fan-out function's dynamodb:BatchGetItem, GetItem and PutItem",
            ) from None
