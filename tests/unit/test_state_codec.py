"""The state item's format: what today's code wrote loads, and is written back byte for byte."""

from __future__ import annotations

import json

from ceilingwatch.adapters.state_store import state_from_item, state_to_item

from .conftest import SNAPSHOTS, Snapshot

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
