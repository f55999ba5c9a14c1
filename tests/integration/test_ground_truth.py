"""The short ground-truth run (seconds, fixed seed): faults on AWS and Spotify, SQS
duplicates, reordering and a crash mid-batch, a listener who leaves and one whose
token is refused; every campaign's figures equal the truth, every DLQ is empty, and
no log line holds a token, a code, a secret, a cookie or a client's address."""

from __future__ import annotations

import pytest

from tests.integration.ground_truth import Plan, run
from tests.integration.log_scan import collected, leaks, spotify_secrets

pytestmark = pytest.mark.slow


@pytest.fixture
def every_log_line():
    with collected() as lines:
        yield lines


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

    secrets = {
        **spotify_secrets(local_cloud),
        "auth code": report.secrets["codes"],
        "cookie": report.secrets["cookies"],
    }
    assert all(secrets.values()), {kind: len(values) for kind, values in secrets.items()}
    assert len(every_log_line) > 100
    assert leaks(every_log_line, secrets, report.secrets["addresses"]) == []
