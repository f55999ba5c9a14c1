"""AWS answered at once, in-process: for timing handlers without moto or a network.

`install_on_import(seeded)` patches botocore's BaseClient._make_api_call as soon as
botocore.client is imported (by the code being timed), so this module imports only
the standard library and pre-loads nothing. Reads answer with the seeded items
(DynamoDB JSON, matched by pk and sk) or nothing; writes and sends succeed; KMS
hands out a fixed data key. `CALLS` counts every call by (service, operation).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections import Counter
from typing import Any

CALLS: Counter[tuple[str, str]] = Counter()
ITEMS_WRITTEN: Counter[str] = Counter()  # "transact" items and "plain" writes, for write units


def answer(operation: str, params: dict[str, Any], seeded: list[dict[str, Any]]) -> dict[str, Any]:
    if operation == "GetItem":
        key = params.get("Key", {})
        for item in seeded:
            if item["pk"] == key.get("pk") and item["sk"] == key.get("sk"):
                return {"Item": item}
        return {}
    if operation == "Query" and "IndexName" not in params:
        # The partition asked for (the key condition's first value), and a sort key prefix (its
        # second, as begins_with has it): the seeded items that match both.
        values = list(params.get("ExpressionAttributeValues", {}).values())
        partition = values[0] if values else None
        prefix = values[1].get("S", "") if len(values) > 1 else ""
        found = [item for item in seeded if item["pk"] == partition and item["sk"]["S"].startswith(prefix)]
        return {"Items": found, "Count": len(found), "ScannedCount": len(found)}
    if operation in ("Query", "Scan"):
        return {"Items": [], "Count": 0, "ScannedCount": 0}
    if operation == "BatchGetItem":
        return {"Responses": {table: [] for table in params.get("RequestItems", {})}, "UnprocessedKeys": {}}
    if operation == "BatchWriteItem":
        return {"UnprocessedItems": {}}
    if operation == "SendMessage":
        return {"MessageId": "00000000-0000-0000-0000-000000000000", "MD5OfMessageBody": ""}
    if operation == "SendMessageBatch":
        return {"Successful": [{"Id": e["Id"], "MessageId": e["Id"]} for e in params["Entries"]], "Failed": []}
    if operation == "GenerateDataKey":
        return {"Plaintext": b"k" * 32, "CiphertextBlob": b"c" * 64, "KeyId": "key"}
    if operation == "Decrypt":
        return {"Plaintext": b"k" * 32, "KeyId": "key"}
    if operation == "GetSecretValue":
        return {"SecretString": "bench-secret", "Name": "bench"}
    return {}


def install_on_import(seeded: list[dict[str, Any]]) -> None:
    def patch(module: Any) -> None:
        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
            CALLS[(client.meta.service_model.service_name, operation)] += 1
            if operation == "TransactWriteItems":
                ITEMS_WRITTEN["transact"] += len(params["TransactItems"])
            elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
                ITEMS_WRITTEN["plain"] += 1
            return answer(operation, params, seeded)

        module.BaseClient._make_api_call = make_api_call

    if "botocore.client" in sys.modules:
        patch(sys.modules["botocore.client"])
        return

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if name != "botocore.client":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            assert spec is not None and spec.loader is not None
            original = spec.loader.exec_module

            def exec_module(module: Any) -> None:
                original(module)
                patch(module)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, Finder())


class Context:
    """A Lambda context, enough for Powertools."""

    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
