"""The short ground-truth run (seconds, fixed seed): faults on AWS and Spotify, SQS
duplicates, reordering and a crash mid-batch, a listener who leaves and one whose
token is refused; every campaign's figures equal the truth, every DLQ is empty, and
no log line holds a token, a code, a secret, a cookie or a client's address."""

from __future__ import annotations

import logging
import re

import pytest

from local.logs import ROOT_LOGGER
from tests.integration.ground_truth import Plan, run

pytestmark = pytest.mark.slow


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        raw = getattr(record, "handler_line", None)
        if raw:
            self.lines.append(raw)


@pytest.fixture
def every_log_line():
    logger = logging.getLogger(ROOT_LOGGER)
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.timeout(600)
def test_a_short_ground_truth_run_under_faults_is_exact_and_leaks_nothing(local_cloud, every_log_line):
    report = run(local_cloud, Plan())

    assert report.mismatches == [], "\n".join(report.mismatches)
    assert report.compared > 80
    assert report.dead_letters and not any(report.dead_letters.values()), report.dead_letters
    # The faults really happened.
    assert report.aws_faults["injected"] > 0, report.aws_faults
    assert report.spotify_faults > 0
    assert report.redeliveries.get("crashes", 0) > 0 and report.redeliveries.get("duplicates", 0) > 0

    state = local_cloud.spotify.state
    secrets = {
        "access token": set(state.access_tokens),
        "refresh token": set(state.refresh_tokens),
        "client secret": {app.client_secret for app in state.apps.values()},
        "auth code": report.secrets["codes"],
        "cookie": report.secrets["cookies"],
    }
    assert all(secrets.values()), {kind: len(values) for kind, values in secrets.items()}
    assert len(every_log_line) > 100
    text = "\n".join(every_log_line)
    leaks = sorted(kind for kind, values in secrets.items() for value in values if value and value in text)
    addresses = sorted(a for a in report.secrets["addresses"] if re.search(rf"(?<![\d.]){re.escape(a)}(?!\d)", text))
    assert (leaks, addresses) == ([], [])
