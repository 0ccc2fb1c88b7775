"""Email through Amazon SNS, with attributes that subscription filter policies can match."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ceilingwatch.channels.base import ChannelBuild, Wiring, min_severity, routed
from ceilingwatch.common.errors import PermanentChannelError, TransientChannelError
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.messages import format_email
from ceilingwatch.domain.parameters import PlugIn
from ceilingwatch.domain.ports import Context
from ceilingwatch.domain.severity import Severity

# SNS refuses these for the message itself: sending it again cannot succeed.
PERMANENT_CODES = frozenset({"InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid"})
MIN_SEVERITY = min_severity("email", Severity.WARNING, "by email (always on: the template's topic)")


class EmailChannel:
    name = "email"

    def __init__(
        self, client: Callable[[], Any], topic_arn: str, min_severity: Severity = Severity.WARNING
    ) -> None:
        # Built on first use, with bounded timeouts and attempts, by the composition root.
        self.client = client
        self.topic_arn = topic_arn
        self.min_severity = min_severity

    def accepts(self, note: Notification) -> bool:
        return routed(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        email = format_email(note, context.links)
        publish(
            self.client,
            "SNS",
            TopicArn=self.topic_arn,
            Subject=email.subject,
            Message=email.body,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in email.attributes.items()
            },
        )
        return context.memory


def publish(client: Callable[[], Any], service: str, **request: Any) -> None:
    """One SNS Publish, its failures as a channel's: the client's text never (it names ARNs)."""
    try:
        client().publish(**request)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "ClientError"))
        failure = PermanentChannelError if code in PERMANENT_CODES else TransientChannelError
        raise failure(f"{service} refused the message ({code})") from None
    except BotoCoreError as error:
        raise TransientChannelError(
            f"{service} could not be reached ({type(error).__name__})"
        ) from None


def build(config: MonitorConfig | None, wiring: Wiring) -> EmailChannel:
    """Always on: the stack's topic needs no parameter, so it also carries a broken config."""
    floor = config.option(MIN_SEVERITY.name) if config else MIN_SEVERITY.default
    return EmailChannel(wiring.sns, wiring.settings.alert_topic_arn, floor)


PLUGIN: PlugIn[ChannelBuild] = PlugIn("email", (MIN_SEVERITY,), build)
