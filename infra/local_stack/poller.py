"""Lambda's SQS poller, played locally: moto keeps the event source mapping but cannot run it."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from moto.sqs.models import sqs_backends

Invoke = Callable[[dict[str, Any]], Any]


def detach_moto_invocations(account: str, region: str) -> None:
    """moto invokes a mapped function in Docker on every SendMessage; here the poller below does
    it instead, so the mapping stays (ListEventSourceMappings shows it) but moto's call goes."""
    for queue in sqs_backends[account][region].queues.values():
        queue.lambda_event_source_mappings.clear()


@dataclass
class Polled:
    """What the poller did: invocations, messages deleted and left, the most running at once."""

    invocations: int = 0
    deleted: int = 0
    left: int = 0
    peak_running: int = 0
    bodies: list[str] = field(default_factory=list)


class QueuePoller:
    """Receives from the mapping's queue and invokes the function with SQS events, at most
    the mapping's MaximumConcurrency at once; deletes a batch's messages when the function
    returns, except those it reports failed (ReportBatchItemFailures); leaves all on a raise."""

    def __init__(self, sqs: Any, mapping: dict[str, Any], invoke: Invoke) -> None:
        self.sqs, self.invoke = sqs, invoke
        self.source_arn: str = mapping["EventSourceArn"]
        self.queue_url = sqs.get_queue_url(QueueName=self.source_arn.split(":")[-1])["QueueUrl"]
        self.batch_size = int(mapping.get("BatchSize", 10))
        self.max_concurrency = int(mapping.get("ScalingConfig", {}).get("MaximumConcurrency", 2))
        self.partial = "ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", [])
        self._running = 0
        self._lock = threading.Lock()

    @classmethod
    def for_function(
        cls, lambda_client: Any, sqs: Any, function: str, invoke: Invoke
    ) -> QueuePoller:
        mappings = lambda_client.list_event_source_mappings(FunctionName=function)
        [mapping] = mappings["EventSourceMappings"]
        return cls(sqs, mapping, invoke)

    def drain(self, timeout: float = 60.0, visibility_timeout: int | None = None) -> Polled:
        """Polls until the queue holds nothing (visible, delayed or in flight) or `timeout`."""
        polled = Polled()
        ends = time.monotonic() + timeout
        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            pending: set[Future[None]] = set()
            while time.monotonic() < ends:
                pending = {f for f in pending if not f.done()}
                if len(pending) >= self.max_concurrency:
                    time.sleep(0.01)
                    continue
                batch = self._receive(visibility_timeout)
                if batch:
                    pending.add(pool.submit(self._invoke, batch, polled))
                elif not pending and self._empty():
                    break
            for future in pending:
                future.result()
        return polled

    def _receive(self, visibility_timeout: int | None) -> list[dict[str, Any]]:
        options = {} if visibility_timeout is None else {"VisibilityTimeout": visibility_timeout}
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.batch_size, 10),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            **options,
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        if not messages:
            time.sleep(0.05)
        return messages

    def _empty(self) -> bool:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesDelayed",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return all(int(v) == 0 for v in attributes.values())

    def _invoke(self, batch: list[dict[str, Any]], polled: Polled) -> None:
        with self._lock:
            self._running += 1
            polled.peak_running = max(polled.peak_running, self._running)
            polled.invocations += 1
            polled.bodies += [m["Body"] for m in batch]
        try:
            answer = self.invoke({"Records": [self._record(m) for m in batch]})
            failed = self._failed(answer, batch)
        except Exception:
            failed = {m["MessageId"] for m in batch}  # a raise leaves the whole batch
        finally:
            with self._lock:
                self._running -= 1
        done = [m for m in batch if m["MessageId"] not in failed]
        for message in done:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        with self._lock:
            polled.deleted += len(done)
            polled.left += len(batch) - len(done)

    def _failed(self, answer: Any, batch: list[dict[str, Any]]) -> set[str]:
        if not self.partial or not isinstance(answer, dict):
            return set()
        return {str(f["itemIdentifier"]) for f in answer.get("batchItemFailures", [])}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        body = message["Body"]
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.source_arn,
            "awsRegion": self.source_arn.split(":")[3],
        }
