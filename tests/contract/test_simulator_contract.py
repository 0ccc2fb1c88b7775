"""The simulator's real HTTP answers and the contract helper, against our OpenAPI files in spec/."""

import dataclasses
import inspect
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from ceilingwatch.adapters.ultravox import UltravoxClient
from ceilingwatch.domain.series import FIELDS

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
    load_spec,
    specs_for,
    validate_recorded,
    validate_request,
    validate_response,
)

KEY = "contract-test-key"
# Mid-bucket on purpose: the newest 5min, hour and day buckets are all still in progress.
CLOCK = datetime(2026, 11, 24, 13, 37, 20, tzinfo=UTC)
CONCURRENCY_SPEC = "usage-concurrency.openapi.yaml"
ACCOUNT_SPEC = "accounts-me.openapi.yaml"
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


def assert_conforms(response: requests.Response, path: str, params: Mapping[str, str]) -> None:
    """Against the spec file that documents `path`: ours, one a call."""
    content_type = response.headers["Content-Type"]
    validate_response("GET", path, params, response.status_code, response.content, content_type)


def test_specs_come_from_the_repository() -> None:
    assert Path(__file__).resolve().parents[2] / "spec" == SPEC_DIR
    assert all((SPEC_DIR / name).is_file() for name in SPEC_FILES)
    assert specs_for(CONCURRENCY_PATH) == [CONCURRENCY_SPEC]
    assert specs_for(ACCOUNT_PATH) == [ACCOUNT_SPEC]


@pytest.mark.parametrize("name", sorted(p.name for p in SPEC_DIR.glob("*.y*ml")))
def test_every_spec_file_is_ours(name: str) -> None:
    """A third party's schema file has no place here: each one says it is ours, and is in use."""
    assert (SPEC_DIR / name).read_text(encoding="utf-8").startswith("# Ours, not Ultravox's"), name
    assert name in SPEC_FILES


def test_the_account_spec_names_every_field_the_client_reads() -> None:
    read = set(re.findall(r'body\.get\("(\w+)"\)', inspect.getsource(UltravoxClient.account)))
    assert read == _names(ACCOUNT_SPEC, "Account", "properties")


def test_the_series_spec_names_every_field_of_a_bucket() -> None:
    properties = _names(CONCURRENCY_SPEC, "ConcurrencyBucket", "properties")
    assert set(FIELDS) == properties == _names(CONCURRENCY_SPEC, "ConcurrencyBucket", "required")


def _names(spec: str, schema: str, part: str) -> set[str]:
    with (load_spec(spec).spec / "components" / "schemas" / schema / part).open() as value:
        return {str(name) for name in value}


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("bucket", [None, "minute", "5min", "hour", "day"])
def test_concurrency_series_conforms(
    sim: UltravoxSimulator, window: str, bucket: str | None
) -> None:
    params = {**WINDOWS[window], **({"bucket": bucket} if bucket else {})}
    response = get(sim, CONCURRENCY_PATH, params)
    assert response.status_code == 200, response.text
    assert response.json()["timeSeries"], "an empty series would prove nothing"
    assert_conforms(response, CONCURRENCY_PATH, params)
    validate_recorded(sim.requests[-1], specs=[CONCURRENCY_SPEC])


def test_in_progress_bucket_conforms(sim: UltravoxSimulator) -> None:
    params = {"bucket": "hour", "start": "2026-11-24T13:00:00Z", "end": "2026-11-24T14:00:00Z"}
    response = get(sim, CONCURRENCY_PATH, params)
    hour = datetime(2026, 11, 24, 13, tzinfo=UTC)
    partial = sim.scenario.series("hour", hour, CLOCK)
    # Served as it stands at CLOCK, which is not what the complete hour will hold.
    assert response.json()["timeSeries"] == partial
    assert partial != sim.scenario.series("hour", hour, hour + timedelta(hours=1))
    assert_conforms(response, CONCURRENCY_PATH, params)


@pytest.mark.parametrize("bucket", ["minute", "5min"])
def test_series_with_omitted_empty_buckets_conforms(bucket: str) -> None:
    # quiet.json has no calls from 03:00 to 03:10 and leaves those buckets out.
    params = {"bucket": bucket, "start": "2026-11-24T02:50:00Z", "end": "2026-11-24T03:20:00Z"}
    with UltravoxSimulator("quiet", KEY) as quiet:
        quiet.set_clock(datetime(2026, 11, 24, 4, tzinfo=UTC))
        response = get(quiet, CONCURRENCY_PATH, params)
    stamps = [row["timestamp"] for row in response.json()["timeSeries"]]
    assert "2026-11-24T03:05:00Z" not in stamps
    assert stamps[0] == "2026-11-24T02:50:00Z"
    assert_conforms(response, CONCURRENCY_PATH, params)


@pytest.mark.parametrize("scenario", ["rising-to-ceiling", "quiet", "two-weeks"])
def test_account_conforms_to_our_schema(scenario: str) -> None:
    with UltravoxSimulator(scenario, KEY) as simulator:
        simulator.set_clock(Scenario.load(scenario).start)
        response = get(simulator, ACCOUNT_PATH, {})
        validate_recorded(simulator.requests[-1])
    assert response.status_code == 200
    assert_conforms(response, ACCOUNT_PATH, {})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("allowedConcurrentCalls", "50"),  # a number as a string
        ("allowedConcurrentCalls", 50.5),
        ("subscriptionTier", 5),
        ("subscriptionExpiration", "next week"),  # not a date-time
        ("subscriptionRenewal", 1796256000),
    ],
)
def test_an_account_of_the_wrong_type_is_caught(field: str, value: object) -> None:
    scenario = Scenario.load("rising-to-ceiling")
    wrong = dataclasses.replace(scenario, account={**scenario.account, field: value})
    with UltravoxSimulator(wrong, KEY) as simulator:
        simulator.set_clock(wrong.start)
        response = get(simulator, ACCOUNT_PATH, {})
    assert response.status_code == 200
    assert response.json()[field] == value
    with pytest.raises(ContractError, match=field):
        assert_conforms(response, ACCOUNT_PATH, {})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allowedConcurrentCalls": 50, "subscriptionTier": "pro"}, "activeCalls"),
        (
            {"activeCalls": None, "allowedConcurrentCalls": 50, "subscriptionTier": "pro"},
            "activeCalls",
        ),
        (
            {"activeCalls": "3", "allowedConcurrentCalls": None, "subscriptionTier": None},
            "activeCalls",
        ),
        # null is allowed, absent is not: the facts say the field is always there.
        ({"activeCalls": 3, "subscriptionTier": "pro"}, "allowedConcurrentCalls"),
    ],
)
def test_an_account_body_that_breaks_our_schema_is_caught(
    body: dict[str, object], field: str
) -> None:
    # activeCalls comes from the scenario's traffic, so these are checked as bodies, not served.
    with pytest.raises(ContractError, match=field):
        validate_response(
            "GET", ACCOUNT_PATH, {}, 200, json.dumps(body).encode(), "application/json"
        )


def test_an_account_with_every_nullable_field_null_conforms() -> None:
    nullable = ["allowedConcurrentCalls", "subscriptionTier", "subscriptionExpiration"]
    nullable += ["subscriptionScheduledUpdate", "subscriptionRenewal"]
    body = {"activeCalls": 0, **dict.fromkeys(nullable, None)}
    validate_response("GET", ACCOUNT_PATH, {}, 200, json.dumps(body).encode(), "application/json")


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
    if conforms:
        assert_conforms(response, CONCURRENCY_PATH, params)
    else:
        with pytest.raises(ContractError, match="maxTotalCalls"):
            assert_conforms(response, CONCURRENCY_PATH, params)


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
        ("GET", CONCURRENCY_PATH, {}, False, "ultravoxApiKey"),
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


def test_two_weeks_of_hourly_history_conforms() -> None:
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
    assert_conforms(response, CONCURRENCY_PATH, params)
