"""The report page as text: self-contained, every episode marked, the lines at their heights."""

from __future__ import annotations

from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.digest import Digest, build_digest
from ceilingwatch.domain.report import COLOURS, FRAME, render_html, scale_for

from .test_digest import RUN, TUESDAY_14, hourly


def page() -> tuple[str, Digest]:
    digest = build_digest("prod", hourly({TUESDAY_14: 48}), 50, Thresholds(), RUN)
    return render_html(digest), digest


def test_the_page_needs_no_network() -> None:
    html, _ = page()
    for reference in ("<script", "<link", "src=", "url(", "@import"):
        assert reference not in html
    assert html.count("http") == 1  # the SVG namespace: a name, never fetched


def test_every_episode_is_marked_and_the_limit_line_is_at_the_limit() -> None:
    html, digest = page()
    assert html.count(f"fill='{COLOURS['episode']}'>") == len(digest.episodes) > 0
    y = scale_for(digest).y(50)
    right = FRAME.left + FRAME.plot_width
    assert f"y1='{y:.1f}' x2='{right}' y2='{y:.1f}' stroke='{COLOURS['limit']}'" in html


def test_the_text_is_escaped() -> None:
    digest = build_digest("<b>", hourly(), 50, Thresholds(), RUN)
    assert "<b>" not in render_html(digest)
