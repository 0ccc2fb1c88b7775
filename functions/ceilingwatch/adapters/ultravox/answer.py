"""An Ultravox answer read within its size limit, every secret the request carried scrubbed."""

from __future__ import annotations

import json
from typing import Any

from ceilingwatch.adapters.transport import Response
from ceilingwatch.common.errors import InvalidResponseError
from ceilingwatch.common.records import record
from ceilingwatch.common.scrub import scrub

# An hour of 5-minute buckets is under 2 KB; 8 MiB still holds some 60,000 buckets, while
# parsing it stays well inside the function's 128 MB. The body is read as a stream, so a
# bigger answer is refused after 8 MiB, not read whole into memory.
MAX_BODY_BYTES = 8 * 1024 * 1024
ERROR_BODY_BYTES = 4096  # of an error answer: enough for an excerpt


@record(frozen=False, eq=False)
class Answer:
    """A response read within its size limit, its text from outside scrubbed of the secrets."""

    status: int
    headers: dict[str, str]
    body: bytes
    secrets: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @classmethod
    def read(cls, response: Response, path: str, secrets: tuple[str, ...]) -> Answer:
        limit = MAX_BODY_BYTES if response.ok else ERROR_BODY_BYTES
        declared = response.headers.get("Content-Length", "")
        if response.ok and declared.isdigit() and int(declared) > limit:
            raise _too_big(path, f"declares {int(declared):,} bytes")
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > limit:
                if response.ok:
                    raise _too_big(path, f"went past {limit:,} bytes")
                break  # an error answer: its first bytes are enough to tell what went wrong
        # Headers and body are Ultravox's text, and an upstream may echo the key (or a webhook's
        # secret) in either.
        headers = {name: scrub(value, secrets) for name, value in response.headers.items()}
        return cls(response.status_code, headers, bytes(body[:limit]), secrets)

    def json(self, path: str) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            kind = self.headers.get("Content-Type", "no content type").split(";")[0]
            raise InvalidResponseError(
                f"{path} answered {kind[:40]}, not JSON{self.excerpt()}"
            ) from None

    def excerpt(self) -> str:
        """A short, printable slice of the body: enough to recognise, too short to leak much.

        Scrubbed well past the slice shown, so the cut cannot fall inside a secret."""
        text = scrub(self.body[:480].decode("utf-8", "replace"), self.secrets)
        text = "".join(ch if ch.isprintable() else " " for ch in text[:120]).strip()
        return f": {text[:80]!r}" if text else ""


def _too_big(path: str, how: str) -> InvalidResponseError:
    return InvalidResponseError(
        f"the answer to {path} {how}, over the {MAX_BODY_BYTES // (1024 * 1024)} MiB limit, "
        "so it was not parsed",
        "nothing on your side if it passes; if it persists, report to Ultravox that "
        f"{path} returns more than asked for",
    )


def cause(error: Exception) -> str:
    """A network failure in a few safe words: urllib3's own text may quote the URL."""
    text = str(error)
    for marker in ("Connection refused", "Connection reset", "Name or service not known"):
        if marker in text:
            return marker.lower()
    return type(error).__name__
