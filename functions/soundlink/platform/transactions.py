"""DynamoDB transactions across Soundlink's tables, and how to read their refusals."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from soundlink.platform.tables import CampaignItem

_connections: dict[tuple[str | None, str | None], Connection] = {}


def transaction() -> TransactWrite:
    """A write transaction; every model's table is bound by bind_tables().

    The connection (a botocore client, ~0.1 s to create) is made once per
    container and region, not once per transaction.
    """
    where = (CampaignItem.Meta.region, CampaignItem.Meta.host)
    connection = _connections.get(where)
    if connection is None:
        connection = _connections[where] = Connection(region=where[0], host=where[1])
    return TransactWrite(connection=connection)


def failed_conditions(error: TransactWriteError) -> set[int]:
    """Positions (in the order they were added) of the items whose condition failed."""
    reasons = error.cancellation_reasons or []
    return {i for i, reason in enumerate(reasons) if reason is not None and reason.code == "ConditionalCheckFailed"}
