"""A terminal bar chart of 5-minute peaks against the limit and its thresholds, as plain text."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from ceilingwatch.common.records import record
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.evaluation import classify
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket
from ceilingwatch.domain.severity import Level, Severity

EIGHTHS = " ▁▂▃▄▅▆▇█"
IN_PROGRESS = "▲"
HOUR_TICK = "┬"
MIN_PLOT_WIDTH = 12
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# ANSI SGR codes: the bar of a column takes the colour of the level its peak reaches.
LEVEL_COLOURS = {level: Severity.of(level).colour for level in Level}
MARKER_COLOUR = "36"


@record
class Column:
    """One column of the chart: the highest peak of its buckets."""

    start: datetime
    peak: int
    in_progress: bool


@record
class Line:
    """A horizontal reference line: where a level starts, in calls."""

    name: str
    percent: float
    calls: int
    char: str
    level: Level


def render(
    buckets: Sequence[ConcurrencyBucket],
    limit: int,
    thresholds: Thresholds,
    *,
    now: datetime,
    width: int = 80,
    max_rows: int = 20,
    colour: bool = False,
) -> str:
    """The chart, at most `width` characters wide; neighbouring buckets merge by their maxima."""
    if not buckets:
        return "(no buckets to chart)"
    lines = reference_lines(limit, thresholds)
    # One row per call when the limit is small; else lines closer than a row share one.
    rows = min(limit, max_rows)
    line_rows = _line_rows(lines, limit, rows)
    gutter = len(str(limit))
    row_labels, label_width = _labels_that_fit(lines, line_rows, width - gutter - 2)
    plot_width = max(MIN_PLOT_WIDTH, width - gutter - 2 - label_width)
    group = group_size(buckets, plot_width)
    columns = group_columns(buckets, group, now)
    heights = [_eighths(c.peak, limit, rows) for c in columns]

    span_end = columns[-1].start + group * BUCKET
    # Prose lines break between words at the width; the rows below are built to fit it.
    out = _wrapped(_header(columns[0].start, span_end, group, limit), width)
    for row in range(rows, 0, -1):
        row_lines = line_rows.get(row, [])
        top = row_lines[0] if row_lines else None
        cells = _cells(columns, heights, row, top, limit, thresholds)
        left = f"{top.calls:>{gutter}} ┤" if top else f"{'':>{gutter}} │"
        right = " " + row_labels[row] if row in row_labels else ""
        out.append((left + _paint(cells, colour) + right).rstrip())
    out.append(f"{0:>{gutter}} ┼" + _paint(_axis(columns), colour))
    out.append(" " * (gutter + 2) + _time_labels(columns, room=width - gutter - 2))
    if any(c.in_progress for c in columns):
        legend = _wrapped(f"{IN_PROGRESS} bucket in progress: its peak can still grow", width)
        legend[0] = _paint([(IN_PROGRESS, MARKER_COLOUR)], colour) + legend[0][1:]
        out += legend
    return "\n".join(line.rstrip() for line in out) + "\n"


def _labels_that_fit(
    lines: list[Line], line_rows: dict[int, list[Line]], room: int
) -> tuple[dict[int, str], int]:
    """Each reference row's label and their width; none where they would squeeze the bars."""
    labels = _labels(lines)
    row_labels = {
        row: " · ".join(labels[line.name] for line in on) for row, on in line_rows.items()
    }
    label_width = 1 + max(len(label) for label in row_labels.values())
    if room - label_width < MIN_PLOT_WIDTH:
        # A narrow terminal keeps the bars; the counts on the left still name each line.
        return {}, 0
    return row_labels, label_width


def _cells(
    columns: list[Column],
    heights: list[int],
    row: int,
    top: Line | None,
    limit: int,
    thresholds: Thresholds,
) -> list[tuple[str, str | None]]:
    """One row of the plot: each column's bar in eighths, else the row's reference line."""
    cells: list[tuple[str, str | None]] = []
    for column, height in zip(columns, heights, strict=True):
        fill = min(8, max(0, height - (row - 1) * 8))
        if fill:
            cells.append((EIGHTHS[fill], LEVEL_COLOURS[_level(column, limit, thresholds)]))
        elif top is not None:
            cells.append((top.char, LEVEL_COLOURS[top.level]))
        else:
            cells.append((" ", None))
    return cells


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def reference_lines(limit: int, thresholds: Thresholds) -> list[Line]:
    """Limit, critical and warning, highest first, each at the fewest calls that reach it."""
    lines = [Line("limit", 100.0, limit, "━", Level.AT_LIMIT)]
    for level, name, share, char in (
        (Level.CRITICAL, "critical", thresholds.critical, "─"),
        (Level.WARNING, "warning", thresholds.warning, "╌"),
    ):
        lines.append(Line(name, share, fewest_calls(level, limit, thresholds), char, level))
    return lines


def fewest_calls(level: Level, limit: int, thresholds: Thresholds) -> int:
    """The fewest calls classified at `level` or above, found in log2(limit) steps."""
    # The same classify() the monitor judges with, so a line sits where the level starts;
    # classify grows with the calls, and at the limit every level is reached.
    low, high = 0, limit
    while low < high:
        middle = (low + high) // 2
        if classify(middle, limit, thresholds) >= level:
            high = middle
        else:
            low = middle + 1
    return low


def group_size(buckets: Sequence[ConcurrencyBucket], plot_width: int) -> int:
    """Buckets per column: a divisor or multiple of an hour, so hours stay on column edges."""
    for size in _group_sizes():
        if _column_count(buckets, size) <= plot_width:
            return size
    raise AssertionError("unreachable: group sizes grow without bound")


def group_columns(buckets: Sequence[ConcurrencyBucket], group: int, now: datetime) -> list[Column]:
    """One column per `group` buckets, aligned on the clock; a slot with no bucket shows 0."""
    span = group * BUCKET
    peaks: dict[datetime, int] = {}
    progress: set[datetime] = set()
    for bucket in buckets:
        slot = _floor(bucket.start, span)
        peaks[slot] = max(peaks.get(slot, 0), bucket.max_total_calls)
        if not bucket.completed_by(now):
            progress.add(slot)
    first, last = min(peaks), max(peaks)
    count = (last - first) // span + 1
    slots = [first + i * span for i in range(count)]
    return [Column(s, peaks.get(s, 0), s in progress) for s in slots]


def _group_sizes() -> Iterator[int]:
    yield from (1, 2, 3, 4, 6, 12)
    size = 12
    while True:
        size += 12
        yield size


def _column_count(buckets: Sequence[ConcurrencyBucket], group: int) -> int:
    span = group * BUCKET
    first = _floor(min(b.start for b in buckets), span)
    last = _floor(max(b.start for b in buckets), span)
    return (last - first) // span + 1


def _floor(moment: datetime, span: timedelta) -> datetime:
    return EPOCH + (moment - EPOCH) // span * span


def _row_of(calls: int, limit: int, rows: int) -> int:
    return max(1, math.ceil(calls * rows / limit))


def _line_rows(lines: Sequence[Line], limit: int, rows: int) -> dict[int, list[Line]]:
    by_row: dict[int, list[Line]] = {}
    for line in lines:
        by_row.setdefault(_row_of(line.calls, limit, rows), []).append(line)
    return by_row


def _labels(lines: Sequence[Line]) -> dict[str, str]:
    limit = lines[0]
    labels = {limit.name: f"limit {limit.calls}"}
    for line in lines[1:]:
        labels[line.name] = f"{line.name} {line.percent:g}% ({line.calls})"
    return labels


def _eighths(peak: int, limit: int, rows: int) -> int:
    """Bar height in eighths of a row; any call at all shows, however small against the limit."""
    height = (2 * min(peak, limit) * rows * 8 + limit) // (2 * limit)  # rounded half up
    return max(height, 1) if peak > 0 else 0


def _level(column: Column, limit: int, thresholds: Thresholds) -> Level:
    return classify(column.peak, limit, thresholds)


def _header(start: datetime, end: datetime, group: int, limit: int) -> str:
    same_day = start.date() == end.date()
    span = (
        f"{start:%Y-%m-%d %H:%M} to {end:%H:%M}"
        if same_day
        else f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
    )
    per = "5 min" if group == 1 else f"{group * 5} min (highest of {group} buckets)"
    return f"peak calls per {per} against the limit of {limit}, {span} UTC"


def _axis(columns: Sequence[Column]) -> list[tuple[str, str | None]]:
    cells: list[tuple[str, str | None]] = []
    for column in columns:
        if column.in_progress:
            cells.append((IN_PROGRESS, MARKER_COLOUR))
        elif _on_hour(column):
            cells.append((HOUR_TICK, None))
        else:
            cells.append(("─", None))
    return cells


def _on_hour(column: Column) -> bool:
    return column.start == _floor(column.start, timedelta(hours=1))


def _time_labels(columns: Sequence[Column], room: int) -> str:
    """HH:MM under each hour that has room; on a chart over several days, the date (MM-DD)
    under each midnight and the first column, placed before the hours so none is crowded out."""
    multi_day = columns[0].start.date() != columns[-1].start.date()
    hours = [i for i, c in enumerate(columns) if _on_hour(c) and i + 5 <= room]
    # Midnights first, then the first column's date if it still fits: a day's start matters most.
    dates = [i for i in hours if multi_day and columns[i].start.hour == 0]
    if multi_day and 0 not in dates:
        dates.append(0)
    row = [" "] * (len(columns) + 5)
    taken: list[range] = []

    def place(index: int, text: str) -> None:
        wanted = range(index - 1, index + len(text) + 1)  # a blank either side
        if any(set(wanted) & set(other) for other in taken):
            return
        row[index : index + len(text)] = text
        taken.append(range(index, index + len(text)))

    for index in dates:
        place(index, f"{columns[index].start:%m-%d}")
    for index in hours:
        place(index, f"{columns[index].start:%H:%M}")
    if not multi_day and 0 not in hours and (not hours or hours[0] >= 6):
        place(0, f"{columns[0].start:%H:%M}")
    return "".join(row).rstrip()


def _paint(cells: Sequence[tuple[str, str | None]], colour: bool) -> str:
    """Cells joined, with one escape sequence per run of the same colour."""
    if not colour:
        return "".join(char for char, _ in cells)
    out: list[str] = []
    current: str | None = None
    for char, code in cells:
        if code != current:
            if current is not None:
                out.append("\x1b[0m")
            if code is not None:
                out.append(f"\x1b[{code}m")
            current = code
        out.append(char)
    if current is not None:
        out.append("\x1b[0m")
    return "".join(out)
