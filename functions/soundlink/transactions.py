"""DynamoDB transactions across Soundlink's tables, and how to read their refusals."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from soundlink.models import CampaignItem


def transaction() -> TransactWrite:
    """A write transaction; every model's table is bound by bind_tables()."""
    return TransactWrite(connection=Connection(region=CampaignItem.Meta.region, host=CampaignItem.Meta.host))


def failed_conditions(error: TransactWriteError) -> set[int]:
    """Positions (in the order they were added) of the items whose condition failed."""
    reasons = error.cancellation_reasons or []
    return {i for i, reason in enumerate(reasons) if reason is not None and reason.code == "ConditionalCheckFailed"}
