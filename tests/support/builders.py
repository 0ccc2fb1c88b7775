"""Test builders: configs, bucket series and ticks in the words of the domain."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.domain.alerts import (
    NOT_CHECKED,
    Failed,
    Measured,
    NoData,
    NotChecked,
    Notification,
    Observation,
)
from ceilingwatch.domain.config import MonitorConfig, Secret
from ceilingwatch.domain.evaluation import Evaluation
from ceilingwatch.domain.replay import judge_in_turn
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket, fill_gaps, floor_to_bucket
from ceilingwatch.domain.state import AlertState, Outcome

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
API_KEY = "uvx-test-key-7f3a9c1e5b"
WEBHOOK = "https://hooks.slack.com/services/T000/B000/secretwebhooktoken"


def config(**overrides: Any) -> MonitorConfig:
    values = {"concurrency-limit": "50", "ultravox-api-key": API_KEY, "slack-webhook-url": WEBHOOK}
    values.update({k.replace("_", "-"): str(v) for k, v in overrides.items()})
    return PARAMETERS.parse("prod", "/ceilingwatch/prod/", values)


def tick_time(index: int) -> datetime:
    """Tick i runs one minute into bucket i, as the default schedule does."""
    return START + index * BUCKET + timedelta(minutes=1)


def evaluation_at(
    index: int, peaks: list[int], cfg: MonitorConfig, in_progress: int | None = None
) -> Evaluation:
    now = tick_time(index)
    window_start = floor_to_bucket(now - timedelta(hours=1))
    buckets = [
        ConcurrencyBucket(START + i * BUCKET, peaks[i], max_joined_calls=peaks[i] * 4 // 5)
        for i in range(index + 1)
        if START + i * BUCKET >= window_start
    ]
    if in_progress is not None:
        buckets[-1] = replace(buckets[-1], max_total_calls=in_progress)
    return Evaluation(
        buckets=fill_gaps(buckets, window_start, now),
        limit=cfg.concurrency_limit,
        thresholds=cfg.thresholds,
        now=now,
    )


@dataclass
class Replay:
    """Feeds ticks through the domain's replay loop one at a time, as the scheduler would, so a
    test can change the configuration or the observation at any tick; collects what is sent."""

    cfg: MonitorConfig = field(default_factory=config)
    state: AlertState | None = None
    sent: list[tuple[int, Notification]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def tick(
        self,
        index: int,
        observation: Observation,
        cfg: MonitorConfig | None = None,
    ) -> Outcome:
        observed = [(tick_time(index), observation, cfg or self.cfg)]
        (step,) = judge_in_turn(self.state, observed, monitor="prod")
        return self._record(index, step.outcome)

    def _record(self, index: int, outcome: Outcome) -> Outcome:
        self.state = outcome.state
        self.outcomes.append(outcome)
        self.sent += [(index, n) for n in outcome.notifications]
        return outcome

    def measure(
        self,
        index: int,
        peaks: list[int],
        cfg: MonitorConfig | None = None,
        in_progress: int | None = None,
        account: int | NotChecked | None = NOT_CHECKED,
    ) -> Outcome:
        cfg = cfg or self.cfg
        return self.tick(
            index, Measured(evaluation_at(index, peaks, cfg, in_progress), account), cfg
        )

    def run_series(self, peaks: list[int]) -> list[tuple[int, str, str]]:
        """Bucket i's peak, seen in progress by tick i, as `measure` sees it."""
        observed = (
            (tick_time(i), Measured(evaluation_at(i, peaks, self.cfg)), self.cfg)
            for i in range(len(peaks))
        )
        for index, step in enumerate(judge_in_turn(self.state, observed, monitor="prod")):
            self._record(index, step.outcome)
        return self.log()

    def no_data(self, index: int) -> Outcome:
        return self.tick(index, NoData())

    def fail(self, index: int, error: Exception) -> Outcome:
        return self.tick(index, Failed(error))  # type: ignore[arg-type]

    def log(self) -> list[tuple[int, str, str]]:
        return [(i, n.kind.value, n.severity) for i, n in self.sent]


def notification(peaks: tuple[int, ...] = (10, 30, 41), **fields: Any) -> Notification:
    """A real notification from the state machine: by default the WARNING raise."""
    replay = Replay()
    replay.run_series(list(peaks))
    note = replay.sent[-1][1]
    return replace(note, **fields) if fields else note


def secret(value: str) -> Secret:
    return Secret(value)
