"""Fixtures shared by every kind of test.

AWS credentials are fake everywhere: no test may reach a real account.
"""

from __future__ import annotations

import os

import pytest
import requests

from local.spotify_emulator import start_emulator
from local.spotify_emulator.testing import EmulatorControl
from tests.support.moto_tables import bind, moto_tables

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "soundlink",
        "POWERTOOLS_METRICS_NAMESPACE": "Soundlink",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture
def aws():
    """moto in-process, with every table of template.yaml created from it."""
    with moto_tables("soundlink-test", bound=False) as names:
        yield names


@pytest.fixture
def tables(aws):
    """`aws`, with Soundlink's PynamoDB models bound to its tables (as a function's init does)."""
    bind(aws)
    return aws


# The Spotify emulator, started once per session for the tests that use it;
# `emu` resets it so every test starts from nothing.


@pytest.fixture(scope="session")
def emulator():
    handle = start_emulator(port=0)
    yield handle
    handle.stop()


@pytest.fixture
def emu(emulator):
    EmulatorControl(emulator.url).reset()
    return emulator


@pytest.fixture
def ctl(emu) -> EmulatorControl:
    return EmulatorControl(emu.url)


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
