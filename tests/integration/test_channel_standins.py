"""Every channel stand-in in one `with`, a failing or hung AWS endpoint, a refused port."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from infra.standins.channels import ChannelStandins
from infra.standins.loopback import refused_url
from tests.support.aws_faults import FailingAwsEndpoint


def test_one_with_starts_and_stops_every_channel() -> None:
    with ChannelStandins() as standins:
        urls = [standins.slack.base_url, standins.teams.base_url, standins.pagerduty.base_url]
        assert len(set(urls)) == 3
        for url in urls:
            assert requests.get(url + "/", timeout=5).status_code == 404
    for url in urls:
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url + "/", timeout=5)


def test_environment_lets_each_secret_through_its_own_prefix() -> None:
    with ChannelStandins() as standins:
        env = standins.environment()
        params = standins.secure_parameters()
        assert params["slack-webhook-url"].startswith(env["CEILINGWATCH_SLACK_WEBHOOK_PREFIXES"])
        assert params["teams-webhook-url"].startswith(env["CEILINGWATCH_TEAMS_WEBHOOK_PREFIXES"])
        assert env["CEILINGWATCH_PAGERDUTY_EVENTS_URL"] == standins.pagerduty.events_url
        # A prefix admits one stand-in, not its neighbours on the same host.
        assert not params["teams-webhook-url"].startswith(
            env["CEILINGWATCH_SLACK_WEBHOOK_PREFIXES"]
        )
        assert len(params["pagerduty-routing-key"]) == 32
        assert set(standins.secrets()) == set(params.values())


def test_secure_parameters_for_some_channels() -> None:
    with ChannelStandins() as standins:
        assert list(standins.secure_parameters(["pagerduty"])) == ["pagerduty-routing-key"]
        assert standins.secure_parameters([]) == {}
        with pytest.raises(ValueError, match="no stand-in for \\['email'\\]"):
            standins.secure_parameters(["email"])


def test_posts_reach_each_stand_in_and_clear_forgets_them() -> None:
    with ChannelStandins() as standins:
        params = standins.secure_parameters()
        requests.post(params["slack-webhook-url"], json={"text": "hi"}, timeout=5)
        event = {
            "routing_key": params["pagerduty-routing-key"],
            "event_action": "resolve",
            "dedup_key": "k",
        }
        requests.post(standins.pagerduty.events_url, json=event, timeout=5)
        assert (standins.slack.attempts, standins.pagerduty.attempts) == (1, 1)
        standins.clear()
        assert (standins.slack.attempts, standins.pagerduty.attempts) == (0, 0)


def test_a_failed_start_stops_what_did_start(monkeypatch: pytest.MonkeyPatch) -> None:
    standins = ChannelStandins()

    def refuse() -> None:
        raise OSError("address in use")

    monkeypatch.setattr(standins.pagerduty, "start", refuse)
    with pytest.raises(OSError, match="address in use"):
        standins.start()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(standins.slack.base_url + "/", timeout=5)


def sns_client(endpoint: str, attempts: int = 2) -> Any:
    return boto3.client(
        "sns",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(
            connect_timeout=1,
            read_timeout=0.3,
            retries={"mode": "standard", "total_max_attempts": attempts},
        ),
    )


def publish(client: Any) -> None:
    client.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:t", Message="m")


def test_a_hung_aws_endpoint_holds_the_client_until_its_read_timeout() -> None:
    """A hung SNS: the client's own timeout and retry budget are all that end the call."""
    with FailingAwsEndpoint() as sns:
        sns.hang(times=5)
        with pytest.raises(ReadTimeoutError):
            publish(sns_client(sns.base_url, attempts=2))
        assert [d.status for d in sns.deliveries] == [None, None]


@pytest.mark.parametrize(
    ("status", "code", "attempts"),
    [
        (400, "Throttling", 3),  # retried: botocore knows it for throttling
        (500, "InternalError", 3),
        (503, "ServiceUnavailable", 3),
        (403, "AuthorizationError", 1),  # not retried
    ],
)
def test_a_failing_aws_endpoint_answers_as_sns_does(status: int, code: str, attempts: int) -> None:
    with FailingAwsEndpoint(status) as sns:
        with pytest.raises(ClientError) as raised:
            publish(sns_client(sns.base_url, attempts=3))
        assert raised.value.response["Error"]["Code"] == code
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        assert sns.attempts == attempts


def test_a_failing_aws_endpoint_knows_only_sns_errors() -> None:
    with pytest.raises(ValueError, match="no SNS error for HTTP 418"):
        FailingAwsEndpoint(418)


def test_stop_hangs_up_on_a_hung_request() -> None:
    outcome: list[BaseException] = []

    def call(url: str) -> None:
        try:
            requests.post(url, data=b"x", timeout=60)
        except requests.RequestException as error:
            outcome.append(error)

    with FailingAwsEndpoint() as sns:
        sns.hang()
        client = threading.Thread(target=call, args=(sns.base_url,))
        client.start()
        while not sns.attempts:
            threading.Event().wait(0.01)
    client.join()
    # The client is told the connection closed, not left waiting for its own timeout.
    assert [type(e) for e in outcome] == [requests.exceptions.ConnectionError]


def test_a_stopped_stand_in_refuses_and_heals_on_its_port() -> None:
    with ChannelStandins() as standins:
        url = standins.pagerduty.events_url
        standins["pagerduty"].stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(url, json={}, timeout=5)
        standins["pagerduty"].heal()
        assert standins.pagerduty.events_url == url
        assert requests.post(url, json={}, timeout=5).status_code == 400


def test_heal_drops_scripted_faults_and_keeps_what_was_received() -> None:
    with ChannelStandins() as standins:
        webhook = standins.slack.webhook_url()
        requests.post(webhook, json={"text": "before"}, timeout=5)
        standins["slack"].respond_with(500, times=5)
        standins["slack"].heal()
        assert requests.post(webhook, json={"text": "after"}, timeout=5).status_code == 200
        assert standins.slack.messages == [{"text": "before"}, {"text": "after"}]
        with pytest.raises(KeyError):
            standins["email"]


def test_refused_url_refuses() -> None:
    url = refused_url("/v2/enqueue")
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v2/enqueue")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(url, json={}, timeout=5)
