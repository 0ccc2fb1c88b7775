"""One parameter table: the secrets, the kept values, put-secrets, the flags and the docs page."""

from __future__ import annotations

from pathlib import Path

import pytest
from ceilingwatch.adapters.sources import REGISTRY as SOURCES
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.channels import REGISTRY as CHANNELS
from ceilingwatch.cli import put_secrets
from ceilingwatch.cli.common import FLAG_OF_PARAMETER
from ceilingwatch.cli.parameters_table import COMMAND, render
from ceilingwatch.domain.parameter_table import MONITOR, ParameterTable
from ceilingwatch.domain.parameters import Parameter, PlugIn

PAGE = Path(__file__).parents[3] / "docs" / "parameters-table.md"


def test_the_docs_page_is_generated_from_the_table() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), f"out of date: run {COMMAND}"


def test_every_list_of_names_derives_from_the_table() -> None:
    secrets = [row.name for row in PARAMETERS.rows if row.secret]
    assert list(put_secrets.SECRETS) == secrets
    assert set(secrets) == PARAMETERS.secret_names
    assert {row.name: row.flag for row in PARAMETERS.rows if row.flag} == FLAG_OF_PARAMETER
    # A secret is never kept with the state; every other value is, to judge with while invalid.
    assert PARAMETERS.kept_names == {row.name for row in PARAMETERS.rows} - set(secrets)


def test_each_plug_in_names_its_parameters_after_itself_and_has_one_owner() -> None:
    for kind, registry in (("source", SOURCES), ("channel", CHANNELS)):
        for plugin in registry:
            for row in plugin.parameters:
                assert row.name.startswith(f"{plugin.name}-")
                assert PARAMETERS.owners[row.name] == f"{kind} {plugin.name}"
    own = [row.name for row in PARAMETERS.rows if PARAMETERS.owners[row.name] == MONITOR]
    assert own[0] == "concurrency-limit" and len(own) == 15


def test_a_parameter_declared_twice_is_refused_when_the_table_is_assembled() -> None:
    twice = PlugIn("teams2", (Parameter("teams-webhook-url", "again"),), build=None)
    with pytest.raises(ValueError, match="teams-webhook-url is declared by channel teams"):
        ParameterTable.assemble(SOURCES, (*CHANNELS, twice))


def test_every_row_says_what_it_means_and_what_it_defaults_to() -> None:
    for row in PARAMETERS.rows:
        assert row.meaning and row.documented_default(), row.name


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("slack-bot-token", "xoxp-a-user-token", "slack-bot-token must be the app's Bot User"),
        ("slack-webhook-url", "https://hooks.example.com/x", "does not start with https://hooks"),
        ("pagerduty-routing-key", "short", "a PagerDuty Events v2 routing key is 32 letters"),
        ("ultravox-api-key", "uvx-any-key", ""),
        ("slack-signing-secret", "8f14e45fceea167a5a36dedd4bea2543", ""),
    ],
)
def test_put_secrets_checks_a_secret_with_its_rows_parser_and_check(
    name: str, value: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a laptop: no table, no topic; the URL rules come from the same variables as deployed.
    for variable in ("STATE_TABLE_NAME", "ALERT_TOPIC_ARN", "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES"):
        monkeypatch.delenv(variable, raising=False)
    found = put_secrets.secret_problem(name, value)
    assert problem in found if problem else found == ""
    assert value not in found
