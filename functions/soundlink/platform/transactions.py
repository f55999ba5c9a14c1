"""DynamoDB transactions across Soundlink's tables, and how to read their refusals."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from soundlink.platform.tables import CampaignItem, shared_connection


def transaction() -> TransactWrite:
    """A write transaction; every model's table is bound by bind_tables().

    The connection (a botocore client, ~0.1 s to create) is the container's one,
    shared with every model, not one per transaction.
    """
    return TransactWrite(connection=shared_connection(CampaignItem.Meta.region, CampaignItem.Meta.host))


def failed_conditions(error: TransactWriteError) -> set[int]:
    """Positions (in the order they were added) of the items whose condition failed."""
    reasons = error.cancellation_reasons or []
    return {i for i, reason in enumerate(reasons) if reason is not None and reason.code == "ConditionalCheckFailed"}
