"""Monitor configuration from SSM values: defaults, and one clear error naming each bad value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.domain.config import Secret

from tests.support.builders import API_KEY, WEBHOOK

PATH = "/ceilingwatch/prod/"
GOOD = {"concurrency-limit": "50", "ultravox-api-key": API_KEY}


def test_defaults_a_team_can_live_with() -> None:
    cfg = PARAMETERS.parse("prod", PATH, GOOD)
    assert cfg.concurrency_limit == 50
    t = cfg.thresholds
    assert (t.warning, t.critical, t.warning_recovery, t.critical_recovery) == (80, 95, 70, 90)
    assert cfg.recovery_buckets == 2
    assert (cfg.renotify_warning, cfg.renotify_critical) == (timedelta(hours=4), timedelta(hours=1))
    assert cfg.error_after_runs == 3
    assert cfg.no_data_policy == "quiet"
    assert cfg.secret("slack-webhook-url") is None and cfg.mute_until is None and not cfg.dry_run


def test_every_option_is_read() -> None:
    cfg = PARAMETERS.parse(
        "prod",
        PATH,
        GOOD
        | {
            "slack-webhook-url": WEBHOOK,
            "warning-percent": "60",
            "critical-percent": "85%",
            "warning-recovery-percent": "50",
            "critical-recovery-percent": "75",
            "recovery-buckets": "3",
            "renotify-warning-minutes": "0",
            "renotify-critical-minutes": "30",
            "renotify-error-minutes": "120",
            "error-after-runs": "5",
            "no-data-policy": "alert",
            "mute-until": "2026-11-24T18:00:00Z",
            "dry-run": "true",
        },
    )
    assert cfg.thresholds.critical == 85
    assert cfg.recovery_buckets == 3
    assert cfg.renotify_warning == timedelta(0)
    assert cfg.renotify_critical == timedelta(minutes=30)
    assert cfg.mute_until == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    assert cfg.dry_run and cfg.no_data_policy == "alert" and cfg.error_after_runs == 5
    assert cfg.secret("slack-webhook-url") == Secret(WEBHOOK)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        pytest.param({"ultravox-api-key": API_KEY}, "concurrency-limit is missing", id="no limit"),
        pytest.param(
            GOOD | {"concurrency-limit": "fifty"},
            "concurrency-limit = 'fifty' is not a whole number",
            id="nan",
        ),
        pytest.param(
            GOOD | {"concurrency-limit": "0"}, "concurrency-limit = '0' is not a posi", id="zero"
        ),
        pytest.param(GOOD | {"concurrency-limit": "-5"}, "= '-5' is not a positive", id="negative"),
        pytest.param({"concurrency-limit": "50"}, "ultravox-api-key is missing", id="no key"),
        pytest.param(
            GOOD | {"warning-percent": "96", "critical-percent": "95"},
            "warning-percent (96) must be below critical-percent (95)",
            id="warning above critical",
        ),
        pytest.param(
            GOOD | {"warning-recovery-percent": "85"},
            "warning-recovery-percent (85) must be below warning-percent (80, the default)",
            id="recovery above its default level",
        ),
        pytest.param(
            GOOD | {"warning-percent": "50", "warning-recovery-percent": "70"},
            "warning-recovery-percent (70) must be below warning-percent (50)",
            id="both set and contradicting",
        ),
        pytest.param(
            GOOD | {"warning-percent": "abc"},
            "warning-percent = 'abc' is not a number",
            id="typo",
        ),
        pytest.param(GOOD | {"critical-percent": "120"}, "between 1 and 100", id="over 100"),
        pytest.param(GOOD | {"recovery-buckets": "13"}, "from 1 to 12", id="too many buckets"),
        pytest.param(GOOD | {"recovery-buckets": "0"}, "whole number of buckets", id="no buckets"),
        pytest.param(GOOD | {"no-data-policy": "panic"}, "one of quiet, alert", id="policy"),
        pytest.param(GOOD | {"mute-until": "tomorrow"}, "ISO-8601", id="mute"),
        pytest.param(GOOD | {"dry-run": "maybe"}, "true or false", id="dry run"),
        pytest.param(GOOD | {"renotify-critical-minutes": "-1"}, "whole minutes", id="renotify"),
    ],
)
def test_bad_values_name_the_parameter(values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PARAMETERS.parse("prod", PATH, values)
    assert named in str(caught.value)
    assert PATH in str(caught.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({}, (80, 95, 70, 90), id="all defaults"),
        pytest.param({"warning-percent": "50"}, (50, 95, 40, 90), id="warning lowered"),
        pytest.param({"warning-percent": "97"}, (97, 98.5, 87, 93.5), id="warning above critical"),
        pytest.param({"critical-percent": "70"}, (60, 70, 50, 65), id="critical below warning"),
        pytest.param({"critical-percent": "90"}, (80, 90, 70, 85), id="critical lowered"),
        pytest.param({"warning-percent": "8"}, (8, 95, 4, 90), id="recovery never below half"),
        pytest.param(
            {"warning-percent": "60", "warning-recovery-percent": "55"},
            (60, 95, 55, 90),
            id="explicit recovery kept",
        ),
    ],
)
def test_defaults_follow_the_thresholds_that_are_set(
    values: dict[str, str], expected: tuple[float, float, float, float]
) -> None:
    t = PARAMETERS.parse("prod", PATH, GOOD | values).thresholds
    assert (t.warning, t.critical, t.warning_recovery, t.critical_recovery) == expected


def test_each_problem_names_its_parameter() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PARAMETERS.parse("prod", PATH, {"warning-percent": "abc", "ultravox-api-key": API_KEY})
    assert [p.parameter for p in caught.value.problems] == ["concurrency-limit", "warning-percent"]


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PARAMETERS.parse("prod", PATH, {"warning-percent": "x"})
    text = str(caught.value)
    for name in ("concurrency-limit", "ultravox-api-key", "warning-percent"):
        assert f"{PATH}{name}" in text


def test_secrets_never_print() -> None:
    cfg = PARAMETERS.parse("prod", PATH, GOOD | {"slack-webhook-url": WEBHOOK})
    assert API_KEY not in repr(cfg) and WEBHOOK not in repr(cfg)
    assert API_KEY not in f"{cfg.secret('ultravox-api-key')}"
    assert cfg.secrets() == (API_KEY, WEBHOOK)


def test_a_value_that_fails_to_parse_is_never_echoed() -> None:
    pasted = "uvx-secret-pasted-in-the-wrong-place"
    with pytest.raises(ConfigurationError) as caught:
        PARAMETERS.parse("prod", PATH, GOOD | {"concurrency-limit": pasted, "mute-until": pasted})
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "window"),
    [
        (None, timedelta(minutes=30)),
        ("0", timedelta(0)),
        ("45", timedelta(minutes=45)),
        ("240", timedelta(hours=4)),
    ],
)
def test_forecast_minutes(raw: str | None, window: timedelta) -> None:
    values = GOOD | ({"forecast-minutes": raw} if raw is not None else {})
    assert PARAMETERS.parse("prod", PATH, values).forecast_window == window


@pytest.mark.parametrize("raw", ["241", "-5", "half an hour", "12.5"])
def test_forecast_minutes_out_of_range_names_the_parameter_and_the_range(raw: str) -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"/ceilingwatch/prod/forecast-minutes = '.*' is not whole minutes from 0 to 240",
    ) as caught:
        PARAMETERS.parse("prod", PATH, GOOD | {"forecast-minutes": raw})
    assert f"= {raw!r}" in str(caught.value), "a short value is echoed, to recognise the typo"
