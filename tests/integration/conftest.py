"""The local cloud, started once per test session on free ports.

- `local_cloud`: template.yaml with the Spotify emulator, as `make dev` runs it.
- `scanned_logs` (module): every log line of the local cloud while a module's tests run,
  asserted at its end to hold no token, code, client secret, cookie value or client
  address (tests/integration/log_scan.py); the end-to-end modules use it.
- `fixture_cloud`: tests/fixtures/local_cloud/template.yaml (copied to a
  temporary folder so tests may edit its handlers), which exercises the
  machinery: routes, JWT, CORS, schedules, SQS with a DLQ, environments.

Both run with background=False: nothing fires or polls by itself, so tests
drive schedules and queues with `run_schedules()` / `drain_queues()` and get
the same result every time.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.cfn import TEMPLATE_PATH
from local.cloud import LocalCloud
from tests.integration import log_scan

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "local_cloud"


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(TEMPLATE_PATH, background=False) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def scanned_logs(local_cloud: LocalCloud) -> Iterator[log_scan.Sent]:
    with log_scan.scanning(local_cloud) as sent:
        yield sent


@pytest.fixture(scope="session")
def fixture_app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("fixture-app") / "app"
    shutil.copytree(FIXTURE_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="session")
def fixture_cloud(fixture_app_dir: Path) -> Iterator[LocalCloud]:
    with LocalCloud(fixture_app_dir / "template.yaml", spotify=False, background=False) as cloud:
        yield cloud


@pytest.fixture(scope="session")
def owner(fixture_cloud: LocalCloud):
    return fixture_cloud.create_owner("owner@example.com", "fixture-password-1")
