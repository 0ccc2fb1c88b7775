"""Ultravox, the first usage source: its REST API, and a monitor's source built from it."""

from ceilingwatch.adapters.ultravox.api import (
    ACCOUNT_PATH,
    CALLS_PATH,
    CONCURRENCY_PATH,
    MAX_BODY_BYTES,
    UltravoxClient,
)
from ceilingwatch.adapters.ultravox.source import API_KEY, PLUGIN, WEBHOOK_SECRET, UltravoxSource
from ceilingwatch.adapters.ultravox.webhooks import LIVE_EVENTS, WEBHOOKS_PATH, Webhook, Webhooks

__all__ = [
    "ACCOUNT_PATH",
    "API_KEY",
    "CALLS_PATH",
    "CONCURRENCY_PATH",
    "LIVE_EVENTS",
    "MAX_BODY_BYTES",
    "PLUGIN",
    "WEBHOOKS_PATH",
    "WEBHOOK_SECRET",
    "UltravoxClient",
    "UltravoxSource",
    "Webhook",
    "Webhooks",
]
