"""bind_tables: every model at its table, and all of them (and transactions) through one DynamoDB client."""

from __future__ import annotations

import contextlib

import botocore.session

from soundlink.platform import tables as t
from soundlink.platform.transactions import transaction


def _models() -> list[type]:
    roots = (t._DataTable, t._EventsTable, t.CounterItem)
    return [cls for root in roots for cls in (root, *t._subclasses(root)) if not cls.__name__.startswith("_")]


def test_every_model_and_every_transaction_use_one_client(tables):
    clients = {id(cls._get_connection().connection.client) for cls in _models()}
    assert len(clients) == 1
    with transaction() as writes:
        assert id(writes._connection.client) in clients


def test_reading_several_models_creates_no_client(tables, monkeypatch):
    created = []
    original = botocore.session.Session.create_client

    def counting(self, *args, **kwargs):
        created.append(args[0] if args else kwargs.get("service_name"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    for model in (t.SlugClaim, t.CampaignItem, t.VisitorSecretItem, t.ListenerItem):
        with contextlib.suppress(model.DoesNotExist):
            model.get("nothing", "here")
    assert created == []


def test_models_point_at_the_deployed_tables(tables):
    assert t.CampaignItem.Meta.table_name == tables["DataTable"]
    assert t.ClickItem.Meta.table_name == tables["EventsTable"]
    assert t.CounterItem.Meta.table_name == tables["StatsTable"]


def test_the_tables_client_comes_from_boto3s_session_when_boto3_is_loaded(monkeypatch):
    """A second botocore session reads every data file again (~100 ms of cold start)."""
    import boto3

    monkeypatch.setattr(t, "_connections", {})
    connection = t.shared_connection("eu-west-1", None)
    assert boto3.DEFAULT_SESSION is not None
    assert connection.session is boto3.DEFAULT_SESSION._session


def test_without_boto3_the_tables_use_a_session_of_their_own(monkeypatch):
    import sys

    monkeypatch.setattr(t, "_connections", {})
    monkeypatch.delitem(sys.modules, "boto3")
    connection = t.shared_connection("eu-west-1", None)
    assert isinstance(connection.session, botocore.session.Session)
    assert "boto3" not in sys.modules
