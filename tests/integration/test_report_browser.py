"""The report page in a real browser: headless Chromium renders it and the pixels show the chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.digest import Digest, build_digest
from ceilingwatch.domain.report import COLOURS, FRAME, render_html, scale_for
from ceilingwatch.domain.series import ConcurrencyBucket

from infra.demo.browser import INSTALL_HINT, Image, find_chromium, read_png, screenshot
from infra.simulator.traffic import weeks

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason=f"headless Chromium not found: {INSTALL_HINT}"
)
SHOT_HEIGHT = FRAME.height + 40


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def near(pixel: tuple[int, int, int], colour: str, tolerance: int = 48) -> bool:
    return all(abs(p - c) <= tolerance for p, c in zip(pixel, rgb(colour), strict=True))


def share_on_row(image: Image, y: float, x0: int, x1: int, colour: str) -> float:
    """The share of columns in [x0, x1) where the colour shows within a pixel of row y."""
    rows = [r for r in (round(y) - 1, round(y), round(y) + 1) if 0 <= r < image.height]
    hits = sum(1 for x in range(x0, x1) if any(near(image.pixel(x, r), colour) for r in rows))
    return hits / (x1 - x0)


def columns_with(image: Image, colour: str, x0: int, x1: int) -> int:
    return sum(
        1
        for x in range(x0, x1)
        if any(near(image.pixel(x, y), colour, 40) for y in range(FRAME.top, FRAME.height))
    )


@pytest.fixture(scope="module")
def digest() -> Digest:
    traffic = weeks(growth=0.1)
    hourly = [
        ConcurrencyBucket(
            traffic.start + timedelta(hours=i), max(traffic.minute_peaks[i * 60 : i * 60 + 60])
        )
        for i in range(len(traffic.minute_peaks) // 60)
    ]
    return build_digest("prod", hourly, traffic.limit, Thresholds(), traffic.end)


@pytest.fixture(scope="module")
def shot(digest: Digest, tmp_path_factory: pytest.TempPathFactory) -> Image:
    folder = tmp_path_factory.mktemp("report")
    page = folder / "report.html"
    page.write_text(render_html(digest), encoding="utf-8")
    return read_png(screenshot(page, folder / "report.png", height=SHOT_HEIGHT))


def test_the_limit_line_runs_across_the_chart_where_the_limit_is(
    digest: Digest, shot: Image
) -> None:
    scale = scale_for(digest)
    x0, x1 = FRAME.left + 2, FRAME.left + FRAME.plot_width - 2
    assert share_on_row(shot, scale.y(digest.limit), x0, x1, COLOURS["limit"]) > 0.9
    # and not at the warning threshold's height, where the (dashed) warning line is instead
    warning_y = scale.y(digest.limit * digest.thresholds.warning / 100)
    assert share_on_row(shot, warning_y, x0, x1, COLOURS["limit"]) < 0.05
    assert share_on_row(shot, warning_y, x0, x1, COLOURS["warning"]) > 0.4


def test_peaks_are_left_of_now_and_the_outlook_right_of_it(digest: Digest, shot: Image) -> None:
    scale = scale_for(digest)
    now_x = round(scale.x(len(digest.hours)))
    right = FRAME.left + FRAME.plot_width
    assert columns_with(shot, COLOURS["peaks"], FRAME.left, now_x - 2) > 0.5 * (now_x - FRAME.left)
    assert columns_with(shot, COLOURS["peaks"], now_x + 2, right) == 0
    assert columns_with(shot, COLOURS["outlook"], now_x + 2, right) > 0.3 * (right - now_x)
    assert columns_with(shot, COLOURS["outlook"], FRAME.left, now_x - 2) == 0


def test_episodes_are_shaded_in_the_week_they_happened(digest: Digest, shot: Image) -> None:
    assert digest.episodes, "the scenario has hours at warning"
    scale = scale_for(digest)
    first = digest.episodes[0]
    x = round(scale.x((first.start - digest.history_start) / timedelta(hours=1)) + 1)
    y = round(scale.y(digest.limit * 0.1))  # low on the chart, below the peaks' line
    assert near(shot.pixel(x, y), COLOURS["episode"], 12)


def test_the_png_reader_reads_what_chromium_writes(shot: Image) -> None:
    assert (shot.width, shot.height) == (1000, SHOT_HEIGHT)
    assert shot.pixel(2, 2) == (255, 255, 255)
