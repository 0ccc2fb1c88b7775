"""The one place secrets are taken out of text that came from outside, before it goes anywhere."""

from __future__ import annotations

from collections.abc import Iterable
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
        # As written, URL-encoded, and JSON-escaped ("https:\/\/hooks..."): how echoes come back.
        for spelling in {secret, quote(secret, safe=""), secret.replace("/", "\\/")}:
            text = text.replace(spelling, MASK)
    return text
