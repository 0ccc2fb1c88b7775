"""The floor: a minimal handler making a run's calls with botocore and urllib3 alone.

The cold and warm figures compare ceilingwatch against this: the same SSM read (by path, with
decryption), the same Ultravox GET and the same DynamoDB read and write, and nothing else: no
Powertools, no requests, no judging, no logging. Only the standard library at module level
besides botocore and urllib3, which the runtime ships.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from typing import Any

import botocore.session
import urllib3
from botocore.config import Config

CONCURRENCY_PATH = "/api/accounts/me/usage/concurrency"


class FloorHandler:
    """Clients built once per execution environment, as any Lambda function would."""

    def __init__(self) -> None:
        session = botocore.session.get_session()
        config = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard"})
        self.ssm: Any = session.create_client("ssm", config=config)
        self.dynamodb: Any = session.create_client("dynamodb", config=config)
        self.http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=3.05, read=10.0))
        self.table = os.environ["STATE_TABLE_NAME"]
        self.base_url = os.environ["ULTRAVOX_API_BASE_URL"]
        self.prefix = os.environ.get("CEILINGWATCH_PARAMETER_PREFIX", "/ceilingwatch")

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        monitor = event["monitor"]
        parameters = self.ssm.get_parameters_by_path(
            Path=f"{self.prefix}/{monitor}/", WithDecryption=True, MaxResults=10
        )["Parameters"]
        values = {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in parameters}
        end = datetime.fromisoformat(event["scheduledTime"].replace("Z", "+00:00"))
        start = end - timedelta(hours=1)
        start = start.replace(minute=start.minute - start.minute % 5, second=0)
        response = self.http.request(
            "GET",
            self.base_url + CONCURRENCY_PATH,
            fields={
                "bucket": "5min",
                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            headers={"X-API-Key": values["ultravox-api-key"], "Accept": "application/json"},
            redirect=False,
        )
        series = json.loads(response.data)["timeSeries"]
        key = {"monitor": {"S": monitor}}
        item = self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        # Written under a key of its own, the size of the real item: the same write, no harm.
        stored = item.get("Item", {}) | {"monitor": {"S": f"floor-{monitor}"}}
        stored["peak"] = {"N": str(max((b["maxTotalCalls"] for b in series), default=0))}
        self.dynamodb.put_item(TableName=self.table, Item=stored)
        return {"status": "OK", "buckets": len(series)}


_handler: FloorHandler | None = None


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    _handler = _handler or FloorHandler()
    return _handler(event)
