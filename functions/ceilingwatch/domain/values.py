"""How a parameter's text becomes a value, and back: each parser says what is wrong with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ceilingwatch.domain.choices import NoDataPolicy
from ceilingwatch.domain.severity import Severity

# A parser raises ValueError with the words that follow the value ("is not a number; ..."); the
# reader puts the parameter's name in front, and the value too when it is short and no secret.
ECHO_LIMIT = 16  # characters of a bad value shown back; API keys and webhook URLs are longer
NO_DATA_POLICIES = tuple(NoDataPolicy)
# Channels take a level's messages from this severity up; PagerDuty pages only for CRITICAL.
ROUTED_SEVERITIES = (Severity.WARNING, Severity.CRITICAL, Severity.AT_LIMIT)
MAX_FORECAST_MINUTES = 240  # past four hours a projection of the last hour is not a forecast


def shown(raw: str) -> str:
    """A short value is echoed so a typo is recognisable; a long one may be a pasted secret."""
    return repr(raw) if len(raw) <= ECHO_LIMIT else f"(a {len(raw)}-character value, not shown)"


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("is not a whole number; give a positive number of calls") from None
    if value < 1:
        raise ValueError("is not a positive whole number of calls")
    return value


def percent(raw: str) -> float:
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise ValueError("is not a number; give a percentage between 1 and 100") from None
    if not 1 <= value <= 100:
        raise ValueError("is not a percentage between 1 and 100")
    return value


def bucket_count(raw: str) -> int:
    wanted = (
        "is not a whole number of buckets from 1 to 12 (the buckets of the hour each run reads)"
    )
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(wanted) from None
    if not 1 <= value <= 12:
        raise ValueError(wanted)
    return value


def minutes(raw: str) -> timedelta:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("is not whole minutes (0 = never)") from None
    if value < 0:
        raise ValueError("is not whole minutes (0 = never)")
    return timedelta(minutes=value)


def forecast_minutes(raw: str) -> timedelta:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("is not whole minutes from 0 to 240 (0 = no forecasts)") from None
    if not 0 <= value <= MAX_FORECAST_MINUTES:
        raise ValueError("is not whole minutes from 0 to 240 (0 = no forecasts)")
    return timedelta(minutes=value)


def no_data_policy(raw: str) -> NoDataPolicy:
    if raw not in NO_DATA_POLICIES:
        raise ValueError(f"is not one of {', '.join(NO_DATA_POLICIES)}")
    return NoDataPolicy(raw)


def severity(raw: str) -> Severity:
    value = raw.upper().replace("-", "_")
    if value not in ROUTED_SEVERITIES:
        raise ValueError(f"is not one of {', '.join(ROUTED_SEVERITIES)}")
    return Severity(value)


def instant(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("is not an ISO-8601 time such as 2026-11-24T18:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ValueError("is not true or false")


# --- the text forms: how a value is kept with the state and written in the docs ----------------


def delay_minutes(raw: str) -> timedelta:
    if not raw.strip().isdigit():
        raise ValueError("is not whole minutes (0 = at once)")
    return timedelta(minutes=int(raw))


def number_text(value: float) -> str:
    return f"{value:g}"


def minutes_text(value: timedelta) -> str:
    return str(int(value.total_seconds() // 60))


def instant_text(value: datetime) -> str:
    return value.isoformat()


def boolean_text(value: bool) -> str:
    return "true" if value else "false"
