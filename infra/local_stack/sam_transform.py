"""template.yaml through the SAM transform, offline: what CloudFormation would really create."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

# Local runs need no real code: tests run the real handler in-process.
PLACEHOLDER_CODE = "def lambda_handler(event, context):\n    return None\n"


def translate(
    template: Path, parameters: Mapping[str, str], session: boto3.session.Session
) -> dict[str, Any]:
    """The transformed template, with placeholder function code instead of CodeUri."""
    sam = yaml_parse(template.read_text(encoding="utf-8"))
    for resource in sam.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource.setdefault("Properties", {})
            properties.pop("CodeUri", None)
            properties["InlineCode"] = PLACEHOLDER_CODE
    # The policy map bundled with samtranslator stands in for IAM's ListPolicies.
    policies = get_bundled_managed_policy_map("aws") or {}
    translator = Translator(policies, Parser(), boto_session=session)
    result: dict[str, Any] = translator.translate(
        sam, parameter_values=dict(parameters), get_managed_policy_map=lambda: policies
    )
    return result
