"""Fixtures shared by the handler tests: the tracker's in-process app (track_click with moto
underneath), the poller's world, and spies on the DynamoDB requests sent."""

from datetime import timedelta

import botocore.client
import pytest

from soundlink.platform import counters
from tests.handlers.test_click_recording import recorder  # noqa: F401 - fixture (record_clicks, for click counting)
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


# The real setting, for tests that turn late writes back on after `writes_on_time`.
LATE_AFTER = counters.LATE_AFTER


@pytest.fixture
def writes_on_time(monkeypatch):
    """Counters written as a pipeline that counts events as they happen: the tests date their events
    on fixed days of 2026 (months before the test runs), which would otherwise make every write a
    late one that marks its day's roll-up (counters.late_marker; tests/handlers/test_rollups.py)."""
    monkeypatch.setattr(counters, "LATE_AFTER", timedelta(days=365 * 100))
