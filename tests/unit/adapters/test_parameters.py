"""Our SSM reader: every page read, names after the path, decryption asked, a max-age cache."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from ceilingwatch.adapters.parameters import ParameterStore
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.common.errors import AwsServiceError

PATH = "/ceilingwatch/prod/"
KEY = "uvx-reader-test-key-0042"


class Ssm:
    """GetParametersByPath in pages of `page` parameters, as SSM answers with MaxResults."""

    def __init__(self, values: dict[str, str], page: int = 1) -> None:
        self.values, self.page, self.calls = values, page, []  # type: ignore[var-annotated]
        self.error: Exception | None = None
        self.versions: dict[str, int] = {}  # SSM counts each parameter's writes from 1

    def get_parameters_by_path(self, **options: Any) -> dict[str, Any]:
        self.calls.append(options)
        if self.error is not None:
            raise self.error
        names = sorted(self.values)
        start = int(options.get("NextToken", "0"))
        chunk = names[start : start + self.page]
        page: dict[str, Any] = {
            "Parameters": [
                {"Name": options["Path"] + n, "Value": self.values[n], "Version": self.version(n)}
                for n in chunk
            ]
        }
        if start + self.page < len(names):
            page["NextToken"] = str(start + self.page)
        return page

    def version(self, name: str) -> int:
        return self.versions.get(name, 1)


def store(ssm: Ssm, max_age: int = 60) -> ParameterStore:
    return ParameterStore(ssm, "/ceilingwatch", max_age, table=PARAMETERS)


def test_every_page_is_read_with_decryption_and_names_lose_the_path() -> None:
    ssm = Ssm({"concurrency-limit": "50", "ultravox-api-key": KEY, "warning-percent": "70"})
    config = store(ssm).load("prod")
    assert config.concurrency_limit == 50 and config.thresholds.warning == 70
    assert len(ssm.calls) == 3  # one page each
    assert all(c["Path"] == PATH and c["WithDecryption"] is True for c in ssm.calls)
    assert [c.get("NextToken") for c in ssm.calls] == [None, "1", "2"]


def test_the_cache_spares_a_read_until_its_age_and_fresh_skips_it() -> None:
    ssm = Ssm({"concurrency-limit": "50", "ultravox-api-key": KEY}, page=10)
    parameters = store(ssm)
    parameters.read("prod")
    parameters.read("prod")
    assert len(ssm.calls) == 1
    ssm.values["concurrency-limit"] = "80"
    assert parameters.read("prod", fresh=True).config.concurrency_limit == 80  # type: ignore[union-attr]
    assert len(ssm.calls) == 2


def test_a_max_age_of_zero_reads_every_time() -> None:
    ssm = Ssm({"concurrency-limit": "50", "ultravox-api-key": KEY}, page=10)
    parameters = store(ssm, max_age=0)
    parameters.read("prod")
    parameters.read("prod")
    assert len(ssm.calls) == 2


def test_a_refused_read_names_the_code_and_the_fix_never_the_values() -> None:
    ssm = Ssm({"ultravox-api-key": KEY})
    ssm.error = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetParametersByPath"
    )
    with pytest.raises(AwsServiceError) as raised:
        store(ssm).read("prod")
    assert "AccessDeniedException" in raised.value.problem
    assert "ssm:GetParametersByPath" in raised.value.what_to_fix
    assert KEY not in str(raised.value)


def test_each_parameter_s_version_is_read_with_its_value_and_cached_with_it() -> None:
    ssm = Ssm({"concurrency-limit": "50", "ultravox-api-key": KEY, "warning-percent": "x"})
    ssm.versions = {"warning-percent": 7}
    parameters = store(ssm)
    reading = parameters.read("prod")
    assert reading.versions == {"concurrency-limit": 1, "ultravox-api-key": 1, "warning-percent": 7}
    ssm.versions["warning-percent"] = 8
    assert parameters.read("prod").versions["warning-percent"] == 7  # cached with its value
    assert parameters.read("prod", fresh=True).versions["warning-percent"] == 8


def test_the_same_values_read_again_are_not_parsed_again_and_a_change_is() -> None:
    ssm = Ssm({"concurrency-limit": "50", "ultravox-api-key": KEY}, page=10)
    parameters = store(ssm, max_age=0)  # as deployed at every tick: SSM read each run
    first = parameters.read("prod")
    assert parameters.read("prod") is first  # the same values: the same reading, not reparsed
    assert len(ssm.calls) == 2  # still read every run: only the parsing is spared
    ssm.values["concurrency-limit"] = "80"
    changed = parameters.read("prod")
    assert changed.config is not None and changed.config.concurrency_limit == 80
    ssm.values["ultravox-api-key"] = KEY + "-rotated"
    rotated = parameters.read("prod")
    assert rotated.config is not None and KEY + "-rotated" in rotated.config.secrets()


def test_a_reading_that_falls_back_is_parsed_again_when_the_last_valid_values_change() -> None:
    ssm = Ssm({"concurrency-limit": "abc", "ultravox-api-key": KEY}, page=10)
    parameters = store(ssm, max_age=0)
    before = parameters.read("prod", {"concurrency-limit": "50"})
    after = parameters.read("prod", {"concurrency-limit": "60"})
    assert before.falling_back and after.falling_back
    assert before.config is not None and before.config.concurrency_limit == 50
    assert after.config is not None and after.config.concurrency_limit == 60
    assert parameters.read("prod", {"concurrency-limit": "60"}) is after


def test_a_reading_with_nothing_to_judge_with_is_made_afresh_each_run() -> None:
    ssm = Ssm({"concurrency-limit": "abc", "ultravox-api-key": KEY}, page=10)
    parameters = store(ssm, max_age=0)
    first, second = parameters.read("prod"), parameters.read("prod")
    assert first.config is None and first.error is not None
    assert second.error is not None and second.error is not first.error
