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
MESSAGE_REFUSED = frozenset({"InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid"})
# These refuse the function, not the message: no retry mends them, only the stack (the role's
# sns:Publish, the topic's key policy for the function). Named, never owed.
ACCESS_REFUSED = {
    "AuthorizationError": "the function's role may not publish to {topic}",
    "AccessDenied": "the function's role may not publish to {topic}",
    "KMSAccessDenied": "the topic's KMS key refuses the function",
    "KMSDisabled": "the topic's KMS key is disabled",
    "KMSInvalidState": "the topic's KMS key is pending deletion or unusable",
    "KMSNotFound": "the topic's KMS key no longer exists",
    "KMSOptInRequired": "KMS is not enabled for this account",
}
PERMANENT_CODES = MESSAGE_REFUSED | ACCESS_REFUSED.keys()
MIN_SEVERITY = min_severity("email", Severity.WARNING, "by email (always on: the template's topic)")


class EmailChannel:
    name = "email"
    parameter = "the stack's alert topic"  # no parameter: the stack makes it

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


def publish(
    client: Callable[[], Any], service: str, topic: str = "the alert topic", **request: Any
) -> None:
    """One SNS Publish, its failures as a channel's: the client's text never (it names ARNs).

    An access refusal is permanent and says what to mend: a retry never publishes.
    """
    try:
        client().publish(**request)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "ClientError"))
        if code in ACCESS_REFUSED:
            why = ACCESS_REFUSED[code].format(topic=topic)
            raise PermanentChannelError(
                f"{service} refused {topic}'s publish ({code}): {why}; "
                "redeploy the stack (template.yaml grants it)"
            ) from None
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
