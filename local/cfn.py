"""Read template.yaml, the single definition of every resource.

The tests and the local cloud build their DynamoDB tables (and, in the local
cloud, every other resource) from what this module reads, so a table exists
in one place only: the template.
"""

from __future__ import annotations

import base64
import json
import re
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


def table_definition(props: dict[str, Any]) -> dict[str, Any]:
    """`CreateTable` arguments (minus the name) of one table's properties."""
    args = {key: props[key] for key in _TABLE_KEYS if key in props}
    ttl = props.get("TimeToLiveSpecification") or {}
    args["TimeToLiveAttribute"] = ttl.get("AttributeName") if ttl.get("Enabled") else None
    stream = props.get("StreamSpecification") or {}
    if stream.get("StreamViewType"):
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return args


def table_definitions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`CreateTable` arguments (minus the name) of every table, by logical id.

    The TTL attribute is returned under ``TimeToLiveAttribute`` (None when
    the table has none) since it is set by a separate API call.
    """
    return {
        logical_id: table_definition(resource.get("Properties", {}))
        for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items()
    }


def create_table(dynamodb_client: Any, table_name: str, definition: dict[str, Any]) -> None:
    """Create one table from its `table_definition`, TTL included."""
    args = dict(definition)
    ttl_attribute = args.pop("TimeToLiveAttribute", None)
    args.setdefault("BillingMode", "PAY_PER_REQUEST")
    dynamodb_client.create_table(TableName=table_name, **args)
    if ttl_attribute:
        dynamodb_client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
        )


def create_tables(dynamodb_client: Any, name_for: Callable[[str], str], template: dict[str, Any]) -> dict:
    """Create every table of the template; returns {logical id: table name}."""
    names = {}
    for logical_id, definition in table_definitions(template).items():
        table_name = name_for(logical_id)
        create_table(dynamodb_client, table_name, definition)
        names[logical_id] = table_name
    return names


# ---------------------------------------------------------------- resolution
# The local cloud resolves the template the way CloudFormation would: the
# parameters and pseudo parameters have values, conditions are evaluated, and
# every Ref/GetAtt names a resource that has been created (in moto) before.

NO_VALUE = object()
"""What `!Ref AWS::NoValue` resolves to: the enclosing key or item is dropped."""

# SAM's Globals sections and the resource type each applies to.
_GLOBALS_SECTIONS = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(ValueError):
    """The template cannot be resolved as written (a person must fix it)."""


class Unresolved(LookupError):
    """A Ref/GetAtt names a resource that has not been created yet."""

    def __init__(self, logical_id: str) -> None:
        super().__init__(f"{logical_id} has not been created yet")
        self.logical_id = logical_id


def _is_intrinsic(value: Any) -> bool:
    return (
        isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("Ref", "Condition", *_INTRINSICS.values())
    )


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rules: maps merge, lists add up, the resource's scalars win."""
    if _is_intrinsic(global_value) or _is_intrinsic(local_value):
        return local_value
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return [*global_value, *local_value]
    return local_value


def resource_properties(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """A resource's Properties, with SAM Globals merged in (unresolved)."""
    resource = template["Resources"][logical_id]
    props = resource.get("Properties") or {}
    section = _GLOBALS_SECTIONS.get(resource.get("Type", ""))
    global_props = (template.get("Globals") or {}).get(section or "", {}) if section else {}
    return merge_globals(global_props, props) if global_props else dict(props)


def references(value: Any) -> set[str]:
    """Names a value refers to (resources and parameters alike; pseudo parameters excluded)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if _is_intrinsic(value):
            name, arg = next(iter(value.items()))
            if name == "Ref" and isinstance(arg, str):
                if not arg.startswith("AWS::"):
                    found.add(arg)
                return found
            if name == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                if parts and isinstance(parts[0], str):
                    found.add(parts[0])
                return found | references(parts[1:] if isinstance(parts, list) else [])
            if name == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
                for variable in _SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
                    if variable.startswith("!"):
                        continue
                    head = variable.split(".", 1)[0]
                    if head not in variables and not head.startswith("AWS::"):
                        found.add(head)
                return found | references(variables)
        for item in value.values():
            found |= references(item)
    return found


def dependency_order(template: dict[str, Any]) -> list[str]:
    """Logical ids in an order where each resource comes after the ones it names.

    Template order is kept where the references allow it; a cycle (which
    CloudFormation would reject) is broken in template order.
    """
    resources = template.get("Resources") or {}
    depends: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        needs = references(resource_properties(template, logical_id))
        depends_on = resource.get("DependsOn") or []
        needs |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        depends[logical_id] = {name for name in needs if name in resources and name != logical_id}
    ordered: list[str] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(logical_id: str) -> None:
        if logical_id in placed or logical_id in visiting:
            return
        visiting.add(logical_id)
        for needed in sorted(depends[logical_id], key=list(resources).index):
            place(needed)
        visiting.discard(logical_id)
        placed.add(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        place(logical_id)
    return ordered


def as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class Resolver:
    """Evaluates a template's intrinsic functions against known values.

    Parameters take the values given, else their defaults; resources take the
    Ref value and attributes recorded with `set_resource` as they are created.
    A Ref/GetAtt to a resource not recorded yet raises `Unresolved`.
    """

    def __init__(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any] | None = None,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        stack_name: str = "soundlink-local",
        partition: str = "aws",
        url_suffix: str = "amazonaws.com",
    ) -> None:
        self.template = template
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::Partition": partition,
            "AWS::URLSuffix": url_suffix,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::NotificationARNs": [],
        }
        given = dict(parameters or {})
        self.parameters: dict[str, Any] = {}
        for name, declaration in (template.get("Parameters") or {}).items():
            value = given.pop(name, declaration.get("Default", ""))
            kind = str(declaration.get("Type", "String"))
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                value = value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v]
            else:
                value = as_string(value)
            self.parameters[name] = value
        self.unused_parameters = sorted(given)
        self.refs: dict[str, Any] = {}
        self.attributes: dict[str, dict[str, Any]] = {}
        self.attribute_fallback: Callable[[str, str], Any] | None = None
        self._conditions: dict[str, bool] = {}

    # -- resources
    def set_resource(self, logical_id: str, ref: Any, attributes: dict[str, Any] | None = None) -> None:
        self.refs[logical_id] = ref
        self.attributes[logical_id] = dict(attributes or {})

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        if name in (self.template.get("Resources") or {}):
            raise Unresolved(name)
        raise TemplateError(f"Ref to {name!r}, which is neither a parameter nor a resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in (self.template.get("Resources") or {}):
            raise TemplateError(f"GetAtt of {logical_id!r}, which is not a resource")
        if logical_id not in self.refs:
            raise Unresolved(logical_id)
        known = self.attributes.get(logical_id, {})
        if attribute in known:
            return known[attribute]
        if self.attribute_fallback is not None:
            return self.attribute_fallback(logical_id, attribute)
        raise TemplateError(f"{logical_id} has no attribute {attribute!r} locally")

    # -- conditions
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self._evaluate_condition(conditions[name]))
        return self._conditions[name]

    def _evaluate_condition(self, expression: Any) -> bool:
        if isinstance(expression, dict) and len(expression) == 1:
            name, arg = next(iter(expression.items()))
            if name == "Condition":
                return self.condition(arg)
            if name == "Fn::Equals":
                left, right = (self.resolve(item) for item in arg)
                return as_string(left) == as_string(right)
            if name == "Fn::Not":
                return not self._evaluate_condition(arg[0])
            if name == "Fn::And":
                return all(self._evaluate_condition(item) for item in arg)
            if name == "Fn::Or":
                return any(self._evaluate_condition(item) for item in arg)
        resolved = self.resolve(expression)
        if isinstance(resolved, bool):
            return resolved
        raise TemplateError(f"not a condition: {expression!r}")

    def resource_enabled(self, logical_id: str) -> bool:
        condition = self.template["Resources"][logical_id].get("Condition")
        return self.condition(condition) if condition else True

    # -- values
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = (self.resolve(item) for item in value)
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if _is_intrinsic(value):
            name, arg = next(iter(value.items()))
            return self._intrinsic(name, arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _intrinsic(self, name: str, arg: Any) -> Any:
        if name == "Ref":
            return self.ref(self.resolve(arg))
        if name == "Condition":
            return self.condition(arg)
        if name == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else self.resolve(arg)
            if len(parts) > 2:
                parts = [parts[0], ".".join(parts[1:])]
            return self.get_att(parts[0], parts[1])
        if name == "Fn::Sub":
            return self._sub(arg)
        if name == "Fn::If":
            condition, if_true, if_false = arg
            return self.resolve(if_true if self.condition(condition) else if_false)
        if name in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._evaluate_condition({name: arg})
        if name == "Fn::Join":
            delimiter, items = arg[0], self.resolve(arg[1])
            return str(delimiter).join(as_string(item) for item in items)
        if name == "Fn::Select":
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            return items[int(index)]
        if name == "Fn::Split":
            delimiter, text = self.resolve(arg[0]), self.resolve(arg[1])
            return str(text).split(str(delimiter))
        if name == "Fn::Base64":
            return base64.b64encode(as_string(self.resolve(arg)).encode()).decode()
        if name == "Fn::GetAZs":
            return [f"{self.region}{zone}" for zone in "abcdef"]
        if name == "Fn::FindInMap":
            return self._find_in_map(arg)
        raise TemplateError(f"{name} cannot be evaluated locally")

    def _find_in_map(self, arg: list[Any]) -> Any:
        map_name, top, second = (self.resolve(item) for item in arg[:3])
        mapping = (self.template.get("Mappings") or {}).get(map_name, {})
        try:
            return mapping[as_string(top)][as_string(second)]
        except KeyError:
            if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return self.resolve(arg[3]["DefaultValue"])
            raise TemplateError(f"Fn::FindInMap: no {map_name}/{top}/{second}") from None

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, str):
            text, variables = arg, {}
        else:
            text, variables = arg[0], self.resolve(arg[1]) if len(arg) > 1 else {}

        def replace(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable.startswith("!"):
                return "${" + variable[1:] + "}"
            if variable in variables:
                return as_string(variables[variable])
            if "." in variable and variable.split(".", 1)[0] in (self.template.get("Resources") or {}):
                logical_id, attribute = variable.split(".", 1)
                return as_string(self.get_att(logical_id, attribute))
            return as_string(self.ref(variable))

        return _SUB_VARIABLE.sub(replace, text)

    def string(self, value: Any) -> str:
        """A resolved value as CloudFormation would pass it in a string property."""
        return as_string(self.resolve(value))
