"""moto's DynamoDB `TransactWriteItems`, with a rollback that costs what it touches (moto server only).

moto 5 makes a transaction undoable by deep-copying every table it names, once
per item of the transaction, before it starts. A click is one transaction of a
dozen items (the click, its visit marker, the visitor's hourly count, its
counters), so recording a click copied the data table a dozen times: the cost
grew with everything stored, and after a few thousand clicks one batch of ten
took seconds on this machine. `install()` keeps moto's rules, checks and
errors (the same code, below) and changes only how it undoes a cancelled
transaction: it remembers the items the transaction names as they were before
it started and puts exactly those back. What a transaction can change is only
the items it names, so the outcome is the same as moto's.

It also makes writes isolated, as DynamoDB's are: moto's threaded server runs
a transaction's reads and writes, and an `UpdateItem`'s read-modify-write, with
no lock, so two clicks recorded at once could both add 1 to a counter read
before either wrote (one lost), and a cancelled transaction's rollback could
put back a counter another transaction had just moved. With the local click
consumer recording several batches at once, the 10,000-request load run
recorded about 20 clicks too few. `install()` runs every write (`PutItem`,
`UpdateItem`, `DeleteItem`, `TransactWriteItems`, the items of
`BatchWriteItem`) under one lock of the moto server.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any


def install() -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    def _location(backend: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any, Any] | None:
        """The table, hash and range value an operation names (None: moto will refuse it)."""
        try:
            table = backend.get_table(op["TableName"])
            source = op["Item"] if op_type == "Put" else op["Key"]
            hash_value = DynamoType(source[table.hash_key_attr])
            range_value = DynamoType(source[table.range_key_attr]) if table.range_key_attr is not None else None
        except Exception:  # noqa: BLE001 - moto's own checks below answer with the right error
            return None
        return table, hash_value, range_value

    def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        before = []
        for item in transact_items:
            if not isinstance(item, dict) or len(item) != 1:
                continue
            op_type, op = next(iter(item.items()))
            where = _location(backend, op_type, op) if isinstance(op, dict) else None
            if where is not None:
                table, hash_value, range_value = where
                before.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        return before

    def _restore(before: list[tuple[Any, Any, Any, Any]]) -> None:
        for table, hash_value, range_value, original in reversed(before):
            if range_value is not None:
                if original is None:
                    table.items[hash_value].pop(range_value, None)
                    if not table.items[hash_value]:
                        del table.items[hash_value]
                else:
                    table.items[hash_value][range_value] = original
            elif original is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = original

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        # moto 5.2's DynamoDBBackend.transact_write_items, but for its backup and rollback.
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        before = _snapshot(self, transact_items)

        target_items: set[tuple[str, str]] = set()

        def check_unicity(table_name: str, key: dict[str, Any]) -> None:
            item = (str(table_name), str(dict(sorted(key.items()))))
            if item in target_items:
                raise MultipleTransactionsException()
            target_items.add(item)

        errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
        for item in transact_items:
            original_item: dict[str, Any] | None = None
            if len(list(item.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                condition_expression = op.get("ConditionExpression")
                names = op.get("ExpressionAttributeNames")
                values = op.get("ExpressionAttributeValues")
                return_on_failure = op.get("ReturnValuesOnConditionCheckFailure")
                if op_type == "Put":
                    attrs = op["Item"]
                    table = self.get_table(table_name)
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                check_unicity(table_name, key)
                current = self.get_item(table_name, key)
                if condition_expression is not None:
                    condition_op = get_filter_expression(condition_expression, names, values)
                    if not condition_op.expr(current):
                        if return_on_failure == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)
                if op_type == "Put":
                    self.put_item(
                        table_name,
                        op["Item"],
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Delete":
                    self.delete_item(
                        table_name,
                        key,
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Update":
                    self.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                _restore(before)
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
            except Exception as e:  # noqa: BLE001 - as moto: every other error cancels the transaction
                errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

        if any(code is not None for code, _, _ in errors):
            _restore(before)
            raise TransactionCanceledException(errors)

    DynamoDBBackend.transact_write_items = transact_write_items
    writes = threading.RLock()  # reentrant: a transaction's items are put and updated under it

    def isolated(method: Any) -> Any:
        @functools.wraps(method)
        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            with writes:
                return method(self, *args, **kwargs)

        return write

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, isolated(getattr(DynamoDBBackend, name)))
