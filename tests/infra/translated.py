"""template.yaml translated by aws-sam-translator into plain CloudFormation, as `sam deploy` would.

Local CodeUri/ContentUri paths are what `sam build`/`sam package` replace with S3 locations, so they are
replaced here the same way before translating. Nothing is sent anywhere: the translator runs offline.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

from infra.local.template import TEMPLATE_PATH

REGION = "us-east-1"
_PACKAGED_URIS = {
    "AWS::Serverless::Function": ("CodeUri", "s3://packaged-artifacts/function.zip"),
    "AWS::Serverless::LayerVersion": ("ContentUri", "s3://packaged-artifacts/layer.zip"),
}


def sam_template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE_PATH.read_text())


@cache
def _translated() -> dict[str, Any]:
    return translate(sam_template())


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """A SAM template as plain CloudFormation (SAM's policy templates expanded into statements)."""
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        if resource["Type"] in _PACKAGED_URIS:
            prop, uri = _PACKAGED_URIS[resource["Type"]]
            resource["Properties"][prop] = uri
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    # Every policy in the template is inline or named by ARN, so no managed policy names need resolving.
    return translator.translate(template, parameter_values={}, get_managed_policy_map=dict)


def translated() -> dict[str, Any]:
    """A fresh copy of the translated template (callers may edit it)."""
    return copy.deepcopy(_translated())


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == resource_type}
