"""Secrets out of outside text: as written, URL-encoded or JSON-escaped; short values left alone."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from ceilingwatch.common.scrub import MASK, scrub

from tests.support.builders import API_KEY, WEBHOOK


@pytest.mark.parametrize(
    "text",
    [
        f"error for {API_KEY}",
        f"redirect to {quote(WEBHOOK, safe='')}",
        json.dumps({"url": WEBHOOK}).replace("/", "\\/"),
        f"{WEBHOOK}{API_KEY}",
    ],
)
def test_every_spelling_of_a_secret_is_masked(text: str) -> None:
    cleaned = scrub(text, [API_KEY, WEBHOOK])
    assert MASK in cleaned
    assert API_KEY not in cleaned and "secretwebhooktoken" not in cleaned


def test_short_values_would_mask_ordinary_words_and_are_left() -> None:
    assert scrub("the key is short", ["key", ""]) == "the key is short"
