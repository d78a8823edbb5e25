"""Read template.yaml: the one source of resource definitions for moto, the local stack and tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation's short-form tags (!Ref, !GetAtt, !Sub ...) as dicts."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}", node.start_mark)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return template


def resources(of_type: str | None = None) -> dict[str, dict[str, Any]]:
    all_resources = load_template()["Resources"]
    return {k: v for k, v in all_resources.items() if of_type is None or v["Type"] == of_type}


def function_environment() -> dict[str, Any]:
    """Globals.Function.Environment.Variables: env var name -> literal or {'Ref': LogicalId}."""
    variables: dict[str, Any] = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    return variables
