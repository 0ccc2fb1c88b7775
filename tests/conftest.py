"""Fixtures for every suite: the function's own output, as Lambda would log it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

# Not from infra.demo.timeline: it imports moto's server, which the unit tests must not need.
from infra.local_stack.function_output import captured_function_output


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """The function's log lines and EMF metrics of one test."""
    buffer = io.StringIO()
    with captured_function_output(buffer):
        yield buffer
