"""The weekly digest in words: the plain text, the heat map, the why line, the notification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.digest import DAYS, GROWTH_CAP, HOUR, HOURS_A_WEEK, WEEK, Digest
from ceilingwatch.domain.evaluation import percent
from ceilingwatch.domain.severity import Severity


def heat_map(digest: Digest) -> list[str]:
    """The week's hourly peaks by weekday and hour, one character a cell, darker = busier."""
    shades = _shades(digest)
    stamps = (digest.week_start + i * HOUR for i in range(HOURS_A_WEEK))
    grid = {(at.weekday(), at.hour): c for at, c in zip(stamps, digest.week, strict=True)}
    lines = ["     " + "".join(f"{h:<6}" for h in range(0, 24, 6))]
    for day, name in enumerate(DAYS):
        lines.append(f"{name}  " + "".join(shades(grid.get((day, h), 0)) for h in range(24)))
    t = digest.thresholds
    lines.append(
        f"     ' ' <20%  · <40%  ░ <60%  ▒ <{t.warning:g}%  ▓ <{t.critical:g}%  █ >={t.critical:g}%"
    )
    return lines


def _shades(digest: Digest) -> Callable[[int], str]:
    t = digest.thresholds
    steps = ((20.0, " "), (40.0, "·"), (60.0, "░"), (t.warning, "▒"), (t.critical, "▓"))

    def shade(calls: int) -> str:
        share = percent(calls, digest.limit)
        return next((char for bound, char in steps if share < bound), "█")

    return shade


def render_text(digest: Digest) -> str:
    """The digest as plain text: the email body, the terminal report, the Slack detail."""
    d, limit = digest, digest.limit
    end = d.week_start + WEEK
    lines = [
        f"Week {d.week_start:%a %d %b %H:%M} to {end:%a %d %b %H:%M} UTC, limit {limit}",
        "",
        f"Highest peak  {d.peak}/{limit} ({d.peak_percent:.0f}%) on {d.peak_at:%a %d %b %H:%M} UTC",
        "Utilisation   "
        + ", ".join(f"p{p} {v:.0f}%" for p, v in d.percentiles.items())
        + " of the hourly peaks",
        f"Warning hours {_hours(d.hours_above_warning)} whose peak reached "
        f"{d.thresholds.warning:g}%, in {len(d.episodes)} episode"
        f"{'s' if len(d.episodes) != 1 else ''}",
    ]
    for e in d.episodes:
        lines.append(
            f"  {e.start:%a %H:%M}-{e.end:%H:%M} UTC  {_hours(e.hours):>5}  "
            f"{e.level.name:<8} peak {e.peak}/{limit} at {e.peak_at:%H:%M}"
        )
    lines += [
        "",
        f"Trend         {_trend(d)}",
        "",
        "Busiest hours (hourly peak, UTC)",
        *heat_map(d),
    ]
    lines += [
        "",
        f"Outlook       next week at {d.outlook.growth:.2f} x this week "
        f"(growth held within {GROWTH_CAP[0]:g}-{GROWTH_CAP[1]:g} x)",
        f"Recommendation {d.recommendation()}",
    ]
    if d.plan_risk is not None:
        lines += ["", f"Plan risk     {d.plan_risk.why}; {d.plan_risk.fix}"]
    return "\n".join(lines) + "\n"


def summary(digest: Digest) -> str:
    """The digest's why line: what a lock screen shows."""
    return (
        f"week's peak {digest.peak}/{digest.limit} ({digest.peak_percent:.0f}%) on "
        f"{digest.peak_at:%a %H:%M} UTC, {_hours(digest.hours_above_warning)} at warning or "
        f"above; "
        f"{digest.recommendation()}"
    )


def _trend(d: Digest) -> str:
    def change(now: float, before: float) -> str:
        return f"{100 * (now - before) / before:+.0f}%" if before else "new"

    return (
        f"peak {d.peak} vs {d.previous_peak} the week before ({change(d.peak, d.previous_peak)}); "
        f"daily peaks average {d.daily_mean:.1f} vs {d.previous_daily_mean:.1f} "
        f"({change(d.daily_mean, d.previous_daily_mean)})"
    )


def _hours(count: int) -> str:
    return f"{count} h"


def digest_notification(digest: Digest, at: datetime) -> Notification:
    """The digest as one notification for every channel but PagerDuty; it changes no state."""
    risk = digest.plan_risk
    return Notification(
        Kind.DIGEST,
        digest.monitor,
        Severity.INFO,
        summary(digest),
        at,
        fix=f"{risk.why}; {risk.fix}" if risk is not None else "",
        headline=digest.subject_tail(),
        detail=render_text(digest),
    )
