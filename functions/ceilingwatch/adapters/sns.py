"""Amazon SNS: the email channel, with attributes that subscription filter policies can match."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.errors import ChannelError
from ceilingwatch.messages import Email


class SnsNotifier:
    name = "email"

    def __init__(self, client: Any, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def send(self, email: Email) -> str:
        try:
            response = self.client.publish(
                TopicArn=self.topic_arn,
                Subject=email.subject,
                Message=email.body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in email.attributes.items()
                },
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise ChannelError(f"SNS refused the message ({code})") from None
        except BotoCoreError as error:
            raise ChannelError(f"SNS could not be reached ({type(error).__name__})") from None
        return str(response.get("MessageId", ""))
