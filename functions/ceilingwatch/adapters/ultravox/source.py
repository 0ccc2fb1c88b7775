"""One monitor's usage at Ultravox: its parameter, and the source built from it for a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from typing import Any

from ceilingwatch.adapters.ultravox.api import UltravoxClient
from ceilingwatch.adapters.wiring import SourceBuild, SourceWiring
from ceilingwatch.common.records import record
from ceilingwatch.domain.config import MonitorConfig, Secret
from ceilingwatch.domain.parameters import Parameter, PlugIn
from ceilingwatch.domain.ports import Account
from ceilingwatch.domain.series import Bucket, TimeSeries

API_KEY = Parameter(
    "ultravox-api-key", "Ultravox API key (`X-API-Key`)", Secret, secret=True, required=True
)
WEBHOOK_SECRET = Parameter(
    "ultravox-webhook-secret",
    "the secret Ultravox signs its call webhooks with: turns the live feed on "
    "(`ceilingwatch live enable` makes and stores it; never typed by hand)",
    Secret,
    secret=True,
    default_text="none (no live feed: the scheduled runs alone)",
)


@record(frozen=False, eq=False)
class UltravoxSource:
    """The environment's client with one monitor's key: a UsageSource.

    Built for each run from the configuration just read, so a rotated key takes at once.
    """

    client: UltravoxClient
    key: Secret = field(repr=False)
    key_parameter: str  # where a rejected key's fix tells to look

    def concurrency(
        self,
        start: datetime,
        end: datetime,
        bucket: Bucket = Bucket.FIVE_MINUTES,
        *,
        deadline: float,
    ) -> TimeSeries:
        return self.client.concurrency(
            self.key, start, end, deadline=deadline, bucket=bucket, key_parameter=self.key_parameter
        )

    def account(self, *, deadline: float) -> Account:
        return self.client.account(self.key, deadline=deadline, key_parameter=self.key_parameter)

    def call(self, call_id: str, *, deadline: float) -> Mapping[str, Any] | None:
        return self.client.call(
            self.key, call_id, deadline=deadline, key_parameter=self.key_parameter
        )


def build(config: MonitorConfig, wiring: SourceWiring) -> UltravoxSource | None:
    """The monitor's Ultravox: a client on the environment's session, with the monitor's key."""
    key = config.secret(API_KEY.name)
    if key is None:
        return None
    client = UltravoxClient(wiring.settings.ultravox_base_url, wiring.session)
    return UltravoxSource(client, key, config.parameter(API_KEY.name))


PLUGIN: PlugIn[SourceBuild] = PlugIn("ultravox", (API_KEY, WEBHOOK_SECRET), build)
