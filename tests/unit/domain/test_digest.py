"""The weekly digest from 14 days of hourly peaks, and the plan risk from the account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.digest import HOUR, build_digest
from ceilingwatch.domain.digest_text import heat_map, render_text, summary
from ceilingwatch.domain.plan import Subscription, plan_risk
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket
from ceilingwatch.domain.severity import Level

# The run: Monday 30 Nov 2026 09:00 UTC; "the week" is Mon 23 Nov 09:00 to Mon 30 Nov 09:00.
RUN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WEEK_START = RUN - timedelta(days=7)
HISTORY_START = RUN - timedelta(days=14)


def day_shape(hour: int, scale: float = 1.0) -> int:
    """Quiet nights, 30 calls from 09:00 to 17:00, 36 at 14:00."""
    if hour == 14:
        return round(36 * scale)
    return round((30 if 9 <= hour < 17 else 3) * scale)


def hourly(
    overrides: dict[datetime, int] | None = None, growth: float = 1.1
) -> list[ConcurrencyBucket]:
    out = []
    for i in range(14 * 24):
        at = HISTORY_START + i * HOUR
        scale = growth if at >= WEEK_START else 1.0
        out.append(ConcurrencyBucket(at, (overrides or {}).get(at, day_shape(at.hour, scale))))
    return out


TUESDAY_14 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def test_the_week_is_the_seven_days_before_the_run() -> None:
    digest = build_digest("prod", hourly(), 50, Thresholds(), RUN + timedelta(minutes=3))
    assert digest.week_start == WEEK_START
    assert len(digest.week) == 7 * 24


def test_the_peak_is_told_to_five_minutes_from_the_peak_hours_detail() -> None:
    history = hourly({TUESDAY_14: 47})
    detail = [
        ConcurrencyBucket(TUESDAY_14 + i * BUCKET, 40 + (7 if i == 1 else 0)) for i in range(12)
    ]
    digest = build_digest("prod", history, 50, Thresholds(), RUN, peak_detail=detail)
    assert (digest.peak, digest.peak_at) == (47, TUESDAY_14 + timedelta(minutes=5))
    assert digest.subject_tail() == "peak 47/50 (94%) on Tue 14:05 UTC"
    # without the detail, the hour is what is known
    assert build_digest("prod", history, 50, Thresholds(), RUN).subject_tail() == (
        "peak 47/50 (94%) on Tue 14:00 UTC"
    )


def test_episodes_are_runs_of_hours_at_warning_or_above() -> None:
    history = hourly(
        {
            TUESDAY_14: 48,
            TUESDAY_14 + HOUR: 42,
            TUESDAY_14 + 2 * HOUR: 40,
            TUESDAY_14 + 5 * HOUR: 41,
        }
    )
    digest = build_digest("prod", history, 50, Thresholds(), RUN)
    tuesday = [e for e in digest.episodes if e.start.date() == TUESDAY_14.date()]
    assert [(e.start.hour, e.hours, e.peak, e.level) for e in tuesday] == [
        (14, 3, 48, Level.CRITICAL),
        (19, 1, 41, Level.WARNING),
    ]
    assert digest.hours_above_warning == sum(e.hours for e in digest.episodes)


def test_growth_and_trend_against_the_previous_week() -> None:
    digest = build_digest("prod", hourly(growth=1.1), 50, Thresholds(), RUN)
    assert digest.outlook.growth == pytest.approx(digest.daily_mean / digest.previous_daily_mean)
    assert 1.05 < digest.outlook.growth < 1.15
    assert "peak 40 vs 36 the week before (+11%)" in render_text(digest)


@pytest.mark.parametrize(
    ("growth", "held"), [(3.0, 1.25), (0.2, 0.8)], ids=["boom-is-capped", "bust-is-capped"]
)
def test_growth_is_capped(growth: float, held: float) -> None:
    assert build_digest("prod", hourly(growth=growth), 50, Thresholds(), RUN).outlook.growth == held


def test_the_outlook_is_last_weeks_hour_of_the_week_times_growth() -> None:
    history = hourly({TUESDAY_14: 44}, growth=1.0)
    digest = build_digest("prod", history, 50, Thresholds(), RUN)
    at, calls = digest.outlook.busiest
    assert at == TUESDAY_14 + timedelta(days=7)
    assert calls == round(44 * digest.outlook.growth)


@pytest.mark.parametrize(
    ("tuesday", "advice"),
    [
        (52, "next Tuesday 14:00 UTC is forecast at 52/50, over the limit: raise the plan"),
        (48, "next Tuesday 14:00 UTC is forecast at 48/50: consider raising the plan before then"),
        (42, "next Tuesday 14:00 UTC is forecast at 42/50 (84%): expect a WARNING"),
        (37, "next week's busiest hour, next Tuesday 14:00 UTC, is forecast at 37/50: the plan"),
    ],
)
def test_the_recommendation_is_plain(tuesday: int, advice: str) -> None:
    # Given a week like the one before (growth 1), the busiest hour carries over as it was
    before = {TUESDAY_14 - timedelta(days=7): tuesday, TUESDAY_14: tuesday}
    digest = build_digest("prod", hourly(before, growth=1.0), 50, Thresholds(), RUN)
    assert digest.recommendation().startswith(advice)


def test_percentiles_are_of_the_weeks_hourly_peaks() -> None:
    digest = build_digest("prod", hourly(growth=1.0), 50, Thresholds(), RUN)
    # 168 hours: 105 at 3 calls, 56 at 30, 7 at 36 (nearest rank)
    assert digest.percentiles == pytest.approx({50: 6.0, 90: 60.0, 99: 72.0})


def test_missing_hours_count_as_quiet() -> None:
    digest = build_digest("prod", hourly()[:100], 50, Thresholds(), RUN)
    assert digest.peak == 0 and digest.episodes == ()


def test_the_heat_map_has_a_row_a_day_and_a_column_an_hour() -> None:
    rows = heat_map(build_digest("prod", hourly({TUESDAY_14: 48}), 50, Thresholds(), RUN))
    tuesday = next(row for row in rows if row.startswith("Tue"))
    cells = tuesday[5:]
    assert len(cells) == 24
    assert cells[14] == "█"  # 96 %: critical or above
    assert cells[3] == " "  # a quiet night
    assert cells[10] == "▒"  # 66 %: below warning


def test_the_text_holds_every_part() -> None:
    digest = build_digest("prod", hourly({TUESDAY_14: 47}), 50, Thresholds(), RUN)
    text = render_text(digest)
    for part in ("Highest peak  47/50 (94%)", "Utilisation", "Warning hours", "Trend", "Busiest"):
        assert part in text
    assert "Recommendation next Tuesday 14:00 UTC is forecast at" in text
    assert summary(digest).startswith("week's peak 47/50 (94%) on Tue 14:00 UTC")


# --- plan risk ------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("plan", "starts"),
    [
        (
            Subscription("pro", expiration=NOW + timedelta(days=3)),
            "the pro plan lapses on Thu 03 Dec",
        ),
        (Subscription("pro", expiration=NOW + timedelta(days=10)), None),
        (Subscription("pro", expiration=NOW - timedelta(days=1)), None),
        # renewing before it lapses is no risk
        (
            Subscription(
                "pro", expiration=NOW + timedelta(days=3), renewal=NOW + timedelta(days=2)
            ),
            None,
        ),
        (
            Subscription("scale", scheduled_update=NOW + timedelta(hours=5)),
            "the scale plan is scheduled to change on Mon 30 Nov 14:00 UTC (in 5 h)",
        ),
        (Subscription("scale"), None),
    ],
)
def test_plan_risk(plan: Subscription, starts: str | None) -> None:
    risk = plan_risk(plan, NOW, 50)
    if starts is None:
        assert risk is None
    else:
        assert risk is not None and risk.why.startswith(starts)


def test_a_lapse_names_the_pay_as_you_go_cap_and_has_a_stable_key() -> None:
    plan = Subscription("pro", expiration=NOW + timedelta(days=3))
    risk = plan_risk(plan, NOW, 50)
    assert risk is not None
    assert "capped at 5 concurrent calls" in risk.why
    later = plan_risk(plan, NOW + timedelta(hours=5), 50)
    assert later is not None and later.key == risk.key


def test_a_busiest_hour_later_on_the_day_of_the_run_is_today() -> None:
    monday_14 = datetime(2026, 11, 23, 14, tzinfo=UTC)
    digest = build_digest("prod", hourly({monday_14: 48}, growth=1.0), 50, Thresholds(), RUN)
    assert digest.recommendation().startswith("today 14:00 UTC is forecast at ")
