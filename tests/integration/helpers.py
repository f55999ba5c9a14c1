"""Helpers of the local cloud's integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from local.cloud import LocalCloud


def records(cloud: LocalCloud, kind: str) -> list[dict[str, Any]]:
    """What the fixture handlers recorded, oldest first."""
    table = cloud.client("dynamodb")
    name = cloud.physical_id("RecordsTable")
    items = table.query(
        TableName=name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": kind}},
        ConsistentRead=True,
    )["Items"]
    return [{key: next(iter(value.values())) for key, value in item.items()} for item in items]


def clear_records(cloud: LocalCloud, kind: str) -> None:
    table = cloud.client("dynamodb")
    name = cloud.physical_id("RecordsTable")
    for item in records(cloud, kind):
        table.delete_item(TableName=name, Key={"pk": {"S": kind}, "sk": {"S": item["sk"]}})


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll `condition` until it is truthy; bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def moto_signing_key() -> Any:
    """The private key moto signs its Cognito tokens with (to forge bad ones)."""
    from joserfc import jwk
    from moto.utilities.utils import load_resource

    return jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def forge_token(claims: dict[str, Any], key: Any = None, kid: str = "dummy") -> str:
    from joserfc import jwt

    return jwt.encode({"alg": "RS256", "kid": kid}, claims, key or moto_signing_key())
