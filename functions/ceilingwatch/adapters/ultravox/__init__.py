"""Ultravox, the first usage source: its REST API, and a monitor's source built from it."""

from ceilingwatch.adapters.ultravox.api import (
    ACCOUNT_PATH,
    CONCURRENCY_PATH,
    MAX_BODY_BYTES,
    UltravoxClient,
)
from ceilingwatch.adapters.ultravox.source import API_KEY, PLUGIN, UltravoxSource

__all__ = [
    "ACCOUNT_PATH",
    "API_KEY",
    "CONCURRENCY_PATH",
    "MAX_BODY_BYTES",
    "PLUGIN",
    "UltravoxClient",
    "UltravoxSource",
]
