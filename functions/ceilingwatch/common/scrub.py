"""The one place secrets are taken out of text that came from outside, before it goes anywhere."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

MASK = "****"
# Very short values would mask ordinary words; real keys and webhook URLs are long.
MIN_SECRET_LENGTH = 8


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret, as written or URL-encoded, replaced by asterisks.

    Apply it to the whole text before cutting an excerpt: a cut through a secret would leave
    its first characters behind, where no later scrub can recognise them.
    """
    for secret in secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        for spelling in _spellings(secret):
            text = text.replace(spelling, MASK)
    return text


@lru_cache(maxsize=256)
def _spellings(secret: str) -> tuple[str, ...]:
    """As written, URL-encoded, and JSON-escaped ("https:\\/\\/hooks..."): how echoes come back.

    Worked out once per secret: a run scrubs every header and log line with the same few.
    """
    return tuple(dict.fromkeys((secret, quote(secret, safe=""), secret.replace("/", "\\/"))))
