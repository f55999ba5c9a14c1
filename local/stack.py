"""Every resource of the template, created in moto: the local stack.

Resources are created in dependency order and each one's Ref value and
attributes are recorded in a `Resolver`, so the next resource (and the
functions' environment) can name it. Nothing here knows a resource of this
project by name: adding a table or a queue to the template needs no change.

Physical names are deterministic (`<stack>-<LogicalId>`) unless the template
sets one. Types that mean nothing locally (CloudFront, log groups, IAM,
policies) are skipped with one log line and placeholder values; unknown types
are logged, never fatal.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import secrets
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from local.cfn import Resolver as _Resolver
from local.cfn import (
    TemplateError,
    Unresolved,
    as_string,
    create_table,
    dependency_order,
    resource_properties,
    table_definition,
)
from local.logs import get_logger

log = get_logger("stack")

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

# Run by the local cloud itself rather than created in moto.
EMULATED_TYPES = {
    "AWS::Serverless::Function": "run by the function workers",
    "AWS::Lambda::Function": "not run locally (only AWS::Serverless::Function is)",
    "AWS::Serverless::HttpApi": "served by the HTTP API emulator",
    "AWS::Events::Rule": "fired by the local scheduler",
    "AWS::Scheduler::Schedule": "fired by the local scheduler",
    "AWS::Lambda::EventSourceMapping": "delivered by the local event sources",
}

# Not meaningful without AWS: skipped, with the reason logged once.
SKIPPED_PREFIXES = {
    "AWS::Logs::": "handler logs print on the console",
    "AWS::CloudFront::": "the dashboard server stands in for CloudFront",
    "AWS::S3::BucketPolicy": "moto does not enforce resource policies",
    "AWS::SQS::QueuePolicy": "moto does not enforce resource policies",
    "AWS::SNS::TopicPolicy": "moto does not enforce resource policies",
    "AWS::IAM::": "IAM is not enforced locally",
    "AWS::Lambda::Permission": "IAM is not enforced locally",
    "AWS::Lambda::Version": "the local cloud runs $LATEST",
    "AWS::Lambda::Alias": "the local cloud runs $LATEST",
    "AWS::Serverless::LayerVersion": "the functions import from the local virtualenv",
    "AWS::CloudWatch::": "no metrics or alarms locally",
    "AWS::ApiGatewayV2::": "routes come from the functions' HttpApi events",
    "AWS::Scheduler::ScheduleGroup": "schedules fire without groups locally",
    "AWS::XRay::": "tracing is disabled locally",
    "AWS::Cognito::UserPoolDomain": "no hosted UI locally",
    "AWS::CertificateManager::": "no TLS locally",
    "AWS::Route53::": "no DNS locally",
    "AWS::WAFv2::": "no WAF locally",
}


class ProvisionError(RuntimeError):
    """Some resources of the template could not be created in moto."""


@dataclass
class Resource:
    logical_id: str
    type: str
    status: str  # created | emulated | skipped | unsupported | disabled | failed
    ref: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def _short_id(*parts: str, length: int = 10, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def _coerce(value: Any, shape: Any) -> Any:
    """A template value in the type botocore's model wants (CloudFormation is lax)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {key: _coerce(item, shape.members[key]) for key, item in value.items() if key in shape.members}
    if kind == "list" and isinstance(value, list):
        return [_coerce(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {str(key): _coerce(item, shape.value) for key, item in value.items()}
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "string":
        return as_string(value)
    return value


def api_arguments(
    client: Any, operation: str, values: dict[str, Any], renames: dict[str, str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """(arguments the API accepts, template keys it does not know) for one call."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    arguments, dropped = {}, []
    for key, value in values.items():
        name = (renames or {}).get(key, key)
        if name in shape.members:
            arguments[name] = _coerce(value, shape.members[name])
        else:
            dropped.append(key)
    return arguments, dropped


def generate_secret_string(spec: dict[str, Any]) -> str:
    """What Secrets Manager's GenerateSecretString would produce."""
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    if spec.get("IncludeSpace"):
        alphabet += " "
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    alphabet = "".join(char for char in alphabet if char not in excluded) or string.ascii_letters
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if template and key:
        document = json.loads(template)
        document[key] = password
        return json.dumps(document)
    return password


def _tags(props: dict[str, Any], key_name: str = "Key", value_name: str = "Value") -> list[dict[str, str]]:
    tags = props.get("Tags") or []
    if isinstance(tags, dict):
        tags = [{"Key": key, "Value": value} for key, value in tags.items()]
    return [{key_name: str(tag["Key"]), value_name: as_string(tag["Value"])} for tag in tags]


class LocalStack:
    """The template's resources, created in the moto server at `endpoint_url`.

    `secret_values` gives the value of a Secrets Manager secret by logical id
    (instead of a generated one); `api_url` and `dashboard_host` are what the
    HTTP API's endpoint and the CloudFront distribution's domain stand for.
    """

    def __init__(
        self,
        template: dict[str, Any],
        *,
        endpoint_url: str,
        template_dir: Path,
        parameters: dict[str, Any] | None = None,
        stack_name: str = "soundlink-local",
        region: str = REGION,
        account_id: str = ACCOUNT_ID,
        secret_values: dict[str, str] | None = None,
        api_url: str = "",
        dashboard_host: str = "",
    ) -> None:
        self.template = _with_sam_implicit_resources(template)
        self.template_dir = template_dir
        self.endpoint_url = endpoint_url
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.secret_values = dict(secret_values or {})
        self.api_url = api_url
        self.dashboard_host = dashboard_host
        self.resolver = _Resolver(
            self.template, parameters, region=region, account_id=account_id, stack_name=stack_name
        )
        self.resolver.attribute_fallback = self._placeholder_attribute
        self.resources: dict[str, Resource] = {}
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self._session = boto3.session.Session(region_name=region, **FAKE_CREDENTIALS)
        self._warned: set[str] = set()
        if self.resolver.unused_parameters:
            log.warning("parameters not declared by the template: %s", ", ".join(self.resolver.unused_parameters))

    # ------------------------------------------------------------ helpers
    def client(self, service: str) -> Any:
        """A boto3 client of the local moto server (clients are thread-safe)."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,
                    endpoint_url=self.endpoint_url,
                    config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
                )
            return self._clients[service]

    def physical_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def of_type(self, *types: str) -> dict[str, Resource]:
        return {key: res for key, res in self.resources.items() if res.type in types and res.status != "disabled"}

    def _placeholder_attribute(self, logical_id: str, attribute: str) -> str:
        value = f"local-{self.physical_name(logical_id)}-{attribute}"
        if (logical_id, attribute) not in self._warned:
            self._warned.add((logical_id, attribute))
            log.info("%s.%s has no local value; using %r", logical_id, attribute, value)
        return value

    # ---------------------------------------------------------- provision
    def provision(self) -> None:
        """Create every resource; raises ProvisionError listing the ones that failed."""
        for logical_id in dependency_order(self.template):
            resource_type = self.template["Resources"][logical_id].get("Type", "")
            try:
                if not self.resolver.resource_enabled(logical_id):
                    self.resources[logical_id] = Resource(logical_id, resource_type, "disabled")
                    continue
                resource = self._provision_one(logical_id, resource_type)
            except (TemplateError, Unresolved) as error:
                resource = Resource(logical_id, resource_type, "failed", note=str(error))
            except Exception as error:  # noqa: BLE001 - moto's refusals are reported, then raised together
                resource = Resource(logical_id, resource_type, "failed", note=f"{type(error).__name__}: {error}")
            self.resources[logical_id] = resource
            if resource.status != "failed":
                self.resolver.set_resource(logical_id, resource.ref, resource.attributes)
        self._report()

    def _report(self) -> None:
        by_status: dict[str, list[Resource]] = {}
        for resource in self.resources.values():
            by_status.setdefault(resource.status, []).append(resource)
        for resource in by_status.get("skipped", []):
            log.debug("skipped %s (%s): %s", resource.logical_id, resource.type, resource.note)
        skipped_types = sorted({r.type for r in by_status.get("skipped", [])})
        if skipped_types:
            log.info("not emulated (not meaningful locally): %s", ", ".join(skipped_types))
        for resource in by_status.get("unsupported", []):
            log.warning("%s (%s) is not emulated locally; it is left out", resource.logical_id, resource.type)
        created = by_status.get("created", [])
        log.info(
            "created %d resources in moto: %s",
            len(created),
            ", ".join(f"{r.logical_id}" for r in created) or "none",
        )
        failed = by_status.get("failed", [])
        if failed:
            details = "; ".join(f"{r.logical_id} ({r.type}): {r.note}" for r in failed)
            raise ProvisionError(f"{len(failed)} resources could not be created locally: {details}")

    def _provision_one(self, logical_id: str, resource_type: str) -> Resource:
        creator = getattr(self, "_create_" + resource_type.replace("::", "_"), None)
        if creator is not None:
            props = self.resolver.resolve(resource_properties(self.template, logical_id))
            resource = creator(logical_id, props)
            resource.properties = props
            return resource
        if resource_type in EMULATED_TYPES:
            props = self.resolver.resolve(resource_properties(self.template, logical_id))
            resource = self._emulated(logical_id, resource_type, props)
            resource.properties = props
            return resource
        for prefix, reason in SKIPPED_PREFIXES.items():
            if resource_type.startswith(prefix):
                return self._skipped(logical_id, resource_type, reason)
        return Resource(logical_id, resource_type, "unsupported", ref=self.physical_name(logical_id))

    # ------------------------------------------------------ emulated/skipped
    def _emulated(self, logical_id: str, resource_type: str, props: dict[str, Any]) -> Resource:
        note = EMULATED_TYPES[resource_type]
        if resource_type in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            name = props.get("FunctionName") or self.physical_name(logical_id)
            arn = self.arn("lambda", f"function:{name}")
            return Resource(logical_id, resource_type, "emulated", name, {"Arn": arn}, note=note)
        if resource_type == "AWS::Serverless::HttpApi":
            api_id = _short_id(self.stack_name, logical_id)
            return Resource(logical_id, resource_type, "emulated", api_id, {"ApiEndpoint": self.api_url}, note=note)
        if resource_type == "AWS::Events::Rule":
            name = props.get("Name") or self.physical_name(logical_id)
            return Resource(logical_id, resource_type, "emulated", name, {"Arn": self.arn("events", f"rule/{name}")})
        if resource_type == "AWS::Scheduler::Schedule":
            name = props.get("Name") or self.physical_name(logical_id)
            group = props.get("GroupName") or "default"
            arn = self.arn("scheduler", f"schedule/{group}/{name}")
            return Resource(logical_id, resource_type, "emulated", name, {"Arn": arn}, note=note)
        return Resource(logical_id, resource_type, "emulated", _short_id(self.stack_name, logical_id), note=note)

    def _skipped(self, logical_id: str, resource_type: str, reason: str) -> Resource:
        raw = self.template["Resources"][logical_id].get("Properties") or {}
        ref: Any = self.physical_name(logical_id)
        attributes: dict[str, Any] = {}
        if resource_type == "AWS::Logs::LogGroup":
            with contextlib.suppress(TemplateError, Unresolved):
                ref = self.resolver.string(raw["LogGroupName"]) if "LogGroupName" in raw else ref
            attributes["Arn"] = self.arn("logs", f"log-group:{ref}:*")
        elif resource_type == "AWS::CloudFront::Distribution":
            upper = string.ascii_uppercase + string.digits
            ref = "E" + _short_id(self.stack_name, logical_id, length=13, alphabet=upper)
            attributes = {"DomainName": self.dashboard_host or f"{ref.lower()}.cloudfront.net", "Id": ref}
        elif resource_type.startswith("AWS::CloudFront::"):
            ref = _short_id(self.stack_name, logical_id, length=14, alphabet=string.ascii_uppercase + string.digits)
            attributes = {"Id": ref}
        elif resource_type.startswith("AWS::IAM::"):
            attributes = {"Arn": f"arn:aws:iam::{self.account_id}:role/{ref}", "RoleId": ref}
        return Resource(logical_id, resource_type, "skipped", ref, attributes, note=reason)

    # ------------------------------------------------------------ creators
    def _create_AWS_DynamoDB_Table(self, logical_id: str, props: dict[str, Any]) -> Resource:
        name = props.get("TableName") or self.physical_name(logical_id)
        client = self.client("dynamodb")
        create_table(client, name, table_definition(props))  # its stream too
        description = client.describe_table(TableName=name)["Table"]
        attributes = {"Arn": description["TableArn"]}
        if description.get("LatestStreamArn"):
            attributes["StreamArn"] = description["LatestStreamArn"]
        return Resource(logical_id, "AWS::DynamoDB::Table", "created", name, attributes)

    def _create_AWS_Serverless_SimpleTable(self, logical_id: str, props: dict[str, Any]) -> Resource:
        key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        kind = {"String": "S", "Number": "N", "Binary": "B"}.get(key.get("Type", "String"), "S")
        table = {
            "TableName": props.get("TableName") or self.physical_name(logical_id),
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}],
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
        }
        resource = self._create_AWS_DynamoDB_Table(logical_id, table)
        resource.type = "AWS::Serverless::SimpleTable"
        return resource

    def _create_AWS_SQS_Queue(self, logical_id: str, props: dict[str, Any]) -> Resource:
        fifo = str(props.get("FifoQueue", "")).lower() == "true"
        name = props.get("QueueName") or self.physical_name(logical_id) + (".fifo" if fifo else "")
        attributes = {}
        for key, value in props.items():
            if key in ("QueueName", "Tags"):
                continue
            attributes[key] = json.dumps(value) if isinstance(value, dict) else as_string(value)
        client = self.client("sqs")
        arguments: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        tags = _tags(props)
        if tags:
            arguments["tags"] = {tag["Key"]: tag["Value"] for tag in tags}
        url = client.create_queue(**arguments)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Resource(logical_id, "AWS::SQS::Queue", "created", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _create_AWS_SNS_Topic(self, logical_id: str, props: dict[str, Any]) -> Resource:
        fifo = str(props.get("FifoTopic", "")).lower() == "true"
        name = props.get("TopicName") or self.physical_name(logical_id) + (".fifo" if fifo else "")
        attributes = {"FifoTopic": "true"} if fifo else {}
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        if props.get("Subscription"):
            log.info("%s: topic subscriptions are not delivered locally", logical_id)
        return Resource(logical_id, "AWS::SNS::Topic", "created", arn, {"TopicArn": arn, "TopicName": name})

    def _create_AWS_KMS_Key(self, logical_id: str, props: dict[str, Any]) -> Resource:
        client = self.client("kms")
        arguments: dict[str, Any] = {
            "Description": props.get("Description", ""),
            "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        }
        if props.get("KeyPolicy"):
            policy = props["KeyPolicy"]
            arguments["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        tags = _tags(props, "TagKey", "TagValue")
        if tags:
            arguments["Tags"] = tags
        metadata = client.create_key(**arguments)["KeyMetadata"]
        key_id = metadata["KeyId"]
        if str(props.get("EnableKeyRotation", "")).lower() == "true":
            client.enable_key_rotation(KeyId=key_id)
        if str(props.get("Enabled", "true")).lower() == "false":
            client.disable_key(KeyId=key_id)
        return Resource(logical_id, "AWS::KMS::Key", "created", key_id, {"Arn": metadata["Arn"], "KeyId": key_id})

    def _create_AWS_KMS_Alias(self, logical_id: str, props: dict[str, Any]) -> Resource:
        self.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        return Resource(logical_id, "AWS::KMS::Alias", "created", props["AliasName"])

    def _create_AWS_SecretsManager_Secret(self, logical_id: str, props: dict[str, Any]) -> Resource:
        name = props.get("Name") or self.physical_name(logical_id)
        if logical_id in self.secret_values:
            value = self.secret_values[logical_id]
        elif "SecretString" in props:
            value = as_string(props["SecretString"])
        else:
            value = generate_secret_string(props.get("GenerateSecretString") or {})
        arguments: dict[str, Any] = {"Name": name, "SecretString": value}
        if props.get("Description"):
            arguments["Description"] = props["Description"]
        if props.get("KmsKeyId"):
            arguments["KmsKeyId"] = props["KmsKeyId"]
        arn = self.client("secretsmanager").create_secret(**arguments)["ARN"]
        return Resource(logical_id, "AWS::SecretsManager::Secret", "created", arn, {"Id": arn})

    def _create_AWS_SSM_Parameter(self, logical_id: str, props: dict[str, Any]) -> Resource:
        name = props.get("Name") or f"/{self.stack_name}/{logical_id}"
        kind = props.get("Type", "String")
        value = props.get("Value", "")
        value = ",".join(map(str, value)) if isinstance(value, list) else as_string(value)
        arguments: dict[str, Any] = {"Name": name, "Value": value, "Type": kind, "Overwrite": True}
        if props.get("Description"):
            arguments["Description"] = props["Description"]
        self.client("ssm").put_parameter(**arguments)
        return Resource(logical_id, "AWS::SSM::Parameter", "created", name, {"Type": kind, "Value": value})

    def _create_AWS_S3_Bucket(self, logical_id: str, props: dict[str, Any]) -> Resource:
        name = props.get("BucketName") or self.physical_name(logical_id).lower()
        client = self.client("s3")
        if self.region == "us-east-1":
            client.create_bucket(Bucket=name)
        else:
            client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        versioning = (props.get("VersioningConfiguration") or {}).get("Status")
        if versioning:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        attributes = {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{self.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{self.region}.amazonaws.com",
        }
        return Resource(logical_id, "AWS::S3::Bucket", "created", name, attributes)

    def _create_AWS_Cognito_UserPool(self, logical_id: str, props: dict[str, Any]) -> Resource:
        client = self.client("cognito-idp")
        values = dict(props)
        values.setdefault("UserPoolName", self.physical_name(logical_id))
        arguments, dropped = api_arguments(client, "CreateUserPool", values, {"UserPoolName": "PoolName"})
        if dropped:
            log.debug("%s: properties without a local equivalent: %s", logical_id, ", ".join(dropped))
        pool = client.create_user_pool(**arguments)["UserPool"]
        pool_id = pool["Id"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool_id}"
        attributes = {
            "Arn": pool.get("Arn") or self.arn("cognito-idp", f"userpool/{pool_id}"),
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": pool_id,
        }
        return Resource(logical_id, "AWS::Cognito::UserPool", "created", pool_id, attributes)

    def _create_AWS_Cognito_UserPoolClient(self, logical_id: str, props: dict[str, Any]) -> Resource:
        client = self.client("cognito-idp")
        values = dict(props)
        values.setdefault("ClientName", self.physical_name(logical_id))
        arguments, dropped = api_arguments(client, "CreateUserPoolClient", values)
        if dropped:
            log.debug("%s: properties without a local equivalent: %s", logical_id, ", ".join(dropped))
        created = client.create_user_pool_client(**arguments)["UserPoolClient"]
        attributes = {"ClientId": created["ClientId"], "Name": created.get("ClientName", "")}
        if created.get("ClientSecret"):
            attributes["ClientSecret"] = created["ClientSecret"]
        return Resource(logical_id, "AWS::Cognito::UserPoolClient", "created", created["ClientId"], attributes)

    def _create_AWS_Cognito_UserPoolGroup(self, logical_id: str, props: dict[str, Any]) -> Resource:
        client = self.client("cognito-idp")
        values = dict(props)
        values.setdefault("GroupName", self.physical_name(logical_id))
        arguments, _ = api_arguments(client, "CreateGroup", values)
        client.create_group(**arguments)
        return Resource(logical_id, "AWS::Cognito::UserPoolGroup", "created", values["GroupName"])


def _with_sam_implicit_resources(template: dict[str, Any]) -> dict[str, Any]:
    """SAM creates some resources a template may name without declaring them
    (a function's `<Name>Role`, the implicit `ServerlessHttpApi`)."""
    template = copy.deepcopy(template)
    resources = template.setdefault("Resources", {})
    implicit: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        if "Role" not in props:
            implicit[f"{logical_id}Role"] = {"Type": "AWS::IAM::Role"}
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "HttpApi" and "ApiId" not in (event.get("Properties") or {}):
                implicit.setdefault("ServerlessHttpApi", {"Type": "AWS::Serverless::HttpApi", "Properties": {}})
    for logical_id, resource in implicit.items():
        resources.setdefault(logical_id, resource)
    return template
