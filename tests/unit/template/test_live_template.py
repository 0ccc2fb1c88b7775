"""The live feed in template.yaml: its receiver's URL and rights, and the call records' table."""

from __future__ import annotations

from typing import Any

from tests.unit.template.test_template import SECRET_WORDS, as_list, template

PREFIX = {
    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ceilingwatch/*"
}


# The table, and its index of open calls the count queries.
LIVE_TABLE = [
    {"Fn::GetAtt": ["LiveCallsTable", "Arn"]},
    {"Fn::Sub": "${LiveCallsTable.Arn}/index/OpenCalls"},
]


def _granted(function: str) -> dict[str, tuple[list[str], Any]]:
    fn = template()["Resources"][function]["Properties"]
    return {
        s["Sid"]: (sorted(as_list(s["Action"])), s["Resource"])
        for policy in fn["Policies"]
        for s in policy["Statement"]
    }


def test_the_receiver_is_a_public_url_on_the_webhook_handler() -> None:
    fn = template()["Resources"]["UltravoxWebhookFunction"]["Properties"]
    assert fn["Handler"] == "ceilingwatch.webhook.lambda_handler"
    assert fn["FunctionUrlConfig"] == {"AuthType": "NONE"}  # Ultravox's signature is the auth
    assert fn["Timeout"] <= 5
    assert template()["Outputs"]["UltravoxWebhookUrl"]["Value"] == {
        "Fn::GetAtt": ["UltravoxWebhookFunctionUrl", "FunctionUrl"]
    }
    variables = fn["Environment"]["Variables"]
    assert variables["CHECK_FUNCTION_NAME"] == {"Ref": "CheckFunction"}
    assert variables["LIVE_CALLS_TABLE_NAME"] == {"Ref": "LiveCallsTable"}
    assert not any(SECRET_WORDS.search(name) for name in variables)


def test_the_receiver_may_only_read_its_secret_write_calls_read_the_state_and_start_the_check() -> (
    None
):
    assert _granted("UltravoxWebhookFunction") == {
        "ReadWebhookSecret": (["ssm:GetParameter"], PREFIX),
        "DecryptSecureStringParameters": (
            ["kms:Decrypt"],
            {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"},
        ),
        "RecordAndCountLiveCalls": (["dynamodb:PutItem", "dynamodb:Query"], LIVE_TABLE),
        "ReadAlertState": (["dynamodb:GetItem"], {"Fn::GetAtt": ["StateTable", "Arn"]}),
        "StartTheLiveCheck": (["lambda:InvokeFunction"], {"Fn::GetAtt": ["CheckFunction", "Arn"]}),
    }


def test_the_check_counts_and_reconciles_the_live_calls_only() -> None:
    granted = _granted("CheckFunction")["CountAndReconcileLiveCalls"]
    assert granted == (["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"], LIVE_TABLE)
    variables = template()["Resources"]["CheckFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["LIVE_CALLS_TABLE_NAME"] == {"Ref": "LiveCallsTable"}


def test_the_call_records_expire_and_are_encrypted_like_the_state() -> None:
    table = template()["Resources"]["LiveCallsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [
        {"AttributeName": "monitor", "KeyType": "HASH"},
        {"AttributeName": "callId", "KeyType": "RANGE"},
    ]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    # The count reads only the open records, strongly consistently: a local index, keyed by
    # the open records' expiry, never a global one (eventually consistent).
    assert table["LocalSecondaryIndexes"] == [
        {
            "IndexName": "OpenCalls",
            "KeySchema": [
                {"AttributeName": "monitor", "KeyType": "HASH"},
                {"AttributeName": "openUntil", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert "GlobalSecondaryIndexes" not in table
    state = template()["Resources"]["StateTable"]["Properties"]
    assert table["SSESpecification"] == state["SSESpecification"]
    assert table["PointInTimeRecoverySpecification"] == state["PointInTimeRecoverySpecification"]
