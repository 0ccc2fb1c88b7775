"""Plan risk from the account: a subscription set to lapse or change within a week."""

from __future__ import annotations

from datetime import datetime, timedelta

from ceilingwatch.common.records import record

RISK_AHEAD = timedelta(days=7)
PAY_AS_YOU_GO_CAP = 5  # documented: free and pay-as-you-go accounts get 5 concurrent calls


@record(frozen=False, eq=False)
class Subscription:
    """The plan fields of `GET /api/accounts/me` that say what happens to the ceiling next."""

    tier: str | None = None
    expiration: datetime | None = None
    scheduled_update: datetime | None = None
    renewal: datetime | None = None


@record(frozen=False, eq=False)
class PlanRisk:
    """A notice worth sending once: `key` names the event, so the same lapse is told once."""

    key: str
    why: str
    fix: str
    at: datetime


def plan_risk(plan: Subscription, now: datetime, limit: int) -> PlanRisk | None:
    """A lapse within 7 days (no renewal before it), else a scheduled change within 7 days."""
    lapse = plan.expiration
    renews_first = plan.renewal is not None and lapse is not None and plan.renewal <= lapse
    tier = f"the {plan.tier} plan" if plan.tier else "the plan"
    if lapse is not None and now <= lapse <= now + RISK_AHEAD and not renews_first:
        return PlanRisk(
            key=f"lapse:{lapse.isoformat()}",
            why=(
                f"{tier} lapses on {_when(lapse)} ({_days(lapse - now)}): the account then drops "
                f"to pay-as-you-go, capped at {PAY_AS_YOU_GO_CAP} concurrent calls, far below the "
                f"limit of {limit}"
            ),
            fix="renew or change the subscription in Ultravox's billing page before then",
            at=lapse,
        )
    change = plan.scheduled_update
    if change is not None and now <= change <= now + RISK_AHEAD:
        return PlanRisk(
            key=f"update:{change.isoformat()}",
            why=(
                f"{tier} is scheduled to change on {_when(change)} ({_days(change - now)}); "
                f"the new plan's concurrency may be below the limit of {limit}"
            ),
            fix="check the scheduled plan's concurrency in Ultravox's billing page",
            at=change,
        )
    return None


def _when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %H:%M UTC")


def _days(span: timedelta) -> str:
    days = span.days
    if days >= 1:
        return f"in {days} day{'s' if days != 1 else ''}"
    hours = int(span.total_seconds() // 3600)
    return f"in {hours} h" if hours else "within the hour"
