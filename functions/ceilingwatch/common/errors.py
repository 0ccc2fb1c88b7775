"""Why a run could not judge the ceiling, each error saying what to fix, never holding a secret."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from ceilingwatch.common.records import record
from ceilingwatch.common.scrub import scrub


class MonitorError(Exception):
    """A run that could not judge; `what_to_fix` is the sentence an on-call engineer acts on."""

    kind = "error"

    def __init__(self, problem: str, what_to_fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.what_to_fix = what_to_fix or "see the function's logs for this run"

    def __str__(self) -> str:
        return f"{self.problem}. Fix: {self.what_to_fix}"

    def scrubbed(self, secrets: Iterable[str]) -> Self:
        """The same error with every secret taken out, before it reaches state or messages."""
        secrets = tuple(secrets)
        problem, fix = scrub(self.problem, secrets), scrub(self.what_to_fix, secrets)
        if (problem, fix) == (self.problem, self.what_to_fix):
            return self
        clean = self.__class__.__new__(self.__class__)
        clean.__dict__.update(self.__dict__)
        clean.problem, clean.what_to_fix = problem, fix
        Exception.__init__(clean, problem)
        return clean


@record
class ConfigProblem:
    """One bad parameter: its short name (`warning-percent`) and the sentence that says why."""

    parameter: str
    text: str


class ConfigurationError(MonitorError):
    """A parameter or environment variable is missing or invalid."""

    kind = "configuration"

    def __init__(
        self, problem: str, what_to_fix: str = "", problems: tuple[ConfigProblem, ...] = ()
    ) -> None:
        super().__init__(problem, what_to_fix)
        self.problems = problems


class UltravoxAuthError(MonitorError):
    """Ultravox refused the API key (401) or its rights (403)."""

    kind = "ultravox-auth"


class UltravoxUnavailableError(MonitorError):
    """Ultravox could not be reached, timed out, or kept answering 429 or 5xx."""

    kind = "ultravox-unavailable"


class InvalidResponseError(MonitorError):
    """Ultravox answered, but not with what its OpenAPI document promises."""

    kind = "ultravox-invalid-response"

    def __init__(self, problem: str, what_to_fix: str = "") -> None:
        super().__init__(
            f"Ultravox sent an invalid concurrency series: {problem}",
            what_to_fix
            or "nothing on your side if it persists only briefly; otherwise report it to Ultravox",
        )


class StateConflictError(Exception):
    """Another run stored the monitor's state first: that run owns this tick's notifications."""


class DeliveryError(MonitorError):
    """No channel delivered a notification: the run fails so Lambda retries it."""

    kind = "delivery"


class AwsServiceError(MonitorError):
    """An AWS service the monitor stands on (SSM, DynamoDB) failed or refused."""

    kind = "aws"


class ChannelError(Exception):
    """A channel did not deliver; the message never carries the channel's secret.

    Transient by default: the notification stays owed to the channel and is sent again.
    """

    permanent = False


class TransientChannelError(ChannelError):
    """Worth another try: a timeout, a refused connection, a 429 or a 5xx."""


class PermanentChannelError(ChannelError):
    """Trying again cannot help (a rejected payload, a revoked webhook): the channel drops it."""

    permanent = True


def aws_error_code(error: BaseException) -> str:
    """The AWS error code of a botocore error (`AccessDenied`), else the exception's type."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(error).__name__))
    return type(error).__name__


class RunCrashedError(Exception):
    """A run that failed unexpectedly; its message has every loaded secret scrubbed out, as
    the runtime's error line and the dead-letter queue keep it."""
