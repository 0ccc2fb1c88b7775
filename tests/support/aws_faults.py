"""An AWS endpoint that fails every call, for the email (SNS) column of the fault matrix."""

from __future__ import annotations

import uuid
from typing import Any
from xml.sax.saxutils import escape  # nosec B406: it writes XML, it never parses any

from infra.standins.loopback import RecordingStandin, Verdict

# How SNS words its errors (the query protocol), by HTTP status.
SNS_ERRORS = {
    400: ("Sender", "Throttling", "Rate exceeded"),
    403: ("Sender", "AuthorizationError", "not authorized to perform SNS:Publish"),
    404: ("Sender", "NotFound", "Topic does not exist"),
    500: ("Receiver", "InternalError", "An internal error occurred"),
    503: ("Receiver", "ServiceUnavailable", "Service is unavailable"),
}


class FailingAwsEndpoint(RecordingStandin):
    """Answers every call with one AWS error, or (after `hang`) not at all.

    Given to the function as AWS_ENDPOINT_URL_SNS, it is SNS throttled, refusing, failing or
    hung over a real socket, so botocore's own timeouts and retries are what a test sees.
    """

    server_name = "failing-aws"

    def __init__(self, status: int = 500) -> None:
        super().__init__()
        if status not in SNS_ERRORS:
            raise ValueError(f"no SNS error for HTTP {status}; there are {sorted(SNS_ERRORS)}")
        self.status = status

    def judge(self, path: str, raw: bytes, payload: Any) -> Verdict:
        return self.error_body(self.status)

    def error_body(self, status: int) -> Verdict:
        kind, code, message = SNS_ERRORS.get(status, SNS_ERRORS[500])
        body = (
            '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
            f"<Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return Verdict(status, body, "text/xml")
