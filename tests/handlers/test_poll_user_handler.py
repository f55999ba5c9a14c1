"""poll_user's handler: the batch's listeners polled side by side, each once; a failed job reported alone."""

from __future__ import annotations

import importlib
import json
import sys
import threading

import pytest

from soundlink.polling.poller import PollOutcome
from tests.support.events import FakeContext


@pytest.fixture
def app(tables, monkeypatch):
    monkeypatch.setenv("DATA_TABLE", tables["DataTable"])
    monkeypatch.setenv("EVENTS_TABLE", tables["EventsTable"])
    monkeypatch.setenv("STATS_TABLE", tables["StatsTable"])
    monkeypatch.setenv("PLAY_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/plays")
    from soundlink.platform.settings import get_settings

    get_settings.cache_clear()
    name = "poll_user.app"
    module = importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)
    yield module
    get_settings.cache_clear()


class FakePoller:
    """Every poll waits for the others at a barrier: sequential polls would never all arrive."""

    def __init__(self, listeners: int, failing: str | None = None) -> None:
        self.barrier = threading.Barrier(listeners, timeout=5)
        self.polled: list[str] = []
        self.failing = failing

    def poll(self, account_id: str) -> PollOutcome:
        self.polled.append(account_id)
        self.barrier.wait()
        if account_id == self.failing:
            raise RuntimeError("DynamoDB unavailable")
        return PollOutcome("polled", plays_fetched=2, plays_queued=1)


def record(message_id: str, body: str) -> dict:
    return {"messageId": message_id, "body": body, "attributes": {}, "eventSource": "aws:sqs"}


def test_the_batch_listeners_are_polled_at_the_same_time_each_once(app, monkeypatch):
    fake = FakePoller(listeners=3)
    monkeypatch.setattr(app, "poller", fake)
    records = [
        record("1", json.dumps({"account_id": "a"})),
        record("2", json.dumps({"account_id": "b"})),
        record("3", json.dumps({"account_id": "a"})),  # the same listener queued twice: polled once
        record("4", json.dumps({"account_id": "c"})),
    ]
    assert app.handler({"Records": records}, FakeContext()) == {"batchItemFailures": []}
    assert sorted(fake.polled) == ["a", "b", "c"]


def test_a_failed_poll_and_a_malformed_job_fail_alone(app, monkeypatch):
    fake = FakePoller(listeners=2, failing="b")
    monkeypatch.setattr(app, "poller", fake)
    records = [
        record("ok", json.dumps({"account_id": "a"})),
        record("down", json.dumps({"account_id": "b"})),
        record("junk", "{not json"),
        record("no-account", json.dumps({"listener": "a"})),
    ]
    answer = app.handler({"Records": records}, FakeContext())
    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == ["down", "junk", "no-account"]


class FakeChecker:
    """Records each fans check and the polls that had run for its listener before it."""

    def __init__(self, poller: FakePoller, failing: str | None = None) -> None:
        self.poller = poller
        self.checks: list[tuple[str, str, list[str]]] = []
        self.failing = failing

    def check(self, job):  # type: ignore[no-untyped-def]
        self.checks.append((job.account_id, job.check, list(self.poller.polled)))
        if job.campaign_id == self.failing:
            raise RuntimeError("DynamoDB unavailable")
        from soundlink.polling.fans_checks import CheckOutcome

        return CheckOutcome("checked", spotify_calls=1)


def fans_job(account: str, check: str = "baseline", campaign: str = "c1", **extra: object) -> str:
    return json.dumps({"kind": "fans", "check": check, "account_id": account, "campaign_id": campaign, **extra})


def test_fans_checks_run_after_their_listener_s_poll_each_once_and_fail_alone(app, monkeypatch):
    poller = FakePoller(listeners=2)
    checker = FakeChecker(poller, failing="broken")
    monkeypatch.setattr(app, "poller", poller)
    monkeypatch.setattr(app, "checker", checker)
    records = [
        record("poll-a", json.dumps({"account_id": "a"})),
        record("fans-a", fans_job("a")),
        record("fans-a-end", fans_job("a", "end")),
        record("poll-b", json.dumps({"account_id": "b"})),
        record("fans-c", fans_job("c", campaign="broken")),  # no poll of c in the batch
        record("fans-bad", fans_job("a", "play")),  # a play check without its track: never valid
        record("fans-unknown", fans_job("a", "nap")),
    ]
    answer = app.handler({"Records": records}, FakeContext())
    failed = sorted(f["itemIdentifier"] for f in answer["batchItemFailures"])
    assert failed == ["fans-bad", "fans-c", "fans-unknown"]
    assert sorted(poller.polled) == ["a", "b"]  # fans checks never trigger a poll
    a_checks = [(check, "a" in polled) for account, check, polled in checker.checks if account == "a"]
    assert a_checks == [("baseline", True), ("end", True)]  # after a's poll, in order, in one thread
    assert [account for account, _check, _polled in checker.checks].count("c") == 1
