"""The live feed on the local stack: real webhook and check handlers, signed requests over HTTP,
moto's DynamoDB, and the Slack stand-in; the fault matrix of the issue, each asserting what
must not be written or sent."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ceilingwatch.adapters.live_calls import LiveCallStore
from ceilingwatch.domain.live_calls import CallStage
from moto.dynamodb.models import DynamoDBBackend

from infra.local_stack.live import LiveFeed, live_feed
from infra.local_stack.stack import LocalStack
from infra.simulator.calls import one_call
from infra.simulator.signing import post_signed
from tests.support.harness import START, Harness, flat_scenario, harness

pytestmark = pytest.mark.integration

SECRET = "whsec-itest-5d2e8a"
T = START + timedelta(hours=1, minutes=1)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "itest", "ConcurrencyLimit": "50"}) as local:
        yield local


@contextlib.contextmanager
def live(stack: LocalStack, monitor: str, limit: str = "50") -> Iterator[tuple[Harness, LiveFeed]]:
    """A monitor judged once by a scheduled run, with its webhook secret and the live feed."""
    with harness(stack, flat_scenario(2), monitor, limit=limit) as h:
        # Judged before the feed is on: with it on, the run reconciles against the simulator's
        # activeCalls (its scenario's calls), which are not the calls these tests send.
        h.invoke(T)  # the stored state now holds the judged limit the receiver asks
        h.put("ultravox-webhook-secret", SECRET, secure=True)
        with live_feed(stack, h.env) as feed:
            yield h, feed


def call_body(call_id: str, stage: str = "started", created: datetime | None = None) -> bytes:
    """What Ultravox sends for `call.<stage>` of a call created at `created` (now)."""
    return one_call(call_id, created or datetime.now(UTC)).body(f"call.{stage}")


def post(url: str, body: bytes, secret: str, *, at: datetime | None = None) -> int:
    """Signed by the simulator's own signer, not the receiver's code that verifies it."""
    return post_signed(url, body, [secret], at=at)


def records(stack: LocalStack, monitor: str) -> dict[str, int]:
    items = stack.client("dynamodb").query(
        TableName=stack.outputs["LiveCallsTableName"],
        KeyConditionExpression="monitor = :m",
        ExpressionAttributeValues={":m": {"S": monitor}},
    )["Items"]
    return {i["callId"]["S"]: int(i["stage"]["N"]) for i in items if "stage" in i}


def live_count(feed: LiveFeed, monitor: str) -> int:
    return feed.receivers.calls.count(monitor, datetime.now(UTC)).calls


def test_what_moto_can_create_is_created_as_the_template_says(stack: LocalStack) -> None:
    dynamodb = stack.client("dynamodb")
    table = dynamodb.describe_table(TableName=stack.outputs["LiveCallsTableName"])["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["monitor", "callId"]
    (index,) = table["LocalSecondaryIndexes"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["monitor", "openUntil"]
    ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires"
    functions = stack.client("lambda").list_functions()["Functions"]
    (hook,) = [f for f in functions if f["Handler"] == "ceilingwatch.webhook.lambda_handler"]
    env = hook["Environment"]["Variables"]
    assert env["CHECK_FUNCTION_NAME"] == stack.outputs["CheckFunctionName"]
    assert env["LIVE_CALLS_TABLE_NAME"] == table["TableName"]
    url = stack.client("lambda").get_function_url_config(FunctionName=hook["FunctionName"])
    assert url["AuthType"] == "NONE"


def test_a_batch_campaign_is_told_by_the_live_feed_once_per_level(stack: LocalStack) -> None:
    with live(stack, "campaign") as (h, feed):
        url = feed.url + "campaign"
        for n in range(50):
            assert post(url, call_body(f"c{n}"), SECRET) == 204
        feed.invoke.wait()
        texts = [m["text"] for m in h.slack.messages]
        assert texts, "no message reached Slack"
        # Each level's live check runs in its own invocation: two can reach Slack in either order.
        (at_limit,) = [t for t in texts if "[AT_LIMIT]" in t]
        assert "[AT_LIMIT] campaign: 50/50 concurrent calls (100%)" in at_limit
        assert "50 calls now, live" in at_limit
        tags = [t.split("]")[0].split("[")[1] for t in texts]
        assert len(tags) == len(set(tags)), f"a level told twice: {tags}"
        assert h.state()["status"] == "OK"  # the judged level stays the scheduled runs'


def test_duplicates_reordering_lost_ends_and_late_retries_keep_the_count_exact(
    stack: LocalStack,
) -> None:
    with live(stack, "order", limit="500") as (_, feed):
        url = feed.url + "order"
        created = datetime.now(UTC) - timedelta(seconds=10)
        sends = [
            ("a", "ended"),
            ("a", "started"),  # reordered: the end came first
            ("a", "joined"),
            ("b", "started"),
            ("b", "started"),  # duplicate
            ("b", "joined"),
            ("c", "started"),  # its end is lost
            ("d", "joined"),
            ("d", "ended"),
            ("d", "ended"),  # a late retry of the end
        ]
        for call, stage in sends:
            assert post(url, call_body(call, stage, created), SECRET) == 204
        assert records(stack, "order") == {"a": 3, "b": 2, "c": 1, "d": 3}
        assert live_count(feed, "order") == 2  # b joined, c never joined yet
        # Hours later Ultravox retries c's start: a call created that long ago counts no more.
        old = datetime.now(UTC) - timedelta(hours=9)
        assert post(url, call_body("e", "started", old), SECRET) == 204
        assert live_count(feed, "order") == 2


class ReadsCounted:
    """A DynamoDB client that keeps how many items each Query read (its ScannedCount)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.scanned: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def query(self, **kwargs: Any) -> Any:
        page = self.client.query(**kwargs)
        self.scanned.append(page["ScannedCount"])
        return page


def test_the_count_reads_only_open_unexpired_records_however_late_ttl_deletes(
    stack: LocalStack,
) -> None:
    with live(stack, "lagged", limit="500") as (_, feed):
        url = feed.url + "lagged"
        now = datetime.now(UTC)
        for n in range(30):  # calls that ended within the hour: kept, so a late start is refused
            body = call_body(f"done{n}", "ended", now - timedelta(minutes=5))
            assert post(url, body, SECRET) == 204
        for n in range(30):  # calls long expired that DynamoDB's TTL has not deleted yet
            old = now - timedelta(hours=30)
            assert post(url, call_body(f"old{n}", "joined", old), SECRET) == 204
        for n in range(3):
            assert post(url, call_body(f"open{n}", "joined"), SECRET) == 204
        assert len(records(stack, "lagged")) == 63
        reads = ReadsCounted(stack.client("dynamodb"))
        store = LiveCallStore(reads, stack.outputs["LiveCallsTableName"])
        assert store.count("lagged", datetime.now(UTC)).calls == 3
        assert reads.scanned == [3]  # the three open calls: nothing ended, nothing expired
        # A late duplicate start of a call that ended: refused while the ended item is kept...
        assert post(url, call_body("done0", "started", now - timedelta(minutes=5)), SECRET) == 204
        assert records(stack, "lagged")["done0"] == int(CallStage.ENDED)
        # ...and once TTL deleted it (past the call's own expiry), a retry writes a record
        # already past that expiry: it never counts again, and is never read by the count.
        stack.client("dynamodb").delete_item(
            TableName=stack.outputs["LiveCallsTableName"],
            Key={"monitor": {"S": "lagged"}, "callId": {"S": "old0"}},
        )
        assert post(url, call_body("old0", "started", now - timedelta(hours=30)), SECRET) == 204
        assert store.count("lagged", datetime.now(UTC)).calls == 3
        assert reads.scanned[-1] == 3


def test_a_call_never_joined_stops_counting_after_its_join_timeout(stack: LocalStack) -> None:
    with live(stack, "unjoined", limit="500") as (_, feed):
        long_ago = datetime.now(UTC) - timedelta(minutes=3)  # 30 s + the 2 min margin passed
        assert post(feed.url + "unjoined", call_body("x", "started", long_ago), SECRET) == 204
        assert records(stack, "unjoined") == {"x": int(CallStage.CREATED)}
        assert live_count(feed, "unjoined") == 0


REFUSED = [
    pytest.param("another-secret", "", 0, 401, id="another monitor's secret"),
    pytest.param(SECRET, "", -6, 401, id="stale"),
    pytest.param(SECRET, "", 6, 401, id="future"),
    pytest.param(SECRET, "nobody", 0, 404, id="unknown monitor"),
    pytest.param(SECRET, "huge", 0, 413, id="huge body"),
    pytest.param(SECRET, "unsigned", 0, 401, id="unsigned"),
]


@pytest.mark.parametrize(("secret", "what", "minutes", "status"), REFUSED)
def test_a_refused_request_writes_nothing_and_sends_nothing(
    stack: LocalStack, secret: str, what: str, minutes: int, status: int
) -> None:
    import requests

    with live(stack, "faults", limit="3") as (h, feed):
        for n in (1, 2):  # 2 of 3 is no news; a third call would be AT_LIMIT
            assert post(feed.url + "faults", call_body(f"ok{n}"), SECRET) == 204
        before = (records(stack, "faults"), len(h.slack.messages))
        url = feed.url + ("nobody" if what == "nobody" else "faults")
        body = call_body("f1") + (b" " * (256 * 1024) if what == "huge" else b"")
        at = datetime.now(UTC) + timedelta(minutes=minutes)
        if what == "unsigned":
            answer = requests.post(url, data=body, timeout=10).status_code
        else:
            answer = post(url, body, secret, at=at)
        assert answer == status
        feed.invoke.wait()
        assert (records(stack, "faults"), len(h.slack.messages)) == before
        assert feed.invoke.invocations == []


def _burst(url: str, ids: list[str], out: Any) -> None:
    statuses = [post(url, call_body(i), SECRET) for i in ids + ids[:5]]  # with duplicates
    out.put(statuses)


def test_concurrent_bursts_from_several_processes_count_exactly(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto checks a write's condition then writes, without a lock; DynamoDB is atomic per item.
    lock = threading.Lock()
    for name in ("put_item", "update_item"):
        original = getattr(DynamoDBBackend, name)

        def serialised(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialised)
    with live(stack, "burst", limit="1000") as (_, feed):
        url = feed.url + "burst"
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        senders = [
            context.Process(target=_burst, args=(url, [f"p{p}-{n}" for n in range(15)], out))
            for p in range(4)
        ]
        started = time.monotonic()
        for sender in senders:
            sender.start()
        statuses = [s for _ in senders for s in out.get(timeout=120)]
        for sender in senders:
            sender.join(30)
        assert time.monotonic() - started < 120
        assert set(statuses) == {204}
        assert live_count(feed, "burst") == 60
        assert len(records(stack, "burst")) == 60
