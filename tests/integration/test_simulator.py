"""The Ultravox simulator over real sockets: aggregation, clock, errors, faults and scenarios."""

import itertools
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.simulator.ultravox import (
    ACCOUNT_PATH,
    CONCURRENCY_PATH,
    OUTSIDE_WINDOW_CALLS,
    Fault,
    FaultKind,
    Scenario,
    UltravoxSimulator,
    parse_time,
    scenario_names,
)

KEY = "integration-test-key"
T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)
# Twelve minutes from 10:00, small enough to aggregate by hand. Means equal peaks (avg_ratio 1)
# and joined calls are half the total, rounded half up.
TINY: dict[str, Any] = {
    "description": "hand-computable",
    "start": "2026-11-24T10:00:00Z",
    "account": {"allowedConcurrentCalls": 12},
    "joined_ratio": 0.5,
    "avg_ratio": 1.0,
    "segments": [{"values": [3, 7, 5, 0, 2, 10, 4, 4, 0, 0, 1, 6]}],
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def row(stamp: str, peak: int, joined: int, mean: float) -> dict[str, Any]:
    return {
        "timestamp": f"2026-11-24T{stamp}:00Z",
        "maxTotalCalls": peak,
        "maxJoinedCalls": joined,
        "avgTotalCalls": round(mean, 3),
        "avgJoinedCalls": round(mean / 2, 3),
    }


def tiny(**changes: Any) -> Scenario:
    return Scenario.from_dict({**TINY, **changes}, name="tiny")


@pytest.fixture
def sim() -> Iterator[UltravoxSimulator]:
    with UltravoxSimulator(tiny(), KEY) as simulator:
        simulator.set_clock(at(60))
        yield simulator


def series(sim: UltravoxSimulator, **params: str) -> requests.Response:
    return fetch(sim, params, timeout=5)


def fetch(sim: UltravoxSimulator, params: dict[str, str], timeout: float) -> requests.Response:
    url = sim.base_url + CONCURRENCY_PATH
    return requests.get(url, params=params, headers={"X-API-Key": KEY}, timeout=timeout)


def rows(sim: UltravoxSimulator, **params: str) -> list[dict[str, Any]]:
    response = series(sim, **params)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["timeSeries"]
    return result


# --- aggregation --------------------------------------------------------------------------------

WINDOW = {"start": "2026-11-24T10:00:00Z", "end": "2026-11-24T10:15:00Z"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {"bucket": "minute", "start": "2026-11-24T10:00:00Z", "end": "2026-11-24T10:03:00Z"},
            [row("10:00", 3, 2, 3.0), row("10:01", 7, 4, 7.0), row("10:02", 5, 3, 5.0)],
            id="minute",
        ),
        pytest.param(
            {"bucket": "5min", **WINDOW},
            # The last bucket has only two minutes of traffic, but all five count in its mean.
            [row("10:00", 7, 4, 3.4), row("10:05", 10, 5, 3.6), row("10:10", 6, 3, 1.4)],
            id="5min",
        ),
        pytest.param(
            {"bucket": "hour", "start": "2026-11-24T10:00:00Z", "end": "2026-11-24T11:00:00Z"},
            [row("10:00", 10, 5, 0.7)],
            id="hour",
        ),
        pytest.param(
            {"bucket": "day", "start": "2026-11-24T09:00:00Z", "end": "2026-11-24T10:10:00Z"},
            # Only the window's 70 minutes count: 09:00 to 10:10 holds 35 calls.
            [row("00:00", 10, 5, 0.5)],
            id="day-clipped-to-window",
        ),
        pytest.param(
            {"bucket": "5min", "start": "2026-11-24T10:02:00Z", "end": "2026-11-24T10:10:00Z"},
            # A bucket cut by `start` keeps its aligned timestamp; only in-window minutes count.
            [row("10:00", 5, 3, 7 / 3), row("10:05", 10, 5, 3.6)],
            id="start-mid-bucket",
        ),
        pytest.param(
            {"bucket": "minute", "start": "2026-11-24T10:00:30Z", "end": "2026-11-24T10:02:00Z"},
            [row("10:01", 7, 4, 7.0)],
            id="minute-starting-before-start-left-out",
        ),
        pytest.param(
            {"bucket": "minute", "start": "2026-11-24T12:00:00+02:00", "end": "2026-11-24T10:01Z"},
            [row("10:00", 3, 2, 3.0)],
            id="offsets-converted-to-utc",
        ),
        pytest.param(
            {"bucket": "5min", "start": "2026-11-24T09:50:00Z", "end": "2026-11-24T10:00:00Z"},
            [row("09:50", 0, 0, 0.0), row("09:55", 0, 0, 0.0)],
            id="before-the-scenario-zeros",
        ),
    ],
)
def test_aggregation(
    sim: UltravoxSimulator, params: dict[str, str], expected: list[dict[str, Any]]
) -> None:
    assert rows(sim, **params) == expected


def test_types_match_the_schema(sim: UltravoxSimulator) -> None:
    for bucket in rows(sim, bucket="5min", **WINDOW):
        assert all(type(bucket[k]) is int for k in ("maxTotalCalls", "maxJoinedCalls"))
        assert all(type(bucket[k]) is float for k in ("avgTotalCalls", "avgJoinedCalls"))


def test_defaults_are_minute_buckets_over_the_24_hours_before_now(sim: UltravoxSimulator) -> None:
    sim.set_clock(at(12))
    result = rows(sim)
    assert len(result) == 24 * 60
    assert result[0]["timestamp"] == "2026-11-23T10:12:00Z"
    assert result[-1] == row("10:11", 6, 3, 6.0)


def test_end_alone_defaults_start_to_24_hours_earlier(sim: UltravoxSimulator) -> None:
    result = rows(sim, bucket="hour", end="2026-11-24T10:30:00Z")
    assert [r["timestamp"][11:16] for r in result][:2] == ["10:00", "11:00"]
    assert result[0]["timestamp"].startswith("2026-11-23")
    assert len(result) == 25  # 10:30 yesterday is mid-hour: its hour bucket is clipped


def test_series_is_sorted_ascending(sim: UltravoxSimulator) -> None:
    stamps = [r["timestamp"] for r in rows(sim, bucket="minute", **WINDOW)]
    assert stamps == sorted(stamps)
    assert len(stamps) == 15


def test_omit_empty_buckets() -> None:
    with UltravoxSimulator(tiny(omit_empty_buckets=True), KEY) as sim:
        sim.set_clock(at(60))
        stamps = [r["timestamp"][11:16] for r in rows(sim, bucket="minute", **WINDOW)]
    assert stamps == [f"10:{m:02}" for m in (0, 1, 2, 4, 5, 6, 7, 10, 11)]


# --- the clock and the bucket in progress -------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        pytest.param(at(7.5), [row("10:00", 7, 4, 3.4), row("10:05", 10, 5, 6.0)], id="mid-minute"),
        pytest.param(
            at(7), [row("10:00", 7, 4, 3.4), row("10:05", 10, 5, 7.0)], id="on-the-minute"
        ),
        pytest.param(at(5), [row("10:00", 7, 4, 3.4)], id="bucket-not-yet-begun"),
        pytest.param(at(-1), [], id="before-any-data"),
    ],
)
def test_partial_bucket_in_progress(
    sim: UltravoxSimulator, clock: datetime, expected: list[dict[str, Any]]
) -> None:
    sim.set_clock(clock)
    assert rows(sim, bucket="5min", **WINDOW) == expected


def test_in_progress_bucket_only_grows(sim: UltravoxSimulator) -> None:
    peaks = []
    for minute in range(5, 10):
        sim.set_clock(at(minute + 0.5))
        peaks.append(rows(sim, bucket="5min", **WINDOW)[-1]["maxTotalCalls"])
    assert peaks == [10, 10, 10, 10, 10]
    sim.set_clock(at(1.5))
    assert [r["maxTotalCalls"] for r in rows(sim, bucket="5min", **WINDOW)] == [7]


def test_wall_clock_when_unset(sim: UltravoxSimulator) -> None:
    sim.set_clock(None)
    assert abs(sim.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_running_clock(sim: UltravoxSimulator) -> None:
    sim.set_clock(at(0), rate=600)  # ten simulated minutes a second
    time.sleep(0.2)
    assert at(1.9) <= sim.now() <= at(3)


# --- accounts/me --------------------------------------------------------------------------------


def account(sim: UltravoxSimulator) -> dict[str, Any]:
    response = requests.get(sim.base_url + ACCOUNT_PATH, headers={"X-API-Key": KEY}, timeout=5)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(("clock", "active"), [(at(1.5), 7), (at(5), 10), (at(30), 0)])
def test_account_active_calls_follow_the_clock(
    sim: UltravoxSimulator, clock: datetime, active: int
) -> None:
    sim.set_clock(clock)
    assert account(sim)["activeCalls"] == active
    assert account(sim)["allowedConcurrentCalls"] == 12


def test_account_limit_may_be_null() -> None:
    with UltravoxSimulator("quiet", KEY) as sim:
        body = account(sim)
    assert body["allowedConcurrentCalls"] is None
    assert body["subscriptionTier"] == "pro"


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"bucket": "week"}, id="unknown-bucket"),
        pytest.param({"bucket": ""}, id="empty-bucket"),
        pytest.param({"start": "yesterday"}, id="bad-start"),
        pytest.param({"end": "2026-13-01T00:00:00Z"}, id="bad-end"),
        pytest.param(
            {"start": "2026-11-24T11:00:00Z", "end": "2026-11-24T10:00:00Z"}, id="reversed"
        ),
        pytest.param({"start": "2000-01-01T00:00:00Z"}, id="range-too-large"),
    ],
)
def test_bad_query_is_400_with_detail(sim: UltravoxSimulator, params: dict[str, str]) -> None:
    response = series(sim, **params)
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_unencoded_plus_in_offset_is_400(sim: UltravoxSimulator) -> None:
    # A raw "+" decodes to a space, as on the real API; clients must percent-encode it.
    url = f"{sim.base_url}{CONCURRENCY_PATH}?start=2026-11-24T10:00:00+00:00"
    assert requests.get(url, headers={"X-API-Key": KEY}, timeout=5).status_code == 400


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": f"Token {KEY}"}])
@pytest.mark.parametrize("path", [CONCURRENCY_PATH, ACCOUNT_PATH])
def test_missing_or_wrong_key_is_401(
    sim: UltravoxSimulator, headers: dict[str, str], path: str
) -> None:
    response = requests.get(sim.base_url + path, headers=headers, timeout=5)
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid API key."})


def test_unknown_path_and_method(sim: UltravoxSimulator) -> None:
    headers = {"X-API-Key": KEY}
    assert requests.get(sim.base_url + "/api/calls", headers=headers, timeout=5).status_code == 404
    response = requests.post(sim.base_url + CONCURRENCY_PATH, headers=headers, timeout=5)
    assert response.status_code == 405


def test_requests_are_recorded_without_the_key(sim: UltravoxSimulator) -> None:
    series(sim, bucket="5min")
    requests.get(sim.base_url + ACCOUNT_PATH, timeout=5)
    first, second = sim.requests
    assert (first.method, first.path, first.query) == ("GET", CONCURRENCY_PATH, {"bucket": "5min"})
    assert (first.api_key_present, first.api_key_valid) == (True, True)
    assert (second.path, second.api_key_present, second.api_key_valid) == (
        ACCOUNT_PATH,
        False,
        False,
    )
    assert first.simulated_at == at(60)
    assert abs(first.received_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert KEY not in repr(sim.requests)


# --- injected faults ----------------------------------------------------------------------------


def test_status_fault_with_retry_after_seconds(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("status", status=503, retry_after="1"))
    response = series(sim)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    assert "detail" in response.json()
    assert series(sim).status_code == 200, "one use only"


def test_status_fault_with_http_date_and_body(sim: UltravoxSimulator) -> None:
    date = "Tue, 24 Nov 2026 10:10:00 GMT"
    sim.inject(Fault("status", status=429, retry_after=date, body="slow down"))
    response = series(sim)
    assert (response.status_code, response.headers["Retry-After"]) == (429, date)
    assert response.text == "slow down"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_status_fault_applies_before_authentication(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("status", status=500))
    assert requests.get(sim.base_url + ACCOUNT_PATH, timeout=5).status_code == 500


def test_delay_fault_times_a_client_out(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("delay", seconds=2))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        fetch(sim, {}, timeout=0.2)
    assert time.monotonic() - started < 1
    assert fetch(sim, {}, timeout=1).status_code == 200


def test_delay_fault_then_answers_normally(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("delay", seconds=0.3))
    started = time.monotonic()
    assert series(sim).status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("reset", requests.exceptions.ConnectionError),
        ("truncated", requests.exceptions.ChunkedEncodingError),
    ],
)
def test_transport_faults_break_the_client(
    sim: UltravoxSimulator, kind: FaultKind, error: type[Exception]
) -> None:
    sim.inject(Fault(kind))
    with pytest.raises(error):
        series(sim)
    assert series(sim).status_code == 200


@pytest.mark.parametrize(
    ("kind", "content_type"), [("html", "text/html"), ("non_json", "text/plain")]
)
def test_200_that_is_not_json(sim: UltravoxSimulator, kind: FaultKind, content_type: str) -> None:
    sim.inject(Fault(kind))
    response = series(sim)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


MUTATED = {"bucket": "5min", **WINDOW}
PEAKS = [7, 10, 6]  # what the unmutated MUTATED series holds


def peaks_of(result: list[dict[str, Any]]) -> list[Any]:
    return [r.get("maxTotalCalls", "missing") for r in result]


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("wrong_types", lambda r: peaks_of(r) == ["7", "10", "6"]),
        ("nulls", lambda r: all(v is None for b in r for k, v in b.items() if k != "timestamp")),
        ("negative", lambda r: peaks_of(r) == [-8, -11, -7]),
        ("unsorted", lambda r: peaks_of(r) == [6, 7, 10]),
        ("duplicates", lambda r: peaks_of(r) == [7, 7, 10, 10, 6, 6]),
        ("missing_field", lambda r: peaks_of(r) == ["missing"] * 3),
        ("empty", lambda r: r == []),
        ("huge", lambda r: len(r) == 50_000 and peaks_of(r[-3:]) == PEAKS),
        (
            "outside_window",
            lambda r: (
                [b["timestamp"][11:16] for b in r] == ["09:55", "10:00", "10:05", "10:10", "10:15"]
                and peaks_of(r)[::4] == [OUTSIDE_WINDOW_CALLS] * 2
            ),
        ),
        ("microseconds", lambda r: r[0]["timestamp"] == "2026-11-24T10:00:00.000000Z"),
        ("offset", lambda r: r[0]["timestamp"] == "2026-11-24T10:00:00+00:00"),
        (
            "off_grid",
            lambda r: [b["timestamp"][11:19] for b in r] == ["10:02:30", "10:07:30", "10:12:30"],
        ),
    ],
)
def test_payload_mutations(
    sim: UltravoxSimulator, kind: FaultKind, check: Callable[[list[dict[str, Any]]], bool]
) -> None:
    assert peaks_of(rows(sim, **MUTATED)) == PEAKS
    sim.inject(Fault(kind))
    mutated = rows(sim, **MUTATED)
    assert check(mutated), mutated[:6]
    assert peaks_of(rows(sim, **MUTATED)) == PEAKS, "one use only"


def test_huge_honours_its_count(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("huge", count=100))
    result = rows(sim, **MUTATED)
    stamps = [parse_time(r["timestamp"]) for r in result]
    assert len(result) == 100
    assert all(b - a == timedelta(minutes=5) for a, b in itertools.pairwise(stamps))


def test_oversized_streams_past_its_size_without_a_length(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("oversized", size=3 * 1024 * 1024))
    response = series(sim)
    assert "Content-Length" not in response.headers
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert len(response.content) > 3 * 1024 * 1024
    assert response.json() == {"timeSeries": []}


def test_echo_key_reflects_the_key_in_the_body_and_the_headers(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("echo_key", status=503))
    response = series(sim)
    assert response.status_code == 503
    assert KEY in response.text
    assert response.headers["X-Echo-Api-Key"] == KEY
    assert KEY in response.headers["Content-Type"]


def test_faults_are_fifo_and_counted(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("status", status=503), times=2)
    sim.inject(Fault("status", status=429))
    assert [series(sim).status_code for _ in range(4)] == [503, 503, 429, 200]


def test_mutation_waits_for_a_series_it_can_mutate(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("empty"))
    assert account(sim)["activeCalls"] == 0  # the account call is not the one mutated
    assert requests.get(sim.base_url + CONCURRENCY_PATH, timeout=5).status_code == 401
    assert rows(sim, bucket="day") == []
    assert rows(sim, bucket="day") != []


def test_clear_faults(sim: UltravoxSimulator) -> None:
    sim.inject(Fault("reset"), times=5)
    sim.clear_faults()
    assert series(sim).status_code == 200


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("gremlins")  # type: ignore[arg-type]


# --- scenario faults, by the simulated clock ----------------------------------------------------


@pytest.fixture
def windowed() -> Iterator[UltravoxSimulator]:
    faults = [
        {
            "from": "2026-11-24T10:05:00Z",
            "to": "2026-11-24T10:10:00Z",
            "status": 503,
            "retry_after": "1",
        },
        {"from": "2026-11-24T10:20:00Z", "to": "2026-11-24T10:21:00Z", "kind": "reset"},
        {"from": "2026-11-24T10:30:00Z", "to": "2026-11-24T10:31:00Z", "kind": "unsorted"},
    ]
    with UltravoxSimulator(tiny(faults=faults), KEY) as simulator:
        yield simulator


@pytest.mark.parametrize(
    ("minute", "status"),
    [(4.99, 200), (5, 503), (9.99, 503), (10, 200), (30.5, 200)],
)
def test_scenario_status_window(windowed: UltravoxSimulator, minute: float, status: int) -> None:
    windowed.set_clock(at(minute))
    assert series(windowed).status_code == status
    assert series(windowed).status_code == status, "windows are not used up"


def test_scenario_transport_and_mutation_windows(windowed: UltravoxSimulator) -> None:
    windowed.set_clock(at(20.5))
    with pytest.raises(requests.exceptions.ConnectionError):
        series(windowed)
    windowed.set_clock(at(30.5))
    assert peaks_of(rows(windowed, **MUTATED)) == [6, 7, 10]


def test_injected_fault_wins_over_a_window(windowed: UltravoxSimulator) -> None:
    windowed.set_clock(at(6))
    windowed.inject(Fault("status", status=429))
    assert [series(windowed).status_code for _ in range(2)] == [429, 503]


# --- scenario files -----------------------------------------------------------------------------


def test_shipped_scenarios() -> None:
    assert set(scenario_names()) >= {"rising-to-ceiling", "api-outage", "quiet", "spike"}
    for name in scenario_names():
        assert Scenario.load(name).description


def five_minute_peaks(name: str) -> list[int]:
    scenario = Scenario.load(name)
    return [r["maxTotalCalls"] for r in scenario.series("5min", scenario.start, scenario.end)]


def test_rising_to_ceiling_shape() -> None:
    """Shaped for warning 80%, critical 95% and recovery 70%/90% of 50, on 5-minute buckets."""
    peaks = five_minute_peaks("rising-to-ceiling")
    assert 50 <= len(peaks) <= 60
    assert peaks[0] <= 15
    warn, crit, top = (
        peaks.index(next(p for p in peaks if p >= 40)),
        peaks.index(48),
        peaks.index(50),
    )
    assert warn < crit < top
    flaps = peaks[warn:crit]
    assert any(35 <= p < 40 for p in flaps), "a dip under 80% that hysteresis should absorb"
    held = next(i for i in range(crit, len(peaks)) if peaks[i] < 45) - crit
    assert held * 5 > 60, "critical must hold over an hour for a reminder"
    resolved = next(i for i in range(crit, len(peaks)) if peaks[i] < 35)
    assert all(p < 35 for p in peaks[resolved:]), "stays low after resolving"
    assert len(peaks) - resolved >= 6


def test_api_outage_shape() -> None:
    scenario = Scenario.load("api-outage")
    assert timedelta(hours=1.5) <= scenario.end - scenario.start <= timedelta(hours=2.5)
    outage = sum((f.end - f.start for f in scenario.faults), timedelta())
    assert timedelta(minutes=20) <= outage <= timedelta(minutes=30)
    assert {(f.fault.kind, f.fault.status) for f in scenario.faults} == {("status", 503)}
    assert max(five_minute_peaks("api-outage")) < 40


def test_api_outage_plays_503_then_recovers() -> None:
    with UltravoxSimulator("api-outage", KEY) as sim:
        answers = []
        for clock in ("09:40", "09:50", "10:05", "10:15"):
            sim.set_clock(parse_time(f"2026-11-24T{clock}:00Z"))
            response = series(sim, bucket="5min")
            answers.append((response.status_code, response.headers.get("Retry-After", "")[:3]))
    assert answers == [(200, ""), (503, "1"), (503, "Tue"), (200, "")]


def test_quiet_and_spike_shapes() -> None:
    quiet = Scenario.load("quiet")
    assert quiet.omit_empty_buckets
    assert max(five_minute_peaks("quiet")) < 10
    spike = Scenario.load("spike")
    at_limit = [s for s in spike.samples if s.max_total >= 50]
    assert len(at_limit) == 1
    assert sorted(five_minute_peaks("spike"))[-2:] == [7, 50]


@pytest.mark.parametrize(
    ("segment", "minutes"),
    [
        ({"values": [1, 2, 3]}, [1, 2, 3]),
        ({"minutes": 3, "hold": 4}, [4, 4, 4]),
        ({"minutes": 5, "from": 0, "to": 8}, [0, 2, 4, 6, 8]),
        ({"minutes": 3, "from": 9, "to": 6}, [9, 8, 6]),
    ],
)
def test_segments(segment: dict[str, Any], minutes: list[int]) -> None:
    scenario = Scenario.from_dict({"start": "2026-11-24T10:00:00Z", "segments": [segment]})
    assert [s.max_total for s in scenario.samples] == minutes


def test_spike_lifts_the_peak_not_the_mean() -> None:
    scenario = tiny(spikes=[{"at": "2026-11-24T10:03:00Z", "calls": 12}])
    [first] = scenario.series("5min", at(0), at(5))
    assert (first["maxTotalCalls"], first["avgTotalCalls"]) == (12, 3.4)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"typo": 1}, "unknown scenario keys"),
        ({"start": "2026-11-24T10:00:30Z"}, "minute boundary"),
        ({"segments": [{"minutes": 3}]}, "segment needs"),
        ({"segments": [{"values": [-1]}]}, "negative"),
        ({"spikes": [{"at": "2026-11-24T11:00:00Z", "calls": 5}]}, "spike outside"),
        ({"faults": [{"from": "2026-11-24T10:00:00Z", "to": "2026-11-24T10:01:00Z"}]}, "kind"),
    ],
)
def test_bad_scenarios_are_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        tiny(**changes)


def test_scenario_by_name_or_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(TINY))
    assert Scenario.load(path).samples == Scenario.load(str(path)).samples == tiny().samples
    with UltravoxSimulator(str(path), KEY) as sim:
        assert sim.scenario.name == "mine"
    with pytest.raises(FileNotFoundError, match="rising-to-ceiling"):
        Scenario.load("no-such-scenario")


def test_command_line_serves_a_scenario() -> None:
    command = [sys.executable, "-m", "infra.simulator.ultravox", "--port", "0", "--api-key", KEY]
    with subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*command, "--scenario", "spike", "--clock", "2026-11-24T14:40:00Z"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    ) as process:
        try:
            assert process.stderr is not None
            banner = "".join(process.stderr.readline() for _ in range(2))
            match = re.search(r"http://127\.0\.0\.1:\d+", banner)
            assert match, banner
            url = match.group(0) + CONCURRENCY_PATH
            params = {"bucket": "5min", "start": "2026-11-24T14:35:00Z"}
            response = requests.get(url, params=params, headers={"X-API-Key": KEY}, timeout=5)
            assert [r["maxTotalCalls"] for r in response.json()["timeSeries"]] == [50]
        finally:
            process.terminate()


def test_generated_traffic_scenarios_start_where_the_traffic_does() -> None:
    scenario = Scenario.from_dict({"traffic": {"shape": "steady-ramp", "hours": 2}, "limit": 50})
    assert scenario.start.hour == 9
    assert len(scenario.samples) == 60 + 120 + 30
    assert max(s.max_total for s in scenario.samples) == 50


def test_an_unknown_traffic_shape_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown traffic shape 'wave'; known: weeks"):
        Scenario.from_dict({"traffic": {"shape": "wave"}})
    with pytest.raises(ValueError, match="needs a 'start'"):
        Scenario.from_dict({"segments": [{"minutes": 5, "hold": 1}]})
