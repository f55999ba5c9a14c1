"""The tracker's in-process app (track_click with moto underneath), shared by its test modules."""

from tests.handlers.test_poller import world  # noqa: F401 - fixture (the poller's world, for fans checks)
from tests.handlers.test_tracker_handler import dynamo_calls, make_app  # noqa: F401 - fixtures
