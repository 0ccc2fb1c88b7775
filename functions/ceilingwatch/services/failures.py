"""A channel found failing by a send is told through the others in the same run, claimed once."""

from __future__ import annotations

import time
from datetime import datetime

from ceilingwatch.common.records import replace
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.ports import Roster
from ceilingwatch.domain.state import AlertState
from ceilingwatch.domain.watches import channel_problems_notice
from ceilingwatch.services.base import Dependencies, RunResult
from ceilingwatch.services.claims import claim_and_send
from ceilingwatch.services.delivery import claim


def still_failing(state: AlertState, roster: Roster) -> tuple[AlertState, dict[str, str]]:
    """The channels that kept failing, among those still configured."""
    names = {c.name for c in roster.channels}
    failing = {n: t for n, t in state.watches.channel_failures.items() if n in names}
    if len(failing) == len(state.watches.channel_failures):  # none dropped: the state as it is
        return state, failing
    return replace(state, watches=replace(state.watches, channel_failures=failing)), failing


def name_new_failures(
    stored: AlertState | None,
    config: MonitorConfig | None,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
    at: datetime,
) -> None:
    """The send phase that just settled found a channel failing (a refusal for good, or a
    failure while it still owed): the CHANNEL_PROBLEM notice goes through the others now, in a
    second, small send phase claimed like every notification, rather than one run later.

    What the run concluded stays its outcome: a notice no channel takes now stays owed (the
    next run sends it) and fails nothing. While muted, or past the deadline (a thread started
    then would outlive its record), nothing is claimed: the next run's own check tells it.
    """
    if stored is None or not stored.watches.channel_failures or config is None:
        return  # the quiet run's way out: nothing more than this test
    if config.muted(at) or time.monotonic() >= deadline:
        return
    state, failing = still_failing(stored, roster)
    told = stored.watches.channel_problems
    if all(text in told for text in failing.values()):
        return
    state, notice = channel_problems_notice(
        state, roster.problems + tuple(failing.values()), at, config
    )
    owed = claim([notice], roster.channels, failing) if notice is not None else ()
    if not owed:
        return  # no other channel carries it: the next run's check marks it told
    outcome = result.error, result.skipped
    again = replace(state, version=stored.version + 1)
    # What the failing channels still owe stays claimed beside the notice, not sent again now.
    claim_and_send(
        stored, again, owed, config, roster, deps, deadline, result, beside=stored.delivery.outbox
    )
    result.error, result.skipped = outcome
