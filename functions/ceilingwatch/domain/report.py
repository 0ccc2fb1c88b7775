"""The capacity report: one self-contained HTML page, an inline SVG chart and the digest's text."""

from __future__ import annotations

from html import escape

from ceilingwatch.common.records import record
from ceilingwatch.domain.digest import HOUR, Digest
from ceilingwatch.domain.digest_text import render_text

# The page's palette; the browser test looks for these exact colours in a screenshot.
COLOURS = {
    "limit": "#dc2626",
    "critical": "#ea580c",
    "warning": "#ca8a04",
    "peaks": "#2563eb",
    "outlook": "#7c3aed",
    "episode": "#fde2e2",
    "grid": "#e5e7eb",
    "text": "#111827",
}


@record
class Frame:
    """Where the plot sits in the SVG, in pixels; the chart is drawn at the top-left of the page."""

    width: int = 1000
    height: int = 340
    left: int = 96
    right: int = 16
    top: int = 20
    bottom: int = 36

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


FRAME = Frame()


@record
class Scale:
    """Hours (0 = the history's first) and calls to pixels."""

    hours: int
    top_calls: float
    frame: Frame = FRAME

    def x(self, hour: float) -> float:
        return self.frame.left + self.frame.plot_width * hour / self.hours

    def y(self, calls: float) -> float:
        return self.frame.top + self.frame.plot_height * (1 - calls / self.top_calls)


def scale_for(digest: Digest) -> Scale:
    top = max([digest.limit * 1.15, *digest.hours, *digest.outlook.hours])
    return Scale(hours=len(digest.hours) + len(digest.outlook.hours), top_calls=top)


def render_html(digest: Digest) -> str:
    """The page: chart first (at a fixed place, so a screenshot can be checked), then the text."""
    title = f"ceilingwatch: {digest.monitor}, week to {digest.week_start + 7 * 24 * HOUR:%d %b %Y}"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        "<style>body{margin:0;font:14px system-ui,sans-serif;color:#111827;background:#fff}"
        "svg{display:block}main{padding:8px 48px}"
        "pre{font:13px ui-monospace,monospace;white-space:pre-wrap}"
        "</style></head><body>"
        f"{chart_svg(digest)}"
        f"<main><h1>{escape(title)}</h1>"
        f"<p>{_legend()}</p>"
        f"<pre>{escape(render_text(digest))}</pre></main></body></html>\n"
    )


def chart_svg(digest: Digest) -> str:
    s = scale_for(digest)
    f = s.frame
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{f.width}' height='{f.height}' "
        f"viewBox='0 0 {f.width} {f.height}' role='img' aria-label='hourly peaks against the "
        "limit'>",
        f"<rect width='{f.width}' height='{f.height}' fill='#ffffff'/>",
        *_day_grid(digest, s),
        *_episodes(digest, s),
        *_threshold_lines(digest, s),
        _polyline(digest.hours, 0, s, COLOURS["peaks"], ""),
        _polyline(digest.outlook.hours, len(digest.hours), s, COLOURS["outlook"], "6 4"),
        f"<line x1='{s.x(len(digest.hours)):.1f}' y1='{f.top}' x2='{s.x(len(digest.hours)):.1f}' "
        f"y2='{f.top + f.plot_height}' stroke='{COLOURS['text']}' stroke-width='1'/>",
        f"<text x='{s.x(len(digest.hours)) + 4:.1f}' y='{f.top + 12}' font-size='11'>"
        "now: outlook →</text>",
        "</svg>",
    ]
    return "".join(parts)


def _day_grid(digest: Digest, s: Scale) -> list[str]:
    f = s.frame
    out = []
    for day in range(s.hours // 24 + 1):
        x = s.x(day * 24)
        out.append(
            f"<line x1='{x:.1f}' y1='{f.top}' x2='{x:.1f}' y2='{f.top + f.plot_height}' "
            f"stroke='{COLOURS['grid']}' stroke-width='1'/>"
        )
        if day * 24 < s.hours:
            at = digest.history_start + day * 24 * HOUR
            out.append(
                f"<text x='{x + 2:.1f}' y='{f.height - 18}' font-size='10' "
                f"fill='{COLOURS['text']}'>{at:%a %d}</text>"
            )
    return out


def _episodes(digest: Digest, s: Scale) -> list[str]:
    f = s.frame
    out = []
    for e in digest.episodes:
        start = (e.start - digest.history_start) / HOUR
        out.append(
            f"<rect x='{s.x(start):.1f}' y='{f.top}' width='{max(2.0, s.x(e.hours) - f.left):.1f}' "
            f"height='{f.plot_height}' fill='{COLOURS['episode']}'>"
            f"<title>{e.level.name} {e.start:%a %H:%M} for {e.hours} h, peak {e.peak}</title>"
            "</rect>"
        )
    return out


def _threshold_lines(digest: Digest, s: Scale) -> list[str]:
    f = s.frame
    t = digest.thresholds
    lines = (
        ("limit", float(digest.limit), f"limit {digest.limit}"),
        ("critical", digest.limit * t.critical / 100, f"critical {t.critical:g}%"),
        ("warning", digest.limit * t.warning / 100, f"warning {t.warning:g}%"),
    )
    out = []
    for name, calls, label in lines:
        y = s.y(calls)
        dash = "" if name == "limit" else " stroke-dasharray='8 4'"
        out.append(
            f"<line x1='{f.left}' y1='{y:.1f}' x2='{f.left + f.plot_width}' y2='{y:.1f}' "
            f"stroke='{COLOURS[name]}' stroke-width='2'{dash}/>"
            f"<text x='4' y='{y + 4:.1f}' font-size='10' fill='{COLOURS[name]}'>{escape(label)}"
            "</text>"
        )
    return out


def _polyline(values: tuple[int, ...], offset: int, s: Scale, colour: str, dash: str) -> str:
    # A step line: an hourly peak holds for its whole hour.
    points = []
    for i, calls in enumerate(values):
        y = s.y(calls)
        points += [f"{s.x(offset + i):.1f},{y:.1f}", f"{s.x(offset + i + 1):.1f},{y:.1f}"]
    dashing = f" stroke-dasharray='{dash}'" if dash else ""
    return (
        f"<polyline points='{' '.join(points)}' fill='none' stroke='{colour}' "
        f"stroke-width='1.5'{dashing}/>"
    )


def _legend() -> str:
    items = (
        ("peaks", "hourly peak"),
        ("outlook", "next week's outlook"),
        ("limit", "limit"),
        ("critical", "critical"),
        ("warning", "warning"),
        ("episode", "episode at warning or above"),
    )
    return " ".join(
        f"<span style='color:{COLOURS[key]}'>■</span> {label}&nbsp;&nbsp;" for key, label in items
    )
