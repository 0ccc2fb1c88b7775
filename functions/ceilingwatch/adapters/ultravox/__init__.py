"""Ultravox, the first usage source: its REST API, and a monitor's source built from it.

Its webhooks (the live feed's, `ceilingwatch live`) are in `webhooks`: no tick loads them.
"""

from ceilingwatch.adapters.ultravox.api import (
    ACCOUNT_PATH,
    CALLS_PATH,
    CONCURRENCY_PATH,
    MAX_BODY_BYTES,
    UltravoxClient,
)
from ceilingwatch.adapters.ultravox.source import API_KEY, PLUGIN, WEBHOOK_SECRET, UltravoxSource

__all__ = [
    "ACCOUNT_PATH",
    "API_KEY",
    "CALLS_PATH",
    "CONCURRENCY_PATH",
    "MAX_BODY_BYTES",
    "PLUGIN",
    "WEBHOOK_SECRET",
    "UltravoxClient",
    "UltravoxSource",
]
