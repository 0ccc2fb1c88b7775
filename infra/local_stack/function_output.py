"""The function's own output (log lines and EMF metrics), kept in a buffer instead of stdout."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def captured_function_output(sink: io.StringIO) -> Iterator[None]:
    """The function's log lines and EMF metrics, kept for the report instead of the terminal."""
    from ceilingwatch.common.observability import logger

    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):
        raise TypeError("the function's logger no longer writes to a stream")
    previous = handler.setStream(sink)
    try:
        with contextlib.redirect_stdout(sink):
            yield
    finally:
        handler.setStream(previous)
