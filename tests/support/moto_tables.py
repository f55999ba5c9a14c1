"""moto in-process with every table of template.yaml, and Soundlink's PynamoDB models bound to them
(as a function's init binds them): for fixtures of any scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def bind(names: dict[str, str]) -> None:
    """Bind the PynamoDB models to the tables `names` (logical id -> table name)."""
    from soundlink.platform.settings import Settings
    from soundlink.platform.tables import bind_tables

    env = {
        "DATA_TABLE": names["DataTable"],
        "EVENTS_TABLE": names["EventsTable"],
        "STATS_TABLE": names["StatsTable"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    bind_tables(Settings.from_env(env))


@contextmanager
def moto_tables(prefix: str, *, bound: bool = True) -> Iterator[dict[str, str]]:
    """The template's tables in moto, named `{prefix}-{logical id}`; bound to the models unless told not."""
    import boto3
    from moto import mock_aws

    from local.cfn import cached_template, create_tables

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        names = create_tables(client, lambda logical_id: f"{prefix}-{logical_id}", cached_template())
        if bound:
            bind(names)
        yield names
