"""DynamoDB: one item per call under its monitor, written only forward; the count is a Query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.common.errors import AwsServiceError, aws_error_code
from ceilingwatch.domain.live_calls import CallRecord, CallStage, LiveCount, Tally

TALLY_KEY = "#tally"  # the reconcile's item: no stage, so it is never counted as a call
_FORWARD = "attribute_not_exists(callId) OR stage < :stage"
# Only open records carry openUntil (their expiry, epoch seconds), the sort key of this local
# index: its Query reads the open, unexpired records and nothing TTL has yet to delete.
OPEN_INDEX = "OpenCalls"
# The tally sorts after every call (year 2286), so the count's one Query reads it too.
_TALLY_SORTS = "9999999999"


class LiveCallStore:
    """Conditional writes make duplicates and reordering change nothing; nothing is a counter."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def record(self, monitor: str, call: CallRecord) -> bool:
        try:
            answer = self.client.put_item(
                TableName=self.table_name,
                Item=_call_item(monitor, call),
                ConditionExpression=_FORWARD,
                ExpressionAttributeValues={":stage": {"N": str(int(call.stage))}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if aws_error_code(error) == "ConditionalCheckFailedException":
                return False  # already there, or further on: a duplicate or a late retry
            raise self._failure("write", error) from None
        except BotoCoreError as error:
            raise self._failure("write", error) from None
        return call.open and not answer.get("Attributes")

    def count(self, monitor: str, now: datetime) -> LiveCount:
        calls: list[CallRecord] = []
        tally = Tally()
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": OPEN_INDEX,
            # openUntil > floor(now) is now < expiry, exactly, for a whole-second expiry.
            "KeyConditionExpression": "monitor = :m AND openUntil > :now",
            "ExpressionAttributeValues": {
                ":m": {"S": monitor},
                ":now": {"N": str(int(now.timestamp()))},
            },
            "ConsistentRead": True,
        }
        try:
            while True:
                page = self.client.query(**query)
                for item in page.get("Items", []):
                    if item["callId"]["S"] == TALLY_KEY:
                        tally = _tally_of(item)
                    elif (call := _call_of(item)).counts(now):
                        calls.append(call)
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as error:
            raise self._failure("read", error) from None
        calls.sort(key=lambda c: (c.created, c.call_id))
        return LiveCount(tuple(calls), tally)

    def close(self, monitor: str, call_id: str, now: datetime) -> None:
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"monitor": {"S": monitor}, "callId": {"S": call_id}},
                UpdateExpression="SET stage = :ended, closedBy = :why REMOVE openUntil",
                ConditionExpression="attribute_exists(callId) AND stage < :ended",
                ExpressionAttributeValues={
                    ":ended": {"N": str(int(CallStage.ENDED))},
                    ":why": {"S": f"reconcile {now.isoformat()}"},
                },
            )
        except ClientError as error:
            if aws_error_code(error) != "ConditionalCheckFailedException":
                raise self._failure("write", error) from None
        except BotoCoreError as error:
            raise self._failure("write", error) from None

    def save_tally(self, monitor: str, tally: Tally) -> None:
        item = {
            "monitor": {"S": monitor},
            "callId": {"S": TALLY_KEY},
            "offset": {"N": str(tally.offset)},
            "aboveRuns": {"N": str(tally.above_runs)},
            "belowRuns": {"N": str(tally.below_runs)},
            "openUntil": {"N": _TALLY_SORTS},
        }
        if tally.lag_told_at is not None:
            item["lagToldAt"] = {"S": tally.lag_told_at.isoformat()}
        try:
            self.client.put_item(TableName=self.table_name, Item=item)
        except (ClientError, BotoCoreError) as error:
            raise self._failure("write", error) from None

    def _failure(self, verb: str, error: Exception) -> AwsServiceError:
        return AwsServiceError(
            f"could not {verb} the live calls in DynamoDB table {self.table_name} "
            f"({aws_error_code(error)})",
            "check that the table exists and the function's role may use it; "
            "throttling clears by itself",
        )


def _call_item(monitor: str, call: CallRecord) -> dict[str, Any]:
    expires = {"N": str(int(call.expires.timestamp()))}
    item = {
        "monitor": {"S": monitor},
        "callId": {"S": call.call_id},
        "stage": {"N": str(int(call.stage))},
        "created": {"S": call.created.isoformat()},
        # Epoch seconds: DynamoDB's TTL deletes the item some time after this. Until then an
        # ended item is what refuses a late `call.started`; after it, a late one writes a record
        # already past its own expiry, which never counts.
        "expires": expires,
    }
    if call.open:
        item["openUntil"] = expires
    return item


def _call_of(item: dict[str, Any]) -> CallRecord:
    return CallRecord(
        call_id=item["callId"]["S"],
        stage=CallStage(int(item["stage"]["N"])),
        created=datetime.fromisoformat(item["created"]["S"]),
        expires=datetime.fromtimestamp(int(item["expires"]["N"]), UTC),
    )


def _tally_of(item: dict[str, Any]) -> Tally:
    return Tally(
        offset=int(item.get("offset", {}).get("N", "0")),
        above_runs=int(item.get("aboveRuns", {}).get("N", "0")),
        below_runs=int(item.get("belowRuns", {}).get("N", "0")),
        lag_told_at=datetime.fromisoformat(item["lagToldAt"]["S"]) if "lagToldAt" in item else None,
    )
