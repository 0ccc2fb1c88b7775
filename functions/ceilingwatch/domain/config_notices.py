"""What people hear about the configuration itself: bad parameters, and each change's verdict."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.common.errors import ConfigProblem
from ceilingwatch.common.records import record, replace
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.config import MonitorConfig, is_monitor_name
from ceilingwatch.domain.evaluation import percent
from ceilingwatch.domain.last_valid import ConfigReading
from ceilingwatch.domain.parameter_table import ParameterTable
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.state import AlertState
from ceilingwatch.domain.values import ECHO_LIMIT

SEVERITY = Severity.CONFIG


@record(frozen=False, eq=False)
class ParameterChange:
    """One Parameter Store change under a monitor's path, as EventBridge reports it."""

    monitor: str
    parameter: str  # the short name, `warning-percent`
    operation: str  # Create, Update, Delete, LabelParameterVersion
    at: datetime
    event_id: str = ""  # EventBridge's `id`: the same on a duplicate delivery

    @staticmethod
    def recognises(event: Mapping[str, Any]) -> bool:
        return (
            event.get("source") == "aws.ssm"
            and event.get("detail-type") == "Parameter Store Change"
        )

    @classmethod
    def from_event(
        cls, event: Mapping[str, Any], prefix: str, now: datetime
    ) -> ParameterChange | None:
        """The change, or None when the parameter is not one of a monitor's (`<prefix>/m/p`)."""
        detail = event.get("detail")
        name = detail.get("name") if isinstance(detail, Mapping) else None
        if not isinstance(name, str) or not name.startswith(prefix.rstrip("/") + "/"):
            return None
        parts = name[len(prefix.rstrip("/")) + 1 :].split("/")
        if len(parts) != 2 or not is_monitor_name(parts[0]):
            return None
        try:
            at = datetime.fromisoformat(str(event.get("time", "")).replace("Z", "+00:00"))
        except ValueError:
            at = now
        operation = str(detail.get("operation", "Update")) if isinstance(detail, Mapping) else ""
        when = at.astimezone(UTC) if at.tzinfo else now
        return cls(parts[0], parts[1], operation, when, str(event.get("id", ""))[:64])


def track_config(
    state: AlertState,
    reading: ConfigReading,
    path: str,
    tick: datetime,
    interval: timedelta,
    muted: bool,
) -> tuple[AlertState, Notification | None]:
    """Keep a valid configuration's values with the state, and owe the CONFIG notice if due.

    While muted nothing is told and nothing marked told, so the notice goes out on expiry.
    """
    if reading.valid_values is not None and reading.valid_values != state.watches.last_valid_config:
        kept = replace(state.watches, last_valid_config=reading.valid_values)
        state = replace(state, watches=kept)
    told, note = config_notice(state, reading, path, tick, interval)
    if note is not None and muted:
        return state, None
    return told, note


def signature(reading: ConfigReading) -> str:
    """What is wrong, as told: the words, for people and for items from before versions."""
    return "; ".join(p.text for p in reading.problems)


def told_versions(reading: ConfigReading) -> str:
    """Which problem was told: each parameter the problems name, at the version read
    ("warning-percent@7"). The change event and the run read the same versions, whatever the
    time each read them at; a value changed back and forth is a new version, a new problem."""
    if not reading.versions:
        return ""  # a reader that knows no versions: the words are the identity
    named = {
        name
        for problem in reading.problems
        for name in {problem.parameter, *reading.versions}
        if _names(problem, name)
    }
    return " ".join(f"{name}@{reading.versions.get(name, '-')}" for name in sorted(named))


def _same_problems(state: AlertState, reading: ConfigReading) -> bool:
    """The reading's problems are the ones last told: by version when both know it."""
    watches, versions = state.watches, told_versions(reading)
    if watches.config_versions and versions:
        return watches.config_versions == versions
    return watches.config_problems == signature(reading)


def told_config(state: AlertState, reading: ConfigReading, at: datetime) -> AlertState:
    """A change's verdict told the configuration's problems (or that there are none) at `at`:
    the runs tell them again only at the reminder interval."""
    told = signature(reading)
    watches = replace(
        state.watches,
        config_problems=told,
        config_problems_at=at if told else None,
        config_versions=told_versions(reading) if told else "",
    )
    return replace(state, watches=watches)


def already_told(state: AlertState | None, reading: ConfigReading, change: ParameterChange) -> bool:
    """A run read this change's value and told its problems: the verdict would say again what
    the CONFIG notice said. Keyed by the versions read; without them, by words and time."""
    if state is None or not any(_names(p, change.parameter) for p in reading.problems):
        return False  # an accepted change is news the CONFIG notice never told
    watches = state.watches
    if not _same_problems(state, reading):
        return False
    if watches.config_versions and told_versions(reading):
        return True
    told_at = watches.config_problems_at
    return told_at is not None and told_at >= change.at


def config_notice(
    state: AlertState, reading: ConfigReading, path: str, tick: datetime, interval: timedelta
) -> tuple[AlertState, Notification | None]:
    problems = reading.problems
    signature_now = signature(reading)
    watches = state.watches
    if not problems:
        if not (watches.config_problems or watches.config_versions or watches.config_problems_at):
            return state, None  # nothing to clear: the usual run
        cleared = replace(watches, config_problems="", config_problems_at=None, config_versions="")
        return replace(state, watches=cleared), None
    last = watches.config_problems_at
    repeat_due = last is not None and bool(interval) and tick - last >= interval
    if _same_problems(state, reading) and last is not None and not repeat_due:
        return state, None
    note = Notification(
        Kind.CONFIG,
        state.monitor,
        SEVERITY,
        _problems_why(reading),
        tick,
        fix=f"correct the parameters named above under {path}; each change is checked at once",
        headline=_problems_headline(reading),
    )
    told = replace(
        watches,
        config_problems=signature_now,
        config_problems_at=tick,
        config_versions=told_versions(reading),
    )
    return replace(state, watches=told), note


def _problems_why(reading: ConfigReading) -> str:
    names = ", ".join(sorted({p.parameter for p in reading.problems}))
    listed = "; ".join(p.text for p in reading.problems)
    if reading.config is None:
        return f"{names} invalid and no earlier valid configuration to judge with: {listed}"
    return f"{names} invalid (still judging with the last valid values): {listed}"


def _problems_headline(reading: ConfigReading) -> str:
    """The subject's words: which parameters, and whether runs still judge; never the path."""
    names = ", ".join(sorted({p.parameter for p in reading.problems}))
    if reading.config is None:
        return f"{names} invalid; nothing can be judged"
    return f"{names} invalid; judging with the last valid values"


def change_verdict(
    change: ParameterChange,
    reading: ConfigReading,
    before: Mapping[str, str] | None,
    state: AlertState | None,
    path: str,
    channel_problems: tuple[str, ...] = (),
    *,
    table: ParameterTable,
) -> Notification:
    """'warning-percent 80 → 60 for prod: accepted; now at 42 % of the limit', or why not.

    `channel_problems` are the registry's (or the usage source's for a new key), each starting
    with the parameter's name.
    """
    name = change.parameter
    problems = reading.problems + tuple(
        ConfigProblem(text.split(" ", 1)[0].rstrip(":"), text) for text in channel_problems
    )
    mine = [p for p in problems if _names(p, name)]
    # The value judged with until now: kept with the state as applied, defaults included.
    old = (before.get(name) or "unset") if before is not None and name in table.kept_names else ""
    head = _head(change, old, reading, table)
    verdict = "refused" if mine else "accepted"
    if mine:
        why = f"{head}: refused: {_short(mine, path)}{_still(name, old, reading, table)}"
    else:
        why = f"{head}: accepted{_now(reading.config, state)}"
    # The subject: the change and its verdict, without the monitor the subject names already.
    headline = f"{head.removesuffix(f' for {change.monitor}')}: {verdict}"
    others = [p for p in problems if p not in mine]
    if others:
        why += "; still invalid: " + "; ".join(p.text for p in others)
    return Notification(
        Kind.CONFIG_CHANGED,
        change.monitor,
        SEVERITY,
        why,
        change.at,
        fix="" if not problems else "correct the parameters named above",
        headline=headline,
    )


def _head(change: ParameterChange, old: str, reading: ConfigReading, table: ParameterTable) -> str:
    name = change.parameter
    if name in table.secret_names:
        # Never a secret's value, old or new: only that it changed and whether it took.
        return f"{name} {_verb(change)} for {change.monitor}"
    new = reading.written.get(name, "") or "unset"
    shown = new if len(new) <= ECHO_LIMIT else f"a {len(new)}-character value"
    return f"{name} {old or 'unset'} → {shown} for {change.monitor}"


def _still(name: str, old: str, reading: ConfigReading, table: ParameterTable) -> str:
    """What goes on after a refusal."""
    if reading.config is None:
        return "; nothing can be judged until it is fixed"
    if name in table.source_names:
        return "; runs cannot judge with it: put a working key back"
    if name not in table.kept_names:
        return "; that channel is off until it is fixed, the others deliver"
    return f"; still judging with {old}" if old else ""


def _names(problem: ConfigProblem, parameter: str) -> bool:
    """A problem is the change's when it is about that parameter or names it (a conflict)."""
    return problem.parameter == parameter or f"{parameter} (" in problem.text


def _short(problems: list[ConfigProblem], path: str) -> str:
    # The path is in the message's links already: "warning-percent = 'abc' is not a number".
    return "; ".join(p.text.removeprefix(path) for p in problems)


def _now(config: MonitorConfig | None, state: AlertState | None) -> str:
    if config is None or state is None or state.judged.last_tick is None:
        return "; the next run judges with it"
    peak = state.judged.peak
    share = percent(peak, config.concurrency_limit)
    return f"; now at {share:.0f} % of the limit (the last hour's peak, {peak} calls)"


def _verb(change: ParameterChange) -> str:
    return "deleted" if change.operation == "Delete" else "changed"
