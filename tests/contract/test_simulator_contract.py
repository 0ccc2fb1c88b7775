"""The simulator's real HTTP answers and the contract helper, against the OpenAPI files in spec/."""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from infra.simulator.ultravox import (
    ACCOUNT_PATH,
    CONCURRENCY_PATH,
    Fault,
    FaultKind,
    Scenario,
    UltravoxSimulator,
)
from tests.support.openapi_contract import (
    SPEC_DIR,
    SPEC_FILES,
    ContractError,
    specs_for,
    validate_recorded,
    validate_request,
    validate_response,
)

KEY = "contract-test-key"
# Mid-bucket on purpose: the newest 5min, hour and day buckets are all still in progress.
CLOCK = datetime(2026, 11, 24, 13, 37, 20, tzinfo=UTC)
BOTH = SPEC_FILES
WINDOWS: dict[str, dict[str, str]] = {
    "defaults": {},
    "explicit": {"start": "2026-11-24T12:00:00Z", "end": "2026-11-24T13:00:00Z"},
    "in-progress": {"start": "2026-11-24T12:00:00Z", "end": "2026-11-24T18:00:00Z"},
    "offset-and-fraction": {"start": "2026-11-24T13:00:30.5+01:00", "end": "2026-11-24T14:30:00Z"},
}


@pytest.fixture(scope="module")
def sim() -> Iterator[UltravoxSimulator]:
    with UltravoxSimulator("rising-to-ceiling", KEY) as simulator:
        simulator.set_clock(CLOCK)
        yield simulator


def get(sim: UltravoxSimulator, path: str, params: Mapping[str, str]) -> requests.Response:
    return requests.get(sim.base_url + path, params=params, headers={"X-API-Key": KEY}, timeout=5)


def assert_conforms(
    response: requests.Response, path: str, params: Mapping[str, str], spec: str
) -> None:
    content_type = response.headers["Content-Type"]
    validate_response(
        "GET", path, params, response.status_code, response.content, content_type, specs=[spec]
    )


def test_specs_come_from_the_repository() -> None:
    assert Path(__file__).resolve().parents[2] / "spec" == SPEC_DIR
    assert all((SPEC_DIR / name).is_file() for name in SPEC_FILES)
    assert specs_for(CONCURRENCY_PATH) == list(BOTH)
    assert specs_for(ACCOUNT_PATH) == ["public-subset.openapi.yaml"]


@pytest.mark.parametrize("spec", BOTH)
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("bucket", [None, "minute", "5min", "hour", "day"])
def test_concurrency_series_conforms(
    sim: UltravoxSimulator, spec: str, window: str, bucket: str | None
) -> None:
    params = {**WINDOWS[window], **({"bucket": bucket} if bucket else {})}
    response = get(sim, CONCURRENCY_PATH, params)
    assert response.status_code == 200, response.text
    assert response.json()["timeSeries"], "an empty series would prove nothing"
    assert_conforms(response, CONCURRENCY_PATH, params, spec)
    validate_recorded(sim.requests[-1], specs=[spec])


@pytest.mark.parametrize("spec", BOTH)
def test_in_progress_bucket_conforms(sim: UltravoxSimulator, spec: str) -> None:
    params = {"bucket": "hour", "start": "2026-11-24T13:00:00Z", "end": "2026-11-24T14:00:00Z"}
    response = get(sim, CONCURRENCY_PATH, params)
    hour = datetime(2026, 11, 24, 13, tzinfo=UTC)
    partial = sim.scenario.series("hour", hour, CLOCK)
    # Served as it stands at CLOCK, which is not what the complete hour will hold.
    assert response.json()["timeSeries"] == partial
    assert partial != sim.scenario.series("hour", hour, hour + timedelta(hours=1))
    assert_conforms(response, CONCURRENCY_PATH, params, spec)


@pytest.mark.parametrize("spec", BOTH)
@pytest.mark.parametrize("bucket", ["minute", "5min"])
def test_series_with_omitted_empty_buckets_conforms(spec: str, bucket: str) -> None:
    # quiet.json has no calls from 03:00 to 03:10 and leaves those buckets out.
    params = {"bucket": bucket, "start": "2026-11-24T02:50:00Z", "end": "2026-11-24T03:20:00Z"}
    with UltravoxSimulator("quiet", KEY) as quiet:
        quiet.set_clock(datetime(2026, 11, 24, 4, tzinfo=UTC))
        response = get(quiet, CONCURRENCY_PATH, params)
    stamps = [row["timestamp"] for row in response.json()["timeSeries"]]
    assert "2026-11-24T03:05:00Z" not in stamps
    assert stamps[0] == "2026-11-24T02:50:00Z"
    assert_conforms(response, CONCURRENCY_PATH, params, spec)


@pytest.mark.parametrize("scenario", ["rising-to-ceiling", "quiet", "two-weeks"])
def test_account_conforms_to_public_subset(scenario: str) -> None:
    with UltravoxSimulator(scenario, KEY) as simulator:
        simulator.set_clock(Scenario.load(scenario).start)
        response = get(simulator, ACCOUNT_PATH, {})
        validate_recorded(simulator.requests[-1])
    assert response.status_code == 200
    assert_conforms(response, ACCOUNT_PATH, {}, "public-subset.openapi.yaml")


@pytest.mark.parametrize(
    ("kind", "conforms"),
    [
        # Legal per the spec, so the client must cope with them:
        ("microseconds", True),
        ("offset", True),
        ("unsorted", True),
        ("duplicates", True),
        ("outside_window", True),
        ("negative", True),
        ("empty", True),
        # Illegal per the spec: these show the validator really looks at the payload.
        ("wrong_types", False),
        ("nulls", False),
        ("missing_field", False),
    ],
)
def test_payload_mutations_against_the_spec(
    sim: UltravoxSimulator, kind: FaultKind, conforms: bool
) -> None:
    params = {"bucket": "5min", "start": "2026-11-24T13:00:00Z", "end": "2026-11-24T13:30:00Z"}
    sim.inject(Fault(kind))
    response = get(sim, CONCURRENCY_PATH, params)
    for spec in BOTH:
        if conforms:
            assert_conforms(response, CONCURRENCY_PATH, params, spec)
        else:
            with pytest.raises(ContractError, match="maxTotalCalls"):
                assert_conforms(response, CONCURRENCY_PATH, params, spec)


def test_helper_accepts_a_good_recorded_request(sim: UltravoxSimulator) -> None:
    params = {"bucket": "5min", "start": "2026-11-24T12:00:00Z", "end": "2026-11-24T13:00:00Z"}
    get(sim, CONCURRENCY_PATH, params)
    recorded = sim.requests[-1]
    assert (recorded.path, recorded.query) == (CONCURRENCY_PATH, params)
    validate_recorded(recorded)


def test_helper_rejects_a_bad_recorded_request(sim: UltravoxSimulator) -> None:
    requests.get(sim.base_url + CONCURRENCY_PATH, params={"bucket": "weekly"}, timeout=5)
    recorded = sim.requests[-1]
    assert not recorded.api_key_present
    with pytest.raises(ContractError, match="weekly"):
        validate_recorded(recorded)


@pytest.mark.parametrize(
    ("method", "path", "query", "key", "reason"),
    [
        ("GET", CONCURRENCY_PATH, {"bucket": "weekly"}, True, "not one of"),
        ("GET", CONCURRENCY_PATH, {"start": "2026-11-24T12:00:00"}, True, "date-time"),
        ("GET", CONCURRENCY_PATH, {"end": "yesterday"}, True, "date-time"),
        ("GET", CONCURRENCY_PATH, {}, False, "apiKeyAuth"),
        ("POST", CONCURRENCY_PATH, {}, True, "post not found"),
        ("GET", "/api/calls", {}, True, "no spec"),
    ],
)
def test_helper_rejects_bad_requests(
    method: str, path: str, query: dict[str, str], key: bool, reason: str
) -> None:
    with pytest.raises(ContractError, match=reason):
        validate_request(method, path, query, api_key_present=key)


def test_helper_accepts_good_requests() -> None:
    validate_request("GET", CONCURRENCY_PATH, {})
    validate_request(
        "GET", CONCURRENCY_PATH, {"bucket": "day", "start": "2026-11-24T00:00:00+00:00"}
    )
    validate_request("GET", ACCOUNT_PATH, {})


@pytest.mark.parametrize("spec", BOTH)
def test_two_weeks_of_hourly_history_conforms(spec: str) -> None:
    """What the weekly digest reads: 14 days of `bucket=hour` in one request."""
    history = Scenario.load("two-weeks")
    params = {
        "bucket": "hour",
        "start": (history.end - timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": history.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    with UltravoxSimulator(history, KEY) as simulator:
        simulator.set_clock(history.end)
        response = get(simulator, CONCURRENCY_PATH, params)
        account = get(simulator, ACCOUNT_PATH, {}).json()
    rows = response.json()["timeSeries"]
    assert len(rows) == 14 * 24
    assert all(row["timestamp"].endswith(":00:00Z") for row in rows)
    assert max(row["maxTotalCalls"] for row in rows) >= 40
    assert account["subscriptionExpiration"] == "2026-12-03T00:00:00Z"
    assert_conforms(response, CONCURRENCY_PATH, params, spec)
