"""SQS: one message per monitor of a tick, each delayed to its place in the spread."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.common.errors import AwsServiceError, aws_error_code

BATCH = 10  # SendMessageBatch's most entries


class TickQueue:
    """Sends the per-monitor events of a tick in batches of ten; an entry SQS refused is sent
    once more, then named in the error (the others are already queued)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def send(self, messages: Sequence[tuple[Mapping[str, Any], int]]) -> int:
        refused: list[str] = []
        for start in range(0, len(messages), BATCH):
            entries = [
                {"Id": str(n), "MessageBody": json.dumps(body), "DelaySeconds": delay}
                for n, (body, delay) in enumerate(messages[start : start + BATCH])
            ]
            failed = self._batch(entries)
            if failed:
                failed = self._batch([e for e in entries if e["Id"] in failed])
            refused += [
                json.loads(str(e["MessageBody"]))["monitor"] for e in entries if e["Id"] in failed
            ]
        if refused:
            raise AwsServiceError(
                f"SQS refused the tick of {len(refused)} monitor(s): {', '.join(refused[:10])}",
                "check the fan-out function's sqs:SendMessage on the fleet queue",
            )
        return len(messages)

    def _batch(self, entries: list[dict[str, Any]]) -> set[str]:
        try:
            answer = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as error:
            raise AwsServiceError(
                f"could not queue the tick's monitors ({aws_error_code(error)})",
                "check the fleet queue exists and the fan-out function may send to it",
            ) from None
        return {failure["Id"] for failure in answer.get("Failed", [])}
