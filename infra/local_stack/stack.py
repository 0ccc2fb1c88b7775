"""Stands the resources of template.yaml up in a moto server on loopback: AWS without an account."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.parsing import clean_json, get_model_map
from moto.server import ThreadedMotoServer

from infra.local_stack.poller import detach_moto_invocations
from infra.local_stack.sam_transform import translate
from infra.standins.loopback import LoopbackService

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG = logging.getLogger("ceilingwatch.local_stack")

# moto accepts any credentials; these only keep botocore from looking for real ones.
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105  # nosec B105

# What `sam deploy --guided` asks, answered with the defaults; events/*.json name this monitor.
LOCAL_PARAMETERS: dict[str, str] = {"MonitorName": "default", "ConcurrencyLimit": "50"}


class LocalStack(LoopbackService):
    """The template's stack in moto's server mode, plus the clients and env to reach it.

    One at a time per process: moto's server keeps its state in process-wide backends (which
    `mock_aws` also resets), so two stacks, or a stack and `mock_aws`, would share it.
    """

    def __init__(
        self,
        template: Path = Path("template.yaml"),
        parameters: Mapping[str, str] | None = None,
        region: str = "us-east-1",
        stack_name: str = "ceilingwatch-local",
    ) -> None:
        # Relative to the repo root, so the default works from any working directory.
        self.template = template if template.is_absolute() else REPO_ROOT / template
        self.parameters = {**LOCAL_PARAMETERS, **(parameters or {})}
        self.region = region
        self.stack_name = stack_name
        self.endpoint_url = ""
        self.outputs: dict[str, str] = {}
        self.replayed: list[str] = []  # logical ids moto skipped and this class created
        self.skipped: list[str] = []  # logical ids nobody created locally
        self.attributes: dict[str, dict[str, str]] = {}  # GetAtt values of replayed resources
        self._server: ThreadedMotoServer | None = None
        self._clients: dict[str, Any] = {}
        # One session for every client: building a botocore session costs ~150 ms each.
        self._session = boto3.session.Session(
            region_name=region,
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        )

    def start(self) -> LocalStack:
        """Starts the moto server and creates the stack from the template; returns self."""
        self.serve()
        try:
            self.deploy()
        except BaseException:
            self.stop()
            raise
        return self

    def serve(self) -> LocalStack:
        """Starts an empty moto server: an account with nothing deployed yet."""
        port = _free_port()
        # werkzeug logs every request at INFO: noise around the handler's own log lines.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        return self

    def deploy(self) -> None:
        """Creates the stack from the template in the running server, as `sam deploy` would."""
        self._create_stack(self.cloudformation_template())

    def stop(self) -> None:
        """Wipes moto's state and shuts the server down."""
        if self._server is not None:
            # The threaded server keeps its state in moto's process-wide backends, which outlive
            # it: reset them so the next LocalStack in this process starts from nothing.
            requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
            self._server.stop()
            self._server = None
        self._clients.clear()
        self.endpoint_url = ""

    def client(self, service: str) -> Any:
        """A boto3 client for the moto server, with fake credentials."""
        if not self.endpoint_url:
            raise RuntimeError("LocalStack is not started")
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint_url,
                # A local server that failed once fails again: retries only hide the error.
                config=Config(retries={"total_max_attempts": 1}),
            )
        return self._clients[service]

    def function_environment(self) -> dict[str, str]:
        """The deployed function's environment, plus what boto3 needs to reach moto in-process."""
        config = self.client("lambda").get_function_configuration(
            FunctionName=self.outputs["CheckFunctionName"]
        )
        env: dict[str, str] = dict(config.get("Environment", {}).get("Variables", {}))
        env.update(
            AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_DEFAULT_REGION=self.region,
            AWS_REGION=self.region,
            AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY_ID,
            AWS_SECRET_ACCESS_KEY=FAKE_SECRET_ACCESS_KEY,
        )
        return env

    def subscribe_queue(self, name: str = "email-inbox") -> str:
        """Subscribes a new SQS queue to AlertTopic and returns its URL: the local "inbox"."""
        sqs = self.client("sqs")
        url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        # Raw delivery off: the SNS envelope keeps Subject and MessageAttributes, as email does.
        self.client("sns").subscribe(
            TopicArn=self.outputs["AlertTopicArn"],
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        return url

    def cloudformation_template(self) -> dict[str, Any]:
        """template.yaml through the SAM transform, offline, with placeholder function code."""
        return translate(self.template, self.parameters, self._session)

    def _create_stack(self, cfn_template: dict[str, Any]) -> None:
        # An output naming a resource moto skips fails the whole stack (a GetAtt on a Function
        # URL): such outputs wait until _replay_skipped has created their resources.
        skipped = {
            logical_id
            for logical_id, resource in cfn_template["Resources"].items()
            if resource["Type"] not in get_model_map()
        }
        outputs = cfn_template.get("Outputs", {})
        deferred = {key: out for key, out in outputs.items() if _names(out["Value"]) & skipped}
        cfn_template = {
            **cfn_template,
            "Outputs": {key: out for key, out in outputs.items() if key not in deferred},
        }
        cloudformation = self.client("cloudformation")
        moto_log = logging.getLogger("moto")
        moto_level = moto_log.level
        with warnings.catch_warnings():
            # moto warns (log line and warning) for each resource it skips; _replay_skipped
            # creates those and reports them once, so the warnings are only noise here.
            warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
            moto_log.setLevel(logging.ERROR)
            try:
                cloudformation.create_stack(
                    StackName=self.stack_name,
                    TemplateBody=json.dumps(cfn_template),
                    Parameters=[
                        {"ParameterKey": key, "ParameterValue": value}
                        for key, value in self.parameters.items()
                    ],
                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
                )
            finally:
                moto_log.setLevel(moto_level)
        stack = cloudformation.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise RuntimeError(f"stack {self.stack_name}: {stack['StackStatus']}")
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        account = self.client("sts").get_caller_identity()["Account"]
        # ThreadedMotoServer shares this process's backends, so moto's own resolver can fill in
        # Ref/GetAtt/Sub exactly as it did for the resources it created.
        resource_map = (
            cloudformation_backends[account][self.region].get_stack(self.stack_name).resource_map
        )
        self._fix_key_policies(cfn_template, resource_map)
        self._fix_role_policies(cfn_template, resource_map)
        self._fix_table_ttl(cfn_template, resource_map)
        self._replay_skipped(cfn_template, resource_map)
        detach_moto_invocations(account, self.region)  # the mapping's poller: poller.py
        for key, output in deferred.items():
            logical_id, attribute = output["Value"]["Fn::GetAtt"]
            self.outputs[key] = self.attributes[logical_id][attribute]

    def _fix_key_policies(self, cfn_template: dict[str, Any], resource_map: Any) -> None:
        """Stores KMS key policies as JSON text, as the KMS API does.

        moto's CloudFormation keeps KeyPolicy as a dict, and then every KMS call on the key fails.
        """
        for logical_id, resource in cfn_template["Resources"].items():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::KMS::Key" and "KeyPolicy" in properties:
                self.client("kms").put_key_policy(
                    KeyId=clean_json({"Ref": logical_id}, resource_map),
                    PolicyName="default",
                    Policy=json.dumps(clean_json(properties["KeyPolicy"], resource_map)),
                )

    def _fix_role_policies(self, cfn_template: dict[str, Any], resource_map: Any) -> None:
        """Stores inline role policies as JSON, as IAM does (moto's CloudFormation keeps a repr)."""
        for logical_id, resource in cfn_template["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            for policy in resource.get("Properties", {}).get("Policies", []):
                # SAM leaves out the version, which moto's IAM API (unlike its stacks) demands.
                document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
                self.client("iam").put_role_policy(
                    RoleName=clean_json({"Ref": logical_id}, resource_map),
                    PolicyName=policy["PolicyName"],
                    PolicyDocument=json.dumps(clean_json(document, resource_map)),
                )

    def _fix_table_ttl(self, cfn_template: dict[str, Any], resource_map: Any) -> None:
        """Turns on a table's TTL as the template says (moto's CloudFormation ignores it)."""
        for logical_id, resource in cfn_template["Resources"].items():
            ttl = resource.get("Properties", {}).get("TimeToLiveSpecification")
            if resource["Type"] == "AWS::DynamoDB::Table" and ttl:
                self.client("dynamodb").update_time_to_live(
                    TableName=clean_json({"Ref": logical_id}, resource_map),
                    TimeToLiveSpecification=ttl,
                )

    def _replay_skipped(self, cfn_template: dict[str, Any], resource_map: Any) -> None:
        """Creates through the API the resources whose types moto's CloudFormation skips."""
        supported = get_model_map()
        replayers: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::CloudWatch::Alarm": self._put_alarm,
            "AWS::Lambda::EventInvokeConfig": self._put_event_invoke_config,
            "AWS::Lambda::Url": self._create_function_url,
            "AWS::Scheduler::Schedule": self._create_schedule,
            "AWS::SNS::TopicPolicy": self._put_topic_policy,
            "AWS::SNS::Subscription": self._subscribe,
        }
        for logical_id, resource in cfn_template["Resources"].items():
            kind = resource["Type"]
            if kind in supported:
                continue
            condition = resource.get("Condition")
            if condition and not resource_map.lazy_condition_map[condition]:
                continue
            replay = replayers.get(kind)
            if replay is None:
                self.skipped.append(logical_id)
                LOG.warning("not created locally: %s (%s)", logical_id, kind)
                continue
            replay(logical_id, clean_json(resource.get("Properties", {}), resource_map))
            self.replayed.append(logical_id)
        LOG.info("created through the API (moto's CloudFormation skips them): %s", self.replayed)

    def _put_alarm(self, logical_id: str, properties: dict[str, Any]) -> None:
        properties.setdefault("AlarmName", f"{self.stack_name}-{logical_id}")
        self.client("cloudwatch").put_metric_alarm(**properties)

    def _put_event_invoke_config(self, logical_id: str, properties: dict[str, Any]) -> None:
        self.client("lambda").put_function_event_invoke_config(**properties)

    def _create_function_url(self, logical_id: str, properties: dict[str, Any]) -> None:
        # Lambda answers a URL on its own host; locally the tests call the handler in-process.
        created = self.client("lambda").create_function_url_config(
            FunctionName=properties["TargetFunctionArn"],
            AuthType=properties["AuthType"],
            **({"Cors": properties["Cors"]} if "Cors" in properties else {}),
        )
        self.attributes[logical_id] = {
            "FunctionUrl": created["FunctionUrl"],
            "FunctionArn": created["FunctionArn"],
        }

    def _create_schedule(self, logical_id: str, properties: dict[str, Any]) -> None:
        # CloudFormation names the schedule when the template omits the name.
        properties.setdefault("Name", f"{self.stack_name}-{logical_id}"[:64])
        self.client("scheduler").create_schedule(**properties)

    def _put_topic_policy(self, logical_id: str, properties: dict[str, Any]) -> None:
        for topic_arn in properties["Topics"]:
            self.client("sns").set_topic_attributes(
                TopicArn=topic_arn,
                AttributeName="Policy",
                AttributeValue=json.dumps(properties["PolicyDocument"]),
            )

    def _subscribe(self, logical_id: str, properties: dict[str, Any]) -> None:
        self.client("sns").subscribe(**properties)


def _names(value: Any) -> set[str]:
    """The logical ids a template value refers to through Ref or Fn::GetAtt."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {str(value["Ref"])}
        if "Fn::GetAtt" in value:
            return {str(value["Fn::GetAtt"][0])}
        return set().union(*(_names(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_names(item) for item in value))
    return set()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _parse_parameter(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--stack-name", default="ceilingwatch-local")
    parser.add_argument(
        "--parameter",
        "-p",
        type=_parse_parameter,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter, e.g. -p ConcurrencyLimit=20 (repeatable)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.monotonic()
    stack = LocalStack(args.template, dict(args.parameter), args.region, args.stack_name)
    with stack:
        print(f"local stack up in {time.monotonic() - started:.1f} s at {stack.endpoint_url}")
        print(f"  export AWS_ENDPOINT_URL={stack.endpoint_url} AWS_DEFAULT_REGION={stack.region}")
        for key, value in stack.outputs.items():
            print(f"  {key:<20} {value}")
        print("Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping")


if __name__ == "__main__":
    main()
