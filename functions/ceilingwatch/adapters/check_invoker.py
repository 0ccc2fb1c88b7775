"""Lambda: starts the check function's live action asynchronously (InvocationType=Event)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.common.errors import AwsServiceError, aws_error_code
from ceilingwatch.domain.choices import Action


class CheckInvoker:
    """One asynchronous invoke: the receiver answers Ultravox without waiting for the channels."""

    def __init__(self, client: Any, function_name: str) -> None:
        self.client = client
        self.function_name = function_name

    def live(self, monitor: str) -> None:
        payload = json.dumps({"monitor": monitor, "action": Action.LIVE.value}).encode()
        try:
            self.client.invoke(
                FunctionName=self.function_name, InvocationType="Event", Payload=payload
            )
        except (ClientError, BotoCoreError) as error:
            raise AwsServiceError(
                f"could not invoke {self.function_name} ({aws_error_code(error)})",
                "check that the webhook function's role may call lambda:InvokeFunction on it",
            ) from None
