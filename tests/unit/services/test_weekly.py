"""The digest's reads with a fake Ultravox: extras that fail never fail the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ceilingwatch.common.errors import UltravoxUnavailableError
from ceilingwatch.domain.ports import Account
from ceilingwatch.domain.series import TimeSeries
from ceilingwatch.services.weekly import gather_digest

from tests.support.builders import config
from tests.unit.domain.test_digest import RUN, TUESDAY_14, hourly


class FakeUltravox:
    """Hourly history from the digest tests; the 5-minute detail and the account may fail."""

    def __init__(self, detail_fails: bool = False, account_fails: bool = False) -> None:
        self.detail_fails, self.account_fails = detail_fails, account_fails
        self.asked: list[str] = []

    def concurrency(
        self, start: datetime, end: datetime, bucket: str = "5min", **kw: Any
    ) -> TimeSeries:
        self.asked.append(bucket)
        if bucket == "5min" and self.detail_fails:
            raise UltravoxUnavailableError("HTTP 503", "wait")
        rows = hourly({TUESDAY_14: 48}) if bucket == "hour" else []
        return TimeSeries(tuple(b for b in rows if start <= b.start < end))

    def account(self, **kw: Any) -> Account:
        self.asked.append("account")
        if self.account_fails:
            raise UltravoxUnavailableError("HTTP 503", "wait")
        return Account(None, 0, "pro")


@pytest.mark.parametrize(
    ("detail_fails", "account_fails"), [(False, False), (True, False), (False, True)]
)
def test_only_the_history_is_required(detail_fails: bool, account_fails: bool) -> None:
    fake = FakeUltravox(detail_fails, account_fails)
    digest = gather_digest(fake, config(), RUN, deadline=0.0)  # type: ignore[arg-type]
    assert fake.asked == ["hour", "5min", "account"]
    assert (digest.peak, digest.peak_at) == (48, TUESDAY_14)


def test_the_history_window_ends_on_the_hour_of_the_run() -> None:
    fake = FakeUltravox()
    digest = gather_digest(fake, config(), RUN + timedelta(minutes=7), deadline=0.0)  # type: ignore[arg-type]
    assert digest.week_start == datetime(2026, 11, 23, 9, tzinfo=UTC)
