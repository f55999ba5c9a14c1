"""Read template.yaml, the single definition of every resource.

The tests and the local cloud build their DynamoDB tables (and, in the local
cloud, every other resource) from what this module reads, so a table exists
in one place only: the template.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = ROOT / "template.yaml"

# Short-form intrinsic functions and the long form each stands for.
_INTRINSICS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
}


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form tags."""


def _make_constructor(long_name: str) -> Callable[[yaml.Loader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {long_name: value}

    return construct


for _short, _long in _INTRINSICS.items():
    _TemplateLoader.add_constructor(f"!{_short}", _make_constructor(_long))


def load_template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data, intrinsics in their long (JSON) form."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_TemplateLoader)  # noqa: S506 - SafeLoader subclass


@lru_cache(maxsize=4)
def cached_template(path: str = str(TEMPLATE_PATH)) -> dict[str, Any]:
    return load_template(path)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
)


def table_definitions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`CreateTable` arguments (minus the name) of every table, by logical id.

    The TTL attribute is returned under ``TimeToLiveAttribute`` (None when
    the table has none) since it is set by a separate API call.
    """
    definitions = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        props = resource.get("Properties", {})
        args = {key: props[key] for key in _TABLE_KEYS if key in props}
        ttl = props.get("TimeToLiveSpecification") or {}
        args["TimeToLiveAttribute"] = ttl.get("AttributeName") if ttl.get("Enabled") else None
        definitions[logical_id] = args
    return definitions


def create_tables(dynamodb_client: Any, name_for: Callable[[str], str], template: dict[str, Any]) -> dict:
    """Create every table of the template; returns {logical id: table name}."""
    names = {}
    for logical_id, definition in table_definitions(template).items():
        args = dict(definition)
        ttl_attribute = args.pop("TimeToLiveAttribute")
        args.setdefault("BillingMode", "PAY_PER_REQUEST")
        table_name = name_for(logical_id)
        dynamodb_client.create_table(TableName=table_name, **args)
        if ttl_attribute:
            dynamodb_client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
            )
        names[logical_id] = table_name
    return names
