"""Fixtures shared by the handler tests: the tracker's in-process app (track_click with moto
underneath), the poller's world, and spies on the DynamoDB requests sent."""

import botocore.client
import pytest

from tests.handlers.test_poller import world  # noqa: F401 - fixture (the poller's world, for fans checks)
from tests.handlers.test_tracker_handler import dynamo_calls, make_app  # noqa: F401 - fixtures


@pytest.fixture
def dynamodb_calls(monkeypatch):
    """Every DynamoDB operation sent from now on."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return calls


@pytest.fixture
def transactions(monkeypatch) -> list[list[dict]]:
    """The TransactItems of every TransactWriteItems request sent from now on."""
    seen: list[list[dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        if operation_name == "TransactWriteItems":
            seen.append(api_params["TransactItems"])
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return seen
