"""The state item's format: what today's code wrote loads, and is written back byte for byte."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from ceilingwatch.adapters.state_codec import ATTRIBUTES, RECORDS, state_from_item, state_to_item
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import AlertState, DeliveryRecord, Health, Watches

from tests.unit.conftest import SNAPSHOTS, Snapshot

# An item as the code of 63a8d9b (the floor plan's first step) wrote it, every attribute set:
# an outbox of three notifications, two channels' memory, the last valid configuration.
WRITTEN = "state-item.json"


def stored_item() -> dict[str, dict[str, str]]:
    item: dict[str, dict[str, str]] = json.loads((SNAPSHOTS / WRITTEN).read_text("utf-8"))
    return item


def test_an_item_written_by_the_earlier_code_is_written_back_unchanged(
    snapshot: Snapshot,
) -> None:
    snapshot.assert_match(WRITTEN, state_to_item(state_from_item(stored_item())))


def test_an_item_written_by_the_earlier_code_loads_typed() -> None:
    state = state_from_item(stored_item())
    assert (state.monitor, state.version, state.judged.level, state.health.status) == (
        "prod",
        6,
        Level.CRITICAL,
        Health.ERROR,
    )
    escalated, raised, error = state.delivery.outbox
    assert escalated.channels == ("email", "pagerduty") and raised.channels is None
    assert (escalated.notification.kind, escalated.notification.severity) == (
        Kind.ESCALATED,
        Severity.CRITICAL,
    )
    assert escalated.notification.previous_severity is Severity.WARNING
    assert escalated.notification.reading is not None
    assert escalated.notification.reading.series[-1] == 48
    assert error.notification.previous_severity is None and error.notification.reading is None
    memory = state.delivery.channel_memory
    assert memory["pagerduty"] == {"capacity": "ceilingwatch/prod/capacity/20261124T1211Z"}
    assert json.loads(memory["slack"]["capacity"])["ts"] == "1764000000.000100"
    assert state.watches.last_valid_config == {"concurrency-limit": "50", "warning-percent": "80"}
    assert state.answers.acknowledged_level is Level.CRITICAL
    assert (state.told.level, state.told.ceiling_key, state.episode.peak) == (
        Level.CRITICAL,
        "40<50",
        48,
    )


def test_every_field_of_the_state_is_stored_once() -> None:
    # A field without an attribute would be lost at the first write.
    stored = [(record, field) for record, field, _ in ATTRIBUTES.values()]
    leaves = [
        (f.name, leaf.name) if f.name in RECORDS else ("", f.name)
        for f in fields(AlertState)
        for leaf in (fields(RECORDS[f.name]) if f.name in RECORDS else [f])
    ]
    assert sorted(stored) == sorted(leaves)


def test_what_is_unset_is_absent_and_an_empty_configuration_is_not_unset() -> None:
    bare = state_to_item(AlertState("prod"))
    assert "outbox" not in bare and "channel_memory" not in bare
    assert "last_valid_config" not in bare and "acknowledged_level" not in bare
    forgot = AlertState(
        "prod",
        watches=Watches(last_valid_config={}),
        delivery=DeliveryRecord(channel_memory={"slack": {}}),
    )
    item = state_to_item(forgot)
    assert "channel_memory" not in item and item["last_valid_config"] == {"S": "{}"}
    assert state_from_item(item).watches.last_valid_config == {}


def test_an_outbox_from_before_per_channel_settlement_is_owed_to_every_channel() -> None:
    item = stored_item()
    entries = json.loads(item["outbox"]["S"])
    item["outbox"] = {"S": json.dumps([entry["note"] for entry in entries])}
    state = state_from_item(item)
    assert [entry.channels for entry in state.delivery.outbox] == [None, None, None]
    assert [entry.notification.kind for entry in state.delivery.outbox] == [
        Kind.ESCALATED,
        Kind.RAISED,
        Kind.MONITOR_ERROR,
    ]


def test_an_unknown_level_is_an_error_that_names_it() -> None:
    item = stored_item() | {"level": {"S": "SEVERE"}}
    with pytest.raises(ValueError, match="unknown level 'SEVERE'"):
        state_from_item(item)


def test_an_unknown_health_is_an_error_that_names_it_and_what_is_known() -> None:
    item = stored_item() | {"health": {"S": "SICK"}}
    with pytest.raises(ValueError, match="unknown health 'SICK': expected one of HEALTHY, "):
        state_from_item(item)


def test_the_versions_a_config_notice_told_are_kept_and_an_older_item_has_none() -> None:
    assert state_from_item(stored_item()).watches.config_versions == ""
    told = Watches(config_problems="x", config_versions="warning-percent@7")
    item = state_to_item(AlertState("prod", watches=told))
    assert item["config_problem_versions"] == {"S": "warning-percent@7"}
    assert state_from_item(item).watches.config_versions == "warning-percent@7"
