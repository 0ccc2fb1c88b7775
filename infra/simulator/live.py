"""The simulator's live side: the calls behind its buckets, GET /api/calls/{id}, the webhooks
it manages and the signed events it sends them, and a batch campaign on demand."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from infra.simulator.calls import CallBook, one_call
from infra.simulator.delivery import REAL_RETRIES, Dispatcher
from infra.simulator.hooks import WEBHOOKS_PATH, WebhookRegistry
from infra.simulator.scenario import Scenario

CALLS_PATH = "/api/calls/"
Answer = tuple[int, Any]


class LiveSide:
    """What the simulator adds for a live feed; its clock is the simulator's."""

    def __init__(
        self,
        scenario: Scenario,
        clock: Callable[[], datetime],
        *,
        retries: Sequence[float] = REAL_RETRIES,
        senders: int = 1,
    ) -> None:
        self.clock = clock
        self.calls = CallBook(scenario)
        self.webhooks = WebhookRegistry(clock)
        self.dispatcher = Dispatcher(
            self.webhooks, self.calls, clock, retries=retries, senders=senders
        )

    @staticmethod
    def serves(path: str) -> bool:
        return (
            path.startswith(CALLS_PATH)
            or path.rstrip("/") == WEBHOOKS_PATH
            or (path.startswith(WEBHOOKS_PATH + "/"))
        )

    def answer(
        self, method: str, path: str, query: Mapping[str, str], body: Any, base_url: str
    ) -> Answer:
        if path.startswith(CALLS_PATH):
            if method != "GET":
                return HTTPStatus.METHOD_NOT_ALLOWED, {"detail": f'Method "{method}" not allowed.'}
            call = self.calls.get(path.removeprefix(CALLS_PATH).strip("/"))
            now = self.clock()
            if call is None or call.created > now:
                return HTTPStatus.NOT_FOUND, {"detail": "Not found."}
            return HTTPStatus.OK, call.as_of(now)
        return self.webhooks.answer(method, path, query, body, base_url)

    def active_calls(self, now: datetime) -> int:
        return self.calls.active(now)

    def campaign(
        self, calls: int, *, within: float = 5.0, hold: float = 600.0, start: datetime | None = None
    ) -> list[str]:
        """A batch campaign: `calls` calls created over the `within` seconds after `start` (now
        by default), each held `hold` seconds; their events go out as the clock passes them
        (after now: the dispatcher has already looked at now)."""
        first = start or self.clock()
        made = []
        for n in range(calls):
            created = first + timedelta(seconds=within * (n + 1) / calls)
            call = one_call(str(uuid.uuid4()), created, hold)
            self.calls.add(call)
            made.append(call.call_id)
        return made
