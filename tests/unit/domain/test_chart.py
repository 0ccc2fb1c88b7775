"""The terminal chart: exact text for a tiny series, compression by maxima, width, colour."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from ceilingwatch.domain import chart
from ceilingwatch.domain.chart import (
    fewest_calls,
    group_columns,
    group_size,
    reference_lines,
    render,
)
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.evaluation import classify
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket
from ceilingwatch.domain.severity import Level

START = datetime(2026, 11, 24, 12, 40, tzinfo=UTC)
# Limit 10 gives one row per call; warning at 6 calls, critical at 8.
SMALL = Thresholds(warning=60, critical=80, warning_recovery=50, critical_recovery=70)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def buckets(peaks: list[int], start: datetime = START) -> list[ConcurrencyBucket]:
    return [ConcurrencyBucket(start + i * BUCKET, calls) for i, calls in enumerate(peaks)]


def one_minute_into(series: list[ConcurrencyBucket]) -> datetime:
    """A tick one minute into the newest bucket: that bucket is still in progress."""
    return series[-1].start + timedelta(minutes=1)


TINY = """\
peak calls per 5 min against the limit
of 10, 2026-11-24 12:40 to 13:10 UTC
10 ┤━━━█━━ limit 10
   │   █
 8 ┤───██─ critical 80% (8)
   │  ███
 6 ┤╌╌███╌ warning 60% (6)
   │ ████
   │ ████
   │ █████
   │██████
   │██████
 0 ┼────┬▲
        13:00
▲ bucket in progress: its peak can still
grow
"""


def test_tiny_series_renders_exactly() -> None:
    # Given six buckets against a limit of 10, the newest in progress
    series = buckets([2, 5, 7, 10, 8, 3])
    # When it is rendered on a 40-column terminal
    text = render(series, 10, SMALL, now=one_minute_into(series), width=40)
    # Then rows run from the limit down to 0, with lines, the hour and the in-progress marker,
    # and the prose lines break between words to fit
    assert text == TINY


def test_without_a_bucket_in_progress_there_is_no_marker() -> None:
    series = buckets([2, 5, 7])
    text = render(series, 10, SMALL, now=series[-1].end, width=40)
    assert "▲" not in text
    assert text.splitlines()[-2] == " 0 ┼───"


def test_lines_that_fall_on_one_row_share_it_and_its_label() -> None:
    # Limit 50 on 20 rows: critical (48 calls) and the limit share the top row.
    series = buckets([10, 20])
    text = render(series, 50, Thresholds(), now=series[-1].end, width=80, max_rows=20)
    top = text.splitlines()[1]
    assert top.startswith("50 ┤━━")
    assert top.endswith("limit 50 · critical 95% (48)")
    assert len(text.splitlines()) == 1 + 20 + 2  # header, rows, axis, time labels


@pytest.mark.parametrize("width", [30, 40, 60])
def test_prose_lines_break_between_words_at_the_width(width: int) -> None:
    series = buckets([2, 5, 7, 10, 8, 3])
    text = render(series, 10, SMALL, now=one_minute_into(series), width=width)
    words = [
        "peak",
        "calls",
        "per",
        "5",
        "min",
        "against",
        "the",
        "limit",
        "of",
        "10,",
        "2026-11-24",
        "12:40",
        "to",
        "13:10",
        "UTC",
    ]
    lines = text.splitlines()
    header = lines[: next(i for i, line in enumerate(lines) if "┤" in line)]
    assert all(len(line) <= width for line in header)
    assert " ".join(header).split()[: len(words)] == words  # no word cut in two


def test_reference_lines_sit_where_the_monitor_raises_each_level() -> None:
    lines = reference_lines(50, Thresholds())
    assert [(line.name, line.calls) for line in lines] == [
        ("limit", 50),
        ("critical", 48),  # 95 % of 50 is 47.5: 48 calls is the first critical count
        ("warning", 40),
    ]


def test_compression_keeps_the_maximum_of_neighbouring_buckets() -> None:
    # Given a day of quiet buckets with one spike to the limit
    peaks = [3] * 288
    peaks[101] = 50
    series = buckets(peaks, start=datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    # When the columns are grouped to fit 80 columns
    group = group_size(series, 80)
    columns = group_columns(series, group, now=series[-1].end)
    # Then the groups are a divisor or multiple of an hour and the spike survives in one column
    assert group == 4
    assert len(columns) == 72
    assert [c.peak for c in columns].count(50) == 1
    assert {c.peak for c in columns} == {3, 50}
    header = render(series, 50, Thresholds(), now=series[-1].end, width=120).splitlines()[0]
    assert "per 20 min (highest of 4 buckets)" in header
    assert "2026-11-24 00:00 to 2026-11-25 00:00 UTC" in header


def test_columns_align_on_the_clock_so_hours_start_a_column() -> None:
    series = buckets([1, 9, 2, 8, 3, 7], start=datetime(2026, 11, 24, 12, 50, tzinfo=UTC))
    columns = group_columns(series, 3, now=series[-1].end)
    # Quarter hours from :45, not triples from the first bucket: 13:00 opens a column.
    assert [(c.start.strftime("%H:%M"), c.peak) for c in columns] == [
        ("12:45", 9),
        ("13:00", 8),
        ("13:15", 7),
    ]


@pytest.mark.parametrize("width", [20, 40, 60, 80, 120, 200])
def test_every_line_fits_the_width(width: int) -> None:
    series = buckets([(i * 7) % 55 for i in range(288)])
    text = render(series, 50, Thresholds(), now=one_minute_into(series), width=width)
    chart = text.splitlines()[1:-1]  # the header and the legend are prose and may wrap
    assert max(len(line) for line in chart) <= width


def test_hour_labels_under_each_hour_that_has_room() -> None:
    series = buckets([5] * 36, start=datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    labels = render(series, 10, SMALL, now=series[-1].end, width=80).splitlines()[-1]
    assert labels.split() == ["12:00", "13:00", "14:00"]
    assert labels.index("13:00") - labels.index("12:00") == 12  # twelve buckets an hour


def test_colour_wraps_the_same_text_in_ansi_codes() -> None:
    series = buckets([2, 5, 7, 10, 8, 3])
    now = one_minute_into(series)
    coloured = render(series, 10, SMALL, now=now, width=40, colour=True)
    assert "\x1b[31m" in coloured  # the at-limit column and the limit line are red
    assert ANSI.sub("", coloured) == render(series, 10, SMALL, now=now, width=40)


def test_an_empty_series_says_so() -> None:
    assert render([], 10, SMALL, now=START) == "(no buckets to chart)"


def test_reference_lines_of_any_limit_come_at_once_and_where_classify_puts_them() -> None:
    # A linear search over every call count took minutes for a limit of 10**20.
    huge, thresholds = 10**20, Thresholds()
    for line in reference_lines(huge, thresholds):
        assert classify(line.calls, huge, thresholds) >= line.level
        assert classify(line.calls - 1, huge, thresholds) < line.level
    for limit in (1, 3, 7, 10, 49, 50, 101):
        linear = {
            level: next(c for c in range(limit + 1) if classify(c, limit, SMALL) >= level)
            for level in (Level.WARNING, Level.CRITICAL, Level.AT_LIMIT)
        }
        assert {lvl: fewest_calls(lvl, limit, SMALL) for lvl in linear} == linear, limit


def test_a_huge_limit_renders_with_a_handful_of_judgements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A chart that judged every call count up to the limit would spin for minutes: stop it.
    judged: list[int] = []

    def counted(calls: int, limit: int, thresholds: Thresholds) -> Level:
        judged.append(calls)
        assert len(judged) < 1000, "the chart judges every call count up to the limit"
        return classify(calls, limit, thresholds)

    monkeypatch.setattr(chart, "classify", counted)
    series = buckets([13, 40, 7])
    text = render(series, 99_999_999_999_999_999_999, Thresholds(), now=series[-1].end, width=80)
    assert "limit 99999999999999999999" in text


def test_a_chart_over_several_days_dates_its_midnights_and_first_column() -> None:
    start = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    series = buckets([5] * (12 * 30), start=start)  # 30 hours: 18:00 to 00:00 the day after next
    labels = render(series, 10, SMALL, now=series[-1].end, width=100).splitlines()[-1]
    words = labels.split()
    assert words[0] == "11-23" and "11-24" in words
    assert all(re.fullmatch(r"\d\d:\d\d|\d\d-\d\d", word) for word in words)
    # The date stands under midnight, where the hour label would have been.
    assert "00:00" not in words


def test_a_chart_within_one_day_has_no_dates() -> None:
    series = buckets([5] * 36, start=datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    labels = render(series, 10, SMALL, now=series[-1].end, width=80).splitlines()[-1]
    assert not re.search(r"\d\d-\d\d", labels)


def test_a_midnight_keeps_its_date_when_the_first_column_is_close_before_it() -> None:
    # 30 hours in 2-hour columns from 14:00: midnight is the sixth column, close to the first.
    start = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    series = buckets([5] * (12 * 30), start=start)
    labels = render(series, 50, Thresholds(), now=series[-1].end, width=50).splitlines()[-1]
    assert "12-01" in labels.split()
