"""Headless Chromium for the report: a screenshot of a local page, and a PNG decoder to check it."""

from __future__ import annotations

import shutil
import struct
import subprocess  # nosec B404 - runs the local chromium binary on a local file
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# No network, no updates, no profile to leak between runs: the page must render on its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
INSTALL_HINT = "install it with `apt-get install chromium` (Debian) or put chromium on the PATH"


def find_chromium() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def screenshot(page: Path, out: Path, width: int = 1000, height: int = 900) -> Path:
    """Render `page` (a local file) in a fresh profile and write a PNG of the viewport."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError(f"no chromium on the PATH: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="ceilingwatch-chromium-") as profile:
        subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments, a local file
            [
                binary,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out


@dataclass(frozen=True)
class Image:
    """Decoded 8-bit RGB(A) pixels, row by row."""

    width: int
    height: int
    channels: int
    rows: tuple[bytes, ...]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        i = x * self.channels
        row = self.rows[y]
        return row[i], row[i + 1], row[i + 2]


def read_png(path: Path) -> Image:
    """Enough of PNG for a browser's screenshot: 8-bit RGB or RGBA, not interlaced."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    return Image(width, height, channels, _unfilter(zlib.decompress(idat), width, height, channels))


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> tuple[bytes, ...]:
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return tuple(rows)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def main() -> None:
    """Write docs/report.png: the report of the two-weeks scenario, read through the simulator
    by the same code as `ceilingwatch report --html`, as the README shows it."""
    import sys
    import time

    from ceilingwatch.adapters.ultravox import UltravoxClient, UltravoxSource
    from ceilingwatch.bootstrap import PARAMETERS
    from ceilingwatch.domain.config import Secret
    from ceilingwatch.domain.report import render_html
    from ceilingwatch.services.weekly import gather_digest

    from infra.simulator.ultravox import Scenario, UltravoxSimulator

    history = Scenario.load("two-weeks")
    key = "uvx-screenshot"
    config = PARAMETERS.parse("prod", "", {"concurrency-limit": "50", "ultravox-api-key": key})
    with UltravoxSimulator(history, key) as simulator:
        simulator.set_clock(history.end)
        source = UltravoxSource(UltravoxClient(simulator.base_url), Secret(key), "the key")
        digest = gather_digest(source, config, history.end, deadline=time.monotonic() + 20)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        page.write_text(render_html(digest), encoding="utf-8")
        screenshot(page, out.resolve(), height=1150)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
